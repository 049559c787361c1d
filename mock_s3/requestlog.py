"""The request log: what the gate decided for each request, safe to show to a vendor.

Paths are logged with signatures and credentials redacted; the Authorization header is never
recorded at all.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # raw path and query, X-Amz-Signature/Credential, Signature, AWSAccessKeyId redacted
    profile: str
    auth: str  # sigv4-query, sigv2-query, sigv4-header, sigv2-header or anonymous
    # "allowed" (passed to the object store), "refused" (answered by the gate) or "error" (the
    # gate or the object store failed: a 500 InternalError, with what broke in ``reason``)
    verdict: str
    status: int
    code: str | None  # S3 error code, for refusals and for object-store errors
    reason: str | None

    def line(self) -> str:
        """One human-readable line (what the CLI prints on stderr)."""
        text = f"{self.verdict.upper():7} {self.status} {self.method} {self.path} [{self.auth}]"
        if self.code:
            text += f" {self.code}"
        if self.reason and self.reason != self.code:
            text += f": {self.reason}"
        return text


class RequestLog:
    """Thread-safe, bounded list of RequestRecord (oldest dropped past ``limit``)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._listeners: list[Callable[[RequestRecord], None]] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)

    def subscribe(self, listener: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def refused(self) -> list[RequestRecord]:
        return [r for r in self.snapshot() if r.verdict == "refused"]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __getitem__(self, index: int) -> RequestRecord:
        with self._lock:
            return self._records[index]
