"""Objects: reads of /objects/{id} and the get_urls both objects and segments carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tams_reference.errors import NotFound
from tams_reference.store.db import Database


class Media(Protocol):
    """What the store needs from S3 (see :class:`tams_reference.media.MediaStore`)."""

    def backend(self) -> dict[str, Any]: ...
    def put_url(self, object_id: str, content_type: str) -> dict[str, Any]: ...
    def get_url(self, object_id: str) -> dict[str, Any]: ...
    def delete(self, object_ids: list[str]) -> list[str]: ...


BACKEND_DETAILS = ("store_type", "provider", "store_product", "region", "availability_zone")


@dataclass(frozen=True)
class UrlOptions:
    """The get_urls filters of GET segments and GET objects.

    ``labels=None`` accepts every label and ``()`` none (``accept_get_urls=``); ``presigned``
    None accepts both kinds; ``verbose`` adds the storage backend's metadata to controlled URLs.
    """

    labels: tuple[str, ...] | None = None
    presigned: bool | None = None
    storage_ids: tuple[str, ...] | None = None
    verbose: bool = False


class ObjectsMixin:
    """GET /objects/{id} and get_urls rendering."""

    db: Database
    media: Media
    config: Any

    def get_object(self, object_id: str, urls: UrlOptions | None = None) -> dict[str, Any]:
        """A registered object; allocated-but-unregistered ids are 404 (MUST)."""
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone()
            visible = row is not None and (
                row["registered"] or self.config.has("object-visible-before-registration")
            )
            if not visible:
                raise NotFound(f"object {object_id} does not exist")
            refs = [
                r["flow_id"]
                for r in conn.execute(
                    "SELECT flow_id FROM object_refs WHERE object_id = ? ORDER BY flow_id",
                    (object_id,),
                )
            ]
            first = row["first_referenced_by_flow"]
            first_alive = (
                first is not None
                and conn.execute("SELECT 1 FROM flows WHERE id = ?", (first,)).fetchone()
            )
        body: dict[str, Any] = {"id": object_id, "referenced_by_flows": refs}
        if first_alive:
            body["first_referenced_by_flow"] = first
        if row["timerange"] is not None:
            body["timerange"] = row["timerange"]
        body["get_urls"] = self.render_get_urls(object_id, [], urls or UrlOptions())
        init = self.render_init(object_id, urls or UrlOptions(), "id")  # type: ignore[attr-defined]
        if init is not None:
            body["init_object"] = init
        return body

    def render_get_urls(
        self, object_id: str, uncontrolled: list[dict[str, Any]], options: UrlOptions
    ) -> list[dict[str, Any]]:
        """The controlled presigned URL plus any uncontrolled ones, filtered by ``options``."""
        result = []
        backend = self.media.backend()
        controlled_ok = (
            (options.labels is None or backend["label"] in options.labels)
            and options.presigned is not False
            and (options.storage_ids is None or backend["id"] in options.storage_ids)
        )
        if controlled_ok:
            url = self.media.get_url(object_id)
            if options.verbose:
                url.update({k: backend[k] for k in BACKEND_DETAILS if k in backend})
            result.append(url)
        for extra in uncontrolled:
            if options.labels is not None and extra["label"] not in options.labels:
                continue
            if options.presigned or options.storage_ids is not None:
                continue
            result.append({"url": extra["url"], "label": extra["label"], "controlled": False})
        return result
