"""Webhook checks against a remote standalone reference that reaches the runner only through
`webhooks.public_url`: the `tams-conformance reference` command in a subprocess, and a small
TCP forwarder standing in for the tunnel (the receiver listens on one port, the target is
told another, and every delivery goes through the forwarder)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.meta.suite_runner import REPO, run_suite


class Forwarder:
    """Accepts on a loopback port and pipes each connection to `to_port` (the 'tunnel')."""

    def __init__(self, to_port: int) -> None:
        self.to_port = to_port
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Forwarder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.to_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.fixture
def standalone_reference() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tams_conformance.cli", "reference", "--host", "127.0.0.1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("BASE_URL="), proc.stderr.read() if proc.stderr else line
        yield line.strip().split("=", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_webhook_checks_pass_through_public_url(tmp_path: Path, standalone_reference: str):
    listen_port = _free_port()
    with Forwarder(listen_port) as tunnel:
        targets = tmp_path / "targets.yaml"
        entry = {
            "base_url": standalone_reference,
            "profiles": ["tams", "cascade"],
            "webhooks": {
                "listen": f"127.0.0.1:{listen_port}",
                "public_url": f"http://127.0.0.1:{tunnel.port}",
            },
            "timeouts": {"webhook_s": 20},
        }
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        run = run_suite(
            tmp_path,
            targets_file=targets,
            checks=["conformance/test_webhooks_delivery.py", "conformance/test_webhooks.py"],
        )
        assert run.exit_code == 0, run.explain()
        webhook_checks = [c for c in run.checks if c["area"] == "webhooks"]
        assert webhook_checks and all(c["outcome"] == "passed" for c in webhook_checks), (
            run.explain()
        )
        assert tunnel.connections > 0, "no delivery went through webhooks.public_url"
