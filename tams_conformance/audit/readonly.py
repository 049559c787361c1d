"""The audit's HTTP access: GET and HEAD only, rate-limited, counted and bounded.

Read-only is enforced twice, both before anything reaches the network: `ReadOnlyClient.request`
refuses any other method, and every session the audit uses carries a `ReadOnlyAdapter`, the
last layer before a connection, which refuses it again (so a redirect, a retry or a future
code path cannot slip a write through). The adapter is also where every request is counted
against `--max-requests` and waits for the rate limiter, so media GETs and API GETs share one
budget. It is a `GuardedAdapter`: the target's egress policy and deadlines apply as in `run`.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import requests

from tams_conformance.client import TamsClient, Transcript
from tams_conformance.egress import EgressPolicy
from tams_conformance.guarded import GuardedAdapter

READ_METHODS = frozenset({"GET", "HEAD"})
RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|m|min|h)\s*$")
PER = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


class ReadOnlyViolation(RuntimeError):
    """A request other than GET or HEAD: a bug of the audit, never sent."""


class BudgetExhausted(RuntimeError):
    """--max-requests reached: the audit stops (resumable) with exit 3."""


def parse_rate(text: str) -> float:
    """Requests per second of `50/s`, `3000/m`, `10/h`; `0` or `unlimited`: no limit (0.0)."""
    if text.strip().lower() in ("0", "none", "unlimited"):
        return 0.0
    match = RATE_RE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"--rate {text!r} is not a rate such as 50/s, 600/m or unlimited")
    return float(match.group(1)) / PER[match.group(2)]


class RateLimiter:
    """A token bucket shared by every thread: at most `per_second` requests per second on
    average, bursts of at most `burst` (default: one second's worth, at least 1)."""

    def __init__(self, per_second: float, burst: float | None = None, clock: Any = None) -> None:
        self.rate = per_second
        self.capacity = burst if burst is not None else max(1.0, per_second)
        self._tokens = self.capacity
        self._clock = clock or time.monotonic
        self._last = self._clock()
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Take one token; the seconds the caller must wait before sending (0 when free)."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> None:
        wait = self.delay()
        if wait > 0:
            time.sleep(wait)


class Budget:
    """Counts requests (by method, for the summary) and ends the audit at `limit`."""

    def __init__(self, limit: int | None = None, used: int = 0) -> None:
        self.limit = limit
        self.used = used
        self.by_method: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, method: str) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                raise BudgetExhausted(f"--max-requests {self.limit} reached")
            self.used += 1
            self.by_method[method] = self.by_method.get(method, 0) + 1


class ReadOnlyAdapter(GuardedAdapter):
    """The last layer before the network: GET/HEAD only, counted, rate-limited."""

    __attrs__ = [*GuardedAdapter.__attrs__, "limiter", "budget"]

    def __init__(
        self,
        policy: EgressPolicy | None,
        limiter: RateLimiter,
        budget: Budget,
        pool_size: int = 10,
    ) -> None:
        self.limiter = limiter
        self.budget = budget
        super().__init__(policy, pool_connections=pool_size, pool_maxsize=pool_size)

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:
        method = (request.method or "").upper()
        if method not in READ_METHODS:
            raise ReadOnlyViolation(f"the audit is read-only: {method} refused before sending")
        self.budget.take(method)
        self.limiter.acquire()
        return super().send(request, **kw)


def make_read_only(
    session: requests.Session,
    policy: EgressPolicy | None,
    limiter: RateLimiter,
    budget: Budget,
    pool_size: int = 10,
) -> requests.Session:
    """Mount a `ReadOnlyAdapter` for http and https on `session` (returned)."""
    adapter = ReadOnlyAdapter(policy, limiter, budget, pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class CountingTranscript(Transcript):
    """A transcript that keeps no exchange, only their number: an audit makes millions of
    requests, its memory must not grow with the store, and its reports show findings, never
    transcripts (redacting every body would cost more CPU than the request itself)."""

    exchanges: int = 0

    def record(self, response: Any, request: Any, duration_s: float) -> None:
        with self._lock:
            self.exchanges += 1


class ReadOnlyClient(TamsClient):
    """A `TamsClient` that can only read."""

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        if method.upper() not in READ_METHODS:
            raise ReadOnlyViolation(f"the audit is read-only: {method.upper()} {path} refused")
        if kw.get("json_body") is not None or kw.get("data") is not None:
            raise ReadOnlyViolation(f"the audit is read-only: a body on {method} {path} refused")
        return super().request(method, path, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)
