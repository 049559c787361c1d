"""Flow Profiles (8.2): create-only technical templates that flows name with ``profile_id``.

A profile is immutable once created (POST of an existing id is 400), and a flow created with
``profile_id`` takes its technical metadata from the profile: a PUT that names a profile and
also carries metadata a profile holds, or names a profile that does not exist, is 400
(flow-put.json ``profile_id``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tams_reference.errors import BadRequest, NotFound
from tams_reference.paging import Page, paginate
from tams_reference.store.common import dumps, is_uuid, loads
from tams_reference.store.db import Database, now_iso

PROFILES_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created_seq INTEGER NOT NULL
);
"""
# The keys of flow_metadata (flow-technical.json plus format and essence_parameters): what a
# profile provides, so what a PUT naming a profile may not carry itself.
PROFILE_KEYS = (
    "format",
    "codec",
    "container",
    "avg_bit_rate",
    "segment_duration",
    "container_mapping",
    "essence_parameters",
)
# profile.json: `created` is managed by the store.
PROFILE_MANAGED = ("created",)


class ProfilesMixin:
    """POST/GET /service/profiles/{id}, GET /service/profiles, and profile_id on flows."""

    db: Database
    validator: Any
    config: Any

    def init_profiles(self) -> None:
        with self.db.lock:
            self.db.conn.executescript(PROFILES_SCHEMA)

    def create_profile(self, profile_id: str, body: Any) -> dict[str, Any]:
        """Create a profile; 404 for a path id that is not a uuid, 400 when it exists."""
        if not is_uuid(profile_id):
            raise NotFound(f"profile id {profile_id!r} is not a lowercase uuid (version 1 to 5)")
        if not isinstance(body, dict):
            raise BadRequest("the profile body must be a JSON object")
        errors = self.validator.validate_request("POST", f"/service/profiles/{profile_id}", body)
        if errors:
            raise BadRequest("invalid profile: " + "; ".join(errors[:3]))
        if body.get("id") != profile_id:
            raise BadRequest(f"body id {body.get('id')!r} differs from the path id {profile_id}")
        if not isinstance(body.get("flow_metadata"), dict):
            raise BadRequest("a profile needs flow_metadata")
        stored = {k: v for k, v in body.items() if k not in PROFILE_MANAGED}
        stored["created"] = now_iso()
        with self.db.write() as conn:
            exists = conn.execute("SELECT 1 FROM profiles WHERE id = ?", (profile_id,)).fetchone()
            if exists is not None and not self.config.has("profile-overwrite"):
                raise BadRequest(f"profile {profile_id} exists; profiles cannot be updated")
            conn.execute(
                "INSERT OR REPLACE INTO profiles (id, body, created_seq) VALUES (?, ?, ?)",
                (profile_id, dumps(stored), self.db.next_seq()),
            )
        return stored

    def get_profile(self, profile_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute("SELECT body FROM profiles WHERE id = ?", (profile_id,)).fetchone()
        if row is None:
            raise NotFound(f"profile {profile_id} does not exist")
        return loads(row["body"])

    def list_profiles(
        self,
        *,
        fmt: str | None = None,
        codec: str | None = None,
        label: str | None = None,
        limit: int,
        page: str | None = None,
    ) -> Page:
        with self.db.read() as conn:
            rows = conn.execute("SELECT body, created_seq FROM profiles").fetchall()
        keyed = []
        for row in rows:
            body = loads(row["body"])
            meta = body.get("flow_metadata", {})
            checks = ((fmt, meta.get("format")), (codec, meta.get("codec")))
            checks += ((label, body.get("label")),)
            if any(wanted is not None and wanted != have for wanted, have in checks):
                continue
            keyed.append(((row["created_seq"],), body))
        return paginate(keyed, limit, page)

    def apply_profile(self, conn: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        """The flow body a PUT naming ``profile_id`` stores: the profile's flow_metadata
        merged in. 400 when the profile is unknown or the body carries profile metadata."""
        if "profile_id" not in body:
            return body
        carried = sorted(key for key in PROFILE_KEYS if key in body)
        if carried:
            raise BadRequest(
                f"a flow naming profile_id may not carry {', '.join(carried)}: the profile holds it"
            )
        row = conn.execute("SELECT body FROM profiles WHERE id = ?", (body["profile_id"],))
        found = row.fetchone()
        if found is None:
            raise BadRequest(f"profile {body['profile_id']} does not exist")
        return {**loads(found["body"])["flow_metadata"], **body}
