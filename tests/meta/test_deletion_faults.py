"""Meta-tests of the deletion checks: each deletion fault of the reference is caught by exactly
its named checks, and the clean reference passes them all, in sync and async delete mode,
serially and with -n 2, with and without the cascade extension, and when it makes every other
legitimate choice it knows (tams_reference/variants.py: 202 everywhere, an absolute Location,
200 with a body for cascade deletes, object ids with '/', garbage collection half a second
late, ...).
"""

from __future__ import annotations

from typing import Any

import pytest

from tams_reference.variants import VARIANTS
from tests.meta.suite_runner import run_suite

CHECKS = (
    "conformance/test_deletion_spec.py",
    "conformance/test_deletion_spec_segments.py",
    "conformance/test_deletion_cascade.py",
    "conformance/test_deletion_race.py",
)
# The reference collects garbage at once: short waits keep the faulty runs quick.
FAST = {"timeouts": {"object_gc_s": 2, "async_delete_s": 5, "poll_interval_s": 0.05}}

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "ignore-cascade": {
        "deletion.flow-with-segments",
        "deletion.flow-answers-204-or-202",
        "deletion.flow-objects-collected",
        "deletion.source-goes-with-last-flow",
        "deletion.segments-timerange-coverage[third-partly-covered]",
        "deletion.segments-timerange-coverage[first-partly-covered]",
        "deletion.segments-timerange-coverage[exactly-one]",
        "deletion.segments-timerange-coverage[everything]",
        "deletion.segments-timerange-coverage[no-timerange-is-everything]",
        "deletion.segments-object-id",
        "deletion.cascade-refused[source-has-flows-cascade-false]",
        "deletion.cascade-refused[flow-has-segments-cascade-false]",
        "deletion.cascade-removes-below[source-has-flows-cascade-true]",
        "deletion.cascade-removes-below[flow-has-segments-cascade-true]",
        "deletion.cascade-removes-below[segments-objects-unshared-cascade-none]",
        "deletion.cascade-shared-object-safe[segments-object-shared-cascade-false]",
        "deletion.cascade-default[source-has-flows-cascade-none]",
        "deletion.cascade-default[flow-has-segments-cascade-none]",
        "deletion.race-cascade-false",
        "deletion.race-flow-delete",
    },
    "cascade-rows-only": {
        "deletion.flow-with-segments",
        "deletion.flow-answers-204-or-202",
        "deletion.flow-objects-collected",
        "deletion.cascade-removes-below[source-has-flows-cascade-true]",
        "deletion.cascade-removes-below[flow-has-segments-cascade-true]",
        "deletion.cascade-default[source-has-flows-cascade-none]",
        "deletion.cascade-default[flow-has-segments-cascade-none]",
        "deletion.race-flow-delete",
    },
    "cascade-string-truthy": {
        "deletion.cascade-refused[source-has-flows-cascade-false]",
        "deletion.cascade-refused[flow-has-segments-cascade-false]",
        "deletion.cascade-invalid-value[source-has-flows-cascade-maybe]",
        "deletion.cascade-invalid-value[flow-has-segments-cascade-maybe]",
        "deletion.cascade-invalid-value[segments-object-shared-cascade-maybe]",
        "deletion.race-cascade-false",
    },
    "partial-conflict": {
        "deletion.cascade-refused[source-has-flows-cascade-false]",
        "deletion.cascade-refused[flow-has-segments-cascade-false]",
        "deletion.cascade-shared-object-safe[segments-object-shared-cascade-false]",
        "deletion.race-cascade-false",
    },
    "gc-shared-objects": {
        "deletion.flow-with-segments",
        "deletion.segments-object-id",
        "deletion.cascade-removes-below[source-has-flows-cascade-true]",
        "deletion.cascade-removes-below[flow-has-segments-cascade-true]",
        "deletion.cascade-default[source-has-flows-cascade-none]",
        "deletion.cascade-default[flow-has-segments-cascade-none]",
    },
    "no-gc": {
        "deletion.flow-objects-collected",
        "deletion.cascade-removes-below[source-has-flows-cascade-true]",
        "deletion.cascade-removes-below[flow-has-segments-cascade-true]",
        "deletion.cascade-removes-below[segments-objects-unshared-cascade-none]",
    },
    "read-only-ignored": {
        "deletion.flow-read-only-403",
        "deletion.segments-read-only-403",
        "deletion.cascade-read-only-403[flow-read-only-cascade-false]",
        "deletion.cascade-read-only-403[flow-read-only-cascade-true]",
    },
    "check-then-delete": {"deletion.race-cascade-false", "deletion.race-flow-delete"},
    "missing-is-success": {
        "deletion.flow-missing-404[never-existed]",
        "deletion.flow-missing-404[already-deleted]",
        "deletion.segments-refused[unknown-flow]",
        "deletion.cascade-missing-404[source-missing-cascade-false]",
        "deletion.cascade-missing-404[source-missing-cascade-true]",
        "deletion.cascade-missing-404[flow-missing-cascade-false]",
        "deletion.cascade-missing-404[flow-missing-cascade-true]",
        "deletion.cascade-missing-404[segments-flow-missing-cascade-false]",
        "deletion.cascade-missing-404[segments-flow-missing-cascade-true]",
        "deletion.cascade-source-without-flows[source-no-flows-cascade-false]",
    },
}
# Applies only to targets without the cascade extension (n/a on the reference's default).
WITHOUT_EXTENSION_ONLY = {"deletion.source-delete-not-in-spec"}


