"""Two real runs of the suite against the embedded reference, shared by the report tests: one
failing (the `missing-is-success` fault: deletes of missing things answer 204) and one clean.
Both are narrowed with -k to stay quick, and both write a GitHub step summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.meta.suite_runner import SuiteRun, run_suite


@dataclass
class ReportRun:
    run: SuiteRun
    run_dir: Path
    step_summary: Path

    @property
    def results(self) -> dict:
        return self.run.results

    @property
    def page(self) -> Path:
        return self.run_dir / "report.html"


def _run(tmp: Path, select: str, **target_options: object) -> ReportRun:
    summary = tmp / "step-summary.md"
    run = run_suite(
        tmp,
        pytest_args=["-k", select],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
        **target_options,
    )
    assert run.results, run.explain()
    return ReportRun(run, tmp / "reports" / run.results["run_id"], summary)


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    done = _run(
        tmp_path_factory.mktemp("failing"), "missing or service", faults=["missing-is-success"]
    )
    assert done.run.exit_code == 1, done.run.explain()
    return done


@pytest.fixture(scope="session")
def passing_run(tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    done = _run(tmp_path_factory.mktemp("passing"), "service")
    assert done.run.exit_code == 0, done.run.explain()
    return done
