"""The version gates of the checks, proved against the spec files of each version.

Every check that carries `since=` rests on a rule that first appears in that version: for each
one a predicate reads the official spec (OpenAPI + schemas of 7.0, 8.0, 8.1, 8.2 from
$TAMS_SPEC_DIR) and must hold from `since` on and not before. Checks without a gate that rest on
a rule of every version get a predicate that must hold in all four. docs/levels.md must list
every check with its level and gate (regenerate it with `python -m tests.unit.test_gates`).

Skipped when TAMS_SPEC_DIR does not hold the four versions.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tams_conformance.levels import CheckInfo, version_tuple

VERSIONS = ("7.0", "8.0", "8.1", "8.2")
REPO = Path(__file__).resolve().parents[2]
LEVELS_DOC = REPO / "docs" / "levels.md"


def spec_dir() -> Path | None:
    base = os.environ.get("TAMS_SPEC_DIR")
    if not base:
        return None
    path = Path(base)
    if not all((path / v / "TimeAddressableMediaStore.yaml").exists() for v in VERSIONS):
        return None
    return path


needs_spec = pytest.mark.skipif(spec_dir() is None, reason="TAMS_SPEC_DIR lacks 7.0-8.2")


@functools.cache
def api(version: str) -> dict[str, Any]:
    text = (spec_dir() / version / "TimeAddressableMediaStore.yaml").read_text()  # type: ignore[operator]
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def schema(version: str, name: str) -> dict[str, Any]:
    return json.loads((spec_dir() / version / "schemas" / name).read_text())  # type: ignore[operator]


def op(version: str, path: str, method: str) -> dict[str, Any]:
    return api(version)["paths"].get(path, {}).get(method, {})


def flow_common(version: str) -> dict[str, Any]:
    """The schema of the common flow properties (flow-core.json until 8.1)."""
    name = "flow-common.json" if version_tuple(version) >= (8, 2) else "flow-core.json"
    return schema(version, name)


def param(version: str, path: str, method: str, name: str) -> dict[str, Any]:
    found = [p for p in op(version, path, method).get("parameters", []) if p.get("name") == name]
    return found[0] if found else {}


def response(version: str, path: str, method: str, status: str) -> str:
    return op(version, path, method).get("responses", {}).get(status, {}).get("description", "")


def tag_put_accepts_arrays(v: str) -> bool:
    body = op(v, "/flows/{flowId}/tags/{name}", "put")["requestBody"]["content"]
    return "array" in json.dumps(body["application/json"]["schema"])


SEGMENTS = "/flows/{flowId}/segments"
OBJECT = "/objects/{objectId}"

# check id -> (first version with the rule, predicate "version v has the rule")
GATES: dict[str, tuple[str, Callable[[str], bool]]] = {
    "flows.tag-array-values": ("8.2", tag_put_accepts_arrays),
    "flows.client-timerange-ignored": (
        "8.0",
        lambda v: (
            "MUST ignore this if given in a PUT"
            in flow_common(v)["properties"]["timerange"]["description"]
        ),
    ),
    "storage.put-url-content-type-is-container": (
        "8.2",
        lambda v: (
            "content_type" in schema(v, "flow-storage-post.json")["properties"]
            and "MUST match" in schema(v, "flow-storage.json").get("description", "")
        ),
    ),
    "storage.put-url-expiry": (
        "8.1",
        lambda v: "min_presigned_url_timeout" in schema(v, "service.json")["properties"],
    ),
    "storage.put-url-presigned-flag": (
        "8.2",
        lambda v: (
            "presigned"
            in schema(v, "flow-storage.json")["properties"]["media_objects"]["items"]["properties"]
        ),
    ),
    "service.min-object-timeout": (
        "8.1",
        lambda v: "min_object_timeout" in schema(v, "service.json").get("required", []),
    ),
    "service.presigned-url-timeout-bounds": (
        "8.1",
        lambda v: "min_presigned_url_timeout" in schema(v, "service.json")["properties"],
    ),
    "service.storage-backends": (
        "7.0",
        lambda v: "/service/storage-backends" in api(v)["paths"],
    ),
    "service.webhooks-advertised-consistently": (
        "8.0",
        lambda v: "/service/webhooks/{webhookId}" in api(v)["paths"],
    ),
    "webhooks.by-id-round-trip": (
        "8.0",
        lambda v: {"get", "put", "delete"} <= set(api(v)["paths"].get(WEBHOOK, {})),
    ),
    "webhooks.unknown-id-404": (
        "8.0",
        lambda v: all("404" in op(v, WEBHOOK, m).get("responses", {}) for m in ("get", "put")),
    ),
    "webhooks.status-disabled": (
        "8.0",
        lambda v: (
            "disabled" in json.dumps(op(v, WEBHOOK, "put").get("requestBody", {}))
            or "webhook-put.json" in json.dumps(op(v, WEBHOOK, "put"))
        ),
    ),
    "webhooks.api-key-value-not-shown": (
        "8.0",
        lambda v: "api_key_value" not in schema(v, "webhook.json")["properties"],
    ),
    "segments.negative-ts-offset-accepted": (
        "8.0",
        lambda v: (
            "cannot be negative"
            not in schema(v, "flow-segment-post.json")["properties"]["ts_offset"]["description"]
        ),
    ),
    "segments.sort-honours-clusivity": (
        "8.2",
        lambda v: "clusivity" in op(v, SEGMENTS, "get").get("description", ""),
    ),
    "segments.timerange-filter-overlap": (
        "8.1",
        lambda v: (
            "partially or wholly overlap"
            in param(v, SEGMENTS, "get", "timerange").get("description", "")
        ),
    ),
    "upload.unregistered-object-404": (
        "8.1",
        lambda v: "404 MUST be returned" in response(v, OBJECT, "get", "404"),
    ),
    "deletion.flow-objects-collected": (
        "8.0",
        lambda v: (
            "no longer referenced by any Segments will be deleted"
            in response(v, "/flows/{flowId}", "delete", "204")
        ),
    ),
}

WEBHOOK = "/service/webhooks/{webhookId}"

# Ungated checks whose rule every version states: the predicate holds in all four.
EVERY_VERSION: dict[str, Callable[[str], bool]] = {
    "upload.segment-registered": lambda v: "get" in api(v)["paths"].get(OBJECT, {}),
    "upload.object-reuse-across-flows": lambda v: (
        "referenced_by_flows" in json.dumps(schema(v, "object.json"))
    ),
    "segments.bulk-partial-failure": lambda v: (
        "200" in op(v, SEGMENTS, "post")["responses"]
        and "should continue" in op(v, SEGMENTS, "post")["description"]
    ),
    "segments.list-reverse-order": lambda v: bool(param(v, SEGMENTS, "get", "reverse_order")),
    "segments.object-id-filter": lambda v: bool(param(v, SEGMENTS, "get", "object_id")),
    "segments.post-unknown-flow-404": lambda v: "404" in op(v, SEGMENTS, "post")["responses"],
    "deletion.segments-object-id": lambda v: bool(param(v, SEGMENTS, "delete", "object_id")),
    "deletion.flow-answers-204-or-202": lambda v: (
        {"202", "204"} <= set(op(v, "/flows/{flowId}", "delete")["responses"])
    ),
    "flows.put-replaces-tags": lambda v: (
        "replace" in op(v, "/flows/{flowId}", "put").get("description", "")
    ),
    "storage.existing-object-id-400": lambda v: (
        "already exist" in response(v, "/flows/{flowId}/storage", "post", "400")
    ),
    "storage.unknown-flow-404": lambda v: (
        "404" in op(v, "/flows/{flowId}/storage", "post")["responses"]
    ),
}


def collected_checks() -> dict[str, CheckInfo]:
    """Every check's marker, read from the check modules (tams_conformance.checks)."""
    import tams_conformance.checks as package

    found: dict[str, CheckInfo] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "tams_check":
                    found[mark.args[0].id] = mark.args[0]
    return found


