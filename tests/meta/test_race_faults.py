"""Meta-test of the race checks' reliability: their rounds run concurrently and a race is a
matter of timing, so each race fault of the reference must be caught in every one of 10 runs,
not only in most. Cheap: only the race check file runs, once per fault, each check repeated 10
times in that run (pytest-repeat's --count: ids `deletion.race-flow-delete[3-10]`, each
repetition with flows of its own).

The race faults (tams_reference/faults.py) are those a delete/write race reveals:
``check-then-delete`` (a POST landing between the dependency check and the delete is orphaned)
and ``segments-for-missing-flow`` (a POST landing after the delete is stored under the gone
flow). Both race checks see each of them (tests/meta/test_deletion_faults.py and
test_robustness_faults.py fix the same checks within the whole suite).
"""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

CHECKS = ("conformance/test_deletion_race.py",)
RUNS = 10
RACE_CHECKS = {"deletion.race-cascade-false", "deletion.race-flow-delete"}
RACE_FAULTS = ("check-then-delete", "segments-for-missing-flow")
FAST = {"timeouts": {"object_gc_s": 2, "async_delete_s": 5, "poll_interval_s": 0.05}}


@pytest.mark.slow
@pytest.mark.parametrize("fault", RACE_FAULTS)
def test_each_race_fault_is_caught_by_both_race_checks_in_every_run(tmp_path, fault):
    args = ["--count", str(RUNS)]
    result = run_suite(tmp_path, checks=CHECKS, faults=[fault], extra=FAST, pytest_args=args)
    expected = {f"{check}[{i}-{RUNS}]" for check in RACE_CHECKS for i in range(1, RUNS + 1)}
    assert result.with_outcome("failed", "warning") == expected, result.explain()
    assert set(result.outcomes()) == expected, result.explain()
    for c in result.checks:
        assert "rounds raced" in c["message"], result.explain()
