"""`tams-conformance coverage`: parsing of the checks' `ops`, the operations of a version with
their checks, the operations a run sent, and the comparison of the two."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tams_conformance import cli
from tams_conformance.coverage import (
    EXCLUDED,
    EXTENSION_OPS,
    SpecOperation,
    coverage_of,
    parse_op,
    sent_ops,
    unknown_ops,
    verify,
)
from tams_conformance.levels import MUST, CheckInfo
from tests.unit.test_gates import needs_spec


def info(check_id: str, *ops: str, since: str | None = None) -> CheckInfo:
    return CheckInfo(check_id, MUST, "spec", check_id.split(".")[0], since=since, ops=ops)


def test_an_operation_is_a_method_a_path_and_optional_parameters():
    ref = parse_op("GET /flows?label&tag.{name}")
    assert (ref.method, ref.path, ref.params) == ("GET", "/flows", ("label", "tag.{name}"))
    assert parse_op("DELETE /flows/{flowId}").params == ()
    for bad in ("get /flows", "GET flows", "/flows", "FETCH /flows"):
        with pytest.raises(ValueError, match="METHOD /path"):
            parse_op(bad)


def test_checks_count_for_the_versions_they_apply_to_with_their_parameters():
    ops = [SpecOperation("GET", "/flows", ["label", "tag.{name}"]), SpecOperation("GET", "/", [])]
    checks = [
        info("flows.a", "GET /flows?label"),
        info("flows.b", "GET /flows", since="8.2"),
        info("flows.c", "GET /not-in-this-version"),
    ]
    filled = coverage_of("8.1", checks, ops)
    assert filled[0].checks == ["flows.a"]
    assert filled[0].param_checks == {"label": ["flows.a"]}
    assert filled[1].checks == [] and filled[1].excluded == EXCLUDED.get("GET /")
    again = coverage_of("8.2", checks, [SpecOperation("GET", "/flows", ["label"])])
    assert again[0].checks == ["flows.a", "flows.b"]


def test_declarations_naming_no_operation_are_reported():
    known = {"GET /flows"}
    checks = [info("a.ok", "GET /flows"), info("a.typo", "GET /flow"), info("a.bad", "flows")]
    checks.append(info("a.ext", *EXTENSION_OPS))
    problems = unknown_ops(checks, known)
    assert len(problems) == 2
    assert any("a.typo" in p and "GET /flow " in p for p in problems)
    assert any("a.bad" in p for p in problems)


@needs_spec
def test_the_operations_a_check_sent_are_named_as_the_spec_spells_them():
    from tams_spec import get_validator

    validator = get_validator("8.2")
    base = "http://127.0.0.1:1"

    def api_path(url: str) -> str | None:
        return url.removeprefix(base).split("?")[0] if url.startswith(base) else None

    exchanges = [
        SimpleNamespace(method="GET", url=f"{base}/flows?tag.run=1&limit=2"),
        SimpleNamespace(method="GET", url=f"{base}/flows?label=x"),
        SimpleNamespace(method="PUT", url=f"{base}/flows/abc"),
        SimpleNamespace(method="GET", url="http://127.0.0.1:2/media/abc"),  # the S3 store
        SimpleNamespace(method="GET", url=f"{base}/not-an-operation"),
    ]
    assert sent_ops(exchanges, api_path, validator.operation_for) == [
        "GET /flows?label&limit&tag.{name}",
        "PUT /flows/{flowId}",
    ]


def test_a_declared_operation_or_parameter_the_run_did_not_send_is_a_problem():
    checks = [
        info("flows.a", "GET /flows?label", "PUT /flows/{flowId}"),
        info("flows.b", "GET /flows?tag.{name}"),
        info("flows.never-ran", "GET /"),
    ]
    results = {
        "checks": [
            {"id": "flows.a[t]", "operations": ["GET /flows?label&limit", "PUT /flows/{flowId}"]},
            {"id": "flows.b", "operations": ["GET /flows"]},
        ]
    }
    assert verify(checks, results) == ["flows.b: declares GET /flows?tag.{name} unsent"]
    results["checks"][0]["operations"] = ["GET /flows?label"]
    assert verify(checks, results)[0] == (
        "flows.a: declares PUT /flows/{flowId} but sent no such request"
    )


@needs_spec
def test_the_command_prints_every_operation_of_the_version_as_json(capsys):
    code = cli.main(["coverage", "--version", "8.2", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["version"] == "8.2"
    assert len(doc["operations"]) == 85 and doc["problems"] == []
    first = doc["operations"][0]
    assert set(first) == {"method", "path", "checks", "excluded", "parameters"}
    flows = next(o for o in doc["operations"] if (o["method"], o["path"]) == ("GET", "/flows"))
    assert flows["checks"] and {p["name"] for p in flows["parameters"]} >= {"label", "tag.{name}"}


@needs_spec
def test_an_unknown_version_is_a_usage_error(capsys):
    assert cli.main(["coverage", "--version", "6.0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tams-conformance coverage: ") and err.count("\n") == 1
