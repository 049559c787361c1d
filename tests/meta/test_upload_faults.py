"""Meta-tests of the storage and upload checks: each upload fault of the reference is caught by
exactly its named checks, and the clean reference passes them all on a strict and an aws store,
serially and with -n 2.

A fault that breaks every upload also leaves the checks that need a working upload without their
precondition: those end as errors (the harness could not test), never as failures or passes, and
only those may.

The checks must not mistake a legitimate server choice for a fault either, and the store checks
must fail when the store lets mistakes through. The last two meta-tests check a *remote* target
(a reference server started here, as a vendor's would be), so the store checks read back
through the server's get_urls rather than through an embedded mock.
"""

from __future__ import annotations

import pytest
import yaml

from tests.meta.suite_runner import run_suite

CHECKS = (
    "conformance/test_storage.py",
    "conformance/test_storage_put_url.py",
    "conformance/test_upload.py",
    "conformance/test_upload_store.py",
)

# fault -> the checks that must fail (or warn, for SHOULD) against it, and no other.
CAUGHT_BY: dict[str, set[str]] = {
    "sigv2-put-urls": {
        "storage.put-url-sigv4",
        "storage.put-url-declared-headers-signed",
        "upload.declared-headers-accepted",
    },
    "content-type-signed-not-declared": {
        "storage.put-url-signed-headers-declared",
        "upload.declared-headers-accepted",
    },
    "short-expiry": {"storage.put-url-expiry"},
    "wrong-region": {"storage.put-url-region", "upload.declared-headers-accepted"},
    "object-visible-before-registration": {"upload.unregistered-object-404"},
    "broken-get-urls": {
        "upload.get-urls-return-uploaded-bytes",
        "upload.non-presigned-put-url",  # reads its upload back through the get_urls
    },
}

# Checks whose arrangement uploads media: an upload fault leaves them in error.
NEED_AN_UPLOAD = {
    "storage.existing-object-id-400",
    "upload.segment-registered",
    "upload.get-urls-return-uploaded-bytes",
    "upload.object-reuse-across-flows",
    "upload.store-refuses-undeclared-x-amz-meta",
    "upload.store-refuses-undeclared-content-md5",
    "upload.store-refuses-undeclared-content-type",
    "upload.store-refuses-other-content-type",
    "upload.unregistered-object-404",  # registers one object to prove /objects is served
}
BREAK_UPLOADS = {"sigv2-put-urls", "content-type-signed-not-declared", "wrong-region"}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_upload_fault_is_caught_by_exactly_its_checks(tmp_path, fault):
    run = run_suite(tmp_path, checks=CHECKS, faults=[fault])
    assert run.checks, run.explain()
    assert run.with_outcome("failed", "warning") == CAUGHT_BY[fault], run.explain()
    allowed_errors = NEED_AN_UPLOAD if fault in BREAK_UPLOADS else set()
    assert run.with_outcome("error") <= allowed_errors, run.explain()


@pytest.mark.slow
@pytest.mark.parametrize("store", ["strict", "aws"])
@pytest.mark.parametrize("workers", [None, 2], ids=["serial", "n2"])
def test_clean_reference_passes_every_upload_check(tmp_path, store, workers):
    args = ["-n", str(workers)] if workers else []
    run = run_suite(tmp_path, checks=CHECKS, store=store, pytest_args=args)
    assert run.exit_code == 0, run.explain()
    outcomes = run.outcomes()
    assert outcomes and set(outcomes.values()) <= {"passed", "skipped"}, run.explain()
    assert "upload.store-refuses-undeclared-x-amz-meta" in outcomes
    assert outcomes["upload.declared-headers-accepted"] == "passed"


@pytest.mark.slow
def test_legitimate_alternative_choices_pass_every_upload_check(tmp_path):
    """Object ids containing '/', SigV4 put_urls signing only host and declaring no
    content-type: a correct server making other choices passes every upload check."""
    run = run_suite(tmp_path, checks=CHECKS, variants=["slash-object-ids", "host-only-put-urls"])
    outcomes = run.outcomes()
    assert run.exit_code == 0 and set(outcomes.values()) <= {"passed", "skipped"}, run.explain()
    # The strict store's Content-Type rule now applies (no content-type is declared) and holds.
    assert outcomes["upload.store-refuses-undeclared-content-type"] == "passed", run.explain()


def run_remote(tmp_path, s3_profile: str):
    """The upload checks against a standalone reference whose own mock S3 runs `s3_profile`,
    declared to the suite as a remote target with a strict store."""
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0, s3_profile=s3_profile) as srv:
        targets = tmp_path / "remote.yaml"
        entry = {
            "base_url": srv.base_url,
            "profiles": ["tams", "cascade"],
            "s3": {"store": "strict"},
        }
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        return run_suite(tmp_path, checks=CHECKS, targets_file=targets)


@pytest.mark.slow
def test_a_remote_strict_target_passes_every_upload_check(tmp_path):
    run = run_remote(tmp_path, "strict")
    outcomes = run.outcomes()
    assert run.exit_code == 0 and set(outcomes.values()) <= {"passed", "skipped"}, run.explain()
    assert outcomes["upload.store-refuses-undeclared-x-amz-meta"] == "passed", run.explain()


@pytest.mark.slow
def test_store_checks_fail_when_the_store_lets_mistakes_through(tmp_path):
    """A store declared strict that is really lenient: exactly the three store checks that apply
    fail, each saying the mistake was accepted, and the read-back through get_urls shows it."""
    run = run_remote(tmp_path, "lenient")
    assert run.with_outcome("failed", "warning", "error") == {
        "upload.store-refuses-undeclared-x-amz-meta",
        "upload.store-refuses-undeclared-content-md5",
        "upload.store-refuses-other-content-type",
    }, run.explain()
    for check in run.checks:
        if check["outcome"] == "failed":
            assert "answered 200" in check["message"], run.explain()
