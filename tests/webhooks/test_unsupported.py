"""A target without webhooks (the reference's `no-webhooks` variant: nothing advertised, 404 on
/service/webhooks) gets `unsupported:` skips from every webhook check, never a failure."""

from __future__ import annotations

import pytest

from tests.meta.suite_runner import run_suite

CHECKS = [
    "conformance/test_webhooks.py",
    "conformance/test_webhooks_delivery.py",
    "conformance/test_webhooks_filters.py",
    "conformance/test_service.py",
]


@pytest.mark.slow
def test_webhook_checks_are_unsupported_without_webhooks(tmp_path):
    run = run_suite(tmp_path, checks=CHECKS, variants=["no-webhooks"])
    assert run.exit_code == 0, run.explain()
    hooks = [c for c in run.checks if c["area"] == "webhooks"]
    assert hooks, run.explain()
    assert {c["outcome"] for c in hooks} == {"skipped"}, run.explain()
    assert all(c["message"].startswith("unsupported: ") for c in hooks), run.explain()
    service = run.outcomes()["service.webhooks-advertised-consistently"]
    assert service == "passed", run.explain()
