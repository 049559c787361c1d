"""Optional authentication of the reference server: bearer, basic, OAuth2 client credentials.

Off by default. With `mode` set, every API request needs the credential and is answered 401
with a `WWW-Authenticate` challenge without it (RFC 6750 for bearer, RFC 7617 for basic). In
`oauth2-client-credentials` mode the server is its own token endpoint, `POST /oauth2/token`
(RFC 6749 section 4.4): client authentication with HTTP Basic or `client_id`/`client_secret`
form fields, short-lived opaque bearer tokens in return. Secrets are compared in constant time
and never written to a log or a repr.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

AUTH_MODES = ("none", "bearer", "basic", "oauth2-client-credentials")
TOKEN_PATH = "/oauth2/token"
REALM = "tams-reference"
MASK = "***"
DEFAULT_TOKEN_LIFETIME_S = 300
# What each mode needs: (field, how the CLI and an error name it).
REQUIRED = {
    "none": (),
    "bearer": ("token",),
    "basic": ("username", "password"),
    "oauth2-client-credentials": ("client_id", "client_secret"),
}


@dataclass(frozen=True, repr=False)
class AuthSettings:
    """What the server asks of its clients; `mode` is one of AUTH_MODES."""

    mode: str = "none"
    token: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise ValueError(f"unknown auth mode {self.mode!r}; use one of {', '.join(AUTH_MODES)}")
        missing = [name for name in REQUIRED[self.mode] if not getattr(self, name)]
        if missing:
            flags = ", ".join("--auth-" + name.replace("_", "-") for name in missing)
            raise ValueError(f"auth mode {self.mode} needs {flags}")
        if self.token_lifetime_s <= 0:
            raise ValueError("token_lifetime_s must be positive")

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def __repr__(self) -> str:
        shown = [f"mode={self.mode!r}"]
        for name in ("username", "client_id"):
            if getattr(self, name):
                shown.append(f"{name}={getattr(self, name)!r}")
        for name in ("token", "password", "client_secret"):
            if getattr(self, name):
                shown.append(f"{name}={MASK!r}")
        return f"AuthSettings({', '.join(shown)})"

    __str__ = __repr__


def error_response(status: int, name: str, summary: str, headers: dict[str, str]) -> Response:
    # httputil imports the store, which imports config, which imports this module
    from tams_reference import httputil

    return httputil.error_response(status, name, summary, headers)


def json_response(body: object, status: int, headers: dict[str, str]) -> Response:
    from tams_reference import httputil

    return httputil.json_response(body, status=status, headers=headers)


def _same(given: str | None, expected: str | None) -> bool:
    if given is None or expected is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _basic(header: str) -> tuple[str, str] | None:
    """(user, password) of a `Basic` Authorization header, or None."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class Authenticator:
    """Checks the credential of each request and serves the token endpoint."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Authenticator {self.settings!r}>"

    @property
    def serves_tokens(self) -> bool:
        return self.settings.mode == "oauth2-client-credentials"

    # Requests to the API ------------------------------------------------------------------------
    def refuse(self, request: Request) -> Response | None:
        """None when `request` carries a valid credential, else the 401 to answer."""
        header = request.headers.get("Authorization", "")
        mode = self.settings.mode
        if mode == "basic":
            pair = _basic(header)
            user_ok = pair is not None and _same(pair[0], self.settings.username)
            if pair is not None and user_ok and _same(pair[1], self.settings.password):
                return None
            return self._challenge(f'Basic realm="{REALM}", charset="UTF-8"', bool(header))
        token = _bearer(header)
        if token is not None and self._valid_token(token):
            return None
        challenge = f'Bearer realm="{REALM}"'
        if header:
            challenge += ', error="invalid_token"'
        return self._challenge(challenge, bool(header))

    def _valid_token(self, token: str) -> bool:
        if self.settings.mode == "bearer":
            return _same(token, self.settings.token)
        now = time.monotonic()
        with self._lock:
            for known in [t for t, expiry in self._tokens.items() if expiry <= now]:
                del self._tokens[known]
            return any(_same(token, known) for known in self._tokens)

    @staticmethod
    def _challenge(challenge: str, had_credential: bool) -> Response:
        summary = "the credential is not valid" if had_credential else "a credential is required"
        return error_response(401, "Unauthorized", summary, {"WWW-Authenticate": challenge})

    # The token endpoint ---------------------------------------------------------------------------
    def token_endpoint(self, request: Request) -> Response:
        """RFC 6749 4.4: POST grant_type=client_credentials, the client authenticated by HTTP
        Basic or by form fields; errors as RFC 6749 5.2 JSON."""
        if request.method != "POST":
            return error_response(
                405, "MethodNotAllowed", f"use POST on {TOKEN_PATH}", {"Allow": "POST"}
            )
        form = request.form
        pair = _basic(request.headers.get("Authorization", ""))
        client_id, client_secret = pair or (form.get("client_id"), form.get("client_secret"))
        if not (
            _same(client_id, self.settings.client_id)
            and _same(client_secret, self.settings.client_secret)
        ):
            headers = {"WWW-Authenticate": f'Basic realm="{REALM}"'} if pair else {}
            return self._oauth_error(401, "invalid_client", headers)
        if form.get("grant_type") != "client_credentials":
            return self._oauth_error(400, "unsupported_grant_type")
        token = secrets.token_urlsafe(32)
        lifetime = self.settings.token_lifetime_s
        with self._lock:
            self._tokens[token] = time.monotonic() + lifetime
        body = {"access_token": token, "token_type": "Bearer", "expires_in": int(lifetime)}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return json_response(body, status=200, headers=_NO_STORE)

    @staticmethod
    def _oauth_error(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
        return json_response(
            {"error": error}, status=status, headers={**_NO_STORE, **(headers or {})}
        )


_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
