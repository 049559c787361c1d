"""What a run adds to results.json for people and CI (kit version, duration, spec versions,
schema validation) and the markdown step summary, from the real runs of conftest.py."""

from __future__ import annotations

import pytest

import tams_conformance
from tams_conformance.report import markdown
from tests.report.conftest import ReportRun

pytestmark = pytest.mark.slow

CHECK_FIELDS = {
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


def test_results_json_keeps_its_fields_and_adds_the_run_facts(failing_run: ReportRun) -> None:
    results = failing_run.results
    assert {
        "run_id",
        "started",
        "finished",
        "strict",
        "targets",
        "summary",
        "cleanup_warnings",
        "checks",
    } <= set(results)
    # `operations` (what the check sent) is there when the check sent a request
    assert all(set(c) - {"operations"} == CHECK_FIELDS for c in results["checks"])
    assert results["kit_version"] == tams_conformance.__version__
    assert isinstance(results["duration_s"], float) and results["duration_s"] > 0
    assert results["spec_versions"] == {"meta": "8.2"}
    assert results["schema_validation"] == "on"


def test_step_summary_has_a_table_per_target_and_every_failure(failing_run: ReportRun) -> None:
    text = failing_run.step_summary.read_text()
    results = failing_run.results
    assert text.startswith("## TAMS conformance: not conformant")
    assert "### meta (TAMS 8.2)" in text
    total = next(line for line in text.splitlines() if line.startswith("| **total** |"))
    header = next(line for line in text.splitlines() if line.startswith("| area |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    values = [int(v) for v in total.strip("|").split("|")[1:]]
    shown = dict(zip(columns, values, strict=True))
    assert shown.pop("total") == len(results["checks"])
    assert {k: v for k, v in shown.items() if v} == results["summary"]
    for check in results["checks"]:
        if check["outcome"] in ("failed", "error"):
            assert f"`{check['id']}`: {markdown.text(check['message'])}" in text


def test_step_summary_of_a_passing_run_lists_no_failures(passing_run: ReportRun) -> None:
    text = passing_run.step_summary.read_text()
    assert text.startswith("## TAMS conformance: conformant")
    assert "Failures and errors" not in text
