"""The HTTP transport under every request the kit makes: egress-checked connections, a total
deadline per request and bodies read in streaming under a cap.

`requests` times out per socket read, so a server that sends one byte every two seconds keeps a
request alive for ever, and it reads a body whole, so a 4 GB answer takes 4 GB of memory. Here:

- connections are opened by `guarded._GuardedConnection`, which resolves the host once, keeps the
  addresses the target's `EgressPolicy` permits and connects to one of those very addresses
  (the Host header and TLS SNI still carry the name), so nothing outside the policy is ever
  connected to and a DNS answer that changes after the check changes nothing;
- `send` runs one request under a `guarded.Deadline`: a timer that, when `timeout_s` has
  passed since the request started, shuts down the socket the request is using, whatever it
  waits for (connect, TLS, headers or body). The overrun is a `DeadlineExceeded` harness error;
- the body is read in chunks up to a cap; a larger body is a `BodyTooLarge` finding naming its
  size. JSON-ish bodies are kept (`response.content`, `.json()`, `.text` work as usual); media
  bodies are hashed while streaming (`response.media`: size and sha256) and only their first
  `MEDIA_KEEP` bytes are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from tams_conformance.egress import EgressPolicy, EgressRefused
from tams_conformance.errors import TargetUnreachable
from tams_conformance.guarded import Deadline, install, plain_session
from tams_conformance.redact import redact_url

MiB = 1024 * 1024
DEFAULT_BODY_MIB = 16
DEFAULT_MEDIA_MIB = 256
MEDIA_KEEP = 8 * MiB  # what of a media body stays readable as .content (the kit's are tiny)
CHUNK = 64 * 1024
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class BodyTooLarge(AssertionError):
    """A response body over its cap: a finding about the server, with the size seen."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class DeadlineExceeded(TargetUnreachable):
    """A request that did not complete within timeout_s (a harness error, exit 3)."""


@dataclass(frozen=True)
class MediaDigest:
    """What a media body was: its size in bytes and sha256 (hex), computed while streaming."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Limits:
    """The bounds of one target: its egress policy, its timeout and its body caps."""

    policy: EgressPolicy | None = None
    timeout_s: float = 60.0
    max_body_bytes: int = DEFAULT_BODY_MIB * MiB
    max_media_bytes: int = DEFAULT_MEDIA_MIB * MiB

    @classmethod
    def of(cls, target: Any) -> Limits:
        """The limits of a `config.Target` whose base_url is known."""
        return cls(
            policy=EgressPolicy.of(target),
            timeout_s=target.timeout_s,
            max_body_bytes=int(getattr(target, "max_body_mib", DEFAULT_BODY_MIB) * MiB),
            max_media_bytes=int(getattr(target, "max_media_mib", DEFAULT_MEDIA_MIB) * MiB),
        )


# The limits of the target whose check is running: the fixtures that fetch server-handed URLs
# (upload, get_bare) have no target at hand. One process runs one check at a time and checks
# may use threads, so this is a plain module global rather than a context variable. Outside a
# run (a developer calling upload() from a script) no egress policy applies.
_ACTIVE = Limits()


def activate(limits: Limits | None) -> None:
    """Make `limits` the ones server-handed URLs are fetched under (None: the defaults)."""
    global _ACTIVE
    _ACTIVE = limits or Limits()


def active() -> Limits:
    return _ACTIVE


# Sending and reading --------------------------------------------------------------------------
def send(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    *,
    timeout_s: float,
    max_bytes: int,
    label: str = "",
    cap_key: str = "max_body_mib",
    media: bool = False,
    allow_redirects: bool = False,
    named_timeout_s: float | None = None,
) -> requests.Response:
    """Send `prepared` and read its whole answer within `timeout_s`, the body capped at
    `max_bytes`. Raises `DeadlineExceeded`, `BodyTooLarge`, `EgressRefused` or the
    `requests.RequestException` of a failed connection. `named_timeout_s`: the timeout_s an
    overrun message names, when `timeout_s` is what is left of a longer one."""
    label = label or f"{prepared.method} {short_url(prepared.url or '')}"
    with Deadline(timeout_s) as deadline:
        read = 0
        try:
            response = session.send(
                prepared, stream=True, timeout=timeout_s, allow_redirects=allow_redirects
            )
            read = _read(response, max_bytes, label, cap_key, media, deadline)
        except EgressRefused as exc:  # raised while connecting: name the request
            raise EgressRefused(f"{label}: {exc}") from None
        except requests.RequestException:
            if deadline.expired:
                raise _overrun(label, named_timeout_s or timeout_s, read) from None
            raise
        if deadline.expired:  # a shut-down socket can look like a body that simply ended
            response.close()
            raise _overrun(label, named_timeout_s or timeout_s, read)
    return response


def short_url(url: str) -> str:
    """`url` without its query and any user info: what a message needs to name a request
    (a presigned query is long, and redacted anyway)."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _overrun(label: str, timeout_s: float, read: int) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"{label}: no complete answer within timeout_s={timeout_s:g} s "
        f"({read} body bytes read); raise timeout_s in targets.yaml if the server is just slow"
    )


