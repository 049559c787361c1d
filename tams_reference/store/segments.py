"""Storage allocation and segment registration and listing.

An object id moves through three states: allocated for one flow (POST storage; invisible at
/objects), registered (the first segment naming it fixes its timerange and first flow), and
gone (garbage-collected by the deletes once no segment references it, see deletes.py).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any
from urllib.parse import quote

from mediatimestamp import TimeRange, Timestamp

from tams_reference.errors import BadRequest, NotFound, TamsError
from tams_reference.media import REPLICA_ID, STORAGE_ID
from tams_reference.paging import Page, paginate
from tams_reference.store.common import dumps, flow_row, loads, writable_flow_row
from tams_reference.store.db import Database, now_iso
from tams_reference.store.objects import UrlOptions
from tams_reference.timeranges import (
    TIMERANGE_RE,
    bounds_ns,
    extent,
    parse_timerange,
    parse_timestamp,
    shift,
)
from tams_reference.variants import (
    IDEMPOTENT_REPOST,
    OMIT_EMPTY_GET_URLS,
    SLASH_OBJECT_IDS,
    UNSIGNED_PUT_URLS,
)

DEFAULT_STORAGE_LIMIT = 5
MAX_STORAGE_LIMIT = 100
# Optional segment fields kept as given and returned by GET (flow-segment.json).
SEGMENT_FIELDS = ("ts_offset", "last_duration", "key_frame_count", "sample_offset", "sample_count")
# The non-presigned put_url of an object: a path of this server, used with the API credentials.
API_PUT_PATH = "/_media/{storage_id}/{object_id}"


class SegmentsMixin:
    """POST storage, POST segments, GET segments."""

    db: Database
    media: Any
    validator: Any
    config: Any

    def allocate_storage(self, flow_id: str, body: Any) -> list[dict[str, Any]]:
        """Allocate object ids for a flow and presign one PUT URL per object."""
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise BadRequest("the storage request body must be a JSON object")
        errors = self.validator.validate_request("POST", f"/flows/{flow_id}/storage", body)
        if errors:
            raise BadRequest("invalid storage request: " + "; ".join(errors[:3]))
        if "limit" in body and "object_ids" in body:
            raise BadRequest("limit and object_ids cannot be used together")
        storage_id = body.get("storage_id", STORAGE_ID)
        if storage_id not in (STORAGE_ID, REPLICA_ID):
            raise BadRequest(f"unknown storage_id {storage_id}; see /service/storage-backends")
        presigned = body.get("presigned", not self.config.chose(UNSIGNED_PUT_URLS))
        with self.db.write() as conn:
            flow = loads(writable_flow_row(conn, flow_id)["body"])
            if "container" not in flow:
                raise BadRequest(f"flow {flow_id} has no container; set one before uploading")
            content_type = body.get("content_type", flow["container"])
            object_ids = self._new_object_ids(conn, body)
            now = now_iso()
            conn.executemany(
                "INSERT INTO objects (id, allocated_for_flow, s3_key, content_type, created) "
                "VALUES (?, ?, ?, ?, ?)",
                [(oid, flow_id, f"objects/{oid}", content_type, now) for oid in object_ids],
            )
            label = next(b["label"] for b in self.media.backends() if b["id"] == storage_id)
            for oid in object_ids:
                self._insert_instance(conn, oid, storage_id, label)  # type: ignore[attr-defined]
        if not presigned:
            return [
                {"object_id": oid, "put_url": self._api_put_url(oid, storage_id, content_type)}
                for oid in object_ids
            ]
        return [
            {
                "object_id": oid,
                "put_url": self._presigned_put_url(oid, content_type, storage_id),
                "presigned": True,
            }
            for oid in object_ids
        ]

    def _presigned_put_url(self, oid: str, content_type: str, storage_id: str) -> dict[str, Any]:
        if storage_id == STORAGE_ID:  # the default backend's signature, as before replicas
            return self.media.put_url(oid, content_type)
        return self.media.put_url(oid, content_type, storage_id)

    def _api_put_url(self, oid: str, storage_id: str, content_type: str) -> dict[str, Any]:
        """A same-origin put_url (a path; the handler makes it absolute), not presigned."""
        path = API_PUT_PATH.format(storage_id=storage_id, object_id=quote(oid, safe=""))
        return {"url": path, "content-type": content_type}

    def accept_upload(
        self, storage_id: str, object_id: str, data: bytes, ctype: str | None
    ) -> None:
        """PUT to a non-presigned put_url: only for allocated, unregistered objects."""
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone()
            have = self.instances_of(conn, [object_id])[object_id]  # type: ignore[attr-defined]
        if row is None or not any(i["storage_id"] == storage_id for i in have):
            raise NotFound(f"no object {object_id} is allocated on storage {storage_id}")
        if row["registered"]:
            raise BadRequest(f"object {object_id} is registered; objects are immutable")
        if ctype and ctype != row["content_type"]:
            raise BadRequest(f"Content-Type must be {row['content_type']}, the declared one")
        self.media.write(object_id, storage_id, data, ctype)

    def post_segments(self, flow_id: str, body: Any) -> list[dict[str, Any]]:
        """Register one segment (raises on failure) or an array (returns the failures)."""
        if not isinstance(body, dict | list):
            raise BadRequest("the body must be a segment object or an array of them")
        items = body if isinstance(body, list) else [body]
        failures = []
        # The fault: no flow check and no foreign keys, so segments land under a missing flow.
        unchecked = self.config.has("segments-for-missing-flow")
        with self.db.write(foreign_keys=not unchecked) as conn:
            try:
                flow = loads(writable_flow_row(conn, flow_id)["body"])
            except NotFound:
                if not unchecked:
                    raise
                flow = None
            if flow is not None and "container" not in flow:
                raise BadRequest(f"flow {flow_id} has no container; set one before registering")
            for item in items:
                try:
                    self._register(conn, flow_id, item, check_allocation=flow is not None)
                except TamsError as exc:
                    if isinstance(body, dict):
                        raise
                    failures.append(_failure(item, exc))
            if flow is not None and len(failures) < len(items):
                flow["segments_updated"] = now_iso()
                conn.execute("UPDATE flows SET body = ? WHERE id = ?", (dumps(flow), flow_id))
        return failures

    def list_segments(
        self,
        flow_id: str,
        *,
        timerange: TimeRange | None = None,
        object_id: str | None = None,
        reverse: bool = False,
        include_object_timerange: bool = False,
        urls: UrlOptions | None = None,
        limit: int,
        page: str | None = None,
    ) -> tuple[Page, str]:
        """Segments of a flow in timeline order and the timerange the page covers.

        An unknown flow has no segments (200 []), as the spec says.
        """
        with self.db.read() as conn:
            try:
                flow_row(conn, flow_id)
            except TamsError:
                rows = []
            else:
                rows = self._segment_rows(conn, flow_id, timerange, object_id)
            object_ranges = {
                row["id"]: row["timerange"]
                for row in conn.execute(
                    "SELECT o.id, o.timerange FROM objects o JOIN segments s ON s.object_id = o.id "
                    "WHERE s.flow_id = ?",
                    (flow_id,),
                )
            }
            keyed = [((row["start_ns"], row["start_excl"], row["seq"]), row) for row in rows]
            page_ = paginate(keyed, limit, page, descending=reverse)
            instances = self.instances_of(  # type: ignore[attr-defined]
                conn, sorted({row["object_id"] for row in page_.items})
            )
        ranges = [TimeRange.from_str(row["timerange"]) for row in page_.items]
        covered = extent(min(ranges, key=bounds_ns), max(ranges, key=_end_key)) if ranges else None
        items = []
        for row in page_.items:
            stored = loads(row["body"])
            item = {"object_id": row["object_id"], "timerange": row["timerange"]}
            item.update({k: stored[k] for k in SEGMENT_FIELDS if k in stored})
            if include_object_timerange and object_ranges.get(row["object_id"]):
                item["object_timerange"] = object_ranges[row["object_id"]]
            get_urls = self.render_get_urls(  # type: ignore[attr-defined]
                row["object_id"],
                instances[row["object_id"]],
                stored.get("get_urls", []),
                urls or UrlOptions(),
            )
            if get_urls or not self.config.chose(OMIT_EMPTY_GET_URLS):
                item["get_urls"] = get_urls
            init = self.render_init(row["object_id"], urls or UrlOptions(), "object_id")
            if init is not None:
                item["init_object"] = init
            items.append(item)
        result = Page(items=items, limit=page_.limit, next_key=page_.next_key, count=page_.count)
        return result, str(covered) if covered is not None else "()"

    # -- internals -----------------------------------------------------------------------

    def _new_object_ids(self, conn: sqlite3.Connection, body: dict[str, Any]) -> list[str]:
        if "object_ids" not in body:
            limit = body.get("limit", DEFAULT_STORAGE_LIMIT)
            if limit < 1:
                raise BadRequest("limit must be 1 or more")
            return [self._new_object_id() for _ in range(min(limit, MAX_STORAGE_LIMIT))]
        ids = body["object_ids"]
        if not ids or len(set(ids)) != len(ids) or not all(ids):
            raise BadRequest("object_ids must be a non-empty list of distinct, non-empty ids")
        if len(ids) > MAX_STORAGE_LIMIT:
            raise BadRequest(f"at most {MAX_STORAGE_LIMIT} object_ids per request")
        for oid in ids:
            if conn.execute("SELECT 1 FROM objects WHERE id = ?", (oid,)).fetchone():
                raise BadRequest(f"object id {oid} is already allocated or registered")
        return list(ids)

    def _new_object_id(self) -> str:
        """A fresh object id: a uuid4, or ``media/<uuid4>/essence`` (``slash-object-ids``)."""
        if self.config.chose(SLASH_OBJECT_IDS):
            return f"media/{uuid.uuid4()}/essence"
        return str(uuid.uuid4())

    def _register(
        self, conn: sqlite3.Connection, flow_id: str, item: Any, check_allocation: bool = True
    ) -> None:
        """Validate and insert one segment; raises BadRequest with the reason it fails."""
        errors = self.validator.validate_schema("flow-segment-post.json", item)
        if not errors and not (
            isinstance(item, dict)
            and isinstance(item.get("object_id"), str)
            and isinstance(item.get("timerange"), str)
        ):
            errors = ["a segment is an object with string object_id and timerange"]
        if errors:
            raise BadRequest("invalid segment: " + "; ".join(errors[:3]))
        timerange = parse_timerange(item["timerange"])
        if timerange.is_empty():
            raise BadRequest(f"segment timerange {item['timerange']!r} is empty")
        offset = (
            parse_timestamp(item["ts_offset"], "ts_offset") if "ts_offset" in item else Timestamp()
        )
        obj = conn.execute("SELECT * FROM objects WHERE id = ?", (item["object_id"],)).fetchone()
        external = obj is None and bool(item.get("get_urls"))
        if obj is None and not external:
            raise BadRequest(
                f"object {item['object_id']} was not allocated by this store and the segment "
                "gives no get_urls to find it by"
            )
        if external:
            obj = self._external_object(conn, flow_id, item)
        if check_allocation and not obj["registered"] and obj["allocated_for_flow"] != flow_id:
            raise BadRequest(f"object {item['object_id']} was allocated for another flow")
        self.check_init(conn, item)  # store/init_segments.py
        overlapping = self._segment_rows(conn, flow_id, timerange, None)
        if overlapping:
            if self._same_segment(overlapping, item, timerange):
                return  # identical re-POST, accepted without a duplicate (variant)
            raise BadRequest(
                f"timerange {item['timerange']} overlaps segment {overlapping[0]['timerange']}"
            )
        start, start_excl, end, end_incl = bounds_ns(timerange)
        kept = SEGMENT_FIELDS if not self.config.has("segment-fields-dropped") else ("ts_offset",)
        stored = {k: item[k] for k in kept if k in item}
        if not external and item.get("get_urls"):
            stored["get_urls"] = item["get_urls"]
        conn.execute(
            "INSERT INTO segments (flow_id, object_id, timerange, start_ns, start_excl, end_ns, "
            "end_incl, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                flow_id,
                item["object_id"],
                str(timerange),
                start,
                start_excl,
                end,
                end_incl,
                dumps(stored),
            ),
        )
        if not obj["registered"]:
            object_range = (
                parse_timerange(item["object_timerange"], "object_timerange")
                if "object_timerange" in item
                else shift(timerange, offset)
            )
            conn.execute(
                "UPDATE objects SET registered = 1, timerange = ?, first_referenced_by_flow = ? "
                "WHERE id = ?",
                (str(object_range), flow_id, item["object_id"]),
            )
        conn.execute(
            "INSERT OR IGNORE INTO object_refs (object_id, flow_id) VALUES (?, ?)",
            (item["object_id"], flow_id),
        )
        self.record_init(conn, flow_id, item)

    def _external_object(
        self, conn: sqlite3.Connection, flow_id: str, item: dict[str, Any]
    ) -> sqlite3.Row:
        """An object held elsewhere (MAY): registered by its segment's get_urls, which become
        its uncontrolled instances."""
        oid = item["object_id"]
        conn.execute(
            "INSERT INTO objects (id, allocated_for_flow, s3_key, content_type, created) "
            "VALUES (?, ?, '', '', ?)",
            (oid, flow_id, now_iso()),
        )
        for n, url in enumerate(item["get_urls"]):
            label = url.get("label") or f"external-{n}"
            self._insert_instance(conn, oid, None, label, url["url"])  # type: ignore[attr-defined]
        return conn.execute("SELECT * FROM objects WHERE id = ?", (oid,)).fetchone()

    def _same_segment(
        self, overlapping: list[sqlite3.Row], item: dict[str, Any], timerange: TimeRange
    ) -> bool:
        """True (under ``idempotent-segment-repost``) when the one segment overlapped is this
        very segment: same object, same timerange, same fields."""
        if not self.config.chose(IDEMPOTENT_REPOST) or len(overlapping) != 1:
            return False
        [row] = overlapping
        stored = loads(row["body"])
        return (
            row["object_id"] == item["object_id"]
            and TimeRange.from_str(row["timerange"]) == timerange
            and all(stored.get(k) == item.get(k) for k in SEGMENT_FIELDS)
        )

    def _segment_rows(
        self,
        conn: sqlite3.Connection,
        flow_id: str,
        timerange: TimeRange | None,
        object_id: str | None,
    ) -> list[sqlite3.Row]:
        """Segments of a flow overlapping ``timerange`` (all when None), optionally one object."""
        sql = "SELECT * FROM segments WHERE flow_id = ?"
        params: list[Any] = [flow_id]
        if timerange is not None:
            if timerange.is_empty():
                return []
            lo, _, hi, _ = bounds_ns(timerange)
            sql += " AND end_ns >= ? AND start_ns <= ?"
            params += [lo, hi]
        if object_id is not None:
            sql += " AND object_id = ?"
            params.append(object_id)
        rows = conn.execute(sql + " ORDER BY start_ns, start_excl, seq", params).fetchall()
        if timerange is None:
            return rows
        return [
            row
            for row in rows
            if TimeRange.from_str(row["timerange"]).overlaps_with_timerange(timerange)
        ]


def _end_key(tr: TimeRange) -> tuple[int, int]:
    return bounds_ns(tr)[2:]


def _failure(item: Any, exc: TamsError) -> dict[str, Any]:
    """A flow-segment-bulk-failure entry: object_id (required), timerange, error (error.json)."""
    fields = item if isinstance(item, dict) else {}
    entry: dict[str, Any] = {"object_id": str(fields.get("object_id", ""))}
    if isinstance(fields.get("timerange"), str) and TIMERANGE_RE.match(fields["timerange"]):
        entry["timerange"] = fields["timerange"]
    entry["error"] = {"type": exc.type_name, "summary": exc.summary, "time": now_iso()}
    return entry
