"""tams_spec.SpecValidator against the official spec files (TAMS_SPEC_DIR, set by CI)."""

from __future__ import annotations

import ast
import copy
import functools
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import tams_spec
from tams_spec import SUPPORTED_VERSIONS, SpecUnavailable, SpecValidator, locate_spec
from tams_spec.openapi import Operation

FLOW_ID = "6101df05-06bb-41b8-8af4-cf7cd33df209"


@functools.cache
def _validator(version: str) -> SpecValidator:
    return SpecValidator(locate_spec(version, allow_download=False))


def spec(version: str) -> SpecValidator:
    """The validator of version, or a skip saying how to provide the spec files."""
    try:
        return _validator(version)
    except SpecUnavailable as exc:
        pytest.skip(f"spec files unavailable, set TAMS_SPEC_DIR (CI does): {exc}")


def example(version: str, name: str) -> Any:
    return json.loads((spec(version).root / "examples" / name).read_text())


def concrete(template: str) -> str:
    """A request path for a template; objectId gets an encoded slash, as clients must send."""

    def value(match: re.Match[str]) -> str:
        return "a%2Fb" if match[1] == "objectId" else FLOW_ID

    return re.sub(r"\{([^}]+)\}", value, template)


def example_refs(media: dict[str, Any]) -> list[str]:
    """The example files a media type object points at (``example: $ref`` or externalValue)."""
    refs = []
    single = media.get("example")
    if isinstance(single, dict) and isinstance(single.get("$ref"), str):
        refs.append(single["$ref"])
    for named in (media.get("examples") or {}).values():
        if "externalValue" in named:
            refs.append(named["externalValue"])
        elif isinstance(named.get("value"), dict) and "$ref" in named["value"]:
            refs.append(named["value"]["$ref"])
    return refs


def json_media(owner: Any) -> dict[str, Any]:
    return ((owner or {}).get("content") or {}).get("application/json") or {}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_example_referenced_by_the_yaml_validates_against_its_schema(version):
    validator = spec(version)
    used, failures = set(), []
    for op in validator.operations():
        path = concrete(op.template)
        owners = [(int(code), resp) for code, resp in op.responses.items() if code.isdigit()]
        for status, owner in [*owners, (None, op.request_body)]:
            for ref in example_refs(json_media(owner)):
                used.add(ref)
                body = json.loads((validator.root / ref).read_text())
                if status is None:
                    errors = validator.validate_request(op.method, path, body)
                else:
                    errors = validator.validate_response(op.method, path, status, body)
                if errors:
                    failures.append((ref, op.operation_id, status, errors))
    assert used, "the yaml references no example files"
    assert failures == []


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_schema_and_operation_compiles_with_all_refs_resolved(version):
    validator = spec(version)
    for name in sorted(p.name for p in (validator.root / "schemas").glob("*.json")):
        validator.validate_schema(name, {})
    for op in validator.operations():
        path = concrete(op.template)
        assert validator.operation_for(op.method, path) is op, op.operation_id
        for code in op.statuses():  # compiles each schema (HEAD has no body to check)
            validator.validate_response(op.method, path, code, None)
        validator.validate_request(op.method, path, None)


# Sanity facts of tams-spec-facts.md section 1.4 (8.2).


def test_storage_request_with_limit_and_object_ids_together_fails():
    errors = spec("8.2").validate_schema(
        "flow-storage-post.json", {"limit": 2, "object_ids": ["a"]}
    )
    assert len(errors) == 1 and "(flow-storage-post.json)" in errors[0]


def test_video_flow_without_frame_rate_fails_flow_put_naming_the_missing_property():
    flow = example("8.2", "flow-get-200-video-h264.json")
    flow["essence_parameters"].pop("frame_rate")
    errors = spec("8.2").validate_schema("flow-put.json", flow)
    assert errors == ["$.essence_parameters: 'frame_rate' is a required property (flow-video.json)"]


def test_uppercase_uuid_fails_and_lowercase_uuid4_passes():
    validator = spec("8.2")
    upper = str(uuid.uuid4()).upper()
    assert validator.validate_schema("uuid.json", str(uuid.uuid4())) == []
    errors = validator.validate_schema("uuid.json", upper)
    assert len(errors) == 1 and errors[0].startswith(f"$: '{upper}' does not match")
    flow = dict(example("8.2", "flow-put.json"), source_id=upper)
    errors = validator.validate_request("PUT", f"/flows/{FLOW_ID}", flow)
    assert any(e.startswith("$.source_id: ") and e.endswith("(uuid.json)") for e in errors)


def test_storage_response_with_an_extra_top_level_key_fails():
    body = dict(example("8.2", "flow-storage-post-201.json"), next="abc")
    errors = spec("8.2").validate_response("POST", f"/flows/{FLOW_ID}/storage", 201, body)
    assert errors == [
        "$: Additional properties are not allowed ('next' was unexpected) (flow-storage.json)"
    ]


def test_put_url_without_content_type_passes():
    body = example("8.2", "flow-storage-post-201.json")
    for item in body["media_objects"]:
        item["put_url"].pop("content-type", None)
    assert spec("8.2").validate_response("POST", f"/flows/{FLOW_ID}/storage", 201, body) == []


def test_segment_with_empty_timerange_passes_because_the_regex_is_lax():
    segment = dict(example("8.2", "flow-segment-post.json"), timerange="")
    assert spec("8.2").validate_request("POST", f"/flows/{FLOW_ID}/segments", segment) == []


