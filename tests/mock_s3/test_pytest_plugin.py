"""The pytest fixtures, used by a test suite of their own (run in a subprocess, with xdist)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

INNER_TESTS = """
import requests


def test_fixture_is_a_running_strict_store_with_one_bucket(mock_s3):
    assert mock_s3.profile == "strict"
    assert mock_s3.endpoint.startswith("http://127.0.0.1:")
    names = [b["Name"] for b in mock_s3.client.list_buckets()["Buckets"]]
    assert names == [mock_s3.bucket]


def test_clock_expires_a_url(mock_s3, mock_s3_clock):
    url = mock_s3.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": mock_s3.bucket, "Key": "k"}, ExpiresIn=60
    )
    mock_s3_clock.advance(120)
    assert requests.put(url, data=b"x").status_code == 403


def test_clock_was_reset_after_the_previous_test(mock_s3, mock_s3_clock):
    assert mock_s3_clock.offset == 0


def test_strict_store_refuses_unsigned_content_type(mock_s3):
    url = mock_s3.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": mock_s3.bucket, "Key": "k"}, ExpiresIn=60
    )
    assert requests.put(url, data=b"x", headers={"Content-Type": "a/b"}).status_code == 403
"""


def test_fixtures_work_serially_and_under_xdist(tmp_path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    for extra in ([], ["-n", "2", "--dist", "loadfile"]):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, str(tmp_path)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "4 passed" in done.stdout


def test_plugin_import_is_cheap() -> None:
    probe = (
        "import sys, mock_s3.pytest_plugin; "
        "print(sorted({'moto', 'boto3', 'botocore'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
