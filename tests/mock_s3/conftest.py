"""Stores for the mock_s3 tests: gated stores in-process (MockS3) and from outside (the CLI).

Each store is started lazily once per session (per xdist worker) and stopped at the end.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config

from mock_s3 import MockS3
from mock_s3.wsgi import plain_moto

PROFILES = ("lenient", "aws", "strict")
BUCKET = "media"
ACCESS_KEY = "AKIAMOCKS3TESTS00001"
SECRET_KEY = "mock-s3-test-secret-0123456789abcdefghij"
STARTUP_TIMEOUT = 30
# One session for every client: each new session would reload botocore's service models.
_SESSION = boto3.session.Session()


@dataclass
class Store:
    """An S3 endpoint under test and what a client needs to talk to it."""

    name: str
    endpoint: str
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = "us-east-1"
    mock: MockS3 | None = None
    _clients: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)

    def client(self) -> Any:
        """A header-signed SigV4 boto3 client (how a server sets up buckets and objects)."""
        return self.presigner("s3v4")

    def presigner(
        self,
        signature_version: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
    ) -> Any:
        """A boto3 client (cached: creating one costs more than a request)."""
        key = (
            signature_version,
            access_key or self.access_key,
            secret_key or self.secret_key,
            region or self.region,
        )
        if key not in self._clients:
            self._clients[key] = _SESSION.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=key[3],
                aws_access_key_id=key[1],
                aws_secret_access_key=key[2],
                config=Config(signature_version=signature_version, s3={"addressing_style": "path"}),
            )
        return self._clients[key]


class CliServer:
    """``python -m mock_s3 serve`` in a subprocess, driven from outside like a vendor would."""

    def __init__(self, *args: str, stderr_path: str | None = None) -> None:
        self._stderr = open(stderr_path or os.devnull, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mock_s3", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.first_line = _read_line(self.proc, STARTUP_TIMEOUT)
        if not self.first_line.startswith("ENDPOINT="):
            self.stop()
            raise RuntimeError(f"mock_s3 serve printed {self.first_line!r} instead of ENDPOINT=")
        self.endpoint = self.first_line.strip().partition("=")[2]

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()
            self._stderr.close()


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


@pytest.fixture(scope="session")
def stores() -> Iterator[Callable[[str, str], Store]]:
    """``stores(via, profile)``: a gated store, via "api" (MockS3) or "cli" (subprocess).

    ``stores("plain", "moto")`` is plain moto on the same server stack, for comparisons.
    """
    started: dict[tuple[str, str], Store] = {}
    cleanups: list[Callable[[], object]] = []

    def get(via: str, profile: str) -> Store:
        if (via, profile) not in started:
            started[(via, profile)] = _start(via, profile, cleanups)
        return started[(via, profile)]

    yield get
    for cleanup in reversed(cleanups):
        cleanup()


def _start(via: str, profile: str, cleanups: list[Callable[[], object]]) -> Store:
    name = f"{via}-{profile}"
    if via == "api":
        mock = MockS3(profile, ACCESS_KEY, SECRET_KEY, buckets=[BUCKET]).start()
        cleanups.append(mock.stop)
        return Store(name, mock.endpoint, mock=mock)
    if via == "cli":
        server = CliServer(
            "--profile", profile, "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY,
            "--bucket", BUCKET, "--quiet",
        )  # fmt: skip
        cleanups.append(server.stop)
        return Store(name, server.endpoint)
    context = plain_moto()
    store = Store(name, context.__enter__())
    cleanups.append(lambda: context.__exit__(None, None, None))
    store.client().create_bucket(Bucket=BUCKET)
    return store


@pytest.fixture
def serve_cli() -> Iterator[Callable[..., CliServer]]:
    """Start ``python -m mock_s3 serve ARGS`` (stopped at teardown if the test did not)."""
    servers: list[CliServer] = []

    def start(*args: str, stderr_path: str | None = None) -> CliServer:
        servers.append(CliServer(*args, stderr_path=stderr_path))
        return servers[-1]

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.stop()


def _helper(name: str) -> ModuleType:
    """A helper module beside this file (tests run with --import-mode=importlib: no sys.path)."""
    spec = importlib.util.spec_from_file_location(
        f"mock_s3_tests_{name}", Path(__file__).with_name(f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def aws_chunked() -> ModuleType:
    """The tests' own aws-chunked encoder (awschunked.py)."""
    return _helper("awschunked")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The number of cases the gate fuzz tests generated (their ``fuzz_cases`` properties).

    The count is recorded at teardown, so it is on the teardown reports (any stats category).
    """
    per_test: dict[str, dict[str, int]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", None) or []:
                if name == "fuzz_cases" and isinstance(value, dict):
                    per_test[report.nodeid] = value
    if per_test:
        faithful = sum(int(v.get("faithful", 0)) for v in per_test.values())
        tampered = sum(int(v.get("tampered", 0)) for v in per_test.values())
        terminalreporter.write_line(
            f"mock_s3 gate fuzz: {faithful + tampered} generated cases in {len(per_test)} "
            f"tests ({faithful} faithful, {tampered} tampered)"
        )
