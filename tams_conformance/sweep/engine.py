"""Drive Schemathesis over one operation of the target's spec and judge every answer.

Schemathesis generates the requests (path, query, headers, body) from the official OpenAPI
file of the target's version; they are sent through the kit's own client (the target's
credentials, egress policy, bounds and transcript), and judged by the kit's validator of that
version: no 5xx, a status the operation documents, a body valid against its schema.
Bounded: at most `examples` requests per operation and `seconds` of wall time.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

READ_METHODS = frozenset({"GET", "HEAD"})
METHODS = ("get", "head", "put", "post", "delete", "patch")
# Parameters the sweep never lets Schemathesis make up: credentials belong to the target's
# configuration, not to generated data.
DROPPED_QUERY = frozenset({"access_token"})
DROPPED_HEADERS = frozenset({"authorization", "cookie", "host", "content-length"})
SHOWN = 3  # examples quoted per kind of problem


def spec_yaml(version: str, spec_dir: str | None = None, download: bool = True) -> Path:
    """The OpenAPI file of a version, located like the schemas (tams_spec.locate_spec)."""
    from tams_spec import locate_spec, supported_version
    from tams_spec.fetch import YAML_NAME

    found = locate_spec(supported_version(version), spec_dir, allow_download=download)
    return found / YAML_NAME


def operations_of(yaml_path: Path) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of a spec file, in document order."""
    doc = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    return [
        (method.upper(), path)
        for path, item in (doc.get("paths") or {}).items()
        for method in METHODS
        if method in (item or {})
    ]


@functools.cache
def schema_of(yaml_path: str) -> Any:
    """The Schemathesis schema of a spec file, loaded once per process (it takes seconds)."""
    import schemathesis

    return schemathesis.openapi.from_path(yaml_path)


@dataclass
class Outcome:
    """What one operation's sweep found."""

    sent: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)
    statuses: set[int] = field(default_factory=set)

    def add(self, kind: str, example: str) -> None:
        self.problems.setdefault(kind, []).append(example)

    def message(self, operation: str) -> str:
        parts = []
        for kind, examples in self.problems.items():
            shown = "; ".join(examples[:SHOWN])
            more = f" (and {len(examples) - SHOWN} more)" if len(examples) > SHOWN else ""
            parts.append(f"{kind}: {len(examples)} of {self.sent} requests, e.g. {shown}{more}")
        return f"{operation} swept with {self.sent} generated requests: " + " | ".join(parts)


class _OutOfTime(Exception):
    """Stops Hypothesis once the operation's time budget is spent."""


def _request_of(case: Any, base_url: str) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=base_url.rstrip("/") + "/")
    headers = {
        k: str(v)
        for k, v in (kwargs.get("headers") or {}).items()
        if k.lower() not in DROPPED_HEADERS and not k.lower().startswith("x-schemathesis")
    }
    params = {k: v for k, v in (kwargs.get("params") or {}).items() if k not in DROPPED_QUERY}
    out: dict[str, Any] = {"params": params, "headers": headers}
    if "json" in kwargs:
        out["json_body"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        out["data"] = kwargs["data"]
    return out


def _shown(method: str, path: str, params: Mapping[str, Any], status: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in list(params.items())[:4])
    text = f"{method} {path}{'?' + query if query else ''} -> {status}"
    return text if len(text) <= 160 else text[:157] + "..."


def sweep_operation(
    runtime: Any,
    yaml_path: Path,
    method: str,
    path: str,
    *,
    examples: int,
    seconds: float,
    prepare: Callable[[Any], None] | None = None,
) -> Outcome:
    """Send up to `examples` generated requests for one operation and judge each answer.
    `prepare` may rewrite a case before it is sent (the ids a write may touch)."""
    from hypothesis import HealthCheck, Phase, given, settings

    operation = schema_of(str(yaml_path))[path][method]
    validator = runtime.require_validator()
    client = runtime.raw
    outcome = Outcome()
    deadline = time.monotonic() + seconds

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written to .hypothesis/ in the user's tree
        phases=[Phase.generate],  # no shrinking: every example is judged, none is a failure
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    def one(case: Any) -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime
        if prepare is not None:
            prepare(case)
        request = _request_of(case, client.base_url)
        concrete = case.formatted_path
        try:
            response = client.request(method, concrete, **request)
        except Exception as exc:  # a dropped connection is an answer too: no valid one
            outcome.sent += 1
            outcome.add(
                "no answer", _shown(method, concrete, request["params"], type(exc).__name__)
            )
            return
        outcome.sent += 1
        status = response.status_code
        outcome.statuses.add(status)
        shown = _shown(method, concrete, request["params"], status)
        if status >= 500:
            outcome.add("server error (5xx)", shown)
            return
        op = validator.operation_for(method, concrete)
        if op is None or op.response_for(status) is None:
            outcome.add("status not documented for the operation", shown)
            return
        if method == "HEAD" or not response.content:
            return
        try:
            body = response.json()
        except ValueError:
            if "json" in (response.headers.get("Content-Type") or ""):
                outcome.add("body is not JSON", shown)
            return
        errors = validator.validate_response(
            method, concrete, status, body, response.headers.get("Content-Type")
        )
        if errors:
            outcome.add("response invalid against its schema", f"{shown}: {errors[0][:120]}")

    with contextlib.suppress(_OutOfTime):  # the budget is spent: what was sent is judged
        one()
    return outcome
