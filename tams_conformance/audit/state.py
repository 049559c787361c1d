"""The audit's working state and checkpoint: one SQLite file.

Sets of ids (flows seen, sources and flows looked up, objects to check, collection members)
live here rather than in memory, so the audit's memory does not grow with the store. The same
file is the checkpoint: the listing's next page, the objects already checked and the findings
so far are committed as the audit goes, so an audit stopped by Ctrl-C (or --max-requests)
resumes where it stopped with `--resume`. A finding is stored once (keyed by its type and
ids), so work done again after a resume never duplicates it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tams_conformance.audit.findings import IDS, Finding

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flows (id TEXT PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS lookups (kind TEXT, id TEXT, found INTEGER, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, flow_id TEXT NOT NULL, timerange TEXT, checked INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS members (
    flow_id TEXT, member_id TEXT, checked INTEGER DEFAULT 0, PRIMARY KEY (flow_id, member_id)
);
CREATE TABLE IF NOT EXISTS findings (seq INTEGER PRIMARY KEY, key TEXT UNIQUE, body TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class CheckpointMismatch(ValueError):
    """--resume with a checkpoint of another target or scope (exit 2)."""


class AuditState:
    """Thread-safe access to the audit's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(str(path), check_same_thread=False)
        # The file is a scratch pad and a checkpoint, not a database of record: a crash loses
        # at most the work since the last commit, which a resume redoes.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.executescript(SCHEMA)
        self.conn.commit()

    # meta -----------------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def bind(self, identity: dict[str, Any], resume: bool) -> bool:
        """Tie the file to one target and scope; True when resuming earlier work."""
        stored = self.get("identity")
        if stored is None:
            self.put("identity", identity)
            self.commit()
            return False
        if not resume:
            return False
        if stored != identity:
            raise CheckpointMismatch(
                f"checkpoint {self.path} is of another audit ({_show(stored)}); run without "
                "--resume to start over, or repeat that audit's options"
            )
        return True

    def commit(self) -> None:
        with self._lock:
            self.conn.commit()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (name, n),
            )

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self.conn.execute("SELECT name, value FROM counters").fetchall())

    # flows ------------------------------------------------------------------------------------
    def see_flow(self, flow_id: str) -> bool:
        """Record a flow of the walk; False when it was already done (a resumed page)."""
        with self._lock:
            self.conn.execute("INSERT OR IGNORE INTO flows (id) VALUES (?)", (flow_id,))
            row = self.conn.execute("SELECT done FROM flows WHERE id = ?", (flow_id,)).fetchone()
        return not row[0]

    def flow_done(self, flow_id: str) -> None:
        with self._lock:
            self.conn.execute("UPDATE flows SET done = 1 WHERE id = ?", (flow_id,))

    def walked(self, flow_id: str) -> bool:
        with self._lock:
            row = self.conn.execute("SELECT 1 FROM flows WHERE id = ?", (flow_id,)).fetchone()
        return row is not None

    def flows_done(self) -> int:
        with self._lock:
            return self.conn.execute("SELECT COUNT(*) FROM flows WHERE done = 1").fetchone()[0]

    # lookups (does this source / flow exist?) -------------------------------------------------
    def lookup(self, kind: str, ident: str) -> bool | None:
        with self._lock:
            row = self.conn.execute(
                "SELECT found FROM lookups WHERE kind = ? AND id = ?", (kind, ident)
            ).fetchone()
        return None if row is None else bool(row[0])

    def remember(self, kind: str, ident: str, found: bool) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO lookups (kind, id, found) VALUES (?, ?, ?)",
                (kind, ident, int(found)),
            )

    # objects ----------------------------------------------------------------------------------
    def see_object(self, object_id: str, flow_id: str, timerange: str) -> bool:
        """Record an object a segment uses; True the first time (its media get checked)."""
        with self._lock:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO objects (id, flow_id, timerange) VALUES (?, ?, ?)",
                (object_id, flow_id, timerange),
            )
        return cur.rowcount == 1

    def unchecked_objects(self, batch: int) -> list[tuple[str, str, str]]:
        with self._lock:
            return self.conn.execute(
                "SELECT id, flow_id, timerange FROM objects WHERE checked = 0 LIMIT ?", (batch,)
            ).fetchall()

    def object_checked(self, object_id: str) -> None:
        with self._lock:
            self.conn.execute("UPDATE objects SET checked = 1 WHERE id = ?", (object_id,))

    def count_objects(self, checked: bool | None = None) -> int:
        sql = "SELECT COUNT(*) FROM objects"
        if checked is not None:
            sql += f" WHERE checked = {int(checked)}"
        with self._lock:
            return self.conn.execute(sql).fetchone()[0]

    # collection members -----------------------------------------------------------------------
    def add_member(self, flow_id: str, member_id: str) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO members (flow_id, member_id) VALUES (?, ?)",
                (flow_id, member_id),
            )

    def unchecked_members(self, batch: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.conn.execute(
                "SELECT flow_id, member_id FROM members WHERE checked = 0 LIMIT ?", (batch,)
            ).fetchall()

    def member_checked(self, flow_id: str, member_id: str) -> None:
        with self._lock:
            self.conn.execute(
                "UPDATE members SET checked = 1 WHERE flow_id = ? AND member_id = ?",
                (flow_id, member_id),
            )

    # findings ---------------------------------------------------------------------------------
    def report(self, finding: Finding) -> bool:
        """Store a finding once; True when it is new."""
        key = "|".join([finding.type, *(str(getattr(finding, k) or "") for k in IDS)])
        with self._lock:
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO findings (key, body) VALUES (?, ?)",
                (key, json.dumps(finding.as_json())),
            )
        return cur.rowcount == 1

    def findings(self) -> Iterator[dict[str, Any]]:
        """Every finding in the order found (read in pages: the list may be long)."""
        last = 0
        while True:
            with self._lock:
                rows = self.conn.execute(
                    "SELECT seq, body FROM findings WHERE seq > ? ORDER BY seq LIMIT 1000",
                    (last,),
                ).fetchall()
            if not rows:
                return
            for seq, body in rows:
                last = seq
                yield json.loads(body)

    def close(self) -> None:
        with self._lock:
            self.conn.commit()
            self.conn.close()


def _show(identity: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in identity.items() if v)
