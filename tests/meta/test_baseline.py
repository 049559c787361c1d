"""Meta-test of the regression gate: a baseline from a clean reference run; the same checks with
one reference fault and `--baseline` exit 1 and list exactly the checks the fault breaks; the
faulty run against a baseline that already has the fault exits 0 and reports them as known;
`tams-conformance compare` on the same results gives the same lists.

Runs a few check files only (the upload ones) to stay cheap; the fault's exact set is the one
tests/meta/test_upload_faults.py fixes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.meta.suite_runner import REPO, run_suite
from tests.meta.test_upload_faults import CAUGHT_BY

CHECKS = ("conformance/test_upload.py", "conformance/test_storage_put_url.py")
FAULT = "broken-get-urls"  # breaks exactly CAUGHT_BY[FAULT] and leaves every other verdict


def ids(section: dict, kind: str) -> set[str]:
    return {c["id"] for t in section["targets"] for c in t[kind]}


def compare(old, new) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", "compare", str(old), str(new)]
        + ["--format", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.slow
def test_a_baseline_gates_on_regressions_only(tmp_path):
    base = tmp_path / "baseline.json"
    clean = run_suite(
        tmp_path, checks=CHECKS, cli_args=["--baseline", str(base), "--update-baseline"]
    )
    assert clean.exit_code == 0, clean.explain()
    written = json.loads(base.read_text())
    assert written["kit_version"] and written["targets"][0]["api_version"] == "8.2"
    assert {c["outcome"] for c in written["checks"]} <= {"passed", "skipped"}

    broken = run_suite(tmp_path, checks=CHECKS, faults=[FAULT], cli_args=["--baseline", str(base)])
    assert broken.exit_code == 1, broken.explain()
    assert broken.with_outcome("failed", "warning") == CAUGHT_BY[FAULT], broken.explain()
    # A SHOULD check that now warns has changed, not regressed: the failures are the regressions.
    expected = broken.with_outcome("failed")
    assert expected, broken.explain()
    section = broken.results["baseline"]
    assert ids(section, "regressed") == expected, broken.explain()
    assert ids(section, "known") == set() and ids(section, "fixed") == set()
    regressed_lines = {
        line.split()[1] for line in broken.stdout.splitlines() if line.startswith("REGRESSED ")
    }
    assert regressed_lines == expected, broken.stdout[-3000:]
    by_id = {c["id"]: c for c in broken.checks}
    assert {i for i, c in by_id.items() if c["baseline_status"] == "regressed"} == expected
    html = (broken.folder / "report.html").read_text()
    assert "id='baseline'" in html and all(i in html for i in expected)

    # The same fault against a baseline that already has it: known, not a regression.
    again = run_suite(
        tmp_path, checks=CHECKS, faults=[FAULT], cli_args=["--baseline", str(broken.folder)]
    )
    assert again.exit_code == 0, again.explain()
    known = again.results["baseline"]
    assert ids(known, "regressed") == set() and ids(known, "known") == expected
    for change in (c for t in known["targets"] for c in t["known"]):
        assert change["old_message"] and change["new_message"]  # both messages, side by side
    assert "known     " in again.stdout

    code, cmp = compare(clean.folder / "results.json", broken.folder)
    assert code == 1 and ids(cmp, "regressed") == expected
    assert ids(cmp, "known") == set()
    code, cmp = compare(broken.folder, again.folder / "results.json")
    assert code == 0 and ids(cmp, "regressed") == set() and ids(cmp, "known") == expected
    code, cmp = compare(base, again.folder)  # the baseline file itself is a valid OLD
    assert code == 1 and ids(cmp, "regressed") == expected
