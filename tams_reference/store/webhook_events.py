"""The events of one committed transaction: built from its outbox rows, filtered, rendered.

Payloads describe the resource as the commit left it (the lock is still held when they are
built), in the shape of the webhooks section of the served spec version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from mediatimestamp import TimeRange

from tams_reference.store.common import loads
from tams_reference.store.db import now_iso
from tams_reference.store.listing import collected_by
from tams_reference.store.objects import UrlOptions
from tams_reference.timeranges import bounds_ns, extent
from tams_reference.variants import OMIT_EMPTY_GET_URLS

SEGMENT_FIELDS = ("ts_offset", "last_duration", "key_frame_count", "sample_offset", "sample_count")


@dataclass
class Event:
    """An event before rendering: what happened, to what, and what the filters look at."""

    event_type: str
    flow_id: str | None = None
    source_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    collected_by: tuple[str, ...] = ()  # flows collecting the flow (flow events)
    segment_seqs: tuple[int, ...] = ()
    timestamp: str = field(default_factory=now_iso)

    def matches(self, hook: dict[str, Any]) -> bool:
        """The registration's filters (each one present must match; [] = uncollected only)."""
        is_flow_event = self.event_type.startswith("flows/")
        flow_ids = hook.get("flow_ids")
        if flow_ids is not None and is_flow_event and self.flow_id not in flow_ids:
            return False
        source_ids = hook.get("source_ids")
        if source_ids is not None and self.source_id not in source_ids:
            return False
        collected = hook.get("flow_collected_by_ids")
        if collected is not None and is_flow_event:
            if collected == [] and self.collected_by:
                return False
            if collected and not set(collected) & set(self.collected_by):
                return False
        # Sources of this server are never collected (they are created by flows only), so
        # [] admits every event and any collection id admits none.
        source_collected = hook.get("source_collected_by_ids")
        return source_collected is None or source_collected == []


def events_of_batch(store: Any, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[Event]:
    """The rows of one transaction as events, segment rows merged per flow and type."""
    parents = collected_by(conn, sorted({r["flow_id"] for r in rows if r["flow_id"]}))
    events: list[Event] = []
    merged: dict[tuple[str, str], Event] = {}
    deleted_ranges: dict[str, list[TimeRange]] = {}
    for row in rows:
        kind, flow_id, source_id = row["event_type"], row["flow_id"], row["source_id"]
        if kind == "flows/segments_deleted" and store.config.has(
            "webhook-no-segment-delete-events"
        ):
            continue
        if kind == "flows/deleted" and store.config.has("webhook-early-flow-deleted"):
            continue  # announced before the delete instead (store/webhooks.py)
        collected = tuple(parents.get(flow_id, ())) if flow_id else ()
        if kind in ("flows/segments_added", "flows/segments_deleted"):
            key = (kind, flow_id)
            if key not in merged:
                merged[key] = Event(kind, flow_id, source_id, collected_by=collected)
                events.append(merged[key])
            if kind == "flows/segments_added":
                merged[key].segment_seqs += (int(row["detail"]),)
            else:
                deleted_ranges.setdefault(flow_id, []).append(TimeRange.from_str(row["detail"]))
            continue
        event = Event(kind, flow_id, source_id, collected_by=collected)
        if kind in ("flows/created", "flows/updated"):
            try:
                event.payload = {"flow": store.get_flow(flow_id)}
            except Exception:  # noqa: BLE001 - gone again in the same transaction
                continue
        elif kind == "flows/deleted":
            event.payload = {"flow_id": flow_id}
        elif kind in ("sources/created", "sources/updated"):
            try:
                event.payload = {"source": store.get_source(source_id)}
            except Exception:  # noqa: BLE001
                continue
        else:
            event.payload = {"source_id": source_id}
        events.append(event)
    for event in events:
        if event.event_type == "flows/segments_deleted":
            ranges = deleted_ranges[event.flow_id or ""]
            first = min(ranges, key=bounds_ns)
            last = max(ranges, key=_end_key)
            event.payload = {"flow_id": event.flow_id, "timerange": str(extent(first, last))}
    return events


def render_for(store: Any, event: Event, hook: dict[str, Any]) -> dict[str, Any]:
    """The envelope POSTed to one registration (segment events shaped by its transforms)."""
    payload = event.payload
    if event.event_type == "flows/segments_added":
        payload = {"flow_id": event.flow_id, "segments": _segments(store, event, hook)}
    return {"event_timestamp": event.timestamp, "event_type": event.event_type, "event": payload}


def _segments(store: Any, event: Event, hook: dict[str, Any]) -> list[dict[str, Any]]:
    labels = hook.get("accept_get_urls")
    storage_ids = hook.get("accept_storage_ids")
    options = UrlOptions(
        labels=None if labels is None else tuple(labels),
        presigned=hook.get("presigned"),
        storage_ids=None if storage_ids is None else tuple(storage_ids),
        verbose=bool(hook.get("verbose_storage")),
    )
    old_shape = store.config.has("webhook-v7-payload")
    with store.db.read() as conn:
        marks = ",".join("?" * len(event.segment_seqs))
        rows = conn.execute(
            "SELECT s.*, o.timerange AS object_timerange FROM segments s "
            f"LEFT JOIN objects o ON o.id = s.object_id WHERE s.seq IN ({marks}) ORDER BY s.seq",
            event.segment_seqs,
        ).fetchall()
        instances = store.instances_of(conn, sorted({row["object_id"] for row in rows}))
    items = []
    for row in rows:
        stored = loads(row["body"])
        item = {"object_id": row["object_id"], "timerange": row["timerange"]}
        item.update({k: stored[k] for k in SEGMENT_FIELDS if k in stored})
        if old_shape:  # 7.0's segment: sample_offset/sample_count, no object_timerange
            item.setdefault("sample_offset", 0)
            item.setdefault("sample_count", 1)
        elif hook.get("include_object_timerange") and row["object_timerange"]:
            item["object_timerange"] = row["object_timerange"]
        # shaped as GET segments shapes them (store/segments.py: list_segments)
        get_urls = store.render_get_urls(
            row["object_id"], instances[row["object_id"]], stored.get("get_urls", []), options
        )
        if get_urls or not store.config.chose(OMIT_EMPTY_GET_URLS):
            item["get_urls"] = get_urls
        init = store.render_init(row["object_id"], options, "object_id")
        if init is not None:
            item["init_object"] = init
        items.append(item)
    return items


def _end_key(tr: TimeRange) -> tuple[int, int]:
    end_ns, end_incl = bounds_ns(tr)[2:]
    return end_ns, end_incl
