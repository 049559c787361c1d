"""Meta-tests of the listing checks: each listing fault of the reference (a filter ignored,
reverse_order ignored, collected_by not maintained, a wrong X-Paging-NextKey, invalid filter
values accepted) is caught by exactly its checks among the list, sort, collection, paging,
flow and source checks, and the clean reference passes them all, serially and with -n 2.

The variants that make the other legal listing choices (small pages, no optional paging
headers, a per-page X-Paging-Count, equal labels newest first) are kept green by the
all-variants meta-test (tests/meta/test_variants.py).
"""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

CHECKS = (
    "conformance/test_lists.py",
    "conformance/test_lists_sort.py",
    "conformance/test_lists_sources.py",
    "conformance/test_collections.py",
    "conformance/test_paging.py",
    "conformance/test_flows.py",
    "conformance/test_sources.py",
)

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "flow-filters-ignored": {
        "lists.flows-filter-codec",
        "lists.flows-filter-frame-size",
        "lists.flows-filter-label",
    },
    "reverse-order-ignored": {"lists.flows-sort-by", "lists.sources-sort-by"},
    "collected-by-not-maintained": {"collections.collected-by-maintained"},
    "paging-nextkey-wrong": {"paging.nextkey-follow-to-the-end"},
    "lax-list-queries": {
        "lists.flows-bad-query-400[format-unknown]",
        "lists.flows-bad-query-400[source-id-not-uuid]",
        "lists.flows-bad-query-400-8.2[codec-not-a-mime-type]",
        "lists.flows-bad-query-400-8.2[collected-by-ids-not-uuids]",
        "lists.flows-bad-query-400-8.2[profile-id-not-uuid]",
        "lists.flows-bad-query-400-8.2[status-unknown]",
        "lists.sources-bad-query-400[format-unknown]",
        "lists.sources-bad-query-400-8.2[collected-by-ids-not-uuids]",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_each_listing_fault_fails_exactly_its_checks(tmp_path, fault):
    run = run_suite(tmp_path, checks=CHECKS, faults=[fault])
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "error", "warning") == CAUGHT_BY[fault], run.explain()


@pytest.mark.slow
@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_clean_reference_passes_every_listing_check(tmp_path, args):
    run = run_suite(tmp_path, checks=CHECKS, pytest_args=args)
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "error", "warning") == set(), run.explain()
    assert run.exit_code == 0, run.explain()