def assert_all_pass(run: Any, skipped: set[str]) -> dict[str, str]:
    """Exit 0, every check passed but `skipped` (n/a), each with a level and spec reference."""
    outcomes = run.outcomes()
    assert run.exit_code == 0, run.explain()
    assert {k for k, v in outcomes.items() if v != "passed"} == skipped, run.explain()
    assert all(outcomes[k] == "skipped" for k in skipped), run.explain()
    assert all(c["level"] and c["spec_ref"] for c in run.checks), run.explain()
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_deletion_fault_is_caught_by_exactly_its_checks(tmp_path, fault):
    run = run_suite(tmp_path, checks=CHECKS, faults=[fault], extra=FAST)
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "warning") == CAUGHT_BY[fault], run.explain()
    assert not run.with_outcome("error", "xfailed", "xpassed"), run.explain()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("workers", [None, 2], ids=["serial", "n2"])
def test_clean_reference_passes_every_deletion_check(tmp_path, mode, workers):
    args = ["-n", str(workers)] if workers else []
    run = run_suite(tmp_path, checks=CHECKS, delete_mode=mode, pytest_args=args, extra=FAST)
    outcomes = assert_all_pass(run, WITHOUT_EXTENSION_ONLY)
    assert sum(v == "passed" for v in outcomes.values()) >= 25, run.explain()


@pytest.mark.slow
def test_reference_without_the_extension_passes_the_spec_deletion_checks(tmp_path):
    run = run_suite(tmp_path, checks=CHECKS, profiles=["tams"], cascade_extension=False, extra=FAST)
    extension = {c["id"] for c in run.checks if c["level"] == "EXT"}
    assert extension and all(
        c["message"].startswith("n/a:") for c in run.checks if c["id"] in extension
    )
    outcomes = assert_all_pass(run, extension)
    assert outcomes["deletion.source-delete-not-in-spec"] == "passed"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_legitimate_alternative_choices_pass_every_deletion_check(tmp_path, mode):
    run = run_suite(
        tmp_path,
        checks=CHECKS,
        delete_mode=mode,
        variants=sorted(VARIANTS),
        extra=FAST,
    )
    assert_all_pass(run, WITHOUT_EXTENSION_ONLY)
