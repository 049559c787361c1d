"""`tams-conformance run --sweep` end to end on loopback reference servers: the read sweep
passes and sweeps no write; `--sweep=write` writes only to the flow and source the kit made
(a flow it did not make is unchanged) and leaves nothing behind. A few operations each, with
three generated requests per operation, to stay cheap."""

from __future__ import annotations

import copy
import uuid

import pytest
import requests
import yaml

pytest.importorskip(
    "schemathesis", reason="the sweep extra is not installed: pip install -e '.[sweep]'"
)

from tams_conformance.fixtures.factory import FLOW_TEMPLATES  # noqa: E402
from tests.meta.suite_runner import run_suite  # noqa: E402

FEW = ["--tams-sweep-examples", "3"]


def rows(run) -> dict[str, dict]:
    return {c["id"]: c for c in run.checks if c["id"].startswith("sweep.")}


@pytest.mark.slow
def test_the_read_sweep_passes_on_the_reference_and_sweeps_no_write(tmp_path):
    run = run_suite(tmp_path, cli_args=["--sweep"], pytest_args=["-k", "sweep and service", *FEW])
    found = rows(run)
    assert run.exit_code == 0, run.explain()
    assert found["sweep.operation[GET /service]"]["outcome"] == "passed", run.explain()
    assert found["sweep.operation[GET /service]"]["level"] == "MUST"
    post = found["sweep.operation[POST /service]"]
    assert post["outcome"] == "skipped" and "--sweep=write" in post["message"]
    assert {c["outcome"] for c in found.values()} <= {"passed", "skipped"}, run.explain()


@pytest.mark.slow
def test_the_write_sweep_touches_only_what_the_kit_made(tmp_path):
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        base = server.base_url
        theirs = {
            "id": str(uuid.uuid4()),
            "source_id": str(uuid.uuid4()),
            "label": "not the kit's",
            **copy.deepcopy(FLOW_TEMPLATES["video"]),
        }
        assert requests.put(f"{base}/flows/{theirs['id']}", json=theirs, timeout=10).ok
        before = requests.get(f"{base}/flows/{theirs['id']}", timeout=10).json()
        targets = tmp_path / "remote.yaml"
        entry = {"base_url": base, "profiles": ["tams", "cascade"], "s3": {"store": "strict"}}
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        run = run_suite(
            tmp_path,
            targets_file=targets,
            cli_args=["--sweep=write"],
            pytest_args=["-k", "sweep and label", *FEW],
        )
        found = rows(run)
        assert run.exit_code == 0, run.explain()
        assert found["sweep.operation[PUT /flows/{flowId}/label]"]["outcome"] == "passed"
        assert found["sweep.operation[DELETE /sources/{sourceId}/label]"]["outcome"] == "passed"
        after = requests.get(f"{base}/flows/{theirs['id']}", timeout=10).json()
        assert after == before  # the flow the kit did not make is untouched
        flows = requests.get(f"{base}/flows", timeout=10).json()
        assert [f["id"] for f in flows] == [theirs["id"]]  # what the kit made is gone
        sources = requests.get(f"{base}/sources", timeout=10).json()
        assert [s["id"] for s in sources] == [theirs["source_id"]]
        assert not run.results.get("cleanup_warnings"), run.results["cleanup_warnings"]
