"""The authentication checks on the reference with its optional authentication on: every mode
passes, each authentication fault fails exactly its checks, and a target without credentials
skips them as n/a. One suite run over six embedded targets (only conformance/test_auth.py)."""

from __future__ import annotations

import pytest
import yaml

from tests.meta.suite_runner import run_suite

ALL = {"auth.no-credentials-refused", "auth.wrong-credentials-refused", "auth.refusal-is-401"}
# target -> (reference settings, the checks that must fail or warn on it)
TARGETS: dict[str, tuple[dict, set[str]]] = {
    "bearer": ({"auth": "bearer"}, set()),
    "basic": ({"auth": "basic"}, set()),
    "oauth2": ({"auth": "oauth2-client-credentials"}, set()),
    # Reads served to anyone: refused neither without nor with a wrong credential, not 401.
    "reads-open": ({"auth": "bearer", "faults": ["auth-reads-open"]}, ALL),
    # Any credential taken: only the wrong-credential check can see it (writes get through).
    "any-credential": (
        {"auth": "basic", "faults": ["auth-any-credential"]},
        {"auth.wrong-credentials-refused"},
    ),
}


@pytest.mark.slow
def test_auth_checks_pass_every_mode_and_catch_each_fault(tmp_path):
    targets = {
        name: {"embedded": True, "profiles": ["tams", "cascade"], "reference": reference}
        for name, (reference, _) in TARGETS.items()
    }
    targets["no-auth"] = {"embedded": True}
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"default": "bearer", "targets": targets}))
    run = run_suite(
        tmp_path,
        checks=["conformance/test_auth.py"],
        targets_file=path,
        target=list(targets),
    )
    assert run.checks, run.explain()
    for name, (_, caught) in TARGETS.items():
        rows = {c["id"]: c["outcome"] for c in run.checks if c["target"] == name}
        assert set(rows) == ALL, run.explain()
        bad = {cid for cid, outcome in rows.items() if outcome in ("failed", "warning")}
        assert bad == caught, (name, run.explain())
        assert "error" not in rows.values(), run.explain()
    skipped = [c for c in run.checks if c["target"] == "no-auth"]
    assert skipped and all(c["outcome"] == "skipped" for c in skipped), run.explain()
    assert all("no credentials configured" in c["message"] for c in skipped), run.explain()
