"""Embedded targets in processes of their own (tams_conformance.embedded): started once per run
and shared by every process of the run, settings (faults, auth) applied, stopped at the end,
and gone on their own when the run's controller dies. The reference keeps connections alive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from tams_conformance import embedded
from tams_conformance.config import load_targets
from tams_conformance.redact import registered_secrets
from tams_conformance.runtime import open_runtime
from tams_reference.child import owner_alive

REPO = Path(__file__).resolve().parents[2]


def _target(tmp_path: Path, reference: str = "{}"):
    (tmp_path / "targets.yaml").write_text(
        f"targets:\n  t:\n    embedded: true\n    s3: {{store: strict}}\n"
        f"    reference: {reference}\n"
    )
    return load_targets(["t"], str(tmp_path / "targets.yaml"), environ={}, cwd=tmp_path)[0]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    """A controller's run: its folder of embedded targets, ended (everything stopped) after."""
    monkeypatch.delenv(embedded.DIR_ENV, raising=False)
    config = SimpleNamespace()
    embedded.begin(config)
    folder = embedded.shared_dir()
    assert folder is not None and oct(folder.stat().st_mode & 0o777) == "0o700"
    yield SimpleNamespace(config=config, folder=folder)
    embedded.end(config)


def _gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not any(embedded._alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_one_server_per_target_and_run_stopped_at_the_end(tmp_path, run):
    target = _target(tmp_path, "{faults: [no-objects-endpoint], auth: bearer}")
    first = open_runtime(target, "run-1", None, shared=run.folder)
    second = open_runtime(target, "run-1", None, shared=run.folder)
    pids = first.reference.pids
    try:
        assert first.target.base_url == second.target.base_url
        assert pids == second.reference.pids and len(pids) == 2 and os.getpid() not in pids
        # settings apply: the fault (no /objects route) and the made-up bearer token
        flows = first.tams.get("/flows")
        assert flows.status_code == 200
        assert requests.get(first.target.base_url + "/flows", timeout=10).status_code == 401
        assert second.tams.get("/objects/x").status_code == 404
        assert str(second.target.auth.token) in registered_secrets()
        # the mock S3 of the target, reached with its own keys
        first.mock_s3.client.put_object(Bucket="tams-media", Key="k", Body=b"media")
        got = second.mock_s3.client.get_object(Bucket="tams-media", Key="k")["Body"].read()
        assert got == b"media"
        state = json.loads(next(run.folder.glob("*.json")).read_text())
        assert oct(next(run.folder.glob("*.json")).stat().st_mode & 0o777) == "0o600"
        assert state["base_url"] == first.target.base_url
    finally:
        first.close()
        second.close()
    assert all(embedded._alive(p) for p in pids), "close() of a runtime stops a shared server"
    embedded.end(run.config)
    assert _gone(pids) and not run.folder.exists()
    embedded.begin(run.config)  # for the fixture's end()


def test_another_configuration_gets_its_own_server(tmp_path, run):
    plain = open_runtime(_target(tmp_path), "run-1", None, shared=run.folder)
    faulty = open_runtime(
        _target(tmp_path, "{faults: [no-objects-endpoint]}"), "run-1", None, shared=run.folder
    )
    assert plain.target.base_url != faulty.target.base_url
    assert len(list(run.folder.glob("*.json"))) == 2


def test_the_servers_stop_when_the_controller_is_killed(tmp_path, monkeypatch):
    monkeypatch.delenv(embedded.DIR_ENV, raising=False)
    targets = tmp_path / "targets.yaml"
    _target(tmp_path)
    script = (
        "import json, os, sys, types\n"
        "from tams_conformance import embedded\n"
        "from tams_conformance.config import load_targets\n"
        "from tams_conformance.runtime import open_runtime\n"
        "embedded.begin(types.SimpleNamespace())\n"
        f"t = load_targets(['t'], {str(targets)!r}, environ={{}})[0]\n"
        "rt = open_runtime(t, 'run-1', None, shared=embedded.shared_dir())\n"
        "print(json.dumps([rt.reference.pids, str(embedded.shared_dir())]), flush=True)\n"
        "sys.stdin.readline()\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        pids, folder = json.loads(owner.stdout.readline())
        assert all(owner_alive(p) for p in pids)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        assert _gone(pids), "the embedded servers outlived their run"
        deadline = time.monotonic() + 10
        while Path(folder).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(folder).exists()
    finally:
        owner.kill()


def test_the_reference_keeps_connections_alive(tmp_path, run):
    rt = open_runtime(_target(tmp_path), "run-1", None, shared=run.folder)
    session = rt.tams.session
    ports = set()
    for _ in range(5):
        answer = session.get(rt.target.base_url + "/service", stream=True)
        ports.add(answer.raw._connection.sock.getsockname()[1])
        assert answer.headers.get("Connection", "").lower() != "close"
        assert answer.content  # read to the end: the connection goes back to the pool
    assert len(ports) == 1, "every request opened a new connection"


def test_one_watchdog_expires_deadlines_in_order_and_never_a_finished_one():
    """tams_conformance.guarded: one thread for every request deadline of the process."""
    from tams_conformance.guarded import Deadline

    finished = Deadline(0.05)
    with finished:
        pass
    with Deadline(600) as outer:
        with Deadline(0.05) as inner:
            deadline = time.monotonic() + 30
            while not inner.expired and time.monotonic() < deadline:
                time.sleep(0.01)
        assert inner.expired and not outer.expired
    assert not finished.expired, "a deadline that ended in time expired anyway"
