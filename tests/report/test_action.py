"""The composite GitHub Action (action.yml): its inputs, that the token only travels in the
environment, that the reports are uploaded even after a failure, and its run script executed
for real against the embedded reference (the kit installed in this checkout's venv)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.meta.suite_runner import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]


def step(name: str) -> dict:
    return next(s for s in STEPS if s.get("name") == name)


def test_inputs_of_the_action() -> None:
    assert ACTION["runs"]["using"] == "composite"
    wanted = {"base-url", "token", "targets-file", "profiles", "pytest-args", "python-version"}
    assert wanted <= set(ACTION["inputs"])


def test_inputs_reach_scripts_only_through_the_environment() -> None:
    for s in STEPS:
        assert "${{" not in s.get("run", ""), f"step {s.get('name')} splices an expression"
    run = step("Run the conformance checks")
    assert run["env"]["TAMS_TOKEN"] == "${{ inputs.token }}"
    assert "TAMS_TOKEN" not in run["run"]


def test_reports_are_uploaded_whatever_the_outcome() -> None:
    upload = step("Upload the reports")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert upload["with"]["path"].endswith("${{ inputs.reports-dir }}/latest")


@pytest.mark.slow
def test_run_script_checks_the_embedded_reference_and_writes_the_summary(tmp_path: Path) -> None:
    run = step("Run the conformance checks")
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {
        **os.environ,
        "VENV": str(Path(sys.executable).parent.parent),
        "TAMS_BASE_URL": "",
        "TAMS_TOKEN": "",
        "TAMS_PROFILES": "",
        "TARGETS_FILE": "",
        "TARGET": "",
        "PYTEST_ARGS": "-k service -p no:randomly",
        "STRICT": "false",
        "REPORTS_DIR": "out",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert output.read_text() == "exit-code=0\n"
    assert (tmp_path / "out" / "latest" / "report.html").is_file()
    assert summary.read_text().startswith("## TAMS conformance: conformant")
