"""Initialisation segments (8.2): ``init_object_id`` on segment registration.

An object registered as a segment's ``init_object_id`` becomes an init object: it has no
timerange, it may not be registered as a media object afterwards, and a media object may not be
used as an init object (flow-segment-post.json, SHOULD reject both). A media object keeps the
init object it was first registered with: re-registering it with another ``init_object_id``
conflicts with the object's metadata and is refused. Segments and objects then show
``init_object`` with its get_urls.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tams_reference.errors import BadRequest
from tams_reference.store.db import Database

INIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS init_links (
    media_object_id TEXT PRIMARY KEY,
    init_object_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS init_links_init ON init_links(init_object_id);
"""
FAULT = "init-objects-unchecked"  # faults.py: none of the refusals below


class InitSegmentsMixin:
    """The init-object rules of segment registration, and ``init_object`` rendering."""

    db: Database
    config: Any

    def init_init_segments(self) -> None:
        with self.db.lock:
            self.db.conn.executescript(INIT_SCHEMA)

    def check_init(self, conn: sqlite3.Connection, item: dict[str, Any]) -> None:
        """400 for a segment that mixes init and media objects (before it is inserted)."""
        object_id, init_id = item["object_id"], item.get("init_object_id")
        unchecked = self.config.has(FAULT)
        is_init = conn.execute(
            "SELECT 1 FROM init_links WHERE init_object_id = ? LIMIT 1", (object_id,)
        ).fetchone()
        if is_init and not unchecked:
            raise BadRequest(f"object {object_id} is an init object; it cannot carry media")
        if init_id is None:
            return
        if not isinstance(init_id, str) or not init_id:
            raise BadRequest("init_object_id must be a non-empty string")
        if init_id == object_id:
            raise BadRequest("a segment's init_object_id cannot be its own object_id")
        if conn.execute("SELECT 1 FROM objects WHERE id = ?", (init_id,)).fetchone() is None:
            raise BadRequest(f"init object {init_id} was not allocated by this store")
        if unchecked:
            return
        as_media = conn.execute(
            "SELECT 1 FROM segments WHERE object_id = ? LIMIT 1", (init_id,)
        ).fetchone()
        if as_media:
            raise BadRequest(f"object {init_id} is a media object; it cannot be an init object")
        linked = conn.execute(
            "SELECT init_object_id FROM init_links WHERE media_object_id = ?", (object_id,)
        ).fetchone()
        if linked is not None and linked[0] != init_id:
            raise BadRequest(
                f"object {object_id} was registered with init object {linked[0]}, not {init_id}"
            )

    def record_init(self, conn: sqlite3.Connection, flow_id: str, item: dict[str, Any]) -> None:
        """After a segment naming ``init_object_id`` is stored: link the objects, mark the init
        object registered (with no timerange) and referenced by the flow."""
        init_id = item.get("init_object_id")
        if init_id is None:
            return
        conn.execute(
            "INSERT OR REPLACE INTO init_links (media_object_id, init_object_id) VALUES (?, ?)"
            if self.config.has(FAULT)
            else "INSERT OR IGNORE INTO init_links (media_object_id, init_object_id) VALUES (?, ?)",
            (item["object_id"], init_id),
        )
        conn.execute(
            "UPDATE objects SET registered = 1, first_referenced_by_flow = "
            "COALESCE(first_referenced_by_flow, ?) WHERE id = ? AND registered = 0",
            (flow_id, init_id),
        )
        conn.execute(
            "INSERT OR IGNORE INTO object_refs (object_id, flow_id) VALUES (?, ?)",
            (init_id, flow_id),
        )

    def init_object_of(self, media_object_id: str) -> str | None:
        """The init object id of a media object (None when it has none)."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT init_object_id FROM init_links WHERE media_object_id = ?",
                (media_object_id,),
            ).fetchone()
        return None if row is None else row[0]

    def render_init(self, media_object_id: str, urls: Any, id_key: str) -> dict[str, Any] | None:
        """``init_object`` of a segment (``id_key`` object_id) or of an object (``id``)."""
        init_id = self.init_object_of(media_object_id)
        if init_id is None:
            return None
        with self.db.read() as conn:
            instances = self.instances_of(conn, [init_id])[init_id]  # type: ignore[attr-defined]
        get_urls = self.render_get_urls(init_id, instances, [], urls)  # type: ignore[attr-defined]
        return {id_key: init_id, "get_urls": get_urls}
