"""The SQLite connection: one connection, one lock, one ``BEGIN IMMEDIATE`` per write.

Every read and write goes through :class:`Database`, which serialises access with a
re-entrant lock. Writes run in a single transaction so a delete is all or nothing, and a write
racing it lands either wholly before or wholly after. Foreign keys are on; the faults that
reproduce servers without them switch them off around their own statements only.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    format TEXT NOT NULL,
    body TEXT NOT NULL,
    created_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flows (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    body TEXT NOT NULL,
    read_only INTEGER NOT NULL DEFAULT 0,
    deleting INTEGER NOT NULL DEFAULT 0,
    created_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS flows_source ON flows(source_id);
-- Listing filters run in SQL: expression indexes on the filtered properties, and tags and
-- collection membership as tables kept by triggers from the JSON body (every write path of
-- the body is covered, and nothing scans bodies to answer a filter or a collected_by).
CREATE INDEX IF NOT EXISTS flows_label ON flows(json_extract(body, '$.label'));
CREATE INDEX IF NOT EXISTS flows_format ON flows(json_extract(body, '$.format'));
CREATE TABLE IF NOT EXISTS flow_tags (
    flow_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT  -- NULL: the row that says the tag exists (an array tag may be empty)
);
CREATE INDEX IF NOT EXISTS flow_tags_lookup ON flow_tags(name, value, flow_id);
CREATE INDEX IF NOT EXISTS flow_tags_owner ON flow_tags(flow_id);
CREATE TABLE IF NOT EXISTS flow_members (
    collector_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    role TEXT
);
CREATE INDEX IF NOT EXISTS flow_members_member ON flow_members(member_id, collector_id);
CREATE INDEX IF NOT EXISTS flow_members_collector ON flow_members(collector_id);
CREATE INDEX IF NOT EXISTS sources_label ON sources(json_extract(body, '$.label'));
CREATE TABLE IF NOT EXISTS source_tags (
    source_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT
);
CREATE INDEX IF NOT EXISTS source_tags_lookup ON source_tags(name, value, source_id);
CREATE INDEX IF NOT EXISTS source_tags_owner ON source_tags(source_id);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    allocated_for_flow TEXT NOT NULL,
    registered INTEGER NOT NULL DEFAULT 0,
    timerange TEXT,
    first_referenced_by_flow TEXT,
    s3_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS object_refs (
    object_id TEXT NOT NULL REFERENCES objects(id),
    flow_id TEXT NOT NULL,
    PRIMARY KEY (object_id, flow_id)
);
CREATE TABLE IF NOT EXISTS object_instances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id TEXT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
    storage_id TEXT,
    label TEXT NOT NULL,
    url TEXT
);
CREATE INDEX IF NOT EXISTS object_instances_object ON object_instances(object_id);
CREATE TABLE IF NOT EXISTS segments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_id TEXT NOT NULL REFERENCES flows(id),
    object_id TEXT NOT NULL REFERENCES objects(id),
    timerange TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    start_excl INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    end_incl INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_flow ON segments(flow_id, start_ns);
CREATE INDEX IF NOT EXISTS segments_object ON segments(object_id);
CREATE TABLE IF NOT EXISTS delete_requests (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL,
    body TEXT NOT NULL,
    params TEXT NOT NULL,
    created_seq INTEGER NOT NULL
);
"""


def _tag_rows(table: str, owner: str) -> str:
    """Statements filling ``table`` from NEW.body's tags: a presence row, then one row per
    string value or array element."""
    tags = "json_each(NEW.body, '$.tags')"
    return f"""
    INSERT INTO {table} ({owner}, name, value) SELECT NEW.id, key, NULL FROM {tags};
    INSERT INTO {table} ({owner}, name, value) SELECT NEW.id, key, value FROM {tags}
        WHERE type = 'text';
    INSERT INTO {table} ({owner}, name, value) SELECT NEW.id, t.key, e.value
        FROM {tags} AS t, json_each(t.value) AS e WHERE t.type = 'array';"""


_MEMBERS = """
    INSERT INTO flow_members (collector_id, member_id, position, role)
        SELECT NEW.id, json_extract(value, '$.id'), key, json_extract(value, '$.role')
        FROM json_each(NEW.body, '$.flow_collection') WHERE type = 'object';"""

TRIGGERS = f"""
CREATE TRIGGER IF NOT EXISTS flows_index_insert AFTER INSERT ON flows BEGIN
    {_tag_rows("flow_tags", "flow_id")}{_MEMBERS}
END;
CREATE TRIGGER IF NOT EXISTS flows_index_update AFTER UPDATE OF body ON flows BEGIN
    DELETE FROM flow_tags WHERE flow_id = OLD.id;
    DELETE FROM flow_members WHERE collector_id = OLD.id;
    {_tag_rows("flow_tags", "flow_id")}{_MEMBERS}
END;
CREATE TRIGGER IF NOT EXISTS flows_index_delete AFTER DELETE ON flows BEGIN
    DELETE FROM flow_tags WHERE flow_id = OLD.id;
    DELETE FROM flow_members WHERE collector_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS sources_index_insert AFTER INSERT ON sources BEGIN
    {_tag_rows("source_tags", "source_id")}
END;
CREATE TRIGGER IF NOT EXISTS sources_index_update AFTER UPDATE OF body ON sources BEGIN
    DELETE FROM source_tags WHERE source_id = OLD.id;
    {_tag_rows("source_tags", "source_id")}
END;
CREATE TRIGGER IF NOT EXISTS sources_index_delete AFTER DELETE ON sources BEGIN
    DELETE FROM source_tags WHERE source_id = OLD.id;
END;
"""


def now_iso() -> str:
    """The current UTC time as an RFC 3339 date-time string."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Database:
    """A locked SQLite connection with transaction helpers."""

    def __init__(self, path: str = ":memory:") -> None:
        self.lock = threading.RLock()
        # Called with the connection after each write's COMMIT, the lock still held
        # (the webhook outbox is drained there: store/webhooks.py).
        self.after_commit: list[Callable[[sqlite3.Connection], None]] = []
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.executescript(SCHEMA)
        self.conn.executescript(TRIGGERS)
        start = self.conn.execute(
            "SELECT MAX(m) FROM (SELECT MAX(created_seq) AS m FROM flows "
            "UNION ALL SELECT MAX(created_seq) FROM sources "
            "UNION ALL SELECT MAX(created_seq) FROM delete_requests)"
        ).fetchone()[0]
        self._seq = itertools.count((start or 0) + 1)

    def next_seq(self) -> int:
        """A strictly increasing number: creation order, the tie-breaker of equal timestamps."""
        return next(self._seq)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock for a consistent read of several statements."""
        with self.lock:
            yield self.conn

    @contextmanager
    def write(self, foreign_keys: bool = True) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction under the lock; rolled back on any exception.

        ``foreign_keys=False`` is for faults only: the pragma cannot change inside a
        transaction, so it is switched off before BEGIN and back on after COMMIT.
        """
        with self.lock:
            if not foreign_keys:
                self.conn.execute("PRAGMA foreign_keys=OFF")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
                for hook in self.after_commit:
                    hook(self.conn)
            finally:
                if not foreign_keys:
                    self.conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        with self.lock:
            self.conn.close()
