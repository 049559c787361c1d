"""The command line: exit codes and one-line errors, as a vendor's CI sees them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unknown_target_exits_2_naming_the_known_targets():
    proc = cli("run", "--target", "nope")
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "nope" in line and "reference" in line


def test_misspelt_key_exits_2_naming_it(tmp_path):
    f = tmp_path / "targets.yaml"
    f.write_text(yaml.safe_dump({"default": "x", "targets": {"x": {"base_ulr": "http://h"}}}))
    proc = cli("run", "--targets-file", str(f))
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "base_ulr" in line and "base_url" in line


def test_unreachable_target_exits_3_with_one_line(tmp_path):
    f = tmp_path / "targets.yaml"
    url = f"http://127.0.0.1:{free_port()}"
    f.write_text(yaml.safe_dump({"default": "gone", "targets": {"gone": {"base_url": url}}}))
    proc = cli("run", "--targets-file", str(f), "--reports-dir", str(tmp_path / "r"))
    assert proc.returncode == 3
    line = one_line(proc.stderr)
    assert "gone" in line and "unreachable" in line
    assert proc.stdout == ""


def test_usage_error_exits_2():
    proc = cli("frobnicate")
    assert proc.returncode == 2
    one_line(proc.stderr)


def test_no_selected_checks_exits_2(tmp_path):
    proc = cli("run", "--reports-dir", str(tmp_path), "--", "-k", "no_such_check_anywhere")
    assert proc.returncode == 2


def test_list_prints_every_check_with_level_area_and_spec():
    proc = cli("list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) >= 25
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert row["level"] in ("MUST", "SHOULD", "EXT")
        assert row["spec_ref"] and row["area"]


def test_reference_command_prints_base_url_first(tmp_path):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tams_conformance.cli",
            "reference",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("BASE_URL=http://127.0.0.1:")
        import requests

        assert requests.get(first.split("=", 1)[1] + "/service", timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0
