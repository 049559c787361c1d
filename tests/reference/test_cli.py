"""The command line: BASE_URL first, SIGTERM exits 0, usage errors are one line and exit 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.reference.refkit import SPEC_DIR

COMMAND = [sys.executable, "-m", "tams_reference"]


def test_serves_prints_base_url_first_and_stops_on_sigterm():
    env = {**os.environ, "TAMS_SPEC_DIR": SPEC_DIR}
    process = subprocess.Popen(
        [*COMMAND, "--host", "127.0.0.1", "--port", "0", "--delete-mode", "async"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline().strip()
        second = process.stdout.readline().strip()
        assert first.startswith("BASE_URL=http://127.0.0.1:")
        assert second.startswith("S3_ENDPOINT=http://127.0.0.1:")
        base_url = first.removeprefix("BASE_URL=")
        assert requests.get(f"{base_url}/service", timeout=10).json()["api_version"] == "8.2"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        process.stdout.close()
        process.stderr.close()
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--faults", "no-gc,bogus"],
            "unknown fault bogus; known faults: auth-any-credential, auth-reads-open, broken-get",
        ),
        (["--delete-mode", "later"], "invalid choice: 'later'"),
        (["--host", "192.0.2.1"], "not a loopback address; add --allow-remote"),
        (["--s3-endpoint", "http://127.0.0.1:1"], "--s3-endpoint needs --s3-access-key"),
    ],
    ids=["unknown-fault", "bad-mode", "remote-host", "s3-without-keys"],
)
def test_usage_errors_are_one_line_and_exit_2(args, message):
    result = subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert message in line
