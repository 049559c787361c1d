"""The result levels, gating and known failures, proved on synthetic checks run by pytester
against the embedded reference target."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest
import yaml

from tams_conformance.report import junit

pytest_plugins = ["pytester"]

CHECKS = textwrap.dedent("""
    from tams_conformance.errors import HarnessError
    from tams_conformance.levels import EXT, MUST, SHOULD, check

    @check("demo.must-pass", MUST, "GET /service")
    def test_must_pass(tams):
        assert tams.get("/service").status_code == 200

    @check("demo.must-fail", MUST, "GET /service")
    def test_must_fail(tams):
        assert tams.get("/service").status_code == 418, "a teapot was expected"

    @check("demo.should-fail", SHOULD, "a recommendation")
    def test_should_fail(tams):
        assert False, "the recommended thing is missing"

    @check("demo.should-crash", SHOULD, "a recommendation")
    def test_should_crash(tams):
        body = tams.get("/service").json()
        assert body["referenced_by_flows"] == []

    @check("demo.ext-cascade", EXT, "vendor extension", profile="cascade")
    def test_ext(tams):
        pass

    @check("demo.since-99", MUST, "future rule", since="99.0")
    def test_future(tams):
        pass

    @check("demo.strict-store-only", MUST, "store rule", store=("strict",))
    def test_store(tams):
        pass

    @check("demo.harness", MUST, "precondition")
    def test_harness(tams):
        raise HarnessError("precondition could not be built")

    @check("demo.known", MUST, "known bug")
    def test_known(tams):
        assert False, "still broken"

    @check("demo.known-fixed", MUST, "fixed bug")
    def test_known_fixed(tams):
        pass
""")


@pytest.fixture
def suite(pytester: pytest.Pytester):
    pytester.makepyfile(test_demo=CHECKS)
    targets = {
        "default": "demo",
        "targets": {
            "demo": {
                "embedded": True,
                "profiles": ["tams"],
                "s3": {"store": "aws"},
                "known_failures": {"demo.known": "bug 1", "demo.known-fixed": {"reason": "bug 2"}},
            }
        },
    }
    (pytester.path / "targets.yaml").write_text(yaml.safe_dump(targets))

    def run(*args: str) -> tuple[pytest.RunResult, dict]:
        result = pytester.runpytest_subprocess(
            "-p",
            "tams_conformance.plugin",
            "--targets-file",
            "targets.yaml",
            "--reports-dir",
            "reports",
            "--run-id",
            "demo-run",
            "-p",
            "no:cacheprovider",
            *args,
        )
        doc = json.loads((pytester.path / "reports/demo-run/results.json").read_text())
        return result, doc

    return run


def outcomes(doc: dict) -> dict[str, str]:
    return {c["id"]: c["outcome"] for c in doc["checks"]}


def test_each_level_maps_to_its_outcome(suite, pytester):
    result, doc = suite()
    assert outcomes(doc) == {
        "demo.must-pass": "passed",
        "demo.must-fail": "failed",
        "demo.should-fail": "warning",
        "demo.should-crash": "error",
        "demo.ext-cascade": "skipped",
        "demo.since-99": "skipped",
        "demo.strict-store-only": "skipped",
        "demo.harness": "error",
        "demo.known": "xfailed",
        "demo.known-fixed": "xpassed",
    }
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["demo.ext-cascade"]["message"].startswith("n/a: ")
    assert "99.0" in by_id["demo.since-99"]["message"]
    assert by_id["demo.must-fail"]["message"] == "a teapot was expected"
    crash = by_id["demo.should-crash"]["message"]
    assert "unexpected KeyError: 'referenced_by_flows'" in crash
    assert "/service -> 200" in crash and '"api_version"' in crash  # the body that caused it
    for check in doc["checks"]:
        assert check["level"] and check["spec_ref"] and check["target"] == "demo"
        assert set(check) - {"operations"} == {
            "id",
            "nodeid",
            "area",
            "level",
            "outcome",
            "spec_ref",
            "target",
            "duration_s",
            "message",
        }
    assert result.ret == 1
    assert doc["schema_validation"] == "on"
    suite = ET.parse(pytester.path / "reports/demo-run/junit.xml").getroot().find("testsuite")
    assert {k: int(suite.get(k)) for k in junit.counts(doc)} == junit.counts(doc)
    assert junit.counts(doc) == {"tests": 10, "failures": 2, "errors": 2, "skipped": 4}
    assert suite.find("properties/property[@name='tams.summary.warning']").get("value") == "1"


def test_strict_turns_should_failures_into_failures(suite):
    _, doc = suite("--tams-strict", "-k", "should")
    assert outcomes(doc) == {"demo.should-fail": "failed", "demo.should-crash": "error"}


def test_a_failing_check_shows_its_transcript_in_the_report(suite, pytester):
    result, _ = suite("-k", "must_fail")
    result.stdout.fnmatch_lines(["*transcript*", "GET http://127.0.0.1:*/service -> 200*"])
    html = (pytester.path / "reports/demo-run/report.html").read_text()
    assert "a teapot was expected" in html
    assert (pytester.path / "reports/latest/results.json").exists()
    assert (pytester.path / "reports/demo-run/junit.xml").exists()


def test_summary_table_counts_per_area_and_target(suite):
    result, _ = suite()
    result.stdout.fnmatch_lines(["*TAMS conformance summary*", "demo*demo*1*1*1*2*3*1*1*"])


def test_a_token_from_the_environment_appears_nowhere_in_the_outputs(pytester, monkeypatch):
    """TAMS_TOKEN is sent as a bearer token, shown redacted in the transcript of a failing
    check, and appears in no output or report file of the run."""
    from tams_reference import ReferenceServer, ServerConfig

    token = "tok-" + "s3cr3t" * 4
    monkeypatch.setenv("TAMS_TOKEN", token)
    pytester.makepyfile(test_demo=CHECKS)
    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        targets = {
            "default": "remote",
            "targets": {
                "remote": {
                    "base_url": server.base_url,
                    "auth": {"type": "bearer", "token": "${TAMS_TOKEN}"},
                }
            },
        }
        (pytester.path / "targets.yaml").write_text(yaml.safe_dump(targets))
        result = pytester.runpytest_subprocess(
            "-p",
            "tams_conformance.plugin",
            "--targets-file",
            "targets.yaml",
            "--reports-dir",
            "reports",
            "--run-id",
            "tok",
            "-k",
            "must_fail or must_pass",
            "-rA",
            "--junitxml",
            "reports/tok/junit.xml",
        )
    output = result.stdout.str() + result.stderr.str()
    assert "Authorization: ***" in output, "the failing check's transcript shows no auth header"
    assert token not in output
    files = [p for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    assert len(files) >= 3
    for path in files:
        assert token not in path.read_text(errors="replace"), f"token leaked into {path}"


CLEANUP_CHECKS = textwrap.dedent("""
    import tams_conformance.fixtures.factory
    from tams_conformance.levels import MUST, check

    @check("demo.fails-after-creating", MUST, "x")
    def test_fails_after_creating(tams, factory):
        flow = factory.flow()
        open("made.txt", "w").write(flow["id"])
        assert False, "fails with a flow on the server"

    @check("demo.cleanup-breaks", MUST, "x")
    def test_cleanup_breaks(tams, factory):
        flow = factory.flow()
        open("stuck.txt", "w").write(flow["id"])
        original = tams_conformance.fixtures.factory.Remover._delete_flow

        def broken(self, flow_id, accepted):
            if flow_id == flow["id"]:
                raise RuntimeError("store refused the delete")
            return original(self, flow_id, accepted)

        tams_conformance.fixtures.factory.Remover._delete_flow = broken

    @check("demo.leaves-a-flow", MUST, "x")
    def test_leaves_a_flow(tams, factory):
        import requests

        # made outside the factory's memory and the transcript, as a killed worker would
        body = factory.flow_body("data")
        assert requests.put(tams.url(f"/flows/{body['id']}"), json=body).status_code == 201
        open("left.txt", "w").write(body["id"])

    @check("demo.makes-a-flow-directly", MUST, "x")
    def test_makes_a_flow_directly(tams, factory):
        body = factory.flow_body("data")  # not through the factory: its cleanup reads the
        assert tams.put(f"/flows/{body['id']}", body).status_code == 201  # transcript
        open("direct.txt", "w").write(body["id"])
