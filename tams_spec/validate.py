"""Validate TAMS request and response bodies against the official schemas of one version.

Used by the conformance harness (every response, against the schema of its operation and
status) and by the reference server (request bodies such as PUT /flows/{flowId}).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from tams_spec.fetch import YAML_NAME
from tams_spec.locate import locate_spec
from tams_spec.openapi import JSON_MEDIA_TYPE, Operation, Router, json_schema_of, load_operations
from tams_spec.schemas import SchemaSet

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # safe either way; C is 10x faster


class SpecValidator:
    """The operations and schemas of one spec version folder (see locate_spec)."""

    def __init__(self, version_dir: Path) -> None:
        self.root = Path(version_dir)
        text = (self.root / YAML_NAME).read_text(encoding="utf-8")
        self.document: dict[str, Any] = yaml.load(text, Loader=_YAML_LOADER)
        self.version: str = str(self.document.get("info", {}).get("version", self.root.name))
        self._schemas = SchemaSet(self.root, self.document)
        self._operations = load_operations(self.document, self._schemas.resolve_oas)
        self._router = Router(self._operations)

    def __repr__(self) -> str:
        return f"SpecValidator(version={self.version!r}, root={str(self.root)!r})"

    def operations(self) -> list[Operation]:
        """All documented path operations, in document order."""
        return list(self._operations)

    def operation_for(self, method: str, path: str) -> Operation | None:
        """The operation of a concrete path relative to the API base, e.g. ``/flows/<id>``."""
        return self._router.match(method, path)

    def response_statuses(self, method: str, path: str) -> set[int]:
        """Documented status codes of the operation; empty if the operation is undocumented."""
        op = self.operation_for(method, path)
        return op.statuses() if op else set()

    def validate_response(
        self,
        method: str,
        path: str,
        status: int,
        body: Any,
        content_type: str | None = None,
    ) -> list[str]:
        """Errors of a response body against its documented JSON schema (empty if valid).

        Nothing is checked when the operation or status is undocumented or has no JSON schema,
        nor for HEAD (no body). A content_type that is not JSON, where JSON is documented, is an
        error of its own.
        """
        op = self.operation_for(method, path)
        if op is None or op.method == "HEAD":
            return []
        response = op.response_for(status)
        schema = json_schema_of(response)
        if schema is None:
            return []
        what = f"{op.method} {op.template} {status}"
        if content_type is not None and not _is_json(content_type):
            return [f"$: Content-Type {content_type!r} is not {JSON_MEDIA_TYPE} ({what})"]
        return self._schemas.errors(self._schemas.for_yaml_schema(schema), body)

    def validate_request(self, method: str, path: str, body: Any) -> list[str]:
        """Errors of a request body against the operation's requestBody JSON schema."""
        op = self.operation_for(method, path)
        schema = json_schema_of(op.request_body) if op else None
        if schema is None:
            return []
        return self._schemas.errors(self._schemas.for_yaml_schema(schema), body)

    def event_types(self) -> list[str]:
        """The event types of the version's ``webhooks:`` section, in document order."""
        return list((self.document.get("webhooks") or {}).keys())

    def validate_event(self, event_type: str, body: Any) -> list[str]:
        """Errors of a webhook delivery body against its event's schema (``webhooks:``
        section of the yaml); KeyError when the version has no such event."""
        events = self.document.get("webhooks") or {}
        if event_type not in events:
            raise KeyError(f"no webhook event {event_type!r} in TAMS {self.version}")
        request_body = self._schemas.resolve_oas(events[event_type]["post"]["requestBody"])
        schema = json_schema_of(request_body)
        if schema is None:
            return []
        return self._schemas.errors(self._schemas.for_yaml_schema(schema), body)

    def validate_schema(self, name: str, instance: Any) -> list[str]:
        """Errors of instance against a schema file, e.g. ``"flow-put.json"``; KeyError if none."""
        return self._schemas.errors(self._schemas.for_file(name), instance)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or media_type.endswith("+json")


@functools.cache
def _validator_for(version_dir: Path) -> SpecValidator:
    return SpecValidator(version_dir)


@functools.cache
def get_validator(version: str, spec_dir: str | Path | None = None) -> SpecValidator:
    """The validator of a version, located with locate_spec and loaded once per process.

    Results are cached per (version, spec_dir): later changes to TAMS_SPEC_DIR are not seen.
    """
    return _validator_for(locate_spec(version, spec_dir).resolve())
