"""Shared pieces of the egress and bounds tests: a stand-in resolver, loopback servers."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