# Operation matching.


@pytest.mark.parametrize(
    ("method", "path", "template", "operation_id"),
    [
        (
            "GET",
            f"/flows/{FLOW_ID}/segments",
            "/flows/{flowId}/segments",
            "GET_flows-flowId-segments",
        ),
        ("get", f"/flows/{FLOW_ID}", "/flows/{flowId}", "GET_flows-flowId"),
        ("HEAD", f"/flows/{FLOW_ID}/segments", "/flows/{flowId}/segments", None),
        ("GET", "/flows?limit=5&page=x", "/flows", "GET_flows"),
        ("GET", "/objects/a%2Fb", "/objects/{objectId}", None),
        ("POST", "/objects/media%2Fclip%2F1.ts/instances", "/objects/{objectId}/instances", None),
        ("GET", "/service/storage-backends", "/service/storage-backends", None),
        ("GET", "/service/webhooks/hook-1", "/service/webhooks/{webhookId}", None),
        ("GET", "/", "/", "GET_root"),
    ],
)
def test_operation_for_matches_the_path_template(method, path, template, operation_id):
    op = spec("8.2").operation_for(method, path)
    assert op is not None and op.template == template and op.method == method.upper()
    assert operation_id is None or op.operation_id == operation_id


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("DELETE", "/service"), ("GET", "/objects/a/b"), ("GET", "/flows//tags")],
)
def test_operation_for_undocumented_requests_is_none(method, path):
    assert spec("8.2").operation_for(method, path) is None


def test_head_maps_to_its_own_operation_not_to_get():
    validator = spec("8.2")
    head = validator.operation_for("HEAD", "/flows")
    assert head is not None and head is not validator.operation_for("GET", "/flows")
    assert head.operation_id == "HEAD_flows"


def test_response_statuses_lists_the_documented_codes():
    validator = spec("8.2")
    assert {202, 204, 404} <= validator.response_statuses("DELETE", f"/flows/{FLOW_ID}")
    assert validator.response_statuses("GET", "/nope") == set()


# validate_response / validate_request.


def test_validate_response_accepts_the_flows_list_example():
    flows = example("8.2", "flows-get-200.json")
    assert spec("8.2").validate_response("GET", "/flows", 200, flows) == []


def test_validate_response_names_the_item_the_message_and_the_schema_file():
    flows = example("8.2", "flows-get-200.json")
    flows[1] = copy.deepcopy(flows[1])
    flows[1]["id"] = "not-a-uuid"
    errors = spec("8.2").validate_response("GET", "/flows", 200, flows)
    assert errors == [
        "$[1].id: 'not-a-uuid' does not match "
        "'^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "
        "(uuid.json)"
    ]


def test_validate_response_caps_the_number_of_errors():
    bad = [{"id": f"bad-{i}", "label": 1} for i in range(10)]
    errors = spec("8.2").validate_response("GET", "/flows", 200, bad)
    assert 1 <= len(errors) <= 5


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("HEAD", "/flows", 200),
        ("GET", "/flows", 418),
        ("DELETE", f"/flows/{FLOW_ID}", 204),
        ("GET", "/undocumented", 200),
    ],
)
def test_validate_response_checks_nothing_without_a_documented_json_schema(method, path, status):
    assert spec("8.2").validate_response(method, path, status, {"anything": True}) == []


def test_validate_response_reports_a_non_json_content_type():
    errors = spec("8.2").validate_response("GET", "/flows", 200, [], content_type="text/html")
    assert errors == ["$: Content-Type 'text/html' is not application/json (GET /flows 200)"]
    ok = "application/json; charset=utf-8"
    assert spec("8.2").validate_response("GET", "/flows", 200, [], content_type=ok) == []


def test_validate_request_checks_put_flow_bodies():
    validator = spec("8.2")
    flow = example("8.2", "flow-put.json")
    assert validator.validate_request("PUT", f"/flows/{FLOW_ID}", flow) == []
    del flow["source_id"]
    assert validator.validate_request("PUT", f"/flows/{FLOW_ID}", flow) == [
        "$: 'source_id' is a required property (flow-common.json)"
    ]


def test_validate_schema_of_an_unknown_file_is_a_key_error():
    with pytest.raises(KeyError, match="no-such.json"):
        spec("8.2").validate_schema("no-such.json", {})


def test_spec_validator_loads_from_a_folder_path():
    validator = SpecValidator(spec("8.2").root)
    assert validator.version == "8.2" and len(validator.operations()) == 85


def test_response_for_prefers_the_exact_code_then_the_range_then_default():
    responses = {"200": {"description": "ok"}, "2XX": {"description": "range"}, "default": {}}
    op = Operation("GET", "/", "GET_root", responses, None)
    assert op.response_for(200) is responses["200"]
    assert op.response_for(201) is responses["2XX"]
    assert op.response_for(500) is responses["default"]
    assert op.statuses() == {200}


def test_the_package_is_neutral_and_loads_jsonschema_only_when_validating():
    code = (
        "import sys, tams_spec; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'tams_conformance', 'tams_reference', 'mock_s3', 'jsonschema', 'yaml'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    for source in Path(tams_spec.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        }
        roots = {name.split(".")[0] for name in imported}
        assert not roots & {
            "tams_conformance",
            "fixtures",
            "conformance",
            "tams_reference",
            "mock_s3",
        }, source.name
