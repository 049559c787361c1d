"""The SQL of the listing filters: /flows and /sources answered by indexed queries.

Filters become WHERE clauses over the tables and expression indexes of ``db.py`` (tags and
collection membership are tables kept by triggers), so a filtered listing reads only the rows
it returns, however many other flows the store holds. Sorting and keyset paging stay in
:mod:`tams_reference.paging`, over the matching rows only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A collector that is being deleted no longer collects anything.
LIVE_COLLECTOR = (
    "SELECT m.collector_id FROM flow_members AS m JOIN flows AS c ON c.id = m.collector_id "
    "AND c.deleting = 0 WHERE m.member_id = {member}"
)


@dataclass
class Where:
    """WHERE clauses and their parameters, ANDed."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def equal(self, expression: str, value: Any) -> None:
        if value is not None:
            self.add(f"{expression} = ?", value)

    def sql(self) -> str:
        return " AND ".join(self.clauses) if self.clauses else "1"


def tag_clauses(
    where: Where,
    table: str,
    owner: str,
    id_column: str,
    tags: Mapping[str, list[str]],
    exists: Mapping[str, bool],
) -> None:
    """``tag.{name}`` (any of the values, any array element) and ``tag_exists.{name}``."""
    for name, values in tags.items():
        marks = ",".join("?" * len(values))
        where.add(
            f"{id_column} IN (SELECT {owner} FROM {table} WHERE name = ? AND value IN ({marks}))",
            name,
            *values,
        )
    for name, present in exists.items():
        negate = "" if present else "NOT "
        where.add(
            f"{id_column} {negate}IN (SELECT {owner} FROM {table} "
            "WHERE name = ? AND value IS NULL)",
            name,
        )


def flow_where(
    *,
    source_id: str | None,
    fmt: str | None,
    codec: str | None,
    label: str | None,
    frame_width: int | None,
    frame_height: int | None,
    status: str | None,
    profile_id: str | None,
    init_segments: bool | None,
    tags: Mapping[str, list[str]],
    tag_exists: Mapping[str, bool],
    collected_by_ids: list[str] | None,
    ignored: Iterable[str] = (),
) -> Where:
    """The WHERE of GET /flows; ``ignored`` names filters a fault leaves out."""
    skip = set(ignored)
    where = Where()
    where.add("deleting = 0")
    where.equal("source_id", source_id)
    if "format" not in skip:
        where.equal("json_extract(body, '$.format')", fmt)
    if "codec" not in skip:
        where.equal("json_extract(body, '$.codec')", codec)
    if "label" not in skip:
        where.equal("json_extract(body, '$.label')", label)
    if "frame" not in skip:
        where.equal("json_extract(body, '$.essence_parameters.frame_width')", frame_width)
        where.equal("json_extract(body, '$.essence_parameters.frame_height')", frame_height)
    where.equal("json_extract(body, '$.status')", status)
    where.equal("json_extract(body, '$.profile_id')", profile_id)
    if init_segments is not None:
        # "Assume false if omitted" (flow-*.json essence_parameters.init_segments)
        where.add(
            "COALESCE(json_extract(body, '$.essence_parameters.init_segments'), 0) = ?",
            int(init_segments),
        )
    if "tags" not in skip:
        tag_clauses(where, "flow_tags", "flow_id", "id", tags, tag_exists)
    if collected_by_ids is not None and "collected_by_ids" not in skip:
        parents = LIVE_COLLECTOR.format(member="flows.id")
        if not collected_by_ids:
            where.add(f"NOT EXISTS ({parents})")
        else:
            marks = ",".join("?" * len(collected_by_ids))
            where.add(f"EXISTS ({parents} AND m.collector_id IN ({marks}))", *collected_by_ids)
    return where


def collected_by(conn: sqlite3.Connection, flow_ids: list[str]) -> dict[str, list[str]]:
    """flow id -> the live flows whose flow_collection lists it, oldest collector first."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(flow_ids), 500):  # SQLite's bound-parameter limit
        chunk = flow_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT DISTINCT m.member_id, m.collector_id, c.created_seq FROM flow_members AS m "
            "JOIN flows AS c ON c.id = m.collector_id AND c.deleting = 0 "
            f"WHERE m.member_id IN ({marks}) ORDER BY c.created_seq",
            chunk,
        )
        for row in rows:
            found.setdefault(row["member_id"], []).append(row["collector_id"])
    return found


def source_collections(conn: sqlite3.Connection, source_ids: list[str]) -> dict[str, Any]:
    """Source collections inferred from flow collections (source.json): source id ->
    {"collected_by": [...], "source_collection": [{"id", "role"?}, ...]}."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(source_ids), 400):
        chunk = source_ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT DISTINCT c.source_id AS collector, f.source_id AS member, m.role, "
            "m.position, c.created_seq FROM flow_members AS m "
            "JOIN flows AS c ON c.id = m.collector_id AND c.deleting = 0 "
            "JOIN flows AS f ON f.id = m.member_id AND f.deleting = 0 "
            f"WHERE (c.source_id IN ({marks}) OR f.source_id IN ({marks})) "
            "AND c.source_id != f.source_id ORDER BY c.created_seq, m.position",
            chunk + chunk,
        )
        for row in rows:
            if row["member"] in chunk:
                parents = found.setdefault(row["member"], {}).setdefault("collected_by", [])
                if row["collector"] not in parents:
                    parents.append(row["collector"])
            if row["collector"] in chunk:
                items = found.setdefault(row["collector"], {}).setdefault("source_collection", [])
                if all(item["id"] != row["member"] for item in items):
                    item = {"id": row["member"]}
                    if row["role"] is not None:
                        item["role"] = row["role"]
                    items.append(item)
    return found


def source_collected_clause(where: Where, collected_by_ids: list[str]) -> None:
    """``collected_by_ids`` of GET /sources over the inferred source collections."""
    parents = (
        "SELECT c.source_id FROM flow_members AS m "
        "JOIN flows AS c ON c.id = m.collector_id AND c.deleting = 0 "
        "JOIN flows AS f ON f.id = m.member_id AND f.deleting = 0 "
        "WHERE f.source_id = sources.id AND c.source_id != sources.id"
    )
    if not collected_by_ids:
        where.add(f"NOT EXISTS ({parents})")
    else:
        marks = ",".join("?" * len(collected_by_ids))
        where.add(f"EXISTS ({parents} AND c.source_id IN ({marks}))", *collected_by_ids)


def sort_key(body: dict[str, Any], seq: int, sort_by: str, ties_newest: bool) -> tuple[Any, ...]:
    """The unique key a listing sorts by: ``created`` is creation order, ``metadata_updated`` /
    ``updated`` the timestamp then creation order, ``label`` the label then id, unlabelled
    after (the spec's fallback to id); ``ties_newest`` orders equal labels newest first."""
    if sort_by == "label":
        if "label" not in body:
            return (1, body["id"], 0)
        return (0, body["label"], -seq) if ties_newest else (0, body["label"], body["id"])
    if sort_by in ("metadata_updated", "updated"):
        return (body.get(sort_by, ""), seq)
    return (seq,)
