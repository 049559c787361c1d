"""HTTP/1.1 persistent connections for the reference server on werkzeug's threaded server.

werkzeug's own handler answers every request with `Connection: close`, so each request paid
for a new TCP connection. This handler keeps werkzeug's environ but runs the WSGI app itself:
the request body is bounded by its Content-Length and what the app left unread is drained
after the response, so the next request on the connection is read intact. (mock_s3 has its
own, built on moto's handler; importing moto costs the reference's start a second and more.)
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

# An idle persistent connection holds a server thread; it is closed after this long.
IDLE_TIMEOUT_S = 30
# An unread request body up to this size is drained to keep the connection; past it the
# connection is closed instead.
DRAIN_LIMIT = 1024 * 1024
_DROPPED = (ConnectionError, socket.timeout, BrokenPipeError)
_log = logging.getLogger(__name__)


class KeepAliveHandler(WSGIRequestHandler):
    """werkzeug's request handler with keep-alive and without its access log."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    # Head and body go out in one write; with Nagle's algorithm a second small write would
    # wait for the client's delayed ACK (40 ms) on a reused connection.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        track = getattr(self.server, "track_connection", None)
        if track is not None:
            track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            track = getattr(self.server, "track_connection", None)
            if track is not None:
                track(self.connection, False)

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass  # idle persistent connections timing out are normal here

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        body: LimitedStream | None = None
        if environ.get("wsgi.input_terminated"):
            self.close_connection = True  # a chunked body: its unread rest cannot be skipped
        else:
            try:
                length = max(int(environ.get("CONTENT_LENGTH") or 0), 0)
            except ValueError:
                length, self.close_connection = 0, True
            body = LimitedStream(self.rfile, length)
            environ["wsgi.input"] = body
        status_headers: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            status_headers[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        try:
            iterable = self.server.app(environ, start_response)
            try:
                chunks.extend(iterable)
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
            if body is not None and body.limit - getattr(body, "_pos", 0) > DRAIN_LIMIT:
                self.close_connection = True
            self._send(environ["REQUEST_METHOD"] == "HEAD", *status_headers, b"".join(chunks))
            if body is not None and not self.close_connection:
                body.exhaust()
        except _DROPPED:
            self.close_connection = True
        except Exception:
            _log.exception("reference server error while answering %s", environ["REQUEST_METHOD"])
            self.close_connection = True

    def _send(self, head: bool, status: str, headers: list[tuple[str, str]], data: bytes) -> None:
        """The whole response in one write: the reference's answers are small JSON bodies."""
        code, _, phrase = status.partition(" ")
        self.send_response_only(int(code), phrase)
        names = set()
        for name, value in headers:
            names.add(name.lower())
            if name.lower() not in ("connection", "content-length", "transfer-encoding"):
                self.send_header(name, value)
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        if not (int(code) in (204, 304) or 100 <= int(code) < 200):
            length = dict((k.lower(), v) for k, v in headers).get("content-length")
            if not head:
                self.send_header("Content-Length", str(len(data)))
            elif length:  # a HEAD carries GET's length, or none (head-omits-content-length)
                self.send_header("Content-Length", length)
        if self.close_connection:
            self.send_header("Connection", "close")
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        self.wfile.write(b"".join(self._headers_buffer) + (b"" if head else data))  # type: ignore[attr-defined]
        self._headers_buffer = []  # type: ignore[attr-defined]


class Connections:
    """The open connections of a server, so `stop()` can end the idle persistent ones: a
    stopped server must answer nothing, even on a connection a client keeps in its pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._open.add if open_ else self._open.discard)(connection)

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
