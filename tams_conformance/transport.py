"""The HTTP transport under every request the kit makes: egress-checked connections, a total
deadline per request and bodies read in streaming under a cap.

`requests` times out per socket read, so a server that sends one byte every two seconds keeps a
request alive for ever, and it reads a body whole, so a 4 GB answer takes 4 GB of memory. Here:

- connections are opened by `_GuardedConnection`, which resolves the host once, keeps the
  addresses the target's `EgressPolicy` permits and connects to one of those very addresses
  (the Host header and TLS SNI still carry the name), so nothing outside the policy is ever
  connected to and a DNS answer that changes after the check changes nothing;
- `send` runs one request under a `Deadline`: a timer that, when `timeout_s` has passed since
  the request started, shuts down the socket the request is using, whatever it is waiting for
  (connect, TLS, headers or body). The overrun is a `DeadlineExceeded` harness error;
- the body is read in chunks up to a cap; a larger body is a `BodyTooLarge` finding naming its
  size. JSON-ish bodies are kept (`response.content`, `.json()`, `.text` work as usual); media
  bodies are hashed while streaming (`response.media`: size and sha256) and only their first
  `MEDIA_KEEP` bytes are kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from tams_conformance.egress import EgressPolicy
from tams_conformance.errors import TargetUnreachable
from tams_conformance.redact import redact_url

MiB = 1024 * 1024
DEFAULT_BODY_MIB = 16
DEFAULT_MEDIA_MIB = 256
MEDIA_KEEP = 8 * MiB  # what of a media body stays readable as .content (the kit's are tiny)
CHUNK = 64 * 1024


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


# The deadline ---------------------------------------------------------------------------------
_local = threading.local()


class Deadline:
    """A total time limit for one request. The connections it uses register themselves (from
    the same thread); when the time is up their sockets are shut down, which ends any blocked
    read or write at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds
        self.expired = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._prev: Deadline | None = None

    def __enter__(self) -> Deadline:
        self._prev = getattr(_local, "deadline", None)
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _local.deadline = self._prev

    def remaining(self) -> float:
        return max(0.001, self.ends_at - time.monotonic())

    def watch(self, conn: Any) -> None:
        with self._lock:
            if conn not in self._conns:
                self._conns.append(conn)
            if self.expired:
                _shut(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for conn in self._conns:
                _shut(conn)


def _shut(conn: Any) -> None:
    # http.client drops `conn.sock` once a response reads until close; the socket lives on in
    # the response, so the one seen at connect time is kept too.
    sock = getattr(conn, "sock", None) or getattr(conn, "_deadline_sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also for an SSLSocket: it acts on the descriptor and
        # leaves the SSL object alone, which the reading thread may be using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _current() -> Deadline | None:
    return getattr(_local, "deadline", None)


# Connections ----------------------------------------------------------------------------------
class _GuardedConnection:
    """Mixed into urllib3's connections: egress-checked connect, deadline registration."""

    policy: EgressPolicy | None = None

    def connect(self) -> None:
        deadline = _current()
        if deadline is not None:
            deadline.watch(self)
        super().connect()  # type: ignore[misc]
        self._deadline_sock = getattr(self, "sock", None)
        if deadline is not None and deadline.expired:  # expired while connecting
            _shut(self)

    def request(self, *args: Any, **kw: Any) -> None:
        deadline = _current()
        if deadline is not None:
            deadline.watch(self)
        super().request(*args, **kw)  # type: ignore[misc]

    def _new_conn(self) -> socket.socket:
        this: Any = self
        if self.policy is None or this.proxy is not None:  # a proxy: checked by name in send()
            return super()._new_conn()  # type: ignore[misc]
        try:
            infos = self.policy.addresses(this._dns_host, this.port)
        except socket.gaierror as exc:
            raise NewConnectionError(this, f"Failed to resolve {this.host}: {exc}") from exc
        timeout = this.timeout
        deadline = _current()
        if deadline is not None and timeout is not _DEFAULT_TIMEOUT:
            timeout = min(timeout or deadline.seconds, deadline.remaining())
        error: OSError | None = None
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                for option in this.socket_options or ():
                    sock.setsockopt(*option)
                if timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if this.source_address:
                    sock.bind(this.source_address)
                sock.connect(address)  # the checked address itself, never the name again
                return sock
            except TimeoutError as exc:
                sock.close()
                raise ConnectTimeoutError(
                    this, f"Connection to {this.host} timed out. (connect timeout={timeout})"
                ) from exc
            except OSError as exc:
                sock.close()
                error = exc
        raise NewConnectionError(this, f"Failed to establish a new connection: {error}")


@functools.cache
def _pool_classes(policy: EgressPolicy | None) -> dict[str, type]:
    http = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), {"policy": policy})
    https = type(
        "GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), {"policy": policy}
    )
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
    }


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections follow `policy` and honour the `Deadline`."""

    __attrs__ = [*HTTPAdapter.__attrs__, "policy"]

    def __init__(self, policy: EgressPolicy | None = None, **kw: Any) -> None:
        self.policy = policy
        super().__init__(**kw)

    def init_poolmanager(self, *args: Any, **kw: Any) -> None:
        super().init_poolmanager(*args, **kw)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy: str, **kw: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kw)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are classes of their own
            manager.pool_classes_by_scheme = _pool_classes(self.policy)
        return manager

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        if self.policy is not None and select_proxy(request.url or "", kw.get("proxies")):
            # Through a proxy the kit never connects to the host itself: check its name's
            # addresses here, the best that can be done.
            self.policy.check_url(request.url or "", request.method or "")
        return super().send(request, **kw)


def install(session: requests.Session, policy: EgressPolicy | None) -> requests.Session:
    """Route `session`'s http(s) traffic through a `GuardedAdapter` for `policy`."""
    current = session.get_adapter("http://")
    if not (isinstance(current, GuardedAdapter) and current.policy == policy):
        adapter = GuardedAdapter(policy)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


@functools.cache
def plain_session(policy: EgressPolicy | None) -> requests.Session:
    """A session with no header or credential of the kit's own (for presigned URLs)."""
    session = requests.Session()
    session.trust_env = False  # no .netrc credentials or proxy headers: nothing unsigned
    return install(session, policy)


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
) -> requests.Response:
    """Send `prepared` and read its whole answer within `timeout_s`, the body capped at
    `max_bytes`. Raises `DeadlineExceeded`, `BodyTooLarge`, `EgressRefused` or the
    `requests.RequestException` of a failed connection."""
    label = label or f"{prepared.method} {redact_url(prepared.url or '')}"
    with Deadline(timeout_s) as deadline:
        read = 0
        try:
            response = session.send(
                prepared, stream=True, timeout=timeout_s, allow_redirects=allow_redirects
            )
            read = _read(response, max_bytes, label, cap_key, media, deadline)
        except requests.RequestException:
            if deadline.expired:
                raise _overrun(label, timeout_s, read) from None
            raise
        if deadline.expired:  # a shut-down socket can look like a body that simply ended
            response.close()
            raise _overrun(label, timeout_s, read)
    return response


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
    prepared = session.prepare_request(requests.Request("GET", url))
    try:
        return send(
            session,
            prepared,
            timeout_s=timeout_s or limits.timeout_s,
            max_bytes=limits.max_media_bytes,
            cap_key="max_media_mib",
            media=True,
        )
    except requests.RequestException as exc:
        raise TargetUnreachable(
            f"GET {redact_url(url)}: the store did not answer ({type(exc).__name__})"
        ) from None


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
