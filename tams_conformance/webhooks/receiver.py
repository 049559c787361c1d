"""The kit's webhook receiver: a werkzeug server on a thread that records what it is sent.

It listens on `webhooks.listen` (default 127.0.0.1 on a free port) and is advertised to the
target as `webhooks.public_url` (default the listen address), so a deployment that cannot reach
the runner directly can reach it through a tunnel or a CI service network. Each registration
the kit makes gets a path of its own (`/hooks/<random>`); a delivery to an unknown path is
answered 404 and dropped, and one whose event names none of the check's own flows or sources
is answered 200 and dropped, so nothing else the target sends is ever kept.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tams_conformance.errors import HarnessError

MAX_BODY = 16 * 2**20


@dataclass
class Delivery:
    """One POST the receiver kept."""

    headers: dict[str, str]  # names lower-cased
    body: Any
    received: float
    probe: Any = None  # what the subscription's probe saw on arrival

    @property
    def event_type(self) -> str | None:
        return self.body.get("event_type") if isinstance(self.body, dict) else None

    @property
    def event(self) -> dict[str, Any]:
        event = self.body.get("event") if isinstance(self.body, dict) else None
        return event if isinstance(event, dict) else {}


def ids_named(body: Any) -> set[str]:
    """The flow and source ids an event envelope names."""
    event = body.get("event") if isinstance(body, dict) else None
    if not isinstance(event, dict):
        return set()
    found = {event.get("flow_id"), event.get("source_id")}
    for key in ("flow", "source"):
        item = event.get(key)
        if isinstance(item, dict):
            found |= {item.get("id"), item.get("source_id")}
    return {i for i in found if isinstance(i, str)}


@dataclass
class Subscription:
    """The deliveries of one callback path, kept when they name one of `own`."""

    path: str
    own: set[str] = field(default_factory=set)
    kept: list[Delivery] = field(default_factory=list)
    dropped: int = 0
    probe: Callable[[Any], Any] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def watch(self, *ids: str) -> None:
        with self.changed:
            self.own.update(i for i in ids if i)

    def take(self, headers: dict[str, str], body: Any) -> bool:
        with self.changed:
            mine = bool(ids_named(body) & self.own)
        if not mine:
            with self.changed:
                self.dropped += 1
            return False
        delivery = Delivery(headers, body, time.monotonic())
        if self.probe is not None:  # run before answering: the sender is still waiting
            try:
                delivery.probe = self.probe(body)
            except Exception as exc:  # noqa: BLE001 - recorded, judged by the check
                delivery.probe = exc
        with self.changed:
            self.kept.append(delivery)
            self.changed.notify_all()
        return True

    def wait_for(self, predicate: Callable[[Delivery], bool], timeout_s: float) -> Delivery | None:
        """The first kept delivery matching `predicate`, waiting up to `timeout_s` for it."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for delivery in self.kept:
                    if predicate(delivery):
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)

    def snapshot(self) -> list[Delivery]:
        with self.changed:
            return list(self.kept)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class Receiver:
    """The receiver of one target in one pytest process; use as a context manager."""

    def __init__(self, listen: str = "127.0.0.1:0", public_url: str | None = None) -> None:
        self.host, self.port = split_listen(listen)
        self._public = public_url.rstrip("/") if public_url else None
        self._subs: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._httpd: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.unknown = 0  # deliveries to paths of no subscription (dropped)

    @property
    def listen_url(self) -> str:
        if self._httpd is None:
            raise HarnessError("the webhook receiver is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._httpd.server_port}"

    @property
    def public_url(self) -> str:
        return self._public or self.listen_url

    def start(self) -> Receiver:
        try:
            self._httpd = make_server(
                self.host, self.port, self._app, threaded=True, request_handler=_Quiet
            )
        except OSError as exc:
            raise HarnessError(
                f"webhooks.listen {self.host}:{self.port}: cannot listen ({exc}); choose a "
                "free address or port 0"
            ) from None
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="tams-webhook-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def subscribe(self) -> tuple[str, Subscription]:
        """A new callback path: (its public URL, its subscription)."""
        path = "/hooks/" + secrets.token_hex(12)
        sub = Subscription(path)
        with self._lock:
            self._subs[path] = sub
        return self.public_url + path, sub

    def forget(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.pop(sub.path, None)

    def _app(self, environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        # A public_url with a path prefix (a tunnel's) may or may not be stripped on the way.
        path = request.path
        marker = path.find("/hooks/")
        with self._lock:
            sub = self._subs.get(path[marker:]) if marker >= 0 else None
        if sub is None or request.method != "POST":
            self.unknown += 1
            return Response("unknown webhook path\n", status=404)
        raw = request.get_data(cache=False)[:MAX_BODY]
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        sub.take(headers, body)
        return Response("", status=200)


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (IPv6 in brackets) as (host, port); ValueError naming the fix."""
    parts = urlsplit("//" + listen)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or parts.path:
        raise ValueError(f"{listen!r} is not host:port (for example 127.0.0.1:0)")
    return parts.hostname, port
