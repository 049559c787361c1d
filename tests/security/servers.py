"""Loopback HTTP servers for the security tests: a capture server that records what reaches it,
and a scripted API stub whose answers point elsewhere (Link, Location, token redirects)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"[]"


Script = Callable[[Seen], Answer]


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port; `seen` lists every request."""

    def __init__(self, script: Script | None = None) -> None:
        self.seen: list[Seen] = []
        self.script = script or (lambda _: Answer())
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
                )
                outer.seen.append(seen)
                answer = outer.script(seen)
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def authorizations(self) -> list[str]:
        return [s.headers["Authorization"] for s in self.seen if "Authorization" in s.headers]


@contextmanager
def serving(script: Script | None = None) -> Iterator[Server]:
    server = Server(script)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def token_answer(token: str) -> Answer:
    body = {"access_token": token, "token_type": "Bearer", "expires_in": 300}
    return Answer(200, {}, json.dumps(body).encode())
