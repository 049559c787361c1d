"""Meta-tests of the storage and upload checks: each upload fault of the reference is caught by
exactly its named checks, and the clean reference passes them all on a strict and an aws store,
serially and with -n 2.

A fault that breaks every upload also leaves the checks that need a working upload without their
precondition: those end as errors (the harness could not test), never as failures or passes, and
only those may.

The checks must not mistake a legitimate server choice for a fault either, and the store checks
must fail when the store lets mistakes through. This module doubles as a pytest plugin for the
suite's subprocess (`-p tests.meta.test_upload_faults`): with VARIANT_ENV set, its
`pytest_configure` turns the embedded target into one of VARIANTS.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

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
    "broken-get-urls": {"upload.get-urls-return-uploaded-bytes"},
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
}
BREAK_UPLOADS = {"sigv2-put-urls", "content-type-signed-not-declared", "wrong-region"}
VARIANT_ENV = "TAMS_META_UPLOAD_VARIANT"
VARIANTS = {
    "lenient-store": "the embedded store is plain moto while the target declares it strict",
}


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


def run_variant(tmp_path, monkeypatch, variant):
    monkeypatch.setenv(VARIANT_ENV, variant)
    return run_suite(tmp_path, checks=CHECKS, pytest_args=["-p", "tests.meta.test_upload_faults"])


@pytest.mark.slow
def test_legitimate_alternative_choices_pass_every_upload_check(tmp_path):
    """Object ids containing '/', SigV4 put_urls signing only host and declaring no
    content-type: a correct server making other choices passes every upload check."""
    run = run_suite(tmp_path, checks=CHECKS, variants=["slash-object-ids", "host-only-put-urls"])
    outcomes = run.outcomes()
    assert run.exit_code == 0 and set(outcomes.values()) <= {"passed", "skipped"}, run.explain()
    # The strict store's Content-Type rule now applies (no content-type is declared) and holds.
    assert outcomes["upload.store-refuses-undeclared-content-type"] == "passed", run.explain()


@pytest.mark.slow
def test_store_checks_fail_when_the_store_lets_mistakes_through(tmp_path, monkeypatch):
    run = run_variant(tmp_path, monkeypatch, "lenient-store")
    assert run.with_outcome("failed", "warning", "error") == {
        "upload.store-refuses-undeclared-x-amz-meta",
        "upload.store-refuses-undeclared-content-md5",
        "upload.store-refuses-other-content-type",
    }, run.explain()
    for check in run.checks:
        if check["outcome"] == "failed":
            assert "answered 200" in check["message"], run.explain()


def pytest_configure(config: pytest.Config) -> None:
    """Plugin hook (suite subprocess only): switch the embedded target to a variant."""
    variant = os.environ.get(VARIANT_ENV)
    if variant == "lenient-store":
        _lenient_store()
    elif variant:
        raise pytest.UsageError(f"{VARIANT_ENV}={variant}: choose one of {', '.join(VARIANTS)}")


def _lenient_store() -> None:
    from mock_s3.server import MockS3

    init = MockS3.__init__

    def lenient_init(self: Any, *args: Any, **kw: Any) -> None:
        init(self, *args, **{**kw, "profile": "lenient"})

    MockS3.__init__ = lenient_init