def _read(
    response: requests.Response,
    max_bytes: int,
    label: str,
    cap_key: str,
    media: bool,
    deadline: Deadline,
) -> int:
    """Read the body into `response` (kept, or hashed for media); returns the bytes read."""
    declared = response.headers.get("Content-Length", "")
    if response.request.method == "HEAD" or response.status_code in (204, 304):
        declared = ""  # no body follows, whatever length it announces
    kind = "media body" if media else "response body"
    cap = f"{max_bytes / MiB:g} MiB cap ({cap_key})"
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        response._content = b""
        raise BodyTooLarge(
            f"{kind} of {label} exceeds the {cap} (Content-Length {int(declared)} bytes, "
            f"{int(declared) / MiB:.1f} MiB)",
            response,
        )
    kept = bytearray()
    digest = hashlib.sha256()
    size = 0
    keep = MEDIA_KEEP if media else max_bytes
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if media:
            digest.update(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
        if size > max_bytes:
            response.close()
            response._content = bytes(kept)
            raise BodyTooLarge(
                f"{kind} of {label} exceeds the {cap} (at least {size / MiB:.1f} MiB read)",
                response,
            )
        if deadline.expired:
            break
    response._content = bytes(kept)
    response._content_consumed = True
    if media:
        response.media = MediaDigest(size, digest.hexdigest())  # type: ignore[attr-defined]
    return size


def get_media(url: str, timeout_s: float | None = None) -> requests.Response:
    """GET a (presigned) media URL bare -- no header or credential of the kit's own -- hashed
    while streaming; a store that does not answer is a harness error whose message never
    carries the signature."""
    limits = active()
    session = plain_session(limits.policy)
    timeout_s = timeout_s or limits.timeout_s
    ends_at = time.monotonic() + timeout_s
    # Redirects are followed here, not by requests (which reads a redirect's body whole):
    # each hop is egress-checked, capped and within the one deadline.
    for _ in range(MAX_REDIRECTS + 1):
        prepared = session.prepare_request(requests.Request("GET", url))
        try:
            response = send(
                session,
                prepared,
                timeout_s=max(0.001, ends_at - time.monotonic()),
                max_bytes=limits.max_media_bytes,
                cap_key="max_media_mib",
                media=True,
                named_timeout_s=timeout_s,
            )
        except requests.RequestException as exc:
            raise TargetUnreachable(
                f"GET {redact_url(url)}: the store did not answer ({type(exc).__name__})"
            ) from None
        location = response.headers.get("Location")
        if response.status_code not in REDIRECTS or not location:
            return response
        url = urljoin(url, location)
    return response


def send_bare(
    prepared: requests.PreparedRequest,
    timeout_s: float | None = None,
    session: requests.Session | None = None,
) -> requests.Response:
    """Send a prepared request to a store (a put_url upload) under the active limits."""
    limits = active()
    session = plain_session(limits.policy) if session is None else install(session, limits.policy)
    try:
        return send(
            session,
            prepared,
            timeout_s=timeout_s or limits.timeout_s,
            max_bytes=limits.max_body_bytes,
        )
    except requests.RequestException as exc:  # its text would carry the signed URL
        raise TargetUnreachable(
            f"{prepared.method} {redact_url(prepared.url or '')}: the store did not answer "
            f"({type(exc).__name__})"
        ) from None


def probe_get(url: str, timeout_s: float, verify: bool | str) -> None:
    """GET `url` once within `timeout_s` (the pre-flight): raises `DeadlineExceeded` or the
    `requests.RequestException`; a body over the cap still counts as an answer."""
    with requests.Session() as session:
        session.verify = verify
        install(session, None)
        prepared = session.prepare_request(requests.Request("GET", url))
        with contextlib.suppress(BodyTooLarge):
            send(session, prepared, timeout_s=timeout_s, max_bytes=DEFAULT_BODY_MIB * MiB)
