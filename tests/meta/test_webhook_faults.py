"""Meta-tests of the webhook faults: each realistic webhook bug fails exactly its checks.

The webhook checks (and the service check about /service/webhooks) run against the reference
with one fault switched on; the test fixes the exact set of checks that fail (or warn, for
SHOULD) and that nothing ends in error. The whole suite's meta-tests (test_*_faults.py) cover
the other faults; webhook checks run there too.
"""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

CHECKS = [
    "conformance/test_webhooks.py",
    "conformance/test_webhooks_delivery.py",
    "conformance/test_webhooks_filters.py",
    "conformance/test_service.py",
]

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "webhook-no-segment-delete-events": {"webhooks.event-flows-segments-deleted"},
    # The early announcement is seen twice: the flow still answers GET when it arrives, and a
    # delete refused with 403 is announced too.
    "webhook-early-flow-deleted": {
        "webhooks.event-flows-deleted",
        "webhooks.no-flows-deleted-for-refused-delete",
    },
    # Every filter case with an excluded flow fails; source-collected-by-none excludes none.
    "webhook-filters-ignored": {
        "webhooks.filter-matching-events-only[flow-collected-by-ids]",
        "webhooks.filter-matching-events-only[flow-collected-by-none]",
        "webhooks.filter-matching-events-only[flow-ids]",
        "webhooks.filter-matching-events-only[source-collected-by-ids]",
        "webhooks.filter-matching-events-only[source-ids]",
    },
    "webhook-no-api-key-header": {"webhooks.api-key-header-sent"},
    "webhook-v7-payload": {"webhooks.event-flows-segments-added"},
}


# Every fault in sync mode; the early flows/deleted also against asynchronous deletes, where
# an event while the flow still answers is allowed ("scheduled for deletion"): only the refused
# delete's announcement gives it away there.
CASES = [(fault, "sync", CAUGHT_BY[fault]) for fault in sorted(CAUGHT_BY)] + [
    ("webhook-early-flow-deleted", "async", {"webhooks.no-flows-deleted-for-refused-delete"})
]


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "delete_mode", "caught_by"), CASES)
def test_webhook_fault_fails_exactly_its_checks(tmp_path, fault, delete_mode, caught_by):
    run = run_suite(tmp_path, checks=CHECKS, faults=[fault], delete_mode=delete_mode)
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "warning") == caught_by, run.explain()
    assert run.with_outcome("error") == set(), run.explain()
