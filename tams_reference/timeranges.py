"""Timerange parsing and the integer keys the store orders and indexes segments by.

mediatimestamp is lax (``[0:0__1:0)`` parses as ``[0:0_``), so strings are first checked
against the spec's own regex (timerange.json) and only then handed to mediatimestamp.
"""

from __future__ import annotations

import re

from mediatimestamp import TimeRange, Timestamp

from tams_reference.errors import BadRequest

_TS = r"-?(0|[1-9][0-9]*):(0|[1-9][0-9]{0,8})"
TIMESTAMP_RE = re.compile(rf"^{_TS}$")
TIMERANGE_RE = re.compile(rf"^(\[|\()?({_TS})?(_({_TS})?)?(\]|\))?$")

# Sentinels for unbounded ends: far outside any timestamp a segment can carry in practice.
MIN_NS = -(2**62)
MAX_NS = 2**62


def parse_timerange(text: str, what: str = "timerange") -> TimeRange:
    """Parse a timerange string, raising BadRequest for anything the spec regex rejects."""
    if not isinstance(text, str) or not TIMERANGE_RE.match(text):
        raise BadRequest(f"{what} {text!r} is not a valid timerange")
    try:
        return TimeRange.from_str(text)
    except ValueError as exc:
        raise BadRequest(f"{what} {text!r} is not a valid timerange: {exc}") from exc


def parse_timestamp(text: str, what: str = "timestamp") -> Timestamp:
    """Parse a timestamp string, raising BadRequest when it does not match the spec regex."""
    if not isinstance(text, str) or not TIMESTAMP_RE.match(text):
        raise BadRequest(f"{what} {text!r} is not a valid timestamp")
    return Timestamp.from_str(text)


def bounds_ns(tr: TimeRange) -> tuple[int, int, int, int]:
    """(start_ns, start_exclusive, end_ns, end_inclusive) of a non-empty timerange.

    Sorting on (start_ns, start_exclusive) gives the spec's order, where ``[1:0_2:0)`` comes
    before ``(1:0_2:0)``; the pair of ends is the cheap pre-filter for overlap queries.
    """
    # Clamped to the sentinels: a legal timestamp can reach 2**48 s, past SQLite's 64-bit
    # integers (a DELETE with timerange=(-4199...:81) answered 500, found by the sweep).
    start = MIN_NS if tr.start is None else _clamp(tr.start.to_nanosec())
    end = MAX_NS if tr.end is None else _clamp(tr.end.to_nanosec())
    start_excl = 0 if tr.start is None or tr.includes_start() else 1
    end_incl = 1 if tr.end is None or tr.includes_end() else 0
    return start, start_excl, end, end_incl


def _clamp(ns: int) -> int:
    return max(MIN_NS, min(MAX_NS, ns))


def shift(tr: TimeRange, offset: Timestamp) -> TimeRange:
    """The timerange moved back by ``offset`` (segment timeline -> object timeline)."""
    start = None if tr.start is None else tr.start - offset
    end = None if tr.end is None else tr.end - offset
    return TimeRange(start, end, tr.inclusivity)


def extent(first: TimeRange, last: TimeRange) -> TimeRange:
    """The smallest timerange covering both (segments never overlap, so first/last suffice)."""
    return first.extend_to_encompass_timerange(last)
