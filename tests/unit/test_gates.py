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

from tams_conformance.checks.test_head import HEAD_PATHS
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


def has_param(version: str, path: str, name: str, method: str = "get") -> bool:
    """Whether the operation takes the query parameter (inline or a components reference)."""
    components = api(version).get("components", {}).get("parameters", {})
    for item in op(version, path, method).get("parameters", []):
        if "$ref" in item:
            item = components.get(item["$ref"].rsplit("/", 1)[-1], {})
        if item.get("name") == name:
            return True
    return False


def has_params(version: str, path: str, *names: str) -> bool:
    return all(has_param(version, path, name) for name in names)


def paging_header(version: str, path: str, header: str) -> bool:
    return header in op(version, path, "get")["responses"]["200"].get("headers", {})


SEGMENTS = "/flows/{flowId}/segments"
OBJECT = "/objects/{objectId}"
INSTANCES = "/objects/{objectId}/instances"
STORAGE = "/flows/{flowId}/storage"


def object_param(name: str, text: str = "") -> Callable[[str], bool]:
    """GET /objects/{objectId} has the query parameter `name` (whose description says `text`)."""
    return lambda v: (
        bool(param(v, OBJECT, "get", name))
        and (text in param(v, OBJECT, "get", name).get("description", ""))
    )


def schema_text(v: str, name: str) -> str:
    """The schema file's text, or "" where the version has no such schema."""
    path = spec_dir() / v / "schemas" / name  # type: ignore[operator]
    return path.read_text() if path.exists() else ""


def schema_props(v: str, name: str) -> dict[str, Any]:
    path = spec_dir() / v / "schemas" / name  # type: ignore[operator]
    return schema(v, name).get("properties", {}) if path.exists() else {}


PROFILE = "/service/profiles/{profileId}"


def has_schema(version: str, name: str) -> str:
    """A schema file's text ('' when the version has no such file)."""
    path = spec_dir() / version / "schemas" / name  # type: ignore[operator]
    return path.read_text() if path.exists() else ""


def essence_closed(version: str, name: str) -> bool:
    """essence_parameters of a flow schema refuses unknown keys."""
    for part in schema(version, name).get("allOf", []):
        essence = part.get("properties", {}).get("essence_parameters", {})
        if essence:
            return False in (
                essence.get("unevaluatedProperties"),
                essence.get("additionalProperties"),
            )
    return False


