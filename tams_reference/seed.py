"""Seeding a store of a given size fast, and leaving on purpose the damage an audit must find.

`seed` writes sources, flows, registered objects and segments straight into the store's SQLite
in bulk (thousands of rows per statement batch), as the API would have left them after that
many PUTs and segment POSTs: one source per flow, consecutive 2-second segments, each on an
object of its own. With `media=True` every object also gets its bytes in S3 (slower: one PUT
per object). It is the reference server's `--seed-flows N --seed-segments M [--seed-media]`.

The `damage_*` helpers make the kinds of damage no fault of the reference server leaves (the
reference refuses overlapping segments, dangling collection members, and finishes its delete
requests): they are for the audit's meta-tests, never used by the server itself.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tams_reference.media import object_key
from tams_reference.store.common import dumps, loads
from tams_reference.store.db import now_iso
from tams_reference.timeranges import bounds_ns
from tams_reference.timeranges import parse_timerange as _parse

BATCH = 5000
SEGMENT_S = 2
SEED_TAG = "tams_reference_seed"


@dataclass
class Seeded:
    """The ids `seed` made, for tests (kept only when `keep_ids`: a big seed keeps counts)."""

    flows: int = 0
    segments: int = 0
    flow_ids: list[str] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)
    object_ids: list[str] = field(default_factory=list)


def seed(
    store: Any,
    flows: int,
    segments: int,
    *,
    media: bool = False,
    keep_ids: bool = True,
    tags: dict[str, str] | None = None,
) -> Seeded:
    """Add `flows` flows holding `segments` segments in all (spread evenly) to `store`."""
    if flows < 0 or segments < 0 or (segments and not flows):
        raise ValueError("seed needs flows >= 1 for segments, and no negative counts")
    result = Seeded(flows=flows, segments=segments)
    now = now_iso()
    per, extra = divmod(segments, flows) if flows else (0, 0)
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in ("src", "flow", "obj", "ref", "seg")}
    uploads: list[str] = []
    for index in range(flows):
        flow_id, source_id = str(uuid.uuid4()), str(uuid.uuid4())
        fmt = "urn:x-nmos:format:video"
        source = {"id": source_id, "format": fmt, "tags": {}, "created": now, "updated": now}
        flow = {
            "id": flow_id,
            "source_id": source_id,
            "format": fmt,
            "codec": "video/h264",
            "container": "video/mp2t",
            "label": f"seed flow {index}",
            "tags": {SEED_TAG: "true", **(tags or {})},
            "essence_parameters": {"frame_width": 1920, "frame_height": 1080},
            "created": now,
            "metadata_updated": now,
        }
        rows["src"].append((source_id, fmt, dumps(source), store.db.next_seq()))
        rows["flow"].append((flow_id, source_id, dumps(flow), store.db.next_seq()))
        for n in range(per + (index < extra)):
            object_id = str(uuid.uuid4())
            span = f"[{n * SEGMENT_S}:0_{(n + 1) * SEGMENT_S}:0)"
            start, start_excl, end, end_incl = bounds_ns(_parse(span))
            rows["obj"].append(
                (object_id, flow_id, span, flow_id, object_key(object_id), "video/mp2t", now)
            )
            rows["ref"].append((object_id, flow_id))
            rows["seg"].append((flow_id, object_id, span, start, start_excl, end, end_incl))
            if media:
                uploads.append(object_id)
            if keep_ids:
                result.object_ids.append(object_id)
        if keep_ids:
            result.flow_ids.append(flow_id)
            result.source_ids.append(source_id)
        if len(rows["seg"]) >= BATCH or len(rows["flow"]) >= BATCH:
            _flush(store, rows)
    _flush(store, rows)
    if uploads:
        put_media(store, uploads)
    return result


def _flush(store: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    with store.db.write() as conn:
        conn.executemany(
            "INSERT INTO sources (id, format, body, created_seq) VALUES (?, ?, ?, ?)", rows["src"]
        )
        conn.executemany(
            "INSERT INTO flows (id, source_id, body, created_seq) VALUES (?, ?, ?, ?)",
            rows["flow"],
        )
        conn.executemany(
            "INSERT INTO objects (id, allocated_for_flow, registered, timerange, "
            "first_referenced_by_flow, s3_key, content_type, created) "
            "VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
            rows["obj"],
        )
        default = store.media.backend()  # each object's one controlled instance
        conn.executemany(
            "INSERT INTO object_instances (object_id, storage_id, label) VALUES (?, ?, ?)",
            [(obj[0], default["id"], default["label"]) for obj in rows["obj"]],
        )
        conn.executemany("INSERT INTO object_refs (object_id, flow_id) VALUES (?, ?)", rows["ref"])
        conn.executemany(
            "INSERT INTO segments (flow_id, object_id, timerange, start_ns, start_excl, end_ns, "
            "end_incl, body) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            rows["seg"],
        )
    for batch in rows.values():
        batch.clear()


def media_bytes(object_id: str) -> bytes:
    """The bytes `seed` stores for an object: small, and different per object."""
    return f"seed media of {object_id}\n".encode() * 4


def put_media(store: Any, object_ids: list[str], body: bytes | None = None) -> None:
    """PUT the media of `object_ids` into the store's bucket (8 at a time)."""
    client = store.media._client("default")
    bucket = store.media.settings.bucket

    def put(object_id: str) -> None:
        data = body if body is not None else media_bytes(object_id)
        client.put_object(Bucket=bucket, Key=object_key(object_id), Body=data)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, object_ids))


