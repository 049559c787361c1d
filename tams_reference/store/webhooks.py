"""Webhooks: registrations (``/service/webhooks``) and the events they are sent.

Events are recorded by SQLite triggers into ``webhook_outbox`` inside the very transaction that
changed a flow, source or segment, so an event exists exactly when its change was committed
(a refused 409/403 delete rolls back its rows and its events together). After each commit
(``Database.after_commit``) the outbox is drained: the rows of that transaction become events,
each matched against every active registration's filters and rendered with its transforms,
then queued for the delivery worker (``tams_reference/delivery.py``).
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tams_reference.errors import BadRequest, NotFound
from tams_reference.paging import Page, paginate
from tams_reference.store.common import check_tag_value, dumps, is_uuid, loads, tags_match
from tams_reference.store.db import Database
from tams_reference.store.webhook_events import Event, events_of_batch, render_for
from tams_reference.variants import NO_WEBHOOKS

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "flows/created",
    "flows/updated",
    "flows/deleted",
    "flows/segments_added",
    "flows/segments_deleted",
    "sources/created",
    "sources/updated",
    "sources/deleted",
)
ID_FILTERS = ("flow_ids", "source_ids", "flow_collected_by_ids", "source_collected_by_ids")
BOOL_OPTIONS = ("presigned", "verbose_storage", "include_object_timerange")
LIST_OPTIONS = ("accept_get_urls", "accept_storage_ids")
WRITABLE_STATUSES = ("created", "disabled")
KNOWN_KEYS = frozenset(
    ("url", "api_key_name", "api_key_value", "events", "status", "tags", "id")
    + ID_FILTERS
    + BOOL_OPTIONS
    + LIST_OPTIONS
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    api_key_value TEXT,
    created_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type TEXT NOT NULL,
    flow_id TEXT,
    source_id TEXT,
    detail TEXT
);
CREATE TRIGGER IF NOT EXISTS wh_source_created AFTER INSERT ON sources BEGIN
    INSERT INTO webhook_outbox (event_type, source_id) VALUES ('sources/created', NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS wh_source_updated AFTER UPDATE ON sources
WHEN OLD.body IS NOT NEW.body BEGIN
    INSERT INTO webhook_outbox (event_type, source_id) VALUES ('sources/updated', NEW.id);
END;
CREATE TRIGGER IF NOT EXISTS wh_source_deleted AFTER DELETE ON sources BEGIN
    INSERT INTO webhook_outbox (event_type, source_id) VALUES ('sources/deleted', OLD.id);
END;
CREATE TRIGGER IF NOT EXISTS wh_flow_created AFTER INSERT ON flows BEGIN
    INSERT INTO webhook_outbox (event_type, flow_id, source_id)
    VALUES ('flows/created', NEW.id, NEW.source_id);
END;
CREATE TRIGGER IF NOT EXISTS wh_flow_updated AFTER UPDATE ON flows
WHEN NEW.deleting = 0 AND json_remove(OLD.body, '$.segments_updated')
    IS NOT json_remove(NEW.body, '$.segments_updated') BEGIN
    INSERT INTO webhook_outbox (event_type, flow_id, source_id)
    VALUES ('flows/updated', NEW.id, NEW.source_id);
END;
CREATE TRIGGER IF NOT EXISTS wh_flow_deleted AFTER DELETE ON flows BEGIN
    INSERT INTO webhook_outbox (event_type, flow_id, source_id)
    VALUES ('flows/deleted', OLD.id, OLD.source_id);
END;
CREATE TRIGGER IF NOT EXISTS wh_segment_added AFTER INSERT ON segments BEGIN
    INSERT INTO webhook_outbox (event_type, flow_id, source_id, detail)
    VALUES ('flows/segments_added', NEW.flow_id,
            (SELECT source_id FROM flows WHERE id = NEW.flow_id), NEW.seq);
END;
CREATE TRIGGER IF NOT EXISTS wh_segment_deleted AFTER DELETE ON segments BEGIN
    INSERT INTO webhook_outbox (event_type, flow_id, source_id, detail)
    VALUES ('flows/segments_deleted', OLD.flow_id,
            (SELECT source_id FROM flows WHERE id = OLD.flow_id), OLD.timerange);
END;
"""


@dataclass(frozen=True)
class Delivery:
    """One POST the delivery worker makes."""

    webhook_id: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]


