"""``python -m mock_s3 serve`` driven from outside, as a vendor testing an uploader would."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import boto3
import pytest
import requests
from botocore.config import Config

SERVE = [sys.executable, "-m", "mock_s3", "serve"]
ACCESS_KEY = "AKIACLITEST000000001"
SECRET_KEY = "cli-test-secret-abcdefghijklmnopqrstuvwx"


def _boto(endpoint: str, signature_version: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version=signature_version, s3={"addressing_style": "path"}),
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_endpoint_first_judges_requests_and_exits_cleanly(
    serve_cli, tmp_path, signum
) -> None:
    stderr = tmp_path / "stderr.txt"
    server = serve_cli(
        "--host", "127.0.0.1", "--port", "0", "--profile", "strict",
        "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--bucket", "media",
        stderr_path=str(stderr),
    )  # fmt: skip
    try:
        assert server.first_line.startswith("ENDPOINT=http://127.0.0.1:")
        client = _boto(server.endpoint, "s3v4")
        client.put_object(Bucket="media", Key="setup.ts", Body=b"setup")
        params = {"Bucket": "media", "Key": "upload.ts"}
        v4 = client.generate_presigned_url("put_object", Params=params, ExpiresIn=60)
        v2 = _boto(server.endpoint, "s3").generate_presigned_url(
            "put_object", Params=params, ExpiresIn=60
        )
        assert requests.put(v4, data=b"ts", timeout=30).status_code == 200
        typed = requests.put(v4, data=b"ts", headers={"Content-Type": "video/mp2t"}, timeout=30)
        assert typed.status_code == 403
        assert "<HeadersNotSigned>content-type</HeadersNotSigned>" in typed.text
        bug = requests.put(v2, data=b"ts", headers={"Content-Type": "video/mp2t"}, timeout=30)
        assert bug.status_code == 403
        assert "<Code>SignatureDoesNotMatch</Code>" in bug.text
    finally:
        assert server.stop(signum) == 0
    log = stderr.read_text()
    assert "REFUSED 403 PUT /media/upload.ts" in log
    signature = v4.partition("X-Amz-Signature=")[2]
    for secret in (SECRET_KEY, ACCESS_KEY, signature):
        assert secret not in log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "vast", "--access-key", "K", "--secret-key", "S"], "--profile"),
        (["--port", "99999", "--access-key", "K", "--secret-key", "S"], "--port"),
        (["--access-key", "K"], "--secret-key"),
        (["--host", "0.0.0.0", "--access-key", "K", "--secret-key", "S"], "--allow-remote"),
        (["--port", "nope"], "--port"),
    ],
    ids=["profile", "port-range", "no-secret", "remote-host", "port-type"],
)
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_port_in_use_gives_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["--port", port, "--access-key", "K", "--secret-key", "S"]
        done = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and f"127.0.0.1:{port}" in done.stderr
