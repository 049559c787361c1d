"""Per-instance disk spill: objects over a size live in temporary files instead of memory.

moto keeps each object in a ``SpooledTemporaryFile`` that rolls over to disk past
``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE`` bytes (5 MiB - 1 KiB by default), read from the environment
when the object is stored. An environment variable is one value for the whole process, so this
module swaps moto's reader for one that first asks the instance handling the current request
(a context variable the gate sets), then falls back to moto's own. Like ``isolation``, it marks
what it installed so a fresh copy of this module reuses it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# What ``--spill-to-disk`` without a size means: every object over 256 KiB goes to disk; the
# small ones (metadata, tiny test segments) stay in memory, where each costs no file descriptor.
DEFAULT_SPILL_BYTES = 256 * 1024
_SIZE = re.compile(r"^\s*(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_install_lock = threading.Lock()


def parse_size(text: str) -> int:
    """``"1048576"``, ``"256KiB"``, ``"1M"`` -> bytes (binary units); ValueError otherwise."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 262144, 256KiB or 1MiB")
    size = int(match.group(1)) * _UNITS[match.group(2)[:1].lower()]
    if size < 1:
        raise ValueError("the spill size must be at least 1 byte")
    return size


class SpillThreshold:
    """moto's buffer-size reader, answering the current instance's threshold when it has one."""

    is_mock_s3_spill = True

    def __init__(self, fallback: Callable[[], int]) -> None:
        self.fallback = fallback
        self._scope: ContextVar[int | None] = ContextVar("mock_s3_spill_bytes", default=None)

    def __call__(self) -> int:
        size = self._scope.get()
        return self.fallback() if size is None else size

    @contextmanager
    def scoped(self, size: int | None) -> Iterator[None]:
        """Objects stored inside this block spill past ``size`` bytes (None: moto's default)."""
        token = self._scope.set(size)
        try:
            yield
        finally:
            self._scope.reset(token)


def install() -> SpillThreshold | None:
    """Swap moto's buffer-size reader (idempotent): the reader, or None if moto lacks it."""
    from moto.s3 import models

    with _install_lock:
        current: Any = getattr(models, "get_s3_default_key_buffer_size", None)
        if getattr(current, "is_mock_s3_spill", False):
            return current  # type: ignore[no-any-return]
        if not callable(current):
            return None
        models.get_s3_default_key_buffer_size = SpillThreshold(current)
        return models.get_s3_default_key_buffer_size  # type: ignore[return-value]
