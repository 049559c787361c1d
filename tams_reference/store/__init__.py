"""The model of the reference server: every rule about state lives in this package.

:class:`Store` is assembled from one mixin per entity (as moto's backends are), all sharing
one :class:`~tams_reference.store.db.Database`. The HTTP layer only parses and formats.
"""

from __future__ import annotations

from typing import Any

from tams_reference.config import ServerConfig
from tams_reference.errors import BadRequest
from tams_reference.store.db import Database
from tams_reference.store.flows import BasicValidator, FlowsMixin, RequestValidator
from tams_reference.store.objects import Media, ObjectsMixin, UrlOptions
from tams_reference.store.segments import SegmentsMixin
from tams_reference.store.sources import SourcesMixin

SERVICE_VERSION = "0.1.0"
SERVICE_DESCRIPTION = "Embedded reference TAMS server of tams-conformance"


class Store(SourcesMixin, FlowsMixin, SegmentsMixin, ObjectsMixin):
    """All TAMS state of one server instance."""

    def __init__(
        self, config: ServerConfig, media: Media, validator: RequestValidator | None = None
    ) -> None:
        self.config = config
        self.media = media
        self.db = Database(config.db_path)
        self.validator = validator or BasicValidator()
        self._service = {"name": "tams-reference", "description": SERVICE_DESCRIPTION}

    def service_info(self) -> dict[str, Any]:
        """The /service body (service.json)."""
        return {
            **self._service,
            "type": "urn:x-tams:service:reference",
            "api_version": self.config.api_version,
            "service_version": SERVICE_VERSION,
            "min_object_timeout": self.config.min_object_timeout,
            "min_presigned_url_timeout": self.config.min_presigned_url_timeout,
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

    def close(self) -> None:
        self.db.close()


__all__ = ["Store", "UrlOptions"]
