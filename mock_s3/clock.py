"""The gate's clock: real time plus an offset a test moves, so expiry is tested without sleeps."""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock time shifted by an adjustable offset (thread-safe).

    Only the gate reads it (presigned-URL expiry, and the 15-minute skew allowed to header-signed
    requests); objects' Last-Modified stays moto's real time.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the gate sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the gate's time forward (or back, with a negative value)."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset


def iso_utc(epoch: float) -> str:
    """S3's timestamp format in error bodies (``Expires``, ``ServerTime``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
