"""The suite at `-vv --showlocals --tb=long` against a remote reference server that asks for
credentials (a `tams-conformance reference` subprocess with a fault, so that checks fail and
transcripts are written), once per auth type with distinctive secrets: a byte search of every
output (stdout, stderr, every file of the reports folder including allure-results, the step
summary) finds no secret in any encoding and no presigned signature."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.security.leaks import encodings, leaks, outputs

REPO = Path(__file__).resolve().parents[2]
# Checks that upload and download (put_url, get_urls: presigned signatures), page (Link), and
# fail on the fault below (transcripts in every report); TAMS_SECURITY_FULL=1 runs them all.
SUBSET = "upload or get_urls or paging or deletion"
FULL = os.environ.get("TAMS_SECURITY_FULL") == "1"
# Deletes of missing things succeed (deletion checks fail); get_urls are signed wrongly (the
# failing download check's transcript and message carry presigned URLs).
FAULTS = "missing-is-success,broken-get-urls"


def _secrets(mode: str) -> dict[str, str]:
    tag = secrets.token_hex(6)
    return {
        "token": f"BEARER-{mode}-{tag}-t0k/en+=",
        "username": f"user-{tag}",
        "password": f"PASSWORD-{tag}-p@ss w/d",
        "client_id": f"client-{tag}",
        "client_secret": f"SECRET-{tag}-cl!ent&s3cret",
    }


@pytest.fixture
def remote_reference(request, tmp_path) -> Iterator[tuple[str, dict[str, str], str]]:
    """A standalone reference server asking for `request.param` credentials."""
    mode = request.param
    made = _secrets(mode)
    args = ["--auth", mode, "--faults", FAULTS]
    if mode == "basic":
        args += ["--auth-username", made["username"]]
    if mode == "oauth2-client-credentials":
        args += ["--auth-client-id", made["client_id"], "--auth-token-lifetime", "20"]
    env = {
        **os.environ,
        "TAMS_REFERENCE_AUTH_TOKEN": made["token"],
        "TAMS_REFERENCE_AUTH_PASSWORD": made["password"],
        "TAMS_REFERENCE_AUTH_CLIENT_SECRET": made["client_secret"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tams_conformance.cli", "reference", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        assert line.startswith("BASE_URL="), f"the reference server did not start: {line!r}"
        yield mode, made, line.removeprefix("BASE_URL=")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _targets(path: Path, mode: str, base_url: str) -> Path:
    auth: dict[str, str] = {"type": mode}
    if mode == "bearer":
        auth["token"] = "${SEC_TOKEN}"
    elif mode == "basic":
        auth |= {"username": "${SEC_USER}", "password": "${SEC_PASSWORD}"}
    else:
        auth |= {
            "token_url": base_url + "/oauth2/token",
            "client_id": "${SEC_CLIENT_ID}",
            "client_secret": "${SEC_CLIENT_SECRET}",
        }
    entry = {
        "base_url": base_url,
        "auth": auth,
        "profiles": ["tams", "cascade"],
        "s3": {"store": "strict"},
    }
    path.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
    return path


@pytest.mark.slow
@pytest.mark.parametrize(
    "remote_reference", ["bearer", "basic", "oauth2-client-credentials"], indirect=True
)
def test_no_secret_or_signature_in_any_output(remote_reference, tmp_path):
    mode, made, base_url = remote_reference
    targets = _targets(tmp_path / "targets.yaml", mode, base_url)
    reports, summary = tmp_path / "reports", tmp_path / "step-summary.md"
    summary.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TAMS_"))},
        "TAMS_SPEC_DIR": os.environ.get("TAMS_SPEC_DIR", ""),
        "GITHUB_STEP_SUMMARY": str(summary),
        "SEC_TOKEN": made["token"],
        "SEC_USER": made["username"],
        "SEC_PASSWORD": made["password"],
        "SEC_CLIENT_ID": made["client_id"],
        "SEC_CLIENT_SECRET": made["client_secret"],
    }
    cmd = [
        sys.executable,
        "-m",
        "tams_conformance.cli",
        "run",
        "--targets-file",
        str(targets),
        "--reports-dir",
        str(reports),
        "--",
        "-vv",
        "--showlocals",
        "--tb=long",
        "-rA",
        *([] if FULL else ["-k", SUBSET]),
        # OAuth2 with xdist: each worker fetches tokens the controller never sees
        *(["-n", "2"] if mode == "oauth2-client-credentials" else []),
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=900, env=env)
    stdout = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 1, stdout[-3000:] + proc.stderr.decode("utf-8", "replace")[-2000:]
    assert "passed" in stdout and "failed" in stdout
    assert list((reports / "latest" / "allure-results").glob("*-result.json"))
    found = outputs(reports, summary, texts={"stdout": proc.stdout, "stderr": proc.stderr})
    forms = encodings(
        [made["token"], made["password"], made["client_secret"]],
        [(made["username"], made["password"]), (made["client_id"], made["client_secret"])],
    )
    problems = leaks(found, forms)
    checks = len(json.loads((reports / "latest" / "results.json").read_text())["checks"])
    size = sum(len(data) for data in found.values())
    print(f"{mode}: {checks} checks; {len(found)} outputs, {size} bytes, {len(forms)} forms")
    assert problems == [], "\n".join(problems[:20])
    # the search is not vacuous: credentials and presigned URLs were there, masked
    assert any(b"Authorization: ***" in data for data in found.values())
    assert any(b"X-Amz-Signature=***" in data for data in found.values())
