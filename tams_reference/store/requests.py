"""Flow delete requests: the asynchronous delete mode (202 + Location).

Accepting a request runs the same plan as a synchronous delete (so 404/403/409 answer at once
and nothing changes on a refusal) and, for a flow delete, marks the flow as being deleted in the
same transaction: from then on it reads as gone and refuses segment POSTs, so no orphan can
appear before the worker removes it. The worker then applies the plan in one transaction.
"""

from __future__ import annotations

import queue
import sqlite3
import uuid
from typing import Any

from mediatimestamp import TimeRange

from tams_reference.errors import NotFound, TamsError
from tams_reference.paging import Page, paginate
from tams_reference.store.common import dumps, loads
from tams_reference.store.db import Database, now_iso

PENDING = ("created", "started")


class RequestsMixin:
    """Creation, listing and processing of flow delete requests."""

    db: Database
    config: Any
    media: Any
    delete_queue: queue.Queue[str]

    def request_flow_delete(self, flow_id: str, cascade: bool = True) -> dict[str, Any]:
        """Accept an asynchronous flow delete; returns the request (deletion-request.json)."""
        with self.db.write() as conn:
            self.plan_flow_delete(conn, flow_id, cascade)
            conn.execute("UPDATE flows SET deleting = 1 WHERE id = ?", (flow_id,))
            request = self._new_request(conn, flow_id, "_", True, {})
        self.delete_queue.put(request["id"])
        return request

    def request_segments_delete(
        self, flow_id: str, timerange: TimeRange, object_id: str | None, cascade: bool = True
    ) -> dict[str, Any]:
        """Accept an asynchronous segments delete; the flow stays."""
        with self.db.write() as conn:
            self.plan_segments_delete(conn, flow_id, timerange, object_id, cascade)
            params = {"object_id": object_id, "cascade": cascade}
            request = self._new_request(conn, flow_id, str(timerange), False, params)
        self.delete_queue.put(request["id"])
        return request

    def get_delete_request(self, request_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT body FROM delete_requests WHERE id = ?", (request_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"flow delete request {request_id} does not exist")
        return loads(row["body"])

    def list_delete_requests(
        self, *, reverse: bool = False, limit: int, page: str | None, sort_by: str = "created"
    ) -> Page:
        """Requests, newest first (``reverse`` for oldest first); ``sort_by=expiry`` puts the
        ones without an expiry after, by id (before when reversed)."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT body, created_seq FROM delete_requests").fetchall()
        keyed = []
        for row in rows:
            body = loads(row["body"])
            key: tuple = (row["created_seq"],)
            if sort_by == "expiry":  # most recent first: unset ones sort lowest, so last
                key = (
                    (1, body["expiry"], row["created_seq"])
                    if "expiry" in body
                    else (0, body["id"], 0)
                )
            keyed.append((key, body))
        return paginate(keyed, limit, page, descending=not reverse)

    def pending_delete_requests(self) -> list[str]:
        """Ids of requests not finished yet, oldest first (for a worker starting on a file db)."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT id, body FROM delete_requests ORDER BY created_seq")
            return [row["id"] for row in rows if loads(row["body"])["status"] in PENDING]

    def start_delete_request(self, request_id: str) -> None:
        """created -> started."""
        with self.db.write() as conn:
            self._set_status(conn, request_id, "started")

    def finish_delete_request(self, request_id: str) -> None:
        """started -> done (or error): the deletion itself, in one transaction."""
        request = self.get_delete_request(request_id)
        params = self._request_params(request_id)
        try:
            with self.db.write(foreign_keys=self.foreign_keys_for_deletes()) as conn:
                if request["delete_flow"]:
                    plan = self.plan_flow_delete(conn, request["flow_id"], True, pending=True)
                else:
                    plan = self.plan_segments_delete(
                        conn,
                        request["flow_id"],
                        TimeRange.from_str(request["timerange_to_delete"]),
                        params["object_id"],
                        params["cascade"],
                    )
                gone = self.apply_plan(conn, plan).objects
                self._set_status(conn, request_id, "done")
        except Exception as exc:
            known = isinstance(exc, TamsError)
            error = {
                "type": exc.type_name if known else "InternalError",
                "summary": exc.summary if known else f"deletion failed: {exc}",
                "time": now_iso(),
            }
            with self.db.write() as conn:
                self._set_status(conn, request_id, "error", error)
            return
        self.media.delete(gone)

    def run_delete_request(self, request_id: str) -> None:
        """Both steps at once (tests and shutdown)."""
        self.start_delete_request(request_id)
        self.finish_delete_request(request_id)

    def _new_request(
        self,
        conn: sqlite3.Connection,
        flow_id: str,
        timerange: str,
        delete_flow: bool,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        now = now_iso()
        body = {
            "id": str(uuid.uuid4()),
            "flow_id": flow_id,
            "timerange_to_delete": timerange,
            "timerange_remaining": timerange,
            "delete_flow": delete_flow,
            "status": "created",
            "created": now,
            "updated": now,
        }
        conn.execute(
            "INSERT INTO delete_requests (id, flow_id, body, params, created_seq) "
            "VALUES (?, ?, ?, ?, ?)",
            (body["id"], flow_id, dumps(body), dumps(params), self.db.next_seq()),
        )
        return body

    def _request_params(self, request_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT params FROM delete_requests WHERE id = ?", (request_id,)
            ).fetchone()
        return loads(row["params"])

    def _set_status(
        self,
        conn: sqlite3.Connection,
        request_id: str,
        status: str,
        error: dict[str, Any] | None = None,
    ) -> None:
        row = conn.execute(
            "SELECT body FROM delete_requests WHERE id = ?", (request_id,)
        ).fetchone()
        body = loads(row["body"])
        body["status"] = status
        body["updated"] = now_iso()
        if status == "done":
            body["timerange_remaining"] = "()"
        if error is not None:
            body["error"] = error
        conn.execute("UPDATE delete_requests SET body = ? WHERE id = ?", (dumps(body), request_id))
