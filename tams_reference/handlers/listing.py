"""Query values of the listings checked against their schemas (400 for an invalid one)."""

from __future__ import annotations

import re

from werkzeug.wrappers import Request

from tams_reference.errors import BadRequest
from tams_reference.store.common import is_uuid

FORMATS = (
    "urn:x-nmos:format:video",
    "urn:x-tam:format:image",
    "urn:x-nmos:format:audio",
    "urn:x-nmos:format:data",
    "urn:x-nmos:format:multi",
)
FLOW_STATUSES = ("awaiting_content", "ingesting", "replication_in_progress", "closed_complete")
# mime-type.json
MIME_RE = re.compile(
    r"^(application|audio|font|example|image|message|model|multipart|text|video|"
    r"x-(?:[0-9A-Za-z!#$%&'*+.^_`|~-]+))/([0-9A-Za-z!#$%&'*+.^_`|~-]+)$"
)


class ListQuery:
    """The validated filter values of one listing request.

    ``lax`` is the `lax-list-queries` fault: an invalid value is dropped (the filter is not
    applied) instead of answering 400.
    """

    def __init__(self, request: Request, lax: bool = False) -> None:
        self.args = request.args
        self.lax = lax

    def _refuse(self, message: str) -> None:
        if not self.lax:
            raise BadRequest(message)

    def enum(self, name: str, allowed: tuple[str, ...]) -> str | None:
        raw = self.args.get(name)
        if raw is not None and raw not in allowed:
            self._refuse(f"{name} {raw!r} is not one of {', '.join(allowed)}")
            return None
        return raw

    def uuid(self, name: str) -> str | None:
        raw = self.args.get(name)
        if raw is not None and not is_uuid(raw):
            self._refuse(f"{name} {raw!r} is not a uuid")
            return None
        return raw

    def mime(self, name: str) -> str | None:
        raw = self.args.get(name)
        if raw is not None and not MIME_RE.match(raw):
            self._refuse(f"{name} {raw!r} is not a MIME type")
            return None
        return raw

    def uuid_list(self, name: str = "collected_by_ids") -> list[str] | None:
        """uuid-list-empty.json: absent (None), empty (``[]``: not collected) or uuids."""
        raw = self.args.get(name)
        if raw is None:
            return None
        ids = raw.split(",") if raw else []
        if not all(is_uuid(i) for i in ids):
            self._refuse(f"{name} must be empty or a comma-separated list of uuids")
            return None
        return ids
