"""Credentials and their scope: the session every TamsClient sends through.

The API credential (bearer token, basic credential, OAuth2 access token) goes to the origin
(scheme, host, port) of the target's base URL only; the OAuth2 client secret to `token_url`
only. A request anywhere else, whether a `Link`, a `Location`, a URL from a body or a redirect,
leaves without an `Authorization` header. Every object here masks its secrets in its repr.
"""

from __future__ import annotations

import base64
import threading
import time
from urllib.parse import urlsplit

import requests

from tams_conformance.config import Auth
from tams_conformance.errors import HarnessError
from tams_conformance.redact import Secret, redact_url, register_secrets


class AuthError(HarnessError):
    """The credentials could not be obtained (OAuth2 token endpoint refused, say)."""


DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int | None]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute URL, the default port filled in; None when the URL
    has no usable origin (relative, no host, a malformed port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return None
    return scheme, host, port or DEFAULT_PORTS.get(scheme)


def show_origin(origin: Origin | None) -> str:
    if origin is None:
        return "no origin"
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + ("" if port == DEFAULT_PORTS.get(scheme) else f":{port}")


class _ApiAuth(requests.auth.AuthBase):
    """The API credential, sent to the origin (scheme, host, port) of the target's base URL and
    nowhere else: a request to another origin (a `Link`, a `Location`, a URL in a body, a
    redirect) leaves with no `Authorization` header at all. Unbound (no base URL yet), it sends
    nothing."""

    def __init__(self, header: str = "", base_url: str | None = None) -> None:
        self._header = Secret(header)
        self.origin: Origin | None = origin_of(base_url) if base_url else None

    def bind(self, base_url: str) -> None:
        if self.origin is None:
            self.origin = origin_of(base_url)

    def applies_to(self, url: str) -> bool:
        return self.origin is not None and origin_of(url) == self.origin

    def credential(self) -> str:
        return self._header

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.applies_to(r.url or ""):
            if "Authorization" not in r.headers:  # a check may send a credential of its own
                r.headers["Authorization"] = Secret(self.credential())
        else:
            r.headers.pop("Authorization", None)
        return r

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {show_origin(self.origin)}: ***>"


class _OAuth2ClientCredentials(_ApiAuth):
    """Bearer auth whose token comes from an OAuth2 client-credentials grant, refreshed before
    it expires (and once more after a 401). The client secret goes to `token_url` only (no
    redirect is followed), the access token to the API's origin only; every token issued is
    registered for redaction."""

    def __init__(
        self, auth: Auth, verify: bool | str, timeout: float, base_url: str | None = None
    ) -> None:
        super().__init__("", base_url)
        self._auth = auth
        self._verify = verify
        self._timeout = timeout
        self._token: Secret | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    @property
    def token(self) -> str | None:
        return self._token

    def _fetch(self) -> str:
        data = {"grant_type": "client_credentials"}
        if self._auth.scope:
            data["scope"] = self._auth.scope
        if self._auth.audience:
            data["audience"] = self._auth.audience
        token_url = self._auth.token_url or ""
        try:
            with requests.Session() as session:
                session.trust_env = False  # the client secret goes to token_url, nowhere else
                resp = session.post(
                    token_url,
                    data=data,
                    timeout=self._timeout,
                    auth=(self._auth.client_id or "", self._auth.client_secret or ""),
                    verify=self._verify,
                    allow_redirects=False,
                )
        except requests.RequestException as exc:
            raise AuthError(
                f"OAuth2 token endpoint {redact_url(token_url)} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code != 200:
            raise AuthError(
                f"OAuth2 token endpoint {redact_url(token_url)} answered "
                f"{resp.status_code}: check client_id/client_secret/scope"
            )
        try:
            payload = resp.json()
            token = Secret(payload["access_token"])
            expires_in = float(payload.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                f"OAuth2 token endpoint {redact_url(token_url)} answered 200 without an "
                "access_token: check token_url"
            ) from None
        register_secrets(token)
        payload.clear()  # no copy of the token left in a local for --showlocals
        self._token = token
        # Refresh a little early, but never later than halfway through a short-lived token.
        self._expires_at = time.monotonic() + max(expires_in - 30, expires_in / 2)
        return token

    def current(self, force: bool = False) -> str:
        with self._lock:
            if force or self._token is None or time.monotonic() >= self._expires_at:
                return self._fetch()
            return self._token

    def credential(self) -> str:
        return f"Bearer {self.current()}"

    def __repr__(self) -> str:
        token_url = redact_url(self._auth.token_url or "")
        return f"<OAuth2ClientCredentials {token_url} for {show_origin(self.origin)}: ***>"


class _ScopedSession(requests.Session):
    """A session whose redirects keep the credential scope: after every redirect the API
    credential is set again for the API's origin and removed for any other (requests alone
    keeps it on a same-host redirect to another port or scheme)."""

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        super().rebuild_auth(prepared_request, response)
        if isinstance(self.auth, _ApiAuth):
            prepared_request.headers.pop("Authorization", None)
            self.auth(prepared_request)

    def __repr__(self) -> str:
        return f"<ScopedSession auth={self.auth!r}>"


def build_session(
    auth: Auth, verify_tls: bool | str, timeout_s: float, base_url: str | None = None
) -> requests.Session:
    """A session carrying the target's credentials (for `base_url`'s origin only; a TamsClient
    binds it to its base URL when not given here) and TLS settings."""
    session = _ScopedSession()
    session.verify = verify_tls
    session.headers["User-Agent"] = "tams-conformance"
    if auth.type == "bearer":
        session.auth = _ApiAuth(f"Bearer {auth.token}", base_url)
    elif auth.type == "basic":
        raw = f"{auth.username or ''}:{auth.password or ''}".encode()
        session.auth = _ApiAuth("Basic " + base64.b64encode(raw).decode(), base_url)
    elif auth.type == "oauth2-client-credentials":
        session.auth = _OAuth2ClientCredentials(auth, verify_tls, timeout_s, base_url)
    return session


def basic_secret(auth: Auth) -> list[str]:
    """The forms a basic credential takes on the wire, for redaction."""
    if auth.type != "basic":
        return []
    raw = f"{auth.username or ''}:{auth.password or ''}".encode()
    return [base64.b64encode(raw).decode()]


def credential_of(session: requests.Session) -> str | None:
    """The `Authorization` value the session sends to its target (an OAuth2 session fetches
    its token), or None when the target has no credentials configured."""
    auth = session.auth
    if isinstance(auth, _ApiAuth) and auth.origin is not None:
        credential = auth.credential()
        return Secret(credential) if credential else None  # masked in every repr
    return None
