"""Connections under the kit's rules: egress-checked, and bounded by a `Deadline`.

`_GuardedConnection` (mixed into urllib3's HTTP and HTTPS connections) resolves the host once,
keeps the addresses the target's `EgressPolicy` permits and connects to one of those very
addresses; the Host header and TLS SNI still carry the name. Every connection a request uses
registers with the request's `Deadline`, whose timer shuts the socket down when the time is
up, ending whatever the request was blocked on (connect, TLS, headers or body).
`tams_conformance.transport` builds the requests-level behaviour on top.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from tams_conformance.egress import EgressPolicy

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
        self._done = False
        self._prev: Deadline | None = None

    def __enter__(self) -> Deadline:
        self._prev = getattr(_local, "deadline", None)
        _local.deadline = self
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._done = True  # the watchdog drops it when it comes up
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
            if self._done:
                return
            self.expired = True
            for conn in self._conns:
                _shut(conn)


class _Watchdog:
    """One thread for every deadline of the process (a timer thread per request was a
    tenth of the client's CPU time): it sleeps until the earliest one and expires it."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._wake = threading.Condition()
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._heap, (deadline.ends_at, next(self._count), deadline))
            if self._thread is None or not self._thread.is_alive():  # none yet, or forked
                self._thread = threading.Thread(
                    target=self._run, name="tams-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2]._done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                ends_at, _, first = self._heap[0]
                left = ends_at - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._heap)
            first._expire()


_WATCHDOG = _Watchdog()


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
