"""The gate stays an S3 endpoint when things go wrong: after a test harness reloads mock_s3's
modules, and when the gate or the object store raises (an S3 InternalError, never an HTML page)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import requests

from mock_s3 import Clock, MockS3
from mock_s3.gate import Gate
from mock_s3.profiles import PROFILES, StoreSettings
from mock_s3.requestlog import RequestLog
from mock_s3.wsgi import ServerThread

# pytester snapshots sys.modules before each test and restores it after: modules first imported
# during the test (the gate's, on the first MockS3.start()) are dropped, while the mock_s3
# package keeps them as attributes; the next start() then loads fresh copies. This used to give
# the gate two S3Error classes (every refusal became werkzeug's HTML 500); and when moto's S3
# backend outlives the restore, a fresh isolation module must still find the bucket namespace
# an older copy installed there. A fresh interpreter makes the module state exact.
RELOAD_SCRIPT = """
import json, sys
import requests
import mock_s3

if sys.argv[1] != "package-imported":  # as tests/mock_s3/conftest.py leaves it
    import mock_s3.server, mock_s3.wsgi
if sys.argv[1] == "moto-s3-imported":  # as a plain moto server leaves it
    import moto.s3.models
snapshot = dict(sys.modules)
with mock_s3.MockS3(buckets=["media"]) as earlier:
    earlier.client.put_object(Bucket="media", Key="from-earlier", Body=b"1")
sys.modules.clear()
sys.modules.update(snapshot)

with mock_s3.MockS3(buckets=["media"]) as one, mock_s3.MockS3(buckets=["media"]) as two:
    url = one.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": "k"}, ExpiresIn=60
    )
    one.clock.advance(120)
    expired = requests.put(url, data=b"x", timeout=30)
    verdict = one.requests[-1].verdict
    one.client.put_object(Bucket="media", Key="only-in-one", Body=b"1")
    print(json.dumps({
        "status": expired.status_code,
        "body": expired.text,
        "verdict": verdict,
        "keys_in_two": two.client.list_objects_v2(Bucket="media")["KeyCount"],
        "keys_in_one": one.client.list_objects_v2(Bucket="media")["KeyCount"],
    }))
"""


def error(response: requests.Response) -> dict[str, str]:
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


@pytest.mark.parametrize("before", ["package-imported", "server-imported", "moto-s3-imported"])
def test_refusals_and_isolation_survive_a_sys_modules_restore(tmp_path: Path, before: str) -> None:
    script = tmp_path / "reload.py"
    script.write_text(RELOAD_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), before], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["status"], result["verdict"]) == (403, "refused"), result["body"]
    assert "<Message>Request has expired</Message>" in result["body"]
    assert (result["keys_in_one"], result["keys_in_two"]) == (1, 0)


@pytest.fixture
def own_store() -> Iterator[MockS3]:
    with MockS3(buckets=["media"]) as s3:
        yield s3


def test_a_gate_failure_is_an_s3_internal_error_logged_without_secrets(
    own_store: MockS3, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    s3 = own_store
    url = s3.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": "k"}, ExpiresIn=60
    )
    signature = url.partition("X-Amz-Signature=")[2]

    def broken_now() -> float:
        raise RuntimeError(f"clock broke near {s3.secret_key} and {signature}\nsecond line")

    monkeypatch.setattr(s3.clock, "now", broken_now)
    response = requests.put(url, data=b"x", timeout=30)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/xml"
    assert error(response)["Code"] == "InternalError"
    record = s3.requests[-1]
    assert (record.verdict, record.status, record.code) == ("error", 500, "InternalError")
    assert record.reason == "gate error: RuntimeError: clock broke near REDACTED and REDACTED"
    assert record.line().startswith("ERROR   500 PUT /media/k?")
    assert any("gate error on PUT /media/k" in r.getMessage() for r in caplog.records)


def _failing_app(started: bool) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if started:
            start_response("200 OK", [("Content-Type", "text/plain")])
        raise KeyError("the object store broke")

    return app


@pytest.mark.parametrize("started", [False, True], ids=["before-start", "after-start"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_object_store_failure_is_an_s3_internal_error(started: bool, method: str) -> None:
    settings = StoreSettings(profile=PROFILES["lenient"], credentials={"AKIAX": "secret"})
    log = RequestLog()
    gate = Gate(_failing_app(started), settings, Clock(), log, "123456789012")
    server = ServerThread(gate, "127.0.0.1", 0)
    try:
        response = requests.request(method, f"http://127.0.0.1:{server.port}/media/k", timeout=30)
    finally:
        server.stop()
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/xml"
    if method == "GET":
        assert error(response)["Code"] == "InternalError"
    else:
        assert response.content == b""
    (record,) = log.snapshot()
    assert (record.verdict, record.code) == ("error", "InternalError")
    assert record.reason == "object store error: KeyError: 'the object store broke'"
