"""Meta-tests of the deletion checks: each deletion fault of the reference is caught by exactly
its named checks, and the clean reference passes them all, in sync and async delete mode,
serially and with -n 2, with and without the cascade extension, and when it makes other
legitimate choices (object ids with '/', an absolute Location, 200 with a body for cascade
deletes, garbage collection half a second late).

This module doubles as a pytest plugin for the suite's subprocess
(`-p tests.meta.test_deletion_faults`): with VARIANT_ENV set, its `pytest_configure` turns the
embedded reference into the alternative server before it starts.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest

from tests.meta.suite_runner import run_suite

CHECKS = (
    "conformance/test_deletion_spec.py",
    "conformance/test_deletion_spec_segments.py",
    "conformance/test_deletion_cascade.py",
    "conformance/test_deletion_race.py",
)
# The reference collects garbage at once: short waits keep the faulty runs quick.
FAST = {"timeouts": {"object_gc_s": 2, "poll_interval_s": 0.05}}

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "ignore-cascade": {
        "deletion.flow-with-segments",
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
VARIANT_ENV = "TAMS_META_DELETION_VARIANT"
GC_DELAY_S = 0.5


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
def test_legitimate_alternative_choices_pass_every_deletion_check(tmp_path):
    run = run_suite(
        tmp_path,
        checks=CHECKS,
        delete_mode="async",
        pytest_args=["-p", "tests.meta.test_deletion_faults"],
        env={VARIANT_ENV: "alternative-server"},
        extra=FAST,
    )
    assert_all_pass(run, WITHOUT_EXTENSION_ONLY)


def pytest_configure(config: pytest.Config) -> None:
    """Plugin hook (suite subprocess only): switch the embedded reference to a variant."""
    variant = os.environ.get(VARIANT_ENV)
    if variant == "alternative-server":
        _alternative_server()
    elif variant:
        raise pytest.UsageError(f"{VARIANT_ENV}={variant}: the only variant is alternative-server")


def _alternative_server() -> None:
    """Object ids with '/', an absolute Location, 200 + JSON body for source deletes and for
    flow deletes given a cascade value, and objects collected GC_DELAY_S after their last
    reference goes (the reference itself collects at once)."""
    from tams_reference.handlers import deletes
    from tams_reference.httputil import json_response
    from tams_reference.store.deletes import DeletesMixin
    from tams_reference.store.segments import SegmentsMixin

    allocate = SegmentsMixin._new_object_ids

    def slashed_ids(self: Any, conn: Any, body: dict[str, Any]) -> list[str]:
        ids = allocate(self, conn, body)
        return ids if "object_ids" in body else [f"media/{uuid.uuid4()}/{i}" for i in ids]

    def vendor_style(handler: Any, always: bool) -> Any:
        def respond(api: Any, request: Any, **values: Any) -> Any:
            response = handler(api, request, **values)
            if "Location" in response.headers:
                response.headers["Location"] = (
                    request.host_url.rstrip("/") + response.headers["Location"]
                )
            if response.status_code == 204 and (always or "cascade" in request.args):
                return json_response({"message": "deleted"}, status=200)
            return response

        return respond

    release = DeletesMixin._release

    def late_release(self: Any, conn: Any, object_ids: Any) -> list[str]:
        ids = sorted(object_ids)
        for oid in ids:  # references go at once, as referenced_by_flows must say
            conn.execute(
                "DELETE FROM object_refs WHERE object_id = ? AND flow_id NOT IN "
                "(SELECT flow_id FROM segments WHERE object_id = ?)",
                (oid, oid),
            )

        def collect() -> None:
            time.sleep(GC_DELAY_S)
            try:
                with self.db.write() as later:
                    gone = release(self, later, ids)
                self.media.delete(gone)
            except Exception:  # noqa: BLE001 - the server may have stopped meanwhile
                return

        threading.Thread(target=collect, daemon=True).start()
        return []

    SegmentsMixin._new_object_ids = slashed_ids
    DeletesMixin._release = late_release
    for name in ("delete_source", "delete_flow", "delete_segments"):
        setattr(deletes, name, vendor_style(getattr(deletes, name), name == "delete_source"))
