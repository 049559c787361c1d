"""Helpers shared by the store's entity modules: JSON columns, id checks, tag filters."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from tams_reference.errors import BadRequest, Forbidden, NotFound

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def is_uuid(value: object) -> bool:
    """True for an id the spec's uuid.json accepts (lowercase, version 1 to 5)."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str) -> Any:
    return json.loads(text)


def check_tag_value(value: object) -> None:
    """Tag values are a string or an array of strings (tags.json, >= 8.0); else 400."""
    if isinstance(value, str):
        return
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return
    raise BadRequest("a tag value must be a string or an array of strings")


def check_string(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a JSON string")


def tags_match(
    tags: Mapping[str, Any], wanted: Mapping[str, list[str]], exists: Mapping[str, bool]
) -> bool:
    """Apply ``tag.{name}`` (any listed value, any array element) and ``tag_exists.{name}``."""
    for name, values in wanted.items():
        if name not in tags:
            return False
        have = tags[name] if isinstance(tags[name], list) else [tags[name]]
        if not set(have) & set(values):
            return False
    return all((name in tags) == present for name, present in exists.items())


def flow_row(conn: sqlite3.Connection, flow_id: str) -> sqlite3.Row:
    """The live flow row; a flow pending asynchronous deletion counts as gone (404)."""
    row = conn.execute("SELECT * FROM flows WHERE id = ? AND deleting = 0", (flow_id,)).fetchone()
    if row is None:
        raise NotFound(f"flow {flow_id} does not exist")
    return row


def writable_flow_row(conn: sqlite3.Connection, flow_id: str) -> sqlite3.Row:
    """The live flow row, or 403 when it is marked read_only."""
    row = flow_row(conn, flow_id)
    if row["read_only"]:
        raise Forbidden(f"flow {flow_id} is read_only; set read_only to false first")
    return row
