"""The command's pytest run is its own: a pytest config where it is started never applies, its
cache lives in the reports folder, and `run --last-failed` reruns exactly what failed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.meta.suite_runner import write_targets
from tests.packaging.layout import REPO

# A vendor's pytest config that would break any pytest run that read it.
HOSTILE_INI = "[pytest]\naddopts = --an-option-of-the-vendor\npython_files = nothing_*.py\n"
FAULTY_CHECKS = ("conformance/test_deletion_spec.py", "conformance/test_deletion_spec_segments.py")


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ran(reports: Path, run_id: str) -> dict[str, str]:
    """nodeid -> outcome of every check of one run."""
    results = json.loads((reports / run_id / "results.json").read_text())
    return {c["nodeid"]: c["outcome"] for c in results["checks"]}


def test_list_ignores_the_pytest_config_of_its_directory(tmp_path):
    (tmp_path / "pytest.ini").write_text(HOSTILE_INI)
    proc = cli(tmp_path, "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) > 50
    assert not (tmp_path / ".pytest_cache").exists()


@pytest.mark.slow
def test_run_ignores_the_pytest_config_of_its_directory(tmp_path):
    (tmp_path / "pytest.ini").write_text(HOSTILE_INI)
    (tmp_path / "tox.ini").write_text(HOSTILE_INI.replace("[pytest]", "[tool:pytest]"))
    proc = cli(tmp_path, "run", "--run-id", "one", "--", "-k", "test_service and not test_head")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "configfile: tams_conformance/pytest.ini" in proc.stdout  # not the repo's pyproject
    outcomes = ran(tmp_path / "reports", "one")
    assert outcomes and all(n.startswith("conformance/test_service.py::") for n in outcomes)
    # pytest's cache is kept beside the reports, not in the directory the command runs in.
    assert (tmp_path / "reports" / ".pytest_cache").is_dir()
    assert not (tmp_path / ".pytest_cache").exists()


@pytest.mark.slow
def test_last_failed_reruns_exactly_the_failed_checks(tmp_path):
    targets = write_targets(tmp_path / "targets.yaml", faults=["missing-is-success"])
    reports = tmp_path / "reports"
    common = ["run", "--targets-file", str(targets), "--reports-dir", str(reports)]

    first = cli(tmp_path, *common, "--run-id", "one", "--", *[str(REPO / c) for c in FAULTY_CHECKS])
    assert first.returncode == 1, first.stdout[-3000:] + first.stderr[-2000:]
    outcomes = ran(reports, "one")
    failed = {n for n, o in outcomes.items() if o in ("failed", "error")}
    assert failed and len(failed) < len(outcomes), outcomes

    # The whole suite is selected again; only what failed before runs.
    second = cli(tmp_path, *common, "--run-id", "two", "--last-failed")
    assert second.returncode == 1, second.stdout[-3000:] + second.stderr[-2000:]
    assert set(ran(reports, "two")) == failed

    # pytest's own flag after --, with xdist workers reading the same cache.
    third = cli(tmp_path, *common, "--run-id", "three", "--", "--lf", "-n", "2")
    assert third.returncode == 1, third.stdout[-3000:] + third.stderr[-2000:]
    assert set(ran(reports, "three")) == failed
    assert set(ran(reports, "three").values()) <= {"failed", "error"}