class WebhooksMixin:
    """Webhook registrations and the outbox drained after every commit."""

    db: Database
    config: Any

    def init_webhooks(self) -> None:
        with self.db.lock:
            self.db.conn.executescript(SCHEMA)
        self.delivery_queue: queue.Queue[Delivery | None] = queue.Queue()
        # Set by the delivery worker: POST one delivery now, in the calling thread.
        self.deliver_now: Callable[[Delivery], None] = self.delivery_queue.put
        self.db.after_commit.append(self._drain_outbox)
        if self.config.has("webhook-early-flow-deleted"):
            self.delete_flow = self._announcing_delete(self.delete_flow)  # type: ignore[method-assign]

    def webhooks_offered(self) -> bool:
        return not self.config.chose(NO_WEBHOOKS)

    def webhooks_advertised(self) -> dict[str, Any]:
        """The /service event_stream_mechanisms entry, unless webhooks are not offered."""
        if not self.webhooks_offered():
            return {}
        return {"event_stream_mechanisms": [{"name": "webhooks"}]}

    def _announcing_delete(self, delete_flow: Callable[..., Any]) -> Callable[..., Any]:
        """The `webhook-early-flow-deleted` fault: flows/deleted is POSTed (and answered)
        before the delete runs, whether the delete then succeeds or is refused."""

        def announce_then_delete(flow_id: str, cascade: bool = True) -> Any:
            try:
                source_id = self.get_flow(flow_id)["source_id"]
            except NotFound:
                return delete_flow(flow_id, cascade)
            event = Event("flows/deleted", flow_id, source_id, payload={"flow_id": flow_id})
            for delivery in self.deliveries_of(event, self.active_webhooks()):
                self.deliver_now(delivery)
            return delete_flow(flow_id, cascade)

        return announce_then_delete

    # -- registrations -------------------------------------------------------------------

    def create_webhook(self, body: Any) -> dict[str, Any]:
        stored, key_value = self._checked_webhook(body, require_status=False)
        webhook_id = str(uuid.uuid4())
        stored["id"] = webhook_id
        stored.setdefault("status", "created")
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO webhooks (id, body, api_key_value, created_seq) VALUES (?, ?, ?, ?)",
                (webhook_id, dumps(stored), key_value, self.db.next_seq()),
            )
        return stored

    def get_webhook(self, webhook_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            return loads(self._webhook_row(conn, webhook_id)["body"])

    def list_webhooks(
        self,
        *,
        tags: dict[str, list[str]],
        tag_exists: dict[str, bool],
        reverse: bool,
        limit: int,
        page: str | None,
    ) -> Page:
        """Webhooks in alphabetical order of their url (the spec's default order)."""
        with self.db.read() as conn:
            rows = conn.execute("SELECT body FROM webhooks").fetchall()
        keyed = []
        for row in rows:
            body = loads(row["body"])
            if tags_match(body.get("tags", {}), tags, tag_exists):
                keyed.append(((body["url"], body["id"]), body))
        return paginate(keyed, limit, page, descending=reverse)

    def put_webhook(self, webhook_id: str, body: Any) -> dict[str, Any]:
        stored, key_value = self._checked_webhook(body, require_status=True)
        if stored.get("id") != webhook_id:
            raise BadRequest(f"body id {stored.get('id')!r} differs from the path id {webhook_id}")
        with self.db.write() as conn:
            old = self._webhook_row(conn, webhook_id)
            if loads(old["body"])["status"] == "error" and stored["status"] == "disabled":
                raise BadRequest("a webhook in error may only be re-enabled (status created)")
            conn.execute(
                "UPDATE webhooks SET body = ?, api_key_value = ? WHERE id = ?",
                (dumps(stored), key_value, webhook_id),
            )
        return stored

    def delete_webhook(self, webhook_id: str) -> None:
        with self.db.write() as conn:
            self._webhook_row(conn, webhook_id)
            conn.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,))

    def set_webhook_status(self, webhook_id: str, status: str, error: Any = None) -> None:
        """The delivery worker's report: started after a delivery, error when it gave up."""
        with self.db.write() as conn:
            row = conn.execute("SELECT body FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
            if row is None:
                return
            body = loads(row["body"])
            if body["status"] == "disabled" or body["status"] == status:
                return
            body["status"] = status
            body.pop("error", None)
            if error is not None:
                body["error"] = error
            conn.execute("UPDATE webhooks SET body = ? WHERE id = ?", (dumps(body), webhook_id))

    def _webhook_row(self, conn: sqlite3.Connection, webhook_id: str) -> sqlite3.Row:
        row = None
        if is_uuid(webhook_id):
            row = conn.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        if row is None:
            raise NotFound(f"webhook {webhook_id} does not exist")
        return row

    def _checked_webhook(self, body: Any, require_status: bool) -> tuple[dict[str, Any], Any]:
        """The registration to store (api_key_value apart: it is never shown) or a 400."""
        if not isinstance(body, dict):
            raise BadRequest("the webhook body must be a JSON object")
        unknown = sorted(set(body) - KNOWN_KEYS)
        if unknown:
            raise BadRequest(f"unsupported webhook option {', '.join(unknown)}")
        url = body.get("url")
        if not isinstance(url, str):
            raise BadRequest("url must be a string")
        check_callback_url(url, self.config.webhook_hosts)
        events = body.get("events")
        if not isinstance(events, list) or not all(e in EVENT_TYPES for e in events):
            raise BadRequest(f"events must be a list of {', '.join(EVENT_TYPES)}")
        for key in ID_FILTERS + ("accept_storage_ids",):
            value = body.get(key)
            if value is not None and not (
                isinstance(value, list) and all(is_uuid(item) for item in value)
            ):
                raise BadRequest(f"{key} must be a list of uuids")
        labels = body.get("accept_get_urls")
        if labels is not None and not (
            isinstance(labels, list) and all(isinstance(x, str) for x in labels)
        ):
            raise BadRequest("accept_get_urls must be a list of strings")
        for key in BOOL_OPTIONS:
            if key in body and not isinstance(body[key], bool):
                raise BadRequest(f"{key} must be a boolean")
        for key in ("api_key_name", "api_key_value"):
            if key in body and not isinstance(body[key], str):
                raise BadRequest(f"{key} must be a string")
        status = body.get("status")
        if status is None and require_status:
            raise BadRequest("status is required")
        if status is not None and status not in WRITABLE_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(WRITABLE_STATUSES)}")
        for value in (body.get("tags") or {}).values():
            check_tag_value(value)
        stored = {k: v for k, v in body.items() if k != "api_key_value"}
        return stored, body.get("api_key_value")

    # -- events --------------------------------------------------------------------------

    def _drain_outbox(self, conn: sqlite3.Connection) -> None:
        """After a commit (the lock still held): turn the transaction's rows into deliveries."""
        try:
            self._drain(conn)
        except Exception:  # the write has committed: its caller must not see an error
            log.exception("webhook events could not be built")

    def _drain(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT * FROM webhook_outbox ORDER BY seq").fetchall()
        if not rows:
            return
        conn.execute("DELETE FROM webhook_outbox WHERE seq <= ?", (rows[-1]["seq"],))
        hooks = [
            (loads(r["body"]), r["api_key_value"])
            for r in conn.execute("SELECT body, api_key_value FROM webhooks ORDER BY created_seq")
        ]
        hooks = [(body, key) for body, key in hooks if body["status"] != "disabled"]
        if not hooks:
            return
        for event in events_of_batch(self, conn, rows):
            for delivery in self.deliveries_of(event, hooks):
                self.delivery_queue.put(delivery)

    def deliveries_of(
        self, event: Event, hooks: list[tuple[dict[str, Any], Any]]
    ) -> list[Delivery]:
        """One delivery per active registration that wants the event."""
        out = []
        for hook, key_value in hooks:
            if event.event_type not in hook["events"]:
                continue
            if not self.config.has("webhook-filters-ignored") and not event.matches(hook):
                continue
            headers = {"Content-Type": "application/json"}
            keyed = hook.get("api_key_name") and key_value is not None
            if keyed and not self.config.has("webhook-no-api-key-header"):
                headers[hook["api_key_name"]] = key_value
            body = render_for(self, event, hook)
            out.append(Delivery(hook["id"], hook["url"], headers, body))
        return out

    def active_webhooks(self) -> list[tuple[dict[str, Any], Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT body, api_key_value FROM webhooks ORDER BY created_seq"
            ).fetchall()
        hooks = [(loads(r["body"]), r["api_key_value"]) for r in rows]
        return [(body, key) for body, key in hooks if body["status"] != "disabled"]


def check_callback_url(url: str, allowed_hosts: tuple[str, ...]) -> None:
    """SSRF mitigation (a SHOULD of POST /service/webhooks): http(s) to loopback only, or to a
    host the server's configuration names."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"url {url!r} is not an http(s) URL")
    host = parts.hostname
    if host in allowed_hosts or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BadRequest(
            f"webhook url host {host} is not loopback; this server delivers to loopback and "
            "its configured webhook hosts only"
        )
