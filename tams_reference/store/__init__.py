"""The model of the reference server: every rule about state lives in this package.

:class:`Store` is assembled from one mixin per entity (as moto's backends are), all sharing
one :class:`~tams_reference.store.db.Database`. The HTTP layer only parses and formats.
"""

from __future__ import annotations

import queue
from typing import Any

from mediatimestamp import TimeRange

from tams_reference.config import ServerConfig
from tams_reference.errors import BadRequest, NotFound
from tams_reference.store.db import Database
from tams_reference.store.deletes import Deleted, DeletesMixin
from tams_reference.store.flows import BasicValidator, FlowsMixin, RequestValidator
from tams_reference.store.init_segments import InitSegmentsMixin
from tams_reference.store.objects import Media, ObjectsMixin, UrlOptions
from tams_reference.store.profiles import ProfilesMixin
from tams_reference.store.requests import RequestsMixin
from tams_reference.store.segments import SegmentsMixin
from tams_reference.store.sources import SourcesMixin
from tams_reference.store.webhooks import WebhooksMixin
from tams_reference.variants import ASYNC_EVERYWHERE

SERVICE_VERSION = "0.1.0"
SERVICE_DESCRIPTION = "Embedded reference TAMS server of tams-conformance"


class Store(
    SourcesMixin,
    FlowsMixin,
    SegmentsMixin,
    ObjectsMixin,
    DeletesMixin,
    RequestsMixin,
    ProfilesMixin,
    InitSegmentsMixin,
    WebhooksMixin,
):
    """All TAMS state of one server instance."""

    def __init__(
        self, config: ServerConfig, media: Media, validator: RequestValidator | None = None
    ) -> None:
        self.config = config
        self.media = media
        self.db = Database(config.db_path)
        self.init_profiles()
        self.init_init_segments()
        self.validator = validator or BasicValidator()
        self.delete_queue: queue.Queue[str] = queue.Queue()
        self._service = {"name": "tams-reference", "description": SERVICE_DESCRIPTION}
        self.init_webhooks()

    def service_info(self) -> dict[str, Any]:
        """The /service body (service.json)."""
        return {
            **self._service,
            "type": "urn:x-tams:service:reference",
            "api_version": self.config.api_version,
            "service_version": SERVICE_VERSION,
            "min_object_timeout": self.config.min_object_timeout,
            "min_presigned_url_timeout": self.config.min_presigned_url_timeout,
            **self.webhooks_advertised(),
        }

    def update_service(self, body: Any) -> None:
        """POST /service: only name and description are writable (service-post.json)."""
        if not isinstance(body, dict):
            raise BadRequest("the service body must be a JSON object")
        for key in ("name", "description"):
            if key in body and not isinstance(body[key], str):
                raise BadRequest(f"{key} must be a string")
        with self.db.lock:
            self._service.update({k: body[k] for k in ("name", "description") if k in body})

    def delete_flow(self, flow_id: str, cascade: bool = True) -> dict[str, Any] | Deleted | None:
        """DELETE /flows/{id}: what went when done now (Deleted, or None when a fault swallowed
        it), else the accepted request (a dict: 202)."""
        if self._deletes_now(cascade):
            return self.delete_flow_now(flow_id, cascade)
        return self._accept(lambda: self.request_flow_delete(flow_id, cascade))

    def delete_segments(
        self,
        flow_id: str,
        timerange: TimeRange,
        object_id: str | None = None,
        cascade: bool = True,
        deferred: bool = False,
    ) -> dict[str, Any] | None:
        """DELETE /flows/{id}/segments: None when done now (204), else the request (202, or
        204 under `deferred-204`)."""
        if not deferred and self._deletes_now(cascade):
            self.delete_segments_now(flow_id, timerange, object_id, cascade)
            return None
        return self._accept(
            lambda: self.request_segments_delete(flow_id, timerange, object_id, cascade)
        )

    def _deletes_now(self, cascade: bool) -> bool:
        # The partial-conflict fault always works synchronously, dependent by dependent.
        partial = not cascade and self.config.has("partial-conflict")
        if partial:
            return True
        return self.config.delete_mode == "sync" and not self.config.chose(ASYNC_EVERYWHERE)

    def _accept(self, accept: Any) -> dict[str, Any] | None:
        try:
            return accept()
        except NotFound:
            if self.config.has("missing-is-success"):
                return None
            raise

    def close(self) -> None:
        self.db.close()


__all__ = ["Deleted", "Store", "UrlOptions"]
