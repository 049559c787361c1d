"""Meta-test of the whole suite against legitimate server choices: the embedded reference with
every variant of tams_reference/variants.py switched on passes every check, in both delete
modes. A check that fails here rejects a correct server.

With async-everywhere on, flow and segment deletes answer 202 whatever the delete mode, which
hides cascade-200-body's flow answers; the third case leaves async-everywhere out so that the
synchronous 200-with-a-body flow deletes meet the checks too.
"""

from __future__ import annotations

import pytest

from tams_reference.variants import ASYNC_EVERYWHERE, NO_WEBHOOKS, VARIANTS
from tests.meta.suite_runner import run_suite

# no-webhooks would turn every webhook check into a skip: tests/webhooks/test_unsupported.py
# runs it on its own, so the webhook checks meet every other variant here.
ALL = tuple(sorted(set(VARIANTS) - {NO_WEBHOOKS}))
CASES = [
    pytest.param(ALL, "sync", id="all-variants-sync"),
    pytest.param(ALL, "async", id="all-variants-async"),
    pytest.param(
        tuple(v for v in ALL if v != ASYNC_EVERYWHERE), "sync", id="all-but-async-everywhere-sync"
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("variants", "delete_mode"), CASES)
def test_every_check_passes_against_the_reference_with_legitimate_variants(
    tmp_path, variants, delete_mode
):
    run = run_suite(tmp_path, checks=(), variants=variants, delete_mode=delete_mode)

    assert run.checks, run.explain()
    [target] = run.results["targets"]
    assert target["reference"]["variants"] == list(variants), "the variants were not applied"
    assert run.with_outcome("failed", "error", "warning") == set(), run.explain()
    assert run.exit_code == 0, run.explain()
