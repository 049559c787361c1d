"""The client's bounded pool: independent requests sent together, the transcript in call order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tams_conformance.client import TamsClient, Transcript, build_session
from tams_conformance.config import Auth
from tams_conformance.pool import gather


class Gate(BaseHTTPRequestHandler):
    """Holds each request until `release` lets its path go: the test decides the order in which
    requests finish, and counts how many were in flight at once (no timing involved)."""

    lock = threading.Lock()
    in_flight = 0
    most = 0
    arrived: threading.Semaphore
    release: dict[str, threading.Event]

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        cls.arrived.release()
        event = cls.release.get(self.path)
        if event is not None:
            event.wait(10)
        with cls.lock:
            cls.in_flight -= 1
        status = 500 if self.path.startswith("/fail") else 200
        body = self.path.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def gate() -> Iterator[tuple[TamsClient, type[Gate]]]:
    handler = type(
        "G", (Gate,), {"in_flight": 0, "most": 0, "arrived": threading.Semaphore(0), "release": {}}
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    client = TamsClient(base, build_session(Auth(type="none"), True, 10), 10, Transcript())
    yield client, handler
    httpd.shutdown()
    httpd.server_close()


def paths(transcript: Transcript) -> list[str]:
    return [e.url.rsplit("/", 1)[-1] for e in transcript.since(0)]


def test_results_and_transcript_keep_call_order_whatever_order_answers_come_in(gate):
    client, handler = gate
    names = ["a", "b", "c", "d"]
    handler.release = {f"/{n}": threading.Event() for n in names}

    def finish_in_reverse() -> None:
        for _ in names:  # all four are in flight at once before any answers
            assert handler.arrived.acquire(timeout=10)
        for n in reversed(names):
            handler.release[f"/{n}"].set()

    opener = threading.Thread(target=finish_in_reverse)
    opener.start()
    results = gather(client.transcript, [lambda n=n: client.get(f"/{n}").text for n in names])
    opener.join()
    assert results == ["/a", "/b", "/c", "/d"]
    assert paths(client.transcript) == names
    assert handler.most == 4


def test_the_pool_is_bounded(gate):
    client, handler = gate
    calls = [lambda i=i: client.get(f"/{i}").status_code for i in range(9)]
    assert gather(client.transcript, calls, workers=3) == [200] * 9
    assert handler.most <= 3
    assert paths(client.transcript) == [str(i) for i in range(9)]


def test_nested_pools_keep_each_tasks_requests_together_in_order(gate):
    client, _ = gate

    def task(n: str) -> None:
        client.get(f"/{n}-first")
        gather(client.transcript, [lambda: client.get(f"/{n}-x"), lambda: client.get(f"/{n}-y")])
        client.get(f"/{n}-last")

    client.get("/before")
    gather(client.transcript, [lambda: task("p"), lambda: task("q")])
    client.get("/after")
    assert paths(client.transcript) == [
        "before",
        *("p-first", "p-x", "p-y", "p-last"),
        *("q-first", "q-x", "q-y", "q-last"),
        "after",
    ]


def test_every_call_runs_and_the_first_error_in_call_order_is_raised(gate):
    client, _ = gate

    def fails(n: int) -> None:
        client.get(f"/fail{n}")
        raise AssertionError(f"call {n}")

    calls = [lambda: client.get("/ok0"), lambda: fails(1), lambda: fails(2), lambda: None]
    with pytest.raises(AssertionError, match="call 1"):
        gather(client.transcript, calls)
    assert paths(client.transcript) == ["ok0", "fail1", "fail2"]


def test_a_response_marked_judged_inside_a_task_is_the_judged_exchange(gate):
    client, _ = gate
    transcript = client.transcript
    mark = transcript.mark()

    def act() -> None:
        transcript.mark_judged(client.get("/act"))
        client.get("/read-after")

    gather(transcript, [lambda: client.get("/read"), act])
    assert transcript.judged_since(mark) == {1}
    with transcript.judged():
        gather(transcript, [lambda: client.get("/x"), lambda: client.get("/y")])
    assert transcript.judged_since(mark) == {1, 3, 4}
