"""Pre-flight, as a vendor's CI sees it: each target problem is one line with its exit code,
before any check; a target that fails it is reported once and the others are still checked."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tams_conformance.report import junit
from tests.harness.test_cli import cli, free_port, one_line


class _Answer(BaseHTTPRequestHandler):
    status = 401
    body = b'{"error": "unauthorized"}'
    ctype = "application/json"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(self.status)
        self.send_header("Content-Type", self.ctype)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator:
    """Start a loopback HTTP server answering every GET with a fixed status and body."""
    servers = []

    def start(status: int, body: bytes, ctype: str = "application/json") -> str:
        handler = type("H", (_Answer,), {"status": status, "body": body, "ctype": ctype})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def targets_file(tmp_path: Path, targets: dict, default: str | None = None) -> str:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"default": default or next(iter(targets)), "targets": targets}))
    return str(path)


@pytest.mark.parametrize(
    ("status", "body", "ctype", "words"),
    [
        (401, b'{"error": "no"}', "application/json", "credentials refused"),
        (403, b"{}", "application/json", "credentials refused"),
        (500, b"<html>oops</html>", "text/html", "answered 500"),
        (200, b"<html>login</html>", "text/html", "not JSON"),
        (200, b'{"flows": []}', "application/json", "not a TAMS service object"),
    ],
    ids=["401", "403", "500", "html", "not-a-service"],
)
def test_a_target_problem_on_service_exits_3_in_one_line(
    tmp_path, answering, status, body, ctype, words
):
    url = answering(status, body, ctype)
    tf = targets_file(tmp_path, {"remote": {"base_url": url}})
    reports = tmp_path / "r"
    proc = cli("run", "--targets-file", tf, "--reports-dir", str(reports), "--run-id", "t")
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc.stderr)
    assert "remote" in line and words in line
    assert proc.stdout == ""  # no check ran
    doc = json.loads((reports / "t/results.json").read_text())  # CI still gets the reason
    assert [(c["id"], c["outcome"]) for c in doc["checks"]] == [("preflight", "error")]
    assert line.removeprefix("tams-conformance: ") in doc["checks"][0]["message"]
    assert junit_counts(reports / "latest/junit.xml") == junit.counts(doc)
    assert junit.counts(doc) == {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}


def test_an_unsupported_api_version_exits_2_naming_the_supported_ones(tmp_path, answering):
    url = answering(200, b'{"type": "urn:x-tams:service.example", "api_version": "9.9"}')
    tf = targets_file(tmp_path, {"remote": {"base_url": url}})
    proc = cli("run", "--targets-file", tf, "--reports-dir", str(tmp_path / "r"))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "9.9" in line and "7.0, 8.0, 8.1, 8.2" in line


def offline(tmp_path: Path) -> dict[str, str]:
    """No spec anywhere: no TAMS_SPEC_DIR, an empty cache, and a download that cannot work."""
    return {
        "TAMS_SPEC_DIR": "",
        "TAMS_SPEC_CACHE": str(tmp_path / "empty-cache"),
        "TAMS_SPEC_URL_TEMPLATE": f"http://127.0.0.1:{free_port()}/{{commit}}",
    }


def test_no_spec_exits_2_in_one_line_before_any_check(tmp_path):
    proc = cli("run", "--reports-dir", str(tmp_path / "r"), env=offline(tmp_path))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "TAMS_SPEC_DIR" in line and "--spec-dir" in line and "download" in line
    assert proc.stdout == ""


def test_a_spec_dir_that_does_not_exist_exits_2_in_one_line(tmp_path):
    proc = cli("run", "--spec-dir", str(tmp_path / "nonexistent"), "--reports-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "nonexistent" in one_line(proc.stderr)


def test_no_spec_for_a_remote_target_suggests_no_schemas(tmp_path, answering):
    url = answering(200, b'{"type": "urn:x-tams:service.example", "api_version": "8.1"}')
    tf = targets_file(tmp_path, {"remote": {"base_url": url}})
    proc = cli("run", "--targets-file", tf, "--reports-dir", str(tmp_path), env=offline(tmp_path))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "--no-schemas" in line and "8.1" in line


def test_an_unknown_fault_exits_2_in_one_line_with_a_suggestion(tmp_path):
    tf = targets_file(tmp_path, {"ref": {"embedded": True, "reference": {"faults": ["no-gcc"]}}})
    proc = cli("run", "--targets-file", tf, "--reports-dir", str(tmp_path / "r"))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "no-gcc" in line and "did you mean 'no-gc'?" in line


def test_two_targets_one_down_the_other_is_fully_checked(tmp_path):
    """The target that is down is one target-level error (terminal, results.json, junit); the
    other target runs every selected check; the exit code says a target could not be checked."""
    down = f"http://127.0.0.1:{free_port()}"
    tf = targets_file(
        tmp_path,
        {"ref": {"embedded": True, "profiles": ["tams", "cascade"]}, "down": {"base_url": down}},
    )
    reports = tmp_path / "r"
    proc = cli(
        "run",
        "--targets-file",
        tf,
        "--target",
        "down",
        "--target",
        "ref",
        "--reports-dir",
        str(reports),
        "--run-id",
        "two",
        "--",
        "-k",
        "service or sources",
    )
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr
    assert "'down'" in one_line(proc.stderr) and "unreachable" in proc.stderr
    doc = json.loads((reports / "two/results.json").read_text())
    by_target: dict[str, list[dict]] = {}
    for check in doc["checks"]:
        by_target.setdefault(check["target"], []).append(check)
    assert [c["id"] for c in by_target["down"]] == ["preflight"]
    assert by_target["down"][0]["outcome"] == "error"
    assert "unreachable" in by_target["down"][0]["message"]
    ref = by_target["ref"]
    assert len(ref) >= 10 and {c["outcome"] for c in ref} == {"passed"}
    assert {t["name"]: t["preflight"] == "ok" for t in doc["targets"]} == {
        "ref": True,
        "down": False,
    }
    assert doc["schema_validation"] == "on"
    last = proc.stdout.strip().splitlines()[-1]
    assert last == f"tams-conformance: 1 error, {len(ref)} passed on ref, down (exit 3)"
    assert junit_counts(reports / "two/junit.xml") == junit.counts(doc)


def junit_counts(path: Path) -> dict[str, int]:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    counted = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    assert {k: int(suite.get(k, "-1")) for k in counted} == counted, "attributes != elements"
    return counted


def test_no_schemas_runs_without_a_spec_and_every_output_says_so(tmp_path):
    """Offline, a remote target is checked with --no-schemas on purpose: results.json, the
    terminal summary and the last line say "schema validation: off"."""
    from tams_reference import ReferenceServer, ServerConfig

    reports = tmp_path / "r"
    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        tf = targets_file(tmp_path, {"remote": {"base_url": server.base_url}})
        args = ("run", "--targets-file", tf, "--reports-dir", str(reports), "--run-id", "off")
        # POST /service is n/a on a remote target for another reason (it is not the kit's).
        picked = ("-k", "service and not post_service")
        refused = cli(*args, "--", *picked, env=offline(tmp_path))
        proc = cli(*args, "--no-schemas", "--", *picked, env=offline(tmp_path))
    assert refused.returncode == 2 and "--no-schemas" in one_line(refused.stderr)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    doc = json.loads((reports / "off/results.json").read_text())
    assert doc["schema_validation"] == "off"
    assert "schema validation: off (--no-schemas)" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].endswith("; schema validation: off (exit 0)")
    skipped = [c for c in doc["checks"] if c["outcome"] == "skipped"]
    assert skipped and all("--no-schemas" in c["message"] for c in skipped)


def test_pre_flight_reads_service_with_the_targets_credentials(tmp_path):
    """A bearer target answered 200 only with its token passes; without it, 401 fails."""
    from tams_conformance.config import load_targets
    from tams_conformance.preflight import check_target

    class Guarded(_Answer):
        def do_GET(self) -> None:  # noqa: N802
            ok = self.headers.get("Authorization") == "Bearer s3cr3t-token"
            type(self).status = 200 if ok else 401
            super().do_GET()

    Guarded.body = b'{"type": "urn:x-tams:service.example", "api_version": "8.0"}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), Guarded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        auth = {"type": "bearer", "token": "${TOKEN}"}
        tf = targets_file(tmp_path, {"remote": {"base_url": url, "auth": auth}})
        [target] = load_targets([], tf, {"TOKEN": "s3cr3t-token"})
        verdict = check_target(target, None)
        assert verdict.ok and verdict.api_version == "8.0", verdict.problem
        [wrong] = load_targets([], tf, {"TOKEN": "other"})
        refused = check_target(wrong, None)
        assert refused.exit_code == 3 and "credentials refused" in (refused.problem or "")
        assert "other" not in (refused.problem or "")
    finally:
        server.shutdown()
        server.server_close()