""")


def test_cleanup_after_a_failure_warnings_once_and_the_end_of_run_sweep(pytester):
    """Cleanup runs after a failing check; a cleanup problem is one warning, not an error; a
    flow of the run the factory lost track of is swept (and reported) at the end."""
    import requests

    from tams_reference import ReferenceServer, ServerConfig

    pytester.makepyfile(test_demo=CLEANUP_CHECKS)
    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        targets = {"default": "remote", "targets": {"remote": {"base_url": server.base_url}}}
        (pytester.path / "targets.yaml").write_text(yaml.safe_dump(targets))
        result = pytester.runpytest_subprocess(
            "-p",
            "tams_conformance.plugin",
            "--targets-file",
            "targets.yaml",
            "--reports-dir",
            "reports",
            "--run-id",
            "c",
            "-p",
            "no:randomly",
        )

        def status(name: str) -> int:
            flow_id = (pytester.path / name).read_text()
            return requests.get(f"{server.base_url}/flows/{flow_id}", timeout=5).status_code

        assert status("made.txt") == 404, "the failing check's flow was left"
        assert status("left.txt") == 404, "the end-of-run sweep missed a flow of the run"
        assert status("direct.txt") == 404, "the check's own PUT of a flow was not undone"
        assert status("stuck.txt") == 200  # the patched delete refuses it, sweep included
    doc = json.loads((pytester.path / "reports/c/results.json").read_text())
    assert outcomes(doc) == {
        "demo.fails-after-creating": "failed",
        "demo.cleanup-breaks": "passed",
        "demo.leaves-a-flow": "passed",
        "demo.makes-a-flow-directly": "passed",
    }
    stuck = (pytester.path / "stuck.txt").read_text()
    left = (pytester.path / "left.txt").read_text()
    warnings = doc["cleanup_warnings"]
    # the stuck flow keeps its source: counted with its id, once
    [kept] = doc["cleanup"]
    assert (kept["target"], kept["kind"], kept["count"]) == ("remote", "sources", 1)
    assert warnings[0].startswith("target 'remote': 1 sources made by the run remain")
    assert kept["ids"][0] in warnings[0]
    assert warnings[1] == f"cleanup of {stuck}: RuntimeError: store refused the delete"
    assert sorted(w for w in warnings[2:] if w.startswith("sweep")) == sorted(
        f"sweep: flow {fid} of this run was still on the target at the end" for fid in (stuck, left)
    )
    assert len(warnings) == 4, warnings  # the stuck flow's second refusal is not repeated
    result.stdout.fnmatch_lines(["*cleanup warnings*", "*store refused the delete*"])
    assert "error" not in result.stdout.lines[-1]