@needs_spec
@pytest.mark.parametrize("check_id", sorted(GATES))
def test_each_gate_is_the_first_version_whose_spec_has_the_rule(check_id):
    since, has_rule = GATES[check_id]
    present = {v: has_rule(v) for v in VERSIONS}
    expected = {v: version_tuple(v) >= version_tuple(since) for v in VERSIONS}
    assert present == expected, f"{check_id}: the rule is in {present}, the gate says {since}"


@needs_spec
@pytest.mark.parametrize("check_id", sorted(EVERY_VERSION))
def test_ungated_rules_are_in_every_version(check_id):
    missing = [v for v in VERSIONS if not EVERY_VERSION[check_id](v)]
    assert not missing, f"{check_id} runs on every version but its rule is not in {missing}"


def test_every_gate_in_code_is_proved_here_and_matches():
    checks = collected_checks()
    gated = {cid: info.since for cid, info in checks.items() if info.since}
    assert gated == {cid: since for cid, (since, _) in GATES.items()}
    assert set(EVERY_VERSION) <= {cid for cid, info in checks.items() if not info.since}


def render_levels_table(checks: dict[str, CheckInfo]) -> str:
    rows = ["| check | level | since | applies to | clause |", "|---|---|---|---|---|"]
    for cid in sorted(checks):
        info = checks[cid]
        clause = info.spec.replace("|", "\\|")
        scope = info.profile + (f", s3.store {'/'.join(info.store)}" if info.store else "")
        rows.append(f"| `{cid}` | {info.level} | {info.since or '7.0'} | {scope} | {clause} |")
    return "\n".join(rows) + "\n"


def test_levels_doc_lists_every_check_with_its_level_and_gate():
    text = LEVELS_DOC.read_text()
    table = render_levels_table(collected_checks())
    assert table in text, "docs/levels.md is stale: run python -m tests.unit.test_gates"


if __name__ == "__main__":  # regenerate the table of docs/levels.md
    doc = LEVELS_DOC.read_text()
    start, end = "<!-- table -->\n", "<!-- /table -->"
    head, _, rest = doc.partition(start)
    _, _, tail = rest.partition(end)
    LEVELS_DOC.write_text(head + start + render_levels_table(collected_checks()) + end + tail)
