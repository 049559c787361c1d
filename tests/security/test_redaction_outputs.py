"""One redaction pass covers every writer: a pytest run that fails while holding secrets in
every form (locals, assertion diffs, logs, prints, truncated reprs, presigned URLs) writes none
of them to the terminal, junit.xml or allure-results, at `-vv --showlocals --tb=long`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.security.leaks import encodings, leaks, outputs

REPO = Path(__file__).resolve().parents[2]
TOKEN = "inner-bearer-t0ken-4f1c9e2a7b"
PASSWORD = "inner-basic-pa55-8d2e41"
SIGNED = (
    "http://127.0.0.1:9/media/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAINNER%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Signature=" + "ab12" * 16
)

INNER = textwrap.dedent(
    f"""
    import base64, logging
    from urllib.parse import quote
    import requests
    from tams_conformance.auth import build_session
    from tams_conformance.config import Auth
    from tams_conformance.redact import register_secrets

    register_secrets({TOKEN!r}, {PASSWORD!r}, "bob:" + {PASSWORD!r})  # as target selection does
    log = logging.getLogger("inner")

    def test_fails_holding_secrets():
        token = {TOKEN!r}
        auth = Auth("bearer", token=token)
        basic = Auth("basic", username="bob", password={PASSWORD!r})
        session = build_session(auth, True, 5, "http://127.0.0.1:9")
        prepared = session.prepare_request(requests.Request("GET", "http://127.0.0.1:9/flows"))
        headers = dict(prepared.headers)
        plain_headers = {{"Authorization": "Bearer " + token, "X-Pad": "p" * 300}}
        encoded = quote(token, safe="")
        b64 = base64.b64encode(("bob:" + {PASSWORD!r}).encode()).decode()
        url = {SIGNED!r}
        long_url = "http://x/" + "a" * 200 + "?X-Amz-Signature=" + "cd34" * 16
        payload = {{"access_token": token, "expires_in": 300}}
        print("stdout", token, encoded, b64, url)
        log.warning("a log line with %s and %s", token, url)
        assert {{"auth": auth, "token": token, "basic": basic, "url": url}} == {{"auth": None}}

    def test_string_diff():
        assert {TOKEN!r} + "-suffix" == "something else entirely"

    def test_error_message():
        raise RuntimeError("failed with " + {PASSWORD!r} + " at " + {SIGNED!r})
    """
)


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_no_secret_reaches_any_writer(tmp_path, workers):
    (tmp_path / "test_inner.py").write_text(INNER)
    junit, allure = tmp_path / "junit.xml", tmp_path / "allure-results"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path / "test_inner.py"),
        "-p",
        "tams_conformance.plugin",
        "-p",
        "no:cacheprovider",
        "-vv",
        "--showlocals",
        "--tb=long",
        "-rA",
        "--log-cli-level=WARNING",
        f"--junitxml={junit}",
        f"--alluredir={allure}",
        "--rootdir",
        str(tmp_path),
        "--reports-dir",
        str(tmp_path / "reports"),
        *workers,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=300, check=False, env=env)
    assert proc.returncode == 1, proc.stdout.decode()[-3000:] + proc.stderr.decode()[-2000:]
    assert b"test_fails_holding_secrets" in proc.stdout and b"***" in proc.stdout
    assert list(allure.glob("*-result.json")), "allure wrote nothing"
    found = outputs(junit, allure, texts={"stdout": proc.stdout, "stderr": proc.stderr})
    forms = encodings([TOKEN, PASSWORD], [("bob", PASSWORD)])
    assert leaks(found, forms) == []
