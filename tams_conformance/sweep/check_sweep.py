"""The sweep as a conformance check: `sweep.operation[METHOD /path]`, one row per operation.

Collected only by `tams-conformance run --sweep` (the file is outside the checks folder).
MUST: the OpenAPI file documents every status code an operation answers, and a 5xx is never
a documented answer to a client's request; responses follow their schemas.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tams_conformance.levels import MUST, check, unsupported
from tams_conformance.sweep.engine import READ_METHODS, operations_of, spec_yaml, sweep_operation


def _declared_ops() -> tuple[str, ...]:
    """Every operation of the newest spec found here, for `ops=` (empty if none is)."""
    try:
        return tuple(f"{m} {p}" for m, p in operations_of(spec_yaml("8.2", download=False)))
    except Exception:  # no spec at import time: the run's pre-flight says so, not this module
        return ()


# Path parameters a write may use, mapped to what the kit owns; any other id in a write's path
# (webhooks, profiles, objects) names something the kit cannot own, so it is not swept.
OWNED = {"flowId", "sourceId", "name"}
_PARAM = re.compile(r"{([^}]+)}")


def _owned_ids(path: str, factory: Any) -> dict[str, str] | None:
    names = set(_PARAM.findall(path))
    if not names or not names <= OWNED or not names & {"flowId", "sourceId"}:
        return None
    flow = factory.flow()
    return {"flowId": flow["id"], "sourceId": flow["source_id"], "run_tag": factory.run_id}


def _pin(ids: dict[str, str]) -> Any:
    """Rewrite a generated write so it touches only the kit's own flow and source."""

    def prepare(case: Any) -> None:
        for key in ("flowId", "sourceId"):
            if key in (case.path_parameters or {}):
                case.path_parameters[key] = ids[key]
        body = case.body
        if isinstance(body, dict) and case.operation.path == "/flows/{flowId}":
            body["id"], body["source_id"] = ids["flowId"], ids["sourceId"]

    return prepare


@check(
    "sweep.operation",
    MUST,
    "TimeAddressableMediaStore.yaml: the documented responses (status codes and schemas) of "
    "each operation",
    ops=_declared_ops(),
)
def test_generated_requests_get_documented_valid_answers(
    runtime: Any, factory: Any, sweep_op: str, request: pytest.FixtureRequest
) -> None:
    """MUST: Schemathesis-generated requests (valid and edge-case values of every documented
    parameter and body) never get a 5xx, get only status codes the operation documents, and
    responses valid against the operation's schema."""
    config = request.config
    method, _, path = sweep_op.partition(" ")
    yaml_path = spec_yaml(runtime.api_version, config.getoption("tams_spec_dir", None))
    if (method, path) not in operations_of(yaml_path):
        pytest.skip(f"not an operation of TAMS {runtime.api_version}")
    prepare = None
    if method not in READ_METHODS:
        if config.getoption("tams_sweep") != "write":
            pytest.skip("read-only sweep: writes are swept with --sweep=write")
        ids = _owned_ids(path, factory)
        if ids is None:
            pytest.skip("not swept: the write names something the kit cannot own or remove")
        prepare = _pin(ids)
    outcome = sweep_operation(
        runtime,
        yaml_path,
        method,
        path,
        examples=config.getoption("tams_sweep_examples", 10),
        seconds=config.getoption("tams_sweep_seconds", 30.0),
        prepare=prepare,
    )
    assert outcome.sent, f"{sweep_op}: no request was generated within the time budget"
    if outcome.statuses == {404} and "{" not in path:
        # the spec's own "not served" answer for an optional endpoint (GET /service/profiles)
        unsupported(f"{method} {path} answered 404 to every request")
    assert not outcome.problems, outcome.message(sweep_op)
