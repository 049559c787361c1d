"""Meta-tests of the 8.2 surface and flow metadata checks: one fault, exactly its checks.

Each fault below breaks one rule family of issue 12 (HEAD parity, Flow Profiles, init
segments, flow property sub-resources, the root listing). The whole suite runs against it and
the test fixes the exact set of checks that fail (or warn, for SHOULD) and that none ends in
error.
"""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

HEAD_LISTINGS = (
    "flow-delete-requests",
    "flows",
    "flows/{flowId}/segments",
    "service/profiles",
    "service/storage-backends",
    "service/webhooks",
    "sources",
)

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    # Every listing the reference serves sends X-Paging-Limit on GET, so each HEAD lacks it.
    "head-drops-paging-headers": {
        *(f"head.same-headers[{path}]" for path in HEAD_LISTINGS),
        "paging.head-same-headers",
        "objects.head-and-unknown-404",  # HEAD /objects/{id} pages referenced_by_flows
    },
    "profile-overwrite": {"profiles.existing-refused"},
    "init-objects-unchecked": {
        "init.objects-not-interchangeable[init-object-as-media]",
        "init.objects-not-interchangeable[media-object-as-init]",
        "init.objects-not-interchangeable[changed-init-object-id]",
    },
    "rate-delete-ignored": {
        "flows.bit-rate-round-trip[max_bit_rate]",
        "flows.bit-rate-round-trip[avg_bit_rate]",
    },
    "root-omits-paths": {"service.root-lists-served-paths"},
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_fault_fails_exactly_its_checks(tmp_path, fault):
    run = run_suite(tmp_path, faults=[fault])
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "warning") == CAUGHT_BY[fault], run.explain()
    assert run.with_outcome("error") == set(), run.explain()
