"""Meta-tests of the objects, get_urls and timerange checks: each reference fault of those
rule families fails exactly its checks (and warns for SHOULD), nothing else fails or errors,
and the clean reference passes them all in both delete modes.

Only the checks of this issue's part run here (the whole suite runs per fault in
test_robustness_faults.py and with every variant in test_variants.py).
"""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

POST = "conformance/test_segments_post.py::"
CHECKS = (
    "conformance/test_objects.py",
    "conformance/test_get_urls.py",
    "conformance/test_timeranges.py",
    POST + "test_overlap_inside_one_bulk_post_leaves_no_overlapping_segments",
    POST + "test_identical_repost_never_duplicates_a_segment",
    POST + "test_reused_object_at_a_positive_offset_keeps_its_own_timerange",
    POST + "test_segment_using_part_of_a_new_object_keeps_the_object_timerange",
    POST + "test_optional_segment_fields_are_returned_as_posted",
    POST + "test_a_bulk_post_of_500_segments_registers_every_one",
    "conformance/test_storage_put_url.py::test_presigned_in_the_request_decides_the_put_urls",
    "conformance/test_upload.py::test_non_presigned_put_url_takes_the_api_credentials",
)


def both(check_id: str) -> set[str]:
    """A get_urls check runs once on segments and once on the object."""
    return {f"{check_id}[segments]", f"{check_id}[object]"}


def clusivity(*cases: str) -> set[str]:
    return {f"timeranges.clusivity-filter[{case}]" for case in cases}


# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "get-urls-unfiltered": set().union(
        *(
            both(f"get-urls.{rule}")
            for rule in (
                "accept-get-urls-empty",
                "accept-get-urls-labels",
                "accept-storage-ids",
                "presigned-filter",
                "storage-backend-tag",
            )
        )
    ),
    # The URL never listed cannot be deleted by its label either (404).
    "instances-not-listed": {
        "objects.instance-uncontrolled-listed",
        "objects.instance-delete-by-label",
    },
    "last-instance-deletable": {"objects.last-instance-kept"},
    "segment-fields-dropped": {
        "segments.fields-kept[sample-offset-count]",
        "segments.fields-kept[last-duration]",
        "segments.fields-kept[key-frame-count]",
    },
    "exclusive-start-ignored": clusivity(
        "exclusive-start-after-end", "exclusive-start-open-end", "inclusive-end-at-start"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_object_fault_is_caught_by_exactly_its_checks(tmp_path, fault):
    run = run_suite(tmp_path, checks=CHECKS, faults=[fault])
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "warning") == CAUGHT_BY[fault], run.explain()
    assert not run.with_outcome("error", "xfailed", "xpassed"), run.explain()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_clean_reference_passes_every_object_check(tmp_path, mode):
    run = run_suite(tmp_path, checks=CHECKS, delete_mode=mode)
    outcomes = run.outcomes()
    assert run.exit_code == 0 and set(outcomes.values()) <= {"passed", "skipped"}, run.explain()
    assert outcomes["objects.instance-controlled-copy"] == "passed", run.explain()
    assert outcomes["upload.non-presigned-put-url"] == "passed", run.explain()
