"""Wiring: moto's server app, the gate in front, a quiet threaded werkzeug server in a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler (keeps underscores in x-amz-meta-* names) minus the access log.

    werkzeug's access log prints the full request target, signatures included; the gate keeps
    its own redacted log instead.
    """

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def moto_app() -> DomainDispatcherApplication:
    """A fresh moto server app (its state is moto's process-global backends)."""
    return DomainDispatcherApplication(create_backend_app)


class ServerThread:
    """A threaded werkzeug server for ``app``, run in a daemon thread until ``stop()``."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        # Bind here rather than in werkzeug, which prints and calls sys.exit() when the port is
        # taken; an OSError lets the caller report it in one line.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            self._server = make_server(
                host,
                port,
                app,
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=sock.fileno(),
            )
        self.port: int = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"mock_s3:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def plain_moto(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Plain moto (no gate) on the same server stack; yields its endpoint. For comparisons."""
    server = ServerThread(moto_app(), host, port)
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.stop()
