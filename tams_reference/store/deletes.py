"""Deletes and object garbage collection: where the deletion rules (and their faults) live.

Every delete is planned and applied in one ``BEGIN IMMEDIATE`` transaction: the plan checks
existence (404), read_only (403) and, for ``cascade=false``, dependents (409) and collects what
goes; the apply step removes segments, then flows, then sources, and garbage-collects objects no
segment references any more. A 409 therefore changes nothing, and a racing segment POST lands
wholly before the plan (and is seen by it) or after the commit (and finds its flow gone).
Media of collected objects is deleted from S3 after the commit.

The faults bend exactly these steps; see :mod:`tams_reference.faults` for what each breaks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mediatimestamp import TimeRange

from tams_reference.errors import Conflict, Forbidden, NotFound
from tams_reference.store.common import flow_row
from tams_reference.store.db import Database
from tams_reference.store.sources import drop_source_if_unused
from tams_reference.variants import LATE_GC

# Faults whose statements break foreign keys, so their transactions run with them off.
ORPHANING_FAULTS = frozenset(
    {"ignore-cascade", "cascade-rows-only", "gc-shared-objects", "check-then-delete"}
)
CHECK_WINDOW_S = 0.03
LATE_GC_S = 0.5  # the `late-gc` variant: objects go this long after their last reference


@dataclass
class Plan:
    """What one delete removes, collected under the same lock as its checks."""

    source_id: str | None = None
    flows: list[tuple[str, str]] = field(default_factory=list)  # (flow id, its source id)
    segments: list[sqlite3.Row] = field(default_factory=list)


@dataclass(frozen=True)
class Deleted:
    """What one applied delete removed: the counts the ``cascade-200-body`` variant reports,
    and the ids of the collected objects whose media goes after the commit."""

    sources: int = 0
    flows: int = 0
    segments: int = 0
    objects: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "sources": self.sources,
            "flows": self.flows,
            "segments": self.segments,
            "objects": len(self.objects),
        }


class DeletesMixin:
    """DELETE /sources/{id} (extension), DELETE /flows/{id}, DELETE /flows/{id}/segments."""

    db: Database
    config: Any
    media: Any
    _segment_rows: Callable[..., list[sqlite3.Row]]

    # -- public operations (synchronous; the async mode goes through requests.py) ----------

    def delete_source(self, source_id: str, cascade: bool = True) -> Deleted | None:
        """Delete a source; with ``cascade`` its flows, their segments and lone objects too.

        Returns what went (None when a fault swallowed the delete or works piecemeal).
        """
        if not cascade and self.config.has("partial-conflict"):
            self._ignore_missing(lambda: self._partial_source(source_id))
            return None
        return self._execute(lambda conn: self.plan_source_delete(conn, source_id, cascade))

    def delete_flow_now(self, flow_id: str, cascade: bool = True) -> Deleted | None:
        """Delete a flow and its segments; the source goes with its last flow."""
        if not cascade and self.config.has("partial-conflict"):
            self._ignore_missing(lambda: self._partial_segments(flow_id, None, True))
            return None
        return self._execute(lambda conn: self.plan_flow_delete(conn, flow_id, cascade))

    def delete_segments_now(
        self,
        flow_id: str,
        timerange: TimeRange,
        object_id: str | None = None,
        cascade: bool = True,
    ) -> None:
        """Delete the segments completely covered by ``timerange`` (and of ``object_id``)."""
        if not cascade and self.config.has("partial-conflict"):

            def plan(conn: sqlite3.Connection) -> Plan:
                return self.plan_segments_delete(conn, flow_id, timerange, object_id)

            return self._ignore_missing(lambda: self._partial_segments(flow_id, plan, False))
        self._execute(
            lambda conn: self.plan_segments_delete(conn, flow_id, timerange, object_id, cascade)
        )

    # -- plans: checks and what goes -------------------------------------------------------

    def plan_source_delete(self, conn: sqlite3.Connection, source_id: str, cascade: bool) -> Plan:
        if conn.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone() is None:
            raise NotFound(f"source {source_id} does not exist")
        flows = conn.execute(
            "SELECT id, source_id, read_only FROM flows WHERE source_id = ? ORDER BY created_seq",
            (source_id,),
        ).fetchall()
        if flows and not cascade and not self.config.has("ignore-cascade"):
            raise Conflict(
                f"source {source_id} has {len(flows)} flows; delete them or use cascade=true"
            )
        for flow in flows:
            self._check_writable(flow)
        segments = [
            row for flow in flows for row in self._segment_rows(conn, flow["id"], None, None)
        ]
        return Plan(source_id, [(f["id"], f["source_id"]) for f in flows], segments)

    def plan_flow_delete(
        self, conn: sqlite3.Connection, flow_id: str, cascade: bool, pending: bool = False
    ) -> Plan:
        """``pending``: the flow is already marked for deletion by an accepted request."""
        if pending:
            row = conn.execute("SELECT * FROM flows WHERE id = ?", (flow_id,)).fetchone()
            if row is None:
                return Plan()
        else:
            row = flow_row(conn, flow_id)
            self._check_writable(row)
        segments = self._segment_rows(conn, flow_id, None, None)
        if segments and not cascade and not self.config.has("ignore-cascade"):
            raise Conflict(
                f"flow {flow_id} has {len(segments)} segments; delete them or use cascade=true"
            )
        return Plan(None, [(flow_id, row["source_id"])], segments)

    def plan_segments_delete(
        self,
        conn: sqlite3.Connection,
        flow_id: str,
        timerange: TimeRange,
        object_id: str | None,
        cascade: bool = True,
    ) -> Plan:
        self._check_writable(flow_row(conn, flow_id))
        covered = [
            row
            for row in self._segment_rows(conn, flow_id, timerange, object_id)
            if timerange.contains_subrange(TimeRange.from_str(row["timerange"]))
        ]
        if not cascade and not self.config.has("ignore-cascade"):
            for row in covered:
                if _shared(conn, row):
                    raise Conflict(
                        f"object {row['object_id']} of segment {row['timerange']} is also used "
                        "by another flow; use cascade=true to delete the segment anyway"
                    )
        return Plan(segments=covered)

    # -- apply: the mutations --------------------------------------------------------------

    def apply_plan(self, conn: sqlite3.Connection, plan: Plan) -> Deleted:
        """Remove what the plan names; returns what went (with the objects whose media must go)."""
        if plan.flows and self.config.has("ignore-cascade"):
            if plan.source_id is not None:
                conn.execute("DELETE FROM sources WHERE id = ?", (plan.source_id,))
                return Deleted(sources=1)
            _delete_flow_rows(conn, plan.flows)
            return Deleted(flows=len(plan.flows))
        if plan.flows and plan.source_id and self.config.has("cascade-rows-only"):
            _delete_flow_rows(conn, plan.flows)
            conn.execute("DELETE FROM sources WHERE id = ?", (plan.source_id,))
            return Deleted(sources=1, flows=len(plan.flows))
        conn.executemany("DELETE FROM segments WHERE seq = ?", [(r["seq"],) for r in plan.segments])
        skip_gc = self.config.has("ignore-cascade") or (
            plan.flows and self.config.has("cascade-rows-only")
        )
        gone = [] if skip_gc else self._release(conn, {r["object_id"] for r in plan.segments})
        _delete_flow_rows(conn, plan.flows)
        if self.config.has("sources-never-removed"):
            return Deleted(0, len(plan.flows), len(plan.segments), gone)
        sources = {s for _, s in plan.flows if drop_source_if_unused(conn, s)}
        if plan.source_id is not None:
            conn.execute("DELETE FROM sources WHERE id = ?", (plan.source_id,))
            sources.add(plan.source_id)
        return Deleted(len(sources), len(plan.flows), len(plan.segments), gone)

    def _release(self, conn: sqlite3.Connection, object_ids: Iterable[str]) -> list[str]:
        """Drop references no segment backs any more and collect objects nothing references
        (a moment later, in a transaction of its own, under the `late-gc` variant)."""
        ids = sorted(object_ids)
        for object_id in ids:
            conn.execute(
                "DELETE FROM object_refs WHERE object_id = ? AND flow_id NOT IN "
                "(SELECT flow_id FROM segments WHERE object_id = ?)",
                (object_id, object_id),
            )
        if self.config.chose(LATE_GC):
            timer = threading.Timer(LATE_GC_S, self._collect_later, args=(ids,))
            timer.daemon = True
            timer.start()
            return []
        return self._collect(conn, ids)

    def _collect_later(self, object_ids: list[str]) -> None:
        try:
            with self.db.write() as conn:
                gone = self._collect(conn, object_ids)
            self.media.delete(gone)
        except Exception:  # noqa: BLE001 - the server may have stopped meanwhile
            return

    def _collect(self, conn: sqlite3.Connection, object_ids: Iterable[str]) -> list[str]:
        """Delete the objects of `object_ids` that no segment uses any more."""
        gone = []
        for object_id in object_ids:
            used = conn.execute(
                "SELECT 1 FROM segments WHERE object_id = ? LIMIT 1", (object_id,)
            ).fetchone()
            if self.config.has("no-gc") or (used and not self.config.has("gc-shared-objects")):
                continue
            conn.execute("DELETE FROM object_refs WHERE object_id = ?", (object_id,))
            conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))
            gone.append(object_id)
        return gone

    # -- running ---------------------------------------------------------------------------

    def _execute(self, plan_fn: Callable[[sqlite3.Connection], Plan]) -> Deleted | None:
        """Plan and apply in one transaction (two, with a window, under check-then-delete)."""
        done: list[Deleted] = []

        def run() -> None:
            if self.config.has("check-then-delete"):
                with self.db.write() as conn:
                    plan = plan_fn(conn)
                time.sleep(CHECK_WINDOW_S)
                with self.db.write(foreign_keys=False) as conn:
                    deleted = self.apply_plan(conn, plan)
            else:
                with self.db.write(foreign_keys=self.foreign_keys_for_deletes()) as conn:
                    deleted = self.apply_plan(conn, plan_fn(conn))
            self.media.delete(deleted.objects)
            done.append(deleted)

        self._ignore_missing(run)
        return done[0] if done else None

    def foreign_keys_for_deletes(self) -> bool:
        return not (self.config.faults & ORPHANING_FAULTS)

    def _ignore_missing(self, action: Callable[[], None]) -> None:
        try:
            action()
        except NotFound:
            if not self.config.has("missing-is-success"):
                raise

    def _check_writable(self, flow: sqlite3.Row) -> None:
        if flow["read_only"] and not self.config.has("read-only-ignored"):
            raise Forbidden(f"flow {flow['id']} is read_only; set read_only to false first")

    # -- the partial-conflict fault: one dependent at a time, 409 at the first refusal -----

    def _partial_source(self, source_id: str) -> None:
        with self.db.read() as conn:
            self.plan_source_delete(conn, source_id, cascade=True)
            flows = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM flows WHERE source_id = ? ORDER BY created_seq", (source_id,)
                )
            ]
        for flow_id in flows:
            with self.db.write() as conn:
                if self._segment_rows(conn, flow_id, None, None):
                    raise Conflict(f"flow {flow_id} of source {source_id} has segments")
                _delete_flow_rows(conn, [(flow_id, source_id)])
        with self.db.write() as conn:
            conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def _partial_segments(
        self, flow_id: str, plan_fn: Callable[[sqlite3.Connection], Plan] | None, whole: bool
    ) -> None:
        """Segments of a flow (or of a plan) one by one; a shared object stops it with 409."""
        with self.db.read() as conn:
            plan = plan_fn(conn) if plan_fn else self.plan_flow_delete(conn, flow_id, True)
        for row in plan.segments:
            with self.db.write() as conn:
                if _shared(conn, row):
                    raise Conflict(f"object {row['object_id']} is also used by another flow")
                deleted = self.apply_plan(conn, Plan(segments=[row]))
            self.media.delete(deleted.objects)
        if whole:
            self.delete_flow_now(flow_id, cascade=True)


def _shared(conn: sqlite3.Connection, segment: sqlite3.Row) -> bool:
    """True when another flow also has a segment on this segment's object."""
    row = conn.execute(
        "SELECT 1 FROM segments WHERE object_id = ? AND flow_id != ? LIMIT 1",
        (segment["object_id"], segment["flow_id"]),
    ).fetchone()
    return row is not None


def _delete_flow_rows(conn: sqlite3.Connection, flows: Iterable[tuple[str, str]]) -> None:
    conn.executemany("DELETE FROM flows WHERE id = ?", [(flow_id,) for flow_id, _ in flows])
