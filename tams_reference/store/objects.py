"""Objects: reads of /objects/{id}, their instances, and the get_urls objects and segments carry.

An object's instances are rows of ``object_instances``: a controlled one per storage backend
holding its media (``storage_id`` set), an uncontrolled one per URL a client registered
(``label`` and ``url``). Allocation adds the controlled instance of the backend it allocated
on; ``POST /objects/{id}/instances`` copies to another backend or adds an uncontrolled URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

from tams_reference.errors import BadRequest, NotFound
from tams_reference.media import BACKEND_TAGS
from tams_reference.paging import Page, paginate
from tams_reference.store.common import is_uuid, loads, tags_match
from tams_reference.store.db import Database
from tams_reference.variants import OMIT_EMPTY_GET_URLS


class Media(Protocol):
    """What the store needs from S3 (see :class:`tams_reference.media.MediaStore`)."""

    def backend(self) -> dict[str, Any]: ...
    def backends(self) -> list[dict[str, Any]]: ...
    def put_url(self, object_id: str, content_type: str) -> dict[str, Any]: ...
    def get_url(self, object_id: str, storage_id: str = ...) -> dict[str, Any]: ...
    def delete(self, object_ids: list[str]) -> list[str]: ...


BACKEND_DETAILS = ("store_type", "provider", "store_product", "region", "availability_zone")
# get_urls keys shown without verbose_storage (GET segments / objects verbose_storage).
PLAIN_KEYS = ("url", "presigned", "label")
UNLIMITED = 10**9


@dataclass(frozen=True)
class UrlOptions:
    """The get_urls filters of GET segments and GET objects.

    ``labels=None`` accepts every label and ``()`` none (``accept_get_urls=``); ``presigned``
    None accepts both kinds; ``storage_ids`` None (or empty) does not filter; ``backend_tags``
    and ``backend_tag_exists`` are ``storage_backend_tag.*`` / ``_exists.*`` (8.2);
    ``verbose`` adds storage_id, controlled and the backend's metadata.
    """

    labels: tuple[str, ...] | None = None
    presigned: bool | None = None
    storage_ids: tuple[str, ...] | None = None
    verbose: bool = False
    backend_tags: Mapping[str, list[str]] = field(default_factory=dict)
    backend_tag_exists: Mapping[str, bool] = field(default_factory=dict)


class ObjectsMixin:
    """GET /objects/{id}, its instances and get_urls rendering."""

    db: Database
    media: Media
    config: Any

    def get_object(self, object_id: str, urls: UrlOptions | None = None) -> dict[str, Any]:
        """A registered object with every referencing flow; unregistered ids are 404 (MUST)."""
        return self.read_object(object_id, urls)[0]

    def read_object(
        self,
        object_id: str,
        urls: UrlOptions | None = None,
        *,
        flow_tags: tuple[Mapping[str, list[str]], Mapping[str, bool]] = ({}, {}),
        limit: int = UNLIMITED,
        page: str | None = None,
    ) -> tuple[dict[str, Any], Page]:
        """The object and the page of ``referenced_by_flows`` (filtered by ``flow_tag.*``)."""
        with self.db.read() as conn:
            row = self._visible_object(conn, object_id)
            refs = [
                (r["flow_id"], r["body"])
                for r in conn.execute(
                    "SELECT r.flow_id, f.body FROM object_refs r LEFT JOIN flows f "
                    "ON f.id = r.flow_id WHERE r.object_id = ? ORDER BY r.flow_id",
                    (object_id,),
                )
            ]
            first = row["first_referenced_by_flow"]
            first_alive = (
                first is not None
                and conn.execute("SELECT 1 FROM flows WHERE id = ?", (first,)).fetchone()
            )
            instances = self.instances_of(conn, [object_id])[object_id]
        wanted, exists = flow_tags
        if wanted or exists:
            refs = [
                (fid, body)
                for fid, body in refs
                if tags_match((loads(body) if body else {}).get("tags") or {}, wanted, exists)
            ]
        page_ = paginate([((fid,), fid) for fid, _ in refs], limit, page)
        body: dict[str, Any] = {"id": object_id, "referenced_by_flows": page_.items}
        if first_alive:
            body["first_referenced_by_flow"] = first
        if row["timerange"] is not None:
            body["timerange"] = row["timerange"]
        get_urls = self.render_get_urls(object_id, instances, [], urls or UrlOptions())
        if get_urls or not self.config.chose(OMIT_EMPTY_GET_URLS):
            body["get_urls"] = get_urls
        init = self.render_init(object_id, urls or UrlOptions(), "id")  # type: ignore[attr-defined]
        if init is not None:
            body["init_object"] = init
        return body, page_

    # -- instances ------------------------------------------------------------------------

    def add_instance(self, object_id: str, body: Any) -> None:
        """POST /objects/{id}/instances: copy to a backend, or register an uncontrolled URL."""
        if not isinstance(body, dict):
            raise BadRequest("the instance body must be a JSON object")
        errors = self.validator.validate_schema("objects-instances-post.json", body)  # type: ignore[attr-defined]
        if errors:
            raise BadRequest("invalid instance: " + "; ".join(errors[:3]))
        backends = {b["id"]: b for b in self.media.backends()}
        with self.db.write() as conn:
            self._visible_object(conn, object_id)
            have = self.instances_of(conn, [object_id])[object_id]
            if "storage_id" in body:
                storage_id = body["storage_id"]
                if storage_id not in backends:
                    raise BadRequest(f"unknown storage_id {storage_id}; see the storage backends")
                if any(i["storage_id"] == storage_id for i in have):
                    raise BadRequest(f"object {object_id} already has an instance on {storage_id}")
                sources = [i["storage_id"] for i in have if i["storage_id"]]
                if not sources:
                    raise BadRequest(f"object {object_id} has no controlled instance to copy from")
                try:
                    self.media.copy(object_id, sources[0], storage_id)  # type: ignore[attr-defined]
                except ClientError:
                    raise BadRequest(f"object {object_id} has no media to copy yet") from None
                self._insert_instance(conn, object_id, storage_id, backends[storage_id]["label"])
                return
            label, url = body["label"], body["url"]
            taken = {b.get("label") for b in backends.values()} | {i["label"] for i in have}
            if label in taken:
                raise BadRequest(f"label {label!r} is already used by a backend or an instance")
            if not self.config.has("instances-not-listed"):
                self._insert_instance(conn, object_id, None, label, url)

    def remove_instance(self, object_id: str, storage_id: str | None, label: str | None) -> None:
        """DELETE /objects/{id}/instances?storage_id=|label=; the last one is kept (SHOULD)."""
        if storage_id is None and label is None:
            raise BadRequest("give storage_id or label of the instance to delete")
        with self.db.write() as conn:
            self._visible_object(conn, object_id)
            have = self.instances_of(conn, [object_id])[object_id]
            chosen = [
                i
                for i in have
                if (storage_id is None or i["storage_id"] == storage_id)
                and (label is None or i["label"] == label)
            ]
            if not chosen:
                raise NotFound(f"object {object_id} has no such instance")
            if len(chosen) == len(have) and not self.config.has("last-instance-deletable"):
                raise BadRequest(
                    f"that would delete every instance of object {object_id}; delete the "
                    "segments that reference it instead"
                )
            conn.executemany(
                "DELETE FROM object_instances WHERE seq = ?", [(i["seq"],) for i in chosen]
            )
        for instance in chosen:
            if instance["storage_id"]:
                self.media.delete_instance(object_id, instance["storage_id"])  # type: ignore[attr-defined]

    def instances_of(
        self, conn: sqlite3.Connection, object_ids: list[str]
    ) -> dict[str, list[sqlite3.Row]]:
        """The instance rows of each object, in the order they were added."""
        found: dict[str, list[sqlite3.Row]] = {oid: [] for oid in object_ids}
        if not object_ids:
            return found
        marks = ",".join("?" * len(object_ids))
        for row in conn.execute(
            f"SELECT * FROM object_instances WHERE object_id IN ({marks}) ORDER BY seq",
            object_ids,
        ):
            found[row["object_id"]].append(row)
        return found

    def _insert_instance(
        self,
        conn: sqlite3.Connection,
        object_id: str,
        storage_id: str | None,
        label: str,
        url: str | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO object_instances (object_id, storage_id, label, url) VALUES (?, ?, ?, ?)",
            (object_id, storage_id, label, url),
        )

    def _visible_object(self, conn: sqlite3.Connection, object_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone()
        visible = row is not None and (
            row["registered"] or self.config.has("object-visible-before-registration")
        )
        if not visible:
            raise NotFound(f"object {object_id} does not exist")
        return row

    # -- get_urls -------------------------------------------------------------------------

    def backend_tags(self, storage_id: str) -> dict[str, Any]:
        return dict(BACKEND_TAGS.get(storage_id, {}))

    def storage_backends(self) -> list[dict[str, Any]]:
        """/service/storage-backends: every backend, with its tags from 8.2 on."""
        tagged = self.config.api_version not in ("7.0", "8.0", "8.1")
        return [
            {**b, "tags": self.backend_tags(b["id"])} if tagged else b
            for b in self.media.backends()
        ]

    def render_get_urls(
        self,
        object_id: str,
        instances: list[sqlite3.Row],
        extras: list[dict[str, Any]],
        options: UrlOptions,
    ) -> list[dict[str, Any]]:
        """The object's instances (controlled: presigned S3 URLs) and a segment's own extra
        URLs, filtered by ``options``."""
        backends = {b["id"]: b for b in self.media.backends()}
        entries: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        for instance in instances:
            if instance["storage_id"]:
                backend = backends[instance["storage_id"]]
                entry = self.media.get_url(object_id, instance["storage_id"])
                entries.append((entry, backend))
            else:
                url = {"url": instance["url"], "label": instance["label"], "controlled": False}
                entries.append((url, None))
        for extra in extras:
            url = {k: extra[k] for k in ("url", "label", "presigned") if k in extra}
            entries.append(({**url, "controlled": False}, None))
        if self.config.has("get-urls-unfiltered"):
            options = UrlOptions(verbose=options.verbose)
        return [
            self._shown(entry, backend, options)
            for entry, backend in entries
            if self._selected(entry, backend, options)
        ]

    def _selected(
        self, entry: dict[str, Any], backend: dict[str, Any] | None, options: UrlOptions
    ) -> bool:
        if options.labels is not None and entry.get("label") not in options.labels:
            return False
        if options.presigned is not None and bool(entry.get("presigned")) != options.presigned:
            return False
        if options.storage_ids and entry.get("storage_id") not in options.storage_ids:
            return False
        if options.backend_tags or options.backend_tag_exists:
            tags = self.backend_tags(backend["id"]) if backend else {}
            if backend is None or not tags_match(
                tags, options.backend_tags, options.backend_tag_exists
            ):
                return False
        return True

    def _shown(
        self, entry: dict[str, Any], backend: dict[str, Any] | None, options: UrlOptions
    ) -> dict[str, Any]:
        if not options.verbose:
            return {k: entry[k] for k in PLAIN_KEYS if k in entry}
        shown = dict(entry)
        if backend is not None:
            shown.update({k: backend[k] for k in BACKEND_DETAILS if k in backend})
        return shown


def check_storage_ids(raw: str | None) -> tuple[str, ...] | None:
    """accept_storage_ids: a comma list of uuids; empty means no filtering."""
    if raw is None:
        return None
    ids = tuple(x for x in raw.split(",") if x)
    if not all(is_uuid(x) for x in ids):
        raise BadRequest("accept_storage_ids must be a comma-separated list of uuids")
    return ids
