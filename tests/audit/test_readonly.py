"""The audit's client can only read: anything but GET and HEAD raises before the network.
Also its rate limiter, its request budget and --rate parsing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tams_conformance.audit.readonly import (
    Budget,
    BudgetExhausted,
    CountingTranscript,
    RateLimiter,
    ReadOnlyClient,
    ReadOnlyViolation,
    make_read_only,
    parse_rate,
)
from tams_conformance.egress import EgressPolicy


class _Counter(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _answer(self) -> None:
        self.seen.append(self.command)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"[]")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    handler = type("Counter", (_Counter,), {"seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", handler.seen
    httpd.shutdown()
    httpd.server_close()


def _client(base_url: str, budget: Budget | None = None) -> ReadOnlyClient:
    session = requests.Session()
    policy = EgressPolicy.for_base(base_url.split("//")[1], base_url)
    make_read_only(session, policy, RateLimiter(0), budget or Budget())
    return ReadOnlyClient(base_url, session, 5.0, CountingTranscript())


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_the_client_refuses_every_write_before_sending(server, method):
    base_url, seen = server
    client = _client(base_url)
    with pytest.raises(ReadOnlyViolation):
        client.request(method, "/flows")
    assert seen == []


def test_put_and_post_helpers_refuse_too(server):
    base_url, seen = server
    client = _client(base_url)
    with pytest.raises(ReadOnlyViolation):
        client.put("/flows/x", {"id": "x"})
    with pytest.raises(ReadOnlyViolation):
        client.post("/flows/x/segments", [])
    with pytest.raises(ReadOnlyViolation):
        client.delete("/flows/x")
    assert seen == []


def test_the_adapter_refuses_writes_that_bypass_the_client(server):
    """The session's last layer before a connection refuses too (a redirect, a retry, a
    code path that uses the session directly)."""
    base_url, seen = server
    session = make_read_only(requests.Session(), None, RateLimiter(0), Budget())
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(ReadOnlyViolation):
            session.request(method, base_url + "/flows", data=b"{}")
    assert seen == []
    assert session.get(base_url + "/flows").status_code == 200
    assert session.head(base_url + "/flows").status_code == 200
    assert seen == ["GET", "HEAD"]


def test_reads_go_through_and_are_counted(server):
    base_url, seen = server
    budget = Budget()
    client = _client(base_url, budget)
    assert client.get("/flows").json() == []
    assert client.head("/flows").status_code == 200
    assert seen == ["GET", "HEAD"]
    assert (budget.used, budget.by_method) == (2, {"GET": 1, "HEAD": 1})


def test_the_budget_stops_at_max_requests_before_sending(server):
    base_url, seen = server
    client = _client(base_url, Budget(limit=2))
    client.get("/flows")
    client.get("/flows")
    with pytest.raises(BudgetExhausted):
        client.get("/flows")
    assert len(seen) == 2


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_spaces_requests_after_the_burst():
    clock = _Clock()
    limiter = RateLimiter(10, burst=2, clock=clock)
    delays = [limiter.delay() for _ in range(5)]
    assert delays[:2] == [0.0, 0.0]
    assert delays[2:] == pytest.approx([0.1, 0.2, 0.3])
    clock.now += 10  # idle for long: the bucket refills to its burst, no further
    assert [limiter.delay() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.1])


def test_the_rate_limiter_holds_the_average_rate_over_time():
    clock = _Clock()
    limiter = RateLimiter(50, clock=clock)
    sent = 0
    for _ in range(1000):  # a client that sleeps exactly as told
        clock.now += limiter.delay()
        sent += 1
    assert sent / (clock.now - 100.0) == pytest.approx(50, rel=0.06)


def test_no_rate_means_no_wait():
    assert RateLimiter(0).delay() == 0.0


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("50/s", 50.0), ("600/m", 10.0), ("3600/h", 1.0), ("2.5/s", 2.5), ("unlimited", 0.0)],
)
def test_parse_rate(text, per_second):
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["fast", "50", "-1/s", "0/s", "10/d"])
def test_parse_rate_refuses_what_is_not_a_rate(text):
    with pytest.raises(ValueError, match="--rate"):
        parse_rate(text)
