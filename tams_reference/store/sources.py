"""Sources: created implicitly by flows (ADR-0018); only label, description, tags are writable."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from tams_reference.errors import BadRequest, NotFound
from tams_reference.paging import Page, paginate
from tams_reference.store.common import (
    check_string,
    check_tag_value,
    dumps,
    is_uuid,
    loads,
)
from tams_reference.store.db import Database, now_iso
from tams_reference.store.listing import (
    Where,
    sort_key,
    source_collected_clause,
    source_collections,
    tag_clauses,
)
from tams_reference.variants import LABEL_TIES_NEWEST_FIRST

SOURCE_SORTS = ("created", "updated", "label")


def ensure_source(conn: sqlite3.Connection, db: Database, source_id: str, fmt: str) -> None:
    """Create the flow's source if it is new; a flow whose format differs from it is a 400."""
    row = conn.execute("SELECT format FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None:
        now = now_iso()
        body = {"id": source_id, "format": fmt, "tags": {}, "created": now, "updated": now}
        conn.execute(
            "INSERT INTO sources (id, format, body, created_seq) VALUES (?, ?, ?, ?)",
            (source_id, fmt, dumps(body), db.next_seq()),
        )
    elif row["format"] != fmt:
        raise BadRequest(
            f"flow format {fmt} differs from the format {row['format']} of source {source_id}"
        )


def drop_source_if_unused(conn: sqlite3.Connection, source_id: str) -> bool:
    """Sources go with their last flow (ADR-0018); True when this call removed the source."""
    if conn.execute("SELECT 1 FROM flows WHERE source_id = ?", (source_id,)).fetchone() is None:
        return conn.execute("DELETE FROM sources WHERE id = ?", (source_id,)).rowcount > 0
    return False


class SourcesMixin:
    """Source reads and the writable source sub-resources."""

    db: Database
    config: Any

    def get_source(self, source_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            body = self._source_body(conn, source_id)
            return {**body, **source_collections(conn, [source_id]).get(source_id, {})}

    def list_sources(
        self,
        *,
        label: str | None = None,
        fmt: str | None = None,
        tags: Mapping[str, list[str]] | None = None,
        tag_exists: Mapping[str, bool] | None = None,
        collected_by_ids: list[str] | None = None,
        sort_by: str = "created",
        reverse: bool = False,
        limit: int,
        page: str | None = None,
    ) -> Page:
        """Sources matching every filter; ``created``/``updated`` sort newest first by default."""
        if sort_by not in SOURCE_SORTS:
            raise BadRequest(f"sort_by {sort_by!r} is not one of {', '.join(SOURCE_SORTS)}")
        where = Where()
        where.equal("json_extract(body, '$.label')", label)
        where.equal("format", fmt)
        tag_clauses(where, "source_tags", "source_id", "id", tags or {}, tag_exists or {})
        if collected_by_ids is not None:
            source_collected_clause(where, collected_by_ids)
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT id, body, created_seq FROM sources WHERE {where.sql()}", where.params
            ).fetchall()
            inferred = source_collections(conn, [row["id"] for row in rows])
        ties = self.config.chose(LABEL_TIES_NEWEST_FIRST)
        keyed = []
        for row in rows:
            body = {**loads(row["body"]), **inferred.get(row["id"], {})}
            keyed.append((sort_key(body, row["created_seq"], sort_by, ties), body))
        descending = reverse if sort_by == "label" else not reverse
        if self.config.has("reverse-order-ignored"):
            descending = sort_by != "label"
        return paginate(keyed, limit, page, descending=descending)

    def get_source_attr(self, source_id: str, attr: str) -> Any:
        """``tags``, ``label`` or ``description`` of a source (404 when unset)."""
        body = self.get_source(source_id)
        if attr == "tags":
            return body.get("tags", {})
        if attr not in body:
            raise NotFound(f"source {source_id} has no {attr}")
        return body[attr]

    def set_source_attr(self, source_id: str, attr: str, value: Any) -> None:
        check_string(value, attr)
        self._update_source(source_id, lambda body: body.__setitem__(attr, value))

    def delete_source_attr(self, source_id: str, attr: str) -> None:
        def drop(body: dict[str, Any]) -> None:
            if attr not in body:
                raise NotFound(f"source {source_id} has no {attr}")
            del body[attr]

        self._update_source(source_id, drop)

    def get_source_tag(self, source_id: str, name: str) -> Any:
        tags = self.get_source(source_id).get("tags", {})
        if name not in tags:
            raise NotFound(f"source {source_id} has no tag {name!r}")
        return tags[name]

    def set_source_tag(self, source_id: str, name: str, value: Any) -> None:
        check_tag_value(value)
        self._update_source(
            source_id, lambda body: body.setdefault("tags", {}).update({name: value})
        )

    def delete_source_tag(self, source_id: str, name: str) -> None:
        def drop(body: dict[str, Any]) -> None:
            if name not in body.get("tags", {}):
                raise NotFound(f"source {source_id} has no tag {name!r}")
            del body["tags"][name]

        self._update_source(source_id, drop)

    def _source_body(self, conn: sqlite3.Connection, source_id: str) -> dict[str, Any]:
        row = None
        if is_uuid(source_id):
            row = conn.execute("SELECT body FROM sources WHERE id = ?", (source_id,)).fetchone()
        if row is None:
            raise NotFound(f"source {source_id} does not exist")
        return loads(row["body"])

    def _update_source(self, source_id: str, change: Any) -> None:
        with self.db.write() as conn:
            body = self._source_body(conn, source_id)
            change(body)
            body["updated"] = now_iso()
            conn.execute("UPDATE sources SET body = ? WHERE id = ?", (dumps(body), source_id))