def head_paths(version: str) -> set[str]:
    return {p for p, ops in api(version)["paths"].items() if "head" in ops}


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
    "lists.flows-filter-tag-array": ("8.2", tag_put_accepts_arrays),
    "lists.flows-filter-empty-timerange": (
        "8.0",
        lambda v: (
            "An empty timerange returns Flows with no content"
            in param(v, "/flows", "get", "timerange").get("description", "")
        ),
    ),
    "lists.flows-bad-query-400-8.2": (
        "8.2",
        lambda v: has_params(
            v,
            "/flows",
            "reverse_order",
            "sort_by",
            "status",
            "init_segments",
            "collected_by_ids",
            "profile_id",
        ),
    ),
    "lists.flows-filter-status": ("8.2", lambda v: has_param(v, "/flows", "status")),
    "lists.flows-filter-init-segments": (
        "8.2",
        lambda v: has_param(v, "/flows", "init_segments"),
    ),
    "lists.flows-filter-profile-id": ("8.2", lambda v: has_param(v, "/flows", "profile_id")),
    "lists.flows-sort-by": ("8.2", lambda v: has_params(v, "/flows", "sort_by", "reverse_order")),
    "lists.sources-sort-by": (
        "8.2",
        lambda v: has_params(v, "/sources", "sort_by", "reverse_order"),
    ),
    "lists.sources-bad-query-400-8.2": (
        "8.2",
        lambda v: has_params(v, "/sources", "sort_by", "reverse_order", "collected_by_ids"),
    ),
    "lists.storage-backends-filters-order": (
        "8.2",
        lambda v: has_params(
            v, "/service/storage-backends", "reverse_order", "tag.{name}", "tag_exists.{name}"
        ),
    ),
    "collections.collected-by-ids-filter": (
        "8.2",
        lambda v: has_param(v, "/flows", "collected_by_ids"),
    ),
    "collections.sources-collected-by-ids": (
        "8.2",
        lambda v: has_param(v, "/sources", "collected_by_ids"),
    ),
    "paging.count-header": ("8.2", lambda v: paging_header(v, "/flows", "X-Paging-Count")),
    "paging.other-listings": (
        "8.2",
        lambda v: (
            has_param(v, "/flow-delete-requests", "limit")
            and has_param(v, "/service/storage-backends", "limit")
        ),
    ),
    "get-urls.accept-get-urls-empty": ("8.0", object_param("accept_get_urls", "empty")),
    "get-urls.accept-get-urls-labels": ("8.0", object_param("accept_get_urls")),
    "get-urls.accept-storage-ids": ("8.0", object_param("accept_storage_ids")),
    "get-urls.presigned-filter": ("8.0", object_param("presigned", "only presigned URLs")),
    "get-urls.verbose-storage": (
        "8.0",
        object_param("verbose_storage", "only `url`, `presigned`, and `label`"),
    ),
    "get-urls.storage-backend-tag": (
        "8.2",
        lambda v: (
            bool(param(v, SEGMENTS, "get", "storage_backend_tag.{name}"))
            and bool(param(v, OBJECT, "get", "storage_backend_tag_exists.{name}"))
        ),
    ),
    "objects.flow-tag-filter": ("8.0", object_param("flow_tag.{name}")),
    "objects.instance-uncontrolled-listed": (
        "8.0",
        lambda v: "201" in op(v, INSTANCES, "post").get("responses", {}),
    ),
    "objects.instance-invalid-400": (
        "8.0",
        lambda v: '"label"' in schema_text(v, "objects-instances-post.json"),
    ),
    "objects.instance-unknown-object-404": (
        "8.1",
        lambda v: "404 MUST be returned" in response(v, INSTANCES, "post", "404"),
    ),
    "objects.instance-delete-by-label": (
        "8.0",
        lambda v: bool(param(v, INSTANCES, "delete", "label")),
    ),
    "objects.last-instance-kept": (
        "8.0",
        lambda v: (
            "SHOULD prevent clients from deleting all"
            in op(v, INSTANCES, "delete").get("description", "")
        ),
    ),
    "objects.instance-controlled-copy": (
        "8.0",
        lambda v: "new Storage Backend" in op(v, INSTANCES, "post").get("description", ""),
    ),
    "timeranges.clusivity-filter": (
        "8.1",
        lambda v: (
            "partially or wholly overlap"
            in param(v, SEGMENTS, "get", "timerange").get("description", "")
        ),
    ),
    "timeranges.flow-timerange-query": (
        "8.1",
        lambda v: (
            "partially or wholly overlap"
            in param(v, "/flows/{flowId}", "get", "timerange").get("description", "")
        ),
    ),
    "segments.reuse-positive-ts-offset": (
        "8.0",
        lambda v: bool(param(v, SEGMENTS, "get", "include_object_timerange")),
    ),
    "segments.object-timerange-kept": (
        "8.0",
        lambda v: "object_timerange" in schema_props(v, "flow-segment-post.json"),
    ),
    "storage.presigned-request": (
        "8.2",
        lambda v: "presigned" in schema_props(v, "flow-storage-post.json"),
    ),
    "upload.non-presigned-put-url": (
        "8.2",
        lambda v: "`put_url`s that are not presigned" in op(v, STORAGE, "post")["description"],
    ),
    "deletion.flow-objects-collected": (
        "8.0",
        lambda v: (
            "no longer referenced by any Segments will be deleted"
            in response(v, "/flows/{flowId}", "delete", "204")
        ),
    ),
    # Flow Profiles and init segments are new in 8.2.
    "profiles.create-then-get": ("8.2", lambda v: PROFILE in api(v)["paths"]),
    "profiles.existing-refused": (
        "8.2",
        lambda v: (
            "MUST reject requests that would update an existing Profile"
            in op(v, PROFILE, "post").get("description", "")
        ),
    ),
    "profiles.unknown-id-404": (
        "8.2",
        lambda v: "404" in op(v, PROFILE, "get").get("responses", {}),
    ),
    "profiles.invalid-body-400": (
        "8.2",
        lambda v: "Invalid Profile JSON" in response(v, PROFILE, "post", "400"),
    ),
    "flows.profile-id-round-trip": (
        "8.2",
        lambda v: "profile_id" in has_schema(v, "flow-put.json"),
    ),
    "flows.profile-id-refusals": (
        "8.2",
        lambda v: "400 validation error" in has_schema(v, "flow-put.json"),
    ),
    "init.allocation-content-type": (
        "8.2",
        lambda v: "content_type" in has_schema(v, "flow-storage-post.json"),
    ),
    "init.segment-init-object": (
        "8.2",
        lambda v: (
            "init_object" in has_schema(v, "flow-segment.json")
            and "init_object_id" in has_schema(v, "flow-segment-post.json")
        ),
    ),
    "init.objects-not-interchangeable": (
        "8.2",
        lambda v: (
            "init segments may not be used as media segments"
            in has_schema(v, "flow-segment-post.json")
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
    "lists.flows-filter-format": lambda v: has_param(v, "/flows", "format"),
    "lists.flows-filter-codec": lambda v: has_param(v, "/flows", "codec"),
    "lists.flows-filter-label": lambda v: has_param(v, "/flows", "label"),
    "lists.flows-filter-frame-size": lambda v: has_params(
        v, "/flows", "frame_width", "frame_height"
    ),
    "lists.flows-filter-tag-values": lambda v: has_param(v, "/flows", "tag.{name}"),
    "lists.flows-filter-tag-exists": lambda v: has_param(v, "/flows", "tag_exists.{name}"),
    "lists.flows-filter-timerange": lambda v: has_param(v, "/flows", "timerange"),
    "lists.flows-bad-query-400": lambda v: "400" in op(v, "/flows", "get")["responses"],
    "lists.sources-filter-label": lambda v: has_param(v, "/sources", "label"),
    "lists.sources-filter-tags": lambda v: has_params(
        v, "/sources", "tag.{name}", "tag_exists.{name}"
    ),
    "lists.sources-filter-format-none": lambda v: has_param(v, "/sources", "format"),
    "lists.sources-bad-query-400": lambda v: "400" in op(v, "/sources", "get")["responses"],
    "collections.flow-collection-round-trip": lambda v: (
        "flow_collection" in flow_common(v)["properties"]
    ),
    "collections.collected-by-maintained": lambda v: "collected_by" in flow_common(v)["properties"],
    "paging.nextkey-follow-to-the-end": lambda v: paging_header(v, "/flows", "X-Paging-NextKey"),
    "paging.limit-above-maximum": lambda v: paging_header(v, "/flows", "X-Paging-Limit"),
    "storage.unknown-flow-404": lambda v: (
        "404" in op(v, "/flows/{flowId}/storage", "post")["responses"]
    ),
    "objects.referenced-by-flows-paging": lambda v: any(
        p.get("$ref", "").endswith("trait_paged_limit")
        for p in op(v, OBJECT, "get").get("parameters", [])
    ),
    "objects.head-and-unknown-404": lambda v: "404" in op(v, OBJECT, "head")["responses"],
    "timeranges.invalid-400": lambda v: (
        all(
            "400" in op(v, path, method)["responses"]
            for path, method in (("/flows", "get"), ("/flows/{flowId}", "get"), (SEGMENTS, "get"))
        )
        and "400" in op(v, SEGMENTS, "delete")["responses"]
    ),
    "timeranges.negative-timestamps": lambda v: schema(v, "timestamp.json")["pattern"].startswith(
        "^-?"
    ),
    "segments.fields-kept": lambda v: (
        {"sample_offset", "last_duration", "key_frame_count"}
        <= set(schema_props(v, "flow-segment-post.json"))
    ),
    "segments.bulk-500": lambda v: "array" in json.dumps(op(v, SEGMENTS, "post")["requestBody"]),
    "head.mirrors-get": lambda v: (
        all("get" in api(v)["paths"][p] for p in head_paths(v)) and head_paths(v) <= set(HEAD_PATHS)
    ),
    "flows.unknown-essence-key-400": lambda v: all(
        essence_closed(v, f"flow-{kind}.json") for kind in ("video", "audio", "data")
    ),
    "flows.bit-rate-round-trip": lambda v: all(
        {"get", "put", "delete"} <= set(api(v)["paths"][f"/flows/{{flowId}}/{attr}"])
        for attr in ("max_bit_rate", "avg_bit_rate")
    ),
    "flows.sub-resource-unknown-flow-404": lambda v: all(
        "404" in o["responses"]
        for path, ops in api(v)["paths"].items()
        if path.startswith("/flows/{flowId}/")
        and path.count("/") >= 3
        and "segments" not in path
        and "storage" not in path
        for m, o in ops.items()
        if m in ("get", "put", "delete")
    ),
    "service.post-updates-name": lambda v: (
        {"200", "400"} <= set(op(v, "/service", "post")["responses"])
        and "name" in schema(v, "service-post.json")["properties"]
    ),
    "sources.sub-resource-unknown-source-404": lambda v: all(
        "404" in o["responses"]
        for path, ops in api(v)["paths"].items()
        if path.startswith("/sources/{sourceId}/")
        for m, o in ops.items()
        if m in ("get", "put", "delete")
    ),
}


@needs_spec
def test_head_check_covers_exactly_the_head_operations_of_8_2():
    """conformance/test_head.py lists the HEAD operations of 8.2, a superset of the others."""
    assert set(HEAD_PATHS) == head_paths("8.2")
    assert len(HEAD_PATHS) == len(set(HEAD_PATHS))


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
