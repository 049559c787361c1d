"""What the audit reports: the finding types (stable names, levels, likely causes) and a finding.

A type's name is part of audit.json's contract: never rename one, add new ones. `error` is an
integrity error (exit 1); `warning` is reported and never fails the audit (the spec allows it,
or it may be a choice of the store's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class FindingType:
    name: str
    level: str
    what: str  # the broken invariant, one sentence
    cause: str  # the likely cause, one sentence


TYPES: dict[str, FindingType] = {
    t.name: t
    for t in (
        FindingType(
            "flow-source-missing",
            ERROR,
            "a flow's source_id answers 404",
            "a source delete that ignored its flows (cascade=false answered success)",
        ),
        FindingType(
            "object-referenced-by-missing-flow",
            ERROR,
            "an object's referenced_by_flows lists a flow that answers 404",
            "a flow delete that left the object's references behind (no cleanup of "
            "referenced_by_flows)",
        ),
        FindingType(
            "segment-object-missing",
            ERROR,
            "a segment's object_id answers 404 at /objects/{id}",
            "a delete that garbage-collected an object another flow still uses",
        ),
        FindingType(
            "segment-media-missing",
            ERROR,
            "a segment's get_urls answer 403/404 (the media is gone or unreadable)",
            "media deleted from the object store while segments still use it, or get_urls "
            "signed with wrong credentials",
        ),
        FindingType(
            "segment-media-size-mismatch",
            ERROR,
            "the get_urls of one object answer different sizes (or different hashes with "
            "--verify-media=hash)",
            "a replica that was truncated or overwritten, or an upload that failed midway",
        ),
        FindingType(
            "flow-timerange-not-spanning-segments",
            ERROR,
            "a flow's timerange (include_timerange=true) does not cover its segments",
            "a flow timerange cached by the server and not updated when segments were added "
            "or deleted",
        ),
        FindingType(
            "collection-member-missing",
            ERROR,
            "a flow's flow_collection lists a flow that answers 404",
            "a flow delete that did not update the collections listing it",
        ),
        FindingType(
            "delete-request-stuck",
            ERROR,
            "a flow-delete-request is still 'created' or 'started' past the limit (--stuck-after)",
            "a delete worker that stopped or failed without marking the request 'error'",
        ),
        FindingType(
            "segments-overlap",
            WARNING,
            "two segments of one flow overlap in time (the spec allows it; players may not "
            "expect it)",
            "segments written twice, or written by two writers for the same timerange",
        ),
    )
}


@dataclass
class Finding:
    """One broken invariant with the ids involved (only those that apply are set)."""

    type: str
    message: str
    source_id: str | None = None
    flow_id: str | None = None
    object_id: str | None = None
    timerange: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        return TYPES[self.type].level

    def as_json(self) -> dict[str, Any]:
        body = {"type": self.type, "level": self.level, "message": self.message}
        body.update({k: v for k, v in asdict(self).items() if k in IDS and v is not None})
        if self.extra:
            body["details"] = self.extra
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Finding:
        return cls(
            type=body["type"],
            message=body["message"],
            **{k: body.get(k) for k in IDS},
            extra=body.get("details") or {},
        )


IDS = ("source_id", "flow_id", "object_id", "timerange")
