"""A run touches nothing it did not create, and leaves nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests
import yaml

from tests.meta.suite_runner import REPO, run_suite

pytestmark = pytest.mark.slow


def _listing(base: str, path: str) -> list[dict]:
    items, url = [], f"{base}{path}?limit=1000"
    while url:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        items.extend(response.json())
        nxt = response.links.get("next", {}).get("url")
        url = requests.compat.urljoin(base + "/", nxt) if nxt else None
    return sorted(items, key=lambda x: x["id"])


def _volatile_free(items: list[dict]) -> list[dict]:
    return [
        {k: v for k, v in item.items() if k not in ("metadata_updated", "updated")}
        for item in items
    ]


def test_a_full_run_leaves_foreign_flows_unchanged_and_removes_what_it_made(tmp_path):
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        base = server.base_url
        for i in range(3):
            flow_id, source_id = str(uuid.uuid4()), str(uuid.uuid4())
            body = {
                "id": flow_id,
                "source_id": source_id,
                "format": "urn:x-nmos:format:data",
                "codec": "text/plain",
                "container": "text/plain",
                "essence_parameters": {},
                "label": f"foreign {i}",
                "tags": {"owner": "someone else"},
            }
            assert requests.put(f"{base}/flows/{flow_id}", json=body, timeout=10).status_code == 201
        flows_before = _volatile_free(_listing(base, "/flows"))
        sources_before = _volatile_free(_listing(base, "/sources"))

        targets = tmp_path / "targets.yaml"
        targets.write_text(
            yaml.safe_dump(
                {
                    "default": "remote",
                    "targets": {
                        "remote": {
                            "base_url": base,
                            "profiles": ["tams", "cascade"],
                            "s3": {"store": "strict"},
                        }
                    },
                }
            )
        )
        run = run_suite(tmp_path, targets_file=targets)
        assert run.exit_code == 0, run.explain()

        assert _volatile_free(_listing(base, "/flows")) == flows_before
        assert _volatile_free(_listing(base, "/sources")) == sources_before
        # the only thing left: objects some checks upload and never register (no TAMS call
        # deletes them), each counted in cleanup with its id
        assert [c["kind"] for c in run.results["cleanup"]] in ([], ["unregistered objects"])
        assert len(run.results["cleanup_warnings"]) == len(run.results["cleanup"])


def test_ctrl_c_mid_run_still_removes_what_the_run_made(tmp_path):
    """SIGINT (Ctrl-C) while checks are creating flows: the run stops, and what it made is
    deleted on the way out."""
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        base = server.base_url
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            yaml.safe_dump(
                {
                    "default": "remote",
                    "targets": {
                        "remote": {
                            "base_url": base,
                            "profiles": ["tams", "cascade"],
                            "s3": {"store": "strict"},
                        }
                    },
                }
            )
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tams_conformance.cli",
                "run",
                "--targets-file",
                str(targets),
                "--reports-dir",
                str(tmp_path / "reports"),
                "--",
                "-q",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not _listing(base, "/flows"):
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the run never created a flow"
                time.sleep(0.01)
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 3, output
        assert "KeyboardInterrupt" in output or "Interrupted" in output, output
        assert _listing(base, "/flows") == [], "flows made before Ctrl-C were left behind"
        assert _listing(base, "/sources") == [], "sources made before Ctrl-C were left behind"
