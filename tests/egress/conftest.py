"""Shared pieces of the egress and bounds tests: a stand-in resolver, loopback servers."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tams_conformance import egress


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """name -> addresses (a callable: called per lookup); address literals resolve to
    themselves; every lookup is counted in table['calls']."""
    table: dict[str, list[str]] = {"calls": []}  # type: ignore[dict-item]
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kw):
        table["calls"].append(host)
        try:
            ipaddress.ip_address(host)
            return real(host, port, *args, **kw)
        except ValueError:
            pass
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = table[host]
        if callable(addresses):
            addresses = addresses()
        out = []
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    monkeypatch.setattr(egress.socket, "getaddrinfo", getaddrinfo)
    return table


class Recording(ThreadingHTTPServer):
    """A loopback HTTP server that counts the connections it accepts and answers 200."""

    daemon_threads = True

    def __init__(self) -> None:
        self.accepted = 0
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                outer.hosts.append(self.headers.get("Host", ""))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_PUT = _answer

        super().__init__(("127.0.0.1", 0), Handler)

    def get_request(self):  # noqa: ANN201 -- socketserver's signature
        request = super().get_request()
        self.accepted += 1
        return request

    def connections_seen(self) -> int:
        """Accepted connections, plus any still waiting in the backlog (call after stop)."""
        self.socket.setblocking(False)
        waiting = 0
        while True:
            try:
                conn, _ = self.socket.accept()
            except (BlockingIOError, OSError):
                return self.accepted + waiting
            conn.close()
            waiting += 1


@pytest.fixture
def recording() -> Iterator[Recording]:
    server = Recording()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class Trickle:
    """A loopback server that answers every request one byte at a time, for ever: in
    `headers` mode the status line itself trickles; in `body` mode the headers come at once
    and the (JSON) body trickles. No single read ever waits longer than `interval`."""

    def __init__(self, mode: str, interval: float) -> None:
        self.mode = mode
        self.interval = interval
        self.sent = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request (small, in one segment on loopback)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
            if self.mode == "body":
                conn.sendall(head)
                data = iter(lambda: b" ", None)  # an endless body
            else:
                data = (bytes([b]) for b in head * 1000)
            for byte in data:
                if self.stop.wait(self.interval):
                    return
                try:
                    conn.sendall(byte)
                except OSError:
                    return
                self.sent += 1

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def trickle() -> Iterator[Any]:
    servers: list[Trickle] = []

    def make(mode: str, interval: float) -> Trickle:
        servers.append(Trickle(mode, interval))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


class Big(ThreadingHTTPServer):
    """A loopback server whose GET /<size>[?length] answers `size` bytes generated lazily
    (chunked, or with Content-Length when `?length` is asked): nothing is held in memory."""

    daemon_threads = True

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", self.path.strip("/").partition("?")[0])
                self.end_headers()

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                size = int(path.strip("/"))
                block = b"0" * (1024 * 1024)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if query == "length":
                    self.send_header("Content-Length", str(size))
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    left = size
                    while left > 0:
                        part = block[: min(left, len(block))]
                        if query == "length":
                            self.wfile.write(part)
                        else:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        left -= len(part)
                    if query != "length":
                        self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client stopped reading: expected at the cap
                    self.close_connection = True

        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        pass  # a client that stopped reading at its cap resets the connection: expected


@pytest.fixture
def big() -> Iterator[str]:
    server = Big()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