# Damage that no fault leaves ---------------------------------------------------------------
def damage_overlap(store: Any, flow_id: str, timerange: str, object_id: str) -> None:
    """A segment overlapping others (the reference's POST refuses it; other stores allow it)."""
    start, start_excl, end, end_incl = bounds_ns(_parse(timerange))
    with store.db.write() as conn:
        conn.execute(
            "INSERT INTO segments (flow_id, object_id, timerange, start_ns, start_excl, end_ns, "
            "end_incl, body) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            (flow_id, object_id, timerange, start, start_excl, end, end_incl),
        )


def damage_collection(store: Any, flow_id: str, member_ids: list[str]) -> None:
    """`flow_id`'s flow_collection lists `member_ids` (which need not exist)."""
    with store.db.write() as conn:
        row = conn.execute("SELECT body FROM flows WHERE id = ?", (flow_id,)).fetchone()
        body = loads(row["body"])
        body["flow_collection"] = [
            {"id": m, "role": f"member {i}"} for i, m in enumerate(member_ids)
        ]
        conn.execute("UPDATE flows SET body = ? WHERE id = ?", (dumps(body), flow_id))


def damage_stuck_request(store: Any, flow_id: str, status: str, since: str) -> str:
    """A flow-delete-request left in `status` since `since` (RFC 3339) by a dead worker."""
    request_id = str(uuid.uuid4())
    body = {
        "id": request_id,
        "flow_id": flow_id,
        "timerange_to_delete": "_",
        "timerange_remaining": "_",
        "delete_flow": True,
        "status": status,
        "created": since,
        "updated": since,
    }
    with store.db.write() as conn:
        conn.execute(
            "INSERT INTO delete_requests (id, flow_id, body, params, created_seq) "
            "VALUES (?, ?, ?, '{}', ?)",
            (request_id, flow_id, dumps(body), store.db.next_seq()),
        )
    return request_id


def damage_media_lost(store: Any, object_ids: list[str]) -> None:
    """Delete the media of objects whose rows and segments stay."""
    store.media.delete(object_ids)


def damage_replica(store: Any, object_id: str, body: bytes) -> None:
    """A second copy of an object's media with other bytes, listed as an uncontrolled get_url
    of every segment using the object (a replica truncated or overwritten)."""
    key = object_key(object_id) + ".replica"
    client = store.media._client("default")
    client.put_object(Bucket=store.media.settings.bucket, Key=key, Body=body)
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": store.media.settings.bucket, "Key": key}, ExpiresIn=3600
    )
    extra = dumps({"get_urls": [{"url": url, "label": "replica"}]})
    with store.db.write() as conn:
        conn.execute("UPDATE segments SET body = ? WHERE object_id = ?", (extra, object_id))
