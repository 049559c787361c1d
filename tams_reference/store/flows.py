"""Flows: full-replace PUT, reads with filters, and the flow sub-resources."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mediatimestamp import TimeRange

from tams_reference.errors import BadRequest, Forbidden, NotFound
from tams_reference.paging import Page, paginate
from tams_reference.store.common import (
    check_string,
    check_tag_value,
    dumps,
    flow_row,
    is_uuid,
    loads,
    writable_flow_row,
)
from tams_reference.store.db import Database, now_iso
from tams_reference.store.listing import collected_by, flow_where, sort_key
from tams_reference.store.sources import drop_source_if_unused, ensure_source
from tams_reference.timeranges import MAX_NS, MIN_NS, bounds_ns, extent
from tams_reference.variants import LABEL_TIES_NEWEST_FIRST

# Set by the service, never taken from a PUT body (flow-common.json; `timerange` MUST be ignored).
SERVER_MANAGED = ("created", "metadata_updated", "segments_updated", "timerange", "collected_by")
FLOW_SORTS = ("created", "metadata_updated", "label")
# What the `flow-filters-ignored` fault leaves out of GET /flows.
FILTERS_IGNORED = ("codec", "label", "frame")
STRING_ATTRS = ("label", "description")
INT_ATTRS = ("max_bit_rate", "avg_bit_rate")
FORMATS = (
    "urn:x-nmos:format:video",
    "urn:x-nmos:format:audio",
    "urn:x-tam:format:image",
    "urn:x-nmos:format:data",
    "urn:x-nmos:format:multi",
)


class RequestValidator(Protocol):
    """The part of ``tams_spec.SpecValidator`` the store uses."""

    def validate_request(self, method: str, path: str, body: Any) -> list[str]: ...
    def validate_schema(self, name: str, instance: Any) -> list[str]: ...


class BasicValidator:
    """Used only when the TAMS spec files cannot be found: checks what the store relies on."""

    def validate_request(self, method: str, path: str, body: Any) -> list[str]:
        if method != "PUT" or path.count("/") != 2 or not isinstance(body, dict):
            return []
        errors = [
            f"{key} must be a uuid" for key in ("id", "source_id") if not is_uuid(body.get(key))
        ]
        if "profile_id" not in body and body.get("format") not in FORMATS:
            errors.append(f"format must be one of {', '.join(FORMATS)}")
        return errors

    def validate_schema(self, name: str, instance: Any) -> list[str]:
        return []


class FlowsMixin:
    """Flow create/replace, reads, and sub-resources."""

    db: Database
    validator: RequestValidator
    config: Any

    def put_flow(self, flow_id: str, body: Any) -> tuple[bool, dict[str, Any]]:
        """Create or fully replace a flow; returns (created, the flow as GET shows it)."""
        if not is_uuid(flow_id):
            raise BadRequest(f"flow id {flow_id!r} is not a lowercase uuid (version 1 to 5)")
        if not isinstance(body, dict):
            raise BadRequest("the flow body must be a JSON object")
        errors = self.validator.validate_request("PUT", f"/flows/{flow_id}", body)
        if errors:
            raise BadRequest("invalid flow: " + "; ".join(errors[:3]))
        if body.get("id") != flow_id:
            raise BadRequest(f"body id {body.get('id')!r} differs from the path id {flow_id}")
        stored = {key: value for key, value in body.items() if key not in SERVER_MANAGED}
        stored.setdefault("tags", {})
        now = now_iso()
        with self.db.write() as conn:
            stored = self.apply_profile(conn, stored)  # type: ignore[attr-defined]
            fmt = stored.get("format", "urn:x-nmos:format:multi")
            old = conn.execute("SELECT * FROM flows WHERE id = ?", (flow_id,)).fetchone()
            if old is not None and old["deleting"]:
                raise NotFound(f"flow {flow_id} is being deleted")
            if old is not None and old["read_only"]:
                raise Forbidden(f"flow {flow_id} is read_only; set read_only to false first")
            self._check_collection(conn, flow_id, stored.get("flow_collection", []))
            ensure_source(conn, self.db, stored["source_id"], fmt)
            if old is None:
                stored["created"] = now
                stored["metadata_updated"] = now
                conn.execute(
                    "INSERT INTO flows (id, source_id, body, read_only, created_seq) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        flow_id,
                        stored["source_id"],
                        dumps(stored),
                        bool(stored.get("read_only")),
                        self.db.next_seq(),
                    ),
                )
            else:
                previous = loads(old["body"])
                if self.config.has("put-merges"):
                    kept = {k: v for k, v in previous.items() if k not in SERVER_MANAGED}
                    stored = {**kept, **{k: v for k, v in body.items() if k not in SERVER_MANAGED}}
                stored["created"] = previous["created"]
                stored["metadata_updated"] = now
                if "segments_updated" in previous:
                    stored["segments_updated"] = previous["segments_updated"]
                conn.execute(
                    "UPDATE flows SET source_id = ?, body = ?, read_only = ? WHERE id = ?",
                    (stored["source_id"], dumps(stored), bool(stored.get("read_only")), flow_id),
                )
                if old["source_id"] != stored["source_id"]:
                    drop_source_if_unused(conn, old["source_id"])
            return old is None, self._render(conn, stored)

    def get_flow(
        self, flow_id: str, include_timerange: bool = False, timerange: TimeRange | None = None
    ) -> dict[str, Any]:
        """The flow; with ``include_timerange`` its segments' extent (within ``timerange``)."""
        with self.db.read() as conn:
            row = self._flow_row_or_404(conn, flow_id)
            flow = self._render(conn, loads(row["body"]))
            if include_timerange:
                flow["timerange"] = str(self._segments_extent(conn, flow_id, timerange))
            return flow

    def list_flows(
        self,
        *,
        source_id: str | None = None,
        fmt: str | None = None,
        codec: str | None = None,
        label: str | None = None,
        tags: Mapping[str, list[str]] | None = None,
        tag_exists: Mapping[str, bool] | None = None,
        frame_width: int | None = None,
        frame_height: int | None = None,
        timerange: TimeRange | None = None,
        collected_by_ids: list[str] | None = None,
        status: str | None = None,
        profile_id: str | None = None,
        init_segments: bool | None = None,
        sort_by: str = "created",
        reverse: bool = False,
        limit: int,
        page: str | None = None,
    ) -> Page:
        """Flows matching every filter (AND); ``timerange`` keeps flows with overlapping
        segments, and the empty timerange ``()`` keeps flows without any."""
        if sort_by not in FLOW_SORTS:
            raise BadRequest(f"sort_by {sort_by!r} is not one of {', '.join(FLOW_SORTS)}")
        where = flow_where(
            source_id=source_id,
            fmt=fmt,
            codec=codec,
            label=label,
            frame_width=frame_width,
            frame_height=frame_height,
            status=status,
            profile_id=profile_id,
            init_segments=init_segments,
            tags=tags or {},
            tag_exists=tag_exists or {},
            collected_by_ids=collected_by_ids,
            ignored=FILTERS_IGNORED if self.config.has("flow-filters-ignored") else (),
        )
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT id, body, created_seq FROM flows WHERE {where.sql()}", where.params
            ).fetchall()
            with_content = self._flows_with_segments_in(conn, timerange)
            collected = collected_by(conn, [row["id"] for row in rows])
        ties = self.config.chose(LABEL_TIES_NEWEST_FIRST)
        keyed = []
        for row in rows:
            if with_content is not None:
                wants_empty = timerange is not None and timerange.is_empty()
                if (row["id"] in with_content) == wants_empty:
                    continue
            body = loads(row["body"])
            if collected.get(row["id"]) and not self.config.has("collected-by-not-maintained"):
                body["collected_by"] = collected[row["id"]]
            keyed.append((sort_key(body, row["created_seq"], sort_by, ties), body))
        descending = reverse if sort_by == "label" else not reverse
        if self.config.has("reverse-order-ignored"):
            descending = sort_by != "label"
        return paginate(keyed, limit, page, descending=descending)

    # -- sub-resources -------------------------------------------------------------------

    def get_flow_attr(self, flow_id: str, attr: str) -> Any:
        """A flow property (tags default to {}, read_only to false); 404 when unset."""
        flow = self.get_flow(flow_id)
        if attr == "tags":
            return flow.get("tags", {})
        if attr == "read_only":
            return bool(flow.get("read_only", False))
        if attr not in flow:
            raise NotFound(f"flow {flow_id} has no {attr}")
        return flow[attr]

    def set_flow_attr(self, flow_id: str, attr: str, value: Any) -> None:
        if attr in STRING_ATTRS:
            check_string(value, attr)
        elif attr in INT_ATTRS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise BadRequest(f"{attr} must be an integer of 0 or more")
        elif attr == "read_only":
            if not isinstance(value, bool):
                raise BadRequest("read_only must be true or false")
            self._update_flow(flow_id, lambda body: body.__setitem__(attr, value), writable=False)
            return
        elif attr == "flow_collection":
            self._update_flow(
                flow_id,
                lambda body: body.__setitem__(attr, value),
                check=lambda conn: self._check_collection(conn, flow_id, value),
            )
            return
        self._update_flow(flow_id, lambda body: body.__setitem__(attr, value))

    def delete_flow_attr(self, flow_id: str, attr: str) -> None:
        def drop(body: dict[str, Any]) -> None:
            if attr not in body:
                raise NotFound(f"flow {flow_id} has no {attr}")
            if attr in INT_ATTRS and self.config.has("rate-delete-ignored"):
                return
            del body[attr]

        self._update_flow(flow_id, drop)

    def get_flow_tag(self, flow_id: str, name: str) -> Any:
        tags = self.get_flow(flow_id).get("tags", {})
        if name not in tags:
            raise NotFound(f"flow {flow_id} has no tag {name!r}")
        return tags[name]

    def set_flow_tag(self, flow_id: str, name: str, value: Any) -> None:
        check_tag_value(value)
        self._update_flow(flow_id, lambda body: body.setdefault("tags", {}).update({name: value}))

    def delete_flow_tag(self, flow_id: str, name: str) -> None:
        def drop(body: dict[str, Any]) -> None:
            if name not in body.get("tags", {}):
                raise NotFound(f"flow {flow_id} has no tag {name!r}")
            del body["tags"][name]

        self._update_flow(flow_id, drop)

    # -- internals -----------------------------------------------------------------------

    def _flow_row_or_404(self, conn: sqlite3.Connection, flow_id: str) -> sqlite3.Row:
        if not is_uuid(flow_id):
            raise NotFound(f"flow {flow_id} does not exist")
        return flow_row(conn, flow_id)

    def _update_flow(
        self,
        flow_id: str,
        change: Callable[[dict[str, Any]], None],
        writable: bool = True,
        check: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        with self.db.write() as conn:
            self._flow_row_or_404(conn, flow_id)
            row = writable_flow_row(conn, flow_id) if writable else flow_row(conn, flow_id)
            if check is not None:
                check(conn)
            body = loads(row["body"])
            change(body)
            body["metadata_updated"] = now_iso()
            conn.execute(
                "UPDATE flows SET body = ?, read_only = ? WHERE id = ?",
                (dumps(body), bool(body.get("read_only")), flow_id),
            )

    def _render(self, conn: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        parents = collected_by(conn, [body["id"]]).get(body["id"])
        if self.config.has("collected-by-not-maintained"):
            parents = None
        return {**body, "collected_by": parents} if parents else dict(body)

    def _check_collection(self, conn: sqlite3.Connection, flow_id: str, items: Any) -> None:
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and is_uuid(item.get("id")) for item in items
        ):
            raise BadRequest("flow_collection must be an array of objects with a uuid id")
        for item in items:
            if item["id"] == flow_id:
                raise BadRequest(f"flow {flow_id} cannot collect itself")
            exists = conn.execute(
                "SELECT 1 FROM flows WHERE id = ? AND deleting = 0", (item["id"],)
            ).fetchone()
            if exists is None:
                raise BadRequest(f"flow_collection names flow {item['id']}, which does not exist")

    def _segments_extent(
        self, conn: sqlite3.Connection, flow_id: str, within: TimeRange | None
    ) -> TimeRange:
        lo, hi = (MIN_NS, MAX_NS) if within is None else bounds_ns(within)[0::2]
        rows = conn.execute(
            "SELECT timerange FROM segments WHERE flow_id = ? AND end_ns >= ? AND start_ns <= ? "
            "ORDER BY start_ns, start_excl",
            (flow_id, lo, hi),
        ).fetchall()
        if self.config.has("timerange-not-updated"):
            rows = rows[:1]  # the fault: the extent cached at the first segment, never updated
        ranges = [TimeRange.from_str(row["timerange"]) for row in rows]
        if within is not None:
            ranges = [tr for tr in ranges if tr.overlaps_with_timerange(within)]
        if not ranges:
            return TimeRange.never()
        last = max(ranges, key=lambda tr: bounds_ns(tr)[2:])
        return extent(ranges[0], last)

    def _flows_with_segments_in(
        self, conn: sqlite3.Connection, timerange: TimeRange | None
    ) -> set[str] | None:
        """Ids of flows with a segment overlapping ``timerange`` (any segment for ``()``)."""
        if timerange is None:
            return None
        if timerange.is_empty():
            return {row[0] for row in conn.execute("SELECT DISTINCT flow_id FROM segments")}
        lo, _, hi, _ = bounds_ns(timerange)
        rows = conn.execute(
            "SELECT flow_id, timerange FROM segments WHERE end_ns >= ? AND start_ns <= ?",
            (lo, hi),
        )
        return {
            row["flow_id"]
            for row in rows
            if TimeRange.from_str(row["timerange"]).overlaps_with_timerange(timerange)
        }
