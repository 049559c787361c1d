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


def query_enum(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is not None and raw not in allowed:
        raise BadRequest(f"{name} {raw!r} is not one of {', '.join(allowed)}")
    return raw


def query_uuid(request: Request, name: str) -> str | None:
    raw = request.args.get(name)
    if raw is not None and not is_uuid(raw):
        raise BadRequest(f"{name} {raw!r} is not a uuid")
    return raw


def query_mime(request: Request, name: str) -> str | None:
    raw = request.args.get(name)
    if raw is not None and not MIME_RE.match(raw):
        raise BadRequest(f"{name} {raw!r} is not a MIME type")
    return raw


def query_uuid_list(request: Request, name: str = "collected_by_ids") -> list[str] | None:
    """uuid-list-empty.json: absent (None), empty (``[]``: not collected) or uuids."""
    raw = request.args.get(name)
    if raw is None:
        return None
    ids = raw.split(",") if raw else []
    if not all(is_uuid(i) for i in ids):
        raise BadRequest(f"{name} must be empty or a comma-separated list of uuids")
    return ids
