"""Wiring: moto's S3 app, the gate in front, a quiet threaded keep-alive server in a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from .keepalive import KeepAliveRequestHandler


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler (keeps underscores in x-amz-meta-* names) minus the access log.

    Kept for plain-moto comparisons: it answers ``Connection: close`` like ``moto_server``.
    """

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def s3_app() -> Any:
    """moto's S3 backend app, called directly.

    moto's ``DomainDispatcherApplication`` picks a backend per request from the Host header,
    listing moto's package folder under a global lock each time (about 40 % of a request's
    time); the gate only ever serves S3, so it calls the S3 app straight away.
    """
    return create_backend_app("s3")


def moto_app() -> DomainDispatcherApplication:
    """A fresh moto server app, as ``moto_server`` runs it (state: moto's global backends)."""
    return DomainDispatcherApplication(create_backend_app)


class ServerThread:
    """A threaded werkzeug server for ``app``, run in a daemon thread until ``stop()``.

    ``keep_alive`` (default) serves HTTP/1.1 persistent connections; ``stop()`` closes them.
    """

    def __init__(self, app: Any, host: str, port: int, *, keep_alive: bool = True) -> None:
        # Bind here rather than in werkzeug, which prints and calls sys.exit() when the port is
        # taken; an OSError lets the caller report it in one line.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        handler = KeepAliveRequestHandler if keep_alive else QuietRequestHandler
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            self._server = make_server(
                host, port, app, threaded=True, request_handler=handler, fd=sock.fileno()
            )
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server.track_connection = self._track  # type: ignore[attr-defined]
        self.port: int = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"mock_s3:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        # Persistent connections outlive the accept loop: end them, so a stopped store answers
        # nothing, even to a client holding a pooled connection.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)


@contextmanager
def plain_moto(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Plain moto (no gate) as ``moto_server`` serves it; yields its endpoint. For comparisons."""
    server = ServerThread(moto_app(), host, port, keep_alive=False)
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.stop()
