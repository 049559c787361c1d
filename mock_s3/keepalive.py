"""An HTTP/1.1 keep-alive request handler for werkzeug's threaded server.

werkzeug's development server answers every request with ``Connection: close`` and, after each
response, reads and discards whatever the client sends next (safe only because it closes the
connection). So every S3 request paid for a new TCP connection. This handler keeps werkzeug's
environ (and moto's header-name handling, through ``MotoRequestHandler``) but runs the WSGI app
itself: the request body is bounded by its ``Content-Length`` and drained after the response, so
the next request on the connection is read intact.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import LimitedStream

from .incoming import RAW_HEADERS_KEY

# An idle keep-alive connection holds a server thread; close it after this long.
IDLE_TIMEOUT_S = 30
# A refused upload's unread body is read and dropped up to this size to keep the connection;
# past it (a refused large upload) the connection is closed instead, as S3 does.
DRAIN_LIMIT = 1024 * 1024
_DROPPED = (ConnectionError, socket.timeout, BrokenPipeError)
_log = logging.getLogger("mock_s3")


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's handler with keep-alive and without werkzeug's access log.

    werkzeug's access log prints the full request target, signatures included; the gate keeps
    its own redacted log instead.
    """

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    # Head and body go out in separate writes; with Nagle's algorithm the body waits for the
    # client's delayed ACK (40 ms per response on Linux) once connections are reused.
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
        # http.server's messages quote the request line (signatures included) and report idle
        # keep-alive connections timing out, which is normal here.
        pass

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        # The header lines as received: WSGI keeps one Content-Type or Content-Length of several
        # (and folds others), while a signature covers every value, as AWS canonicalises them.
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        body: LimitedStream | None = None
        if not environ.get("wsgi.input_terminated"):
            try:
                length = max(int(environ.get("CONTENT_LENGTH") or 0), 0)
            except ValueError:
                length = 0
                self.close_connection = True
            body = LimitedStream(self.rfile, length)
            environ["wsgi.input"] = body
        else:
            # A chunked request body: werkzeug dechunks it, but what the app leaves unread
            # cannot be skipped cheaply, so this connection is not reused.
            self.close_connection = True
        response = _Response(self, environ["REQUEST_METHOD"] == "HEAD", body)
        try:
            iterable = self.server.app(environ, response.start)
            try:
                for data in iterable:
                    response.write(data)
                response.finish()
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
            if body is not None:
                _drain(self, body)
        except _DROPPED:
            self.close_connection = True
        except Exception:
            # The gate answers every failure itself; this is a failure while writing. Logged to
            # the library's logger (silent unless listened to), never printed: http.server's
            # own report would go to stderr.
            _log.exception("mock_s3 server error while answering %s", environ["REQUEST_METHOD"])
            self.close_connection = True
            if not response.sent:
                response.fail()


def _unread(body: LimitedStream) -> int:
    return body.limit - getattr(body, "_pos", 0)


def _drain(handler: KeepAliveRequestHandler, body: LimitedStream) -> None:
    """Read what the app left of the body, so the next request line is where it should be."""
    remaining = _unread(body)
    if remaining <= 0:
        return
    if remaining > DRAIN_LIMIT:
        handler.close_connection = True
        return
    try:
        body.exhaust()
    except (ClientDisconnected, OSError):
        handler.close_connection = True


class _Response:
    """Status line, headers and body of one response, written as the app produces them."""

    def __init__(
        self, handler: KeepAliveRequestHandler, head: bool, body: LimitedStream | None
    ) -> None:
        self.handler = handler
        self.body = body
        self.head = head
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self.chunked = False
        self.pending = b""

    def start(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, list(headers)
        return self.write

    def _send_head(self) -> None:
        assert self.status is not None, "write() before start_response()"
        handler = self.handler
        code, _, phrase = self.status.partition(" ")
        handler.log_request(int(code))
        handler.send_response_only(int(code), phrase)
        names = set()
        for name, value in self.headers:
            names.add(name.lower())
            if name.lower() == "connection":
                continue  # the connection's fate is decided here, not by the app
            handler.send_header(name, value)
        if "server" not in names:
            handler.send_header("Server", handler.version_string())
        if "date" not in names:
            handler.send_header("Date", handler.date_time_string())
        status = int(code)
        no_body = self.head or 100 <= status < 200 or status in (204, 304)
        if "content-length" not in names and not no_body:
            self.chunked = True
            handler.send_header("Transfer-Encoding", "chunked")
        if self.body is not None and _unread(self.body) > DRAIN_LIMIT:
            handler.close_connection = True
        if handler.close_connection:
            handler.send_header("Connection", "close")
        # Held back to go out with the first body bytes: one send, one packet, for the small
        # responses S3 mostly gives (http.server's end_headers() would send the head alone).
        self.pending = b"".join(handler._headers_buffer) + b"\r\n"  # type: ignore[attr-defined]
        handler._headers_buffer = []  # type: ignore[attr-defined]
        self.sent = True

    def write(self, data: bytes) -> None:
        if not self.sent:
            self._send_head()
        if not data or self.head:
            return
        if self.chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        self.handler.wfile.write(self.pending + data)
        self.pending = b""

    def finish(self) -> None:
        if not self.sent:
            self._send_head()
        tail = b"0\r\n\r\n" if self.chunked else b""
        if self.pending or tail:
            self.handler.wfile.write(self.pending + tail)
            self.pending = b""
        self.handler.wfile.flush()

    def fail(self) -> None:
        self.status = "500 Internal Server Error"
        self.headers = [("Content-Type", "text/plain"), ("Content-Length", "0")]
        with contextlib.suppress(_DROPPED):
            self.finish()
