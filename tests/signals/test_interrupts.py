"""How CI stops a run: SIGTERM mid-run, a second signal, SIGKILL then `cleanup`, and two runs
sharing one reports dir. Against a reference server on a loopback port, holding flows of
someone else that must stay untouched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from tams_conformance.fixtures.factory import RUN_TAG

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals"),
]


def listing(base: str, path: str) -> list[dict]:
    items, url = [], f"{base}{path}?limit=1000"
    while url:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        items.extend(response.json())
        nxt = response.links.get("next", {}).get("url")
        url = requests.compat.urljoin(base + "/", nxt) if nxt else None
    return sorted(items, key=lambda x: x["id"])


def kit_flows(base: str) -> list[dict]:
    return [f for f in listing(base, "/flows") if RUN_TAG in (f.get("tags") or {})]


def stable(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in i.items() if k not in ("metadata_updated", "updated")} for i in items]


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A reference server with three foreign flows, and a targets file naming it `remote`."""
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as server:
        base = server.base_url
        for i in range(3):
            flow_id = str(uuid.uuid4())
            body = {
                "id": flow_id,
                "source_id": str(uuid.uuid4()),
                "format": "urn:x-nmos:format:data",
                "codec": "text/plain",
                "container": "text/plain",
                "essence_parameters": {},
                "label": f"foreign {i}",
                "tags": {"owner": "someone else"},
            }
            assert requests.put(f"{base}/flows/{flow_id}", json=body, timeout=10).status_code == 201
        targets = tmp_path / "targets.yaml"
        entry = {"base_url": base, "profiles": ["tams", "cascade"], "s3": {"store": "strict"}}
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        yield base, targets


class Run:
    """`tams-conformance run` in its own process group, its output read as it comes."""

    def __init__(self, targets: Path, reports: Path, run_id: str, *pytest_args: str) -> None:
        self.reports, self.run_id = reports, run_id
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tams_conformance.cli",
                "run",
                "--targets-file",
                str(targets),
                "--reports-dir",
                str(reports),
                "--run-id",
                run_id,
                "--",
                "-v",
                *pytest_args,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.started = time.monotonic()
        self.lines: list[str] = []
        self.err_lines: list[str] = []
        # One reader per pipe, each the only reader of it (neither pipe can fill and block).
        self._readers = [
            threading.Thread(target=self._read, args=(pipe, into), daemon=True)
            for pipe, into in ((self.proc.stdout, self.lines), (self.proc.stderr, self.err_lines))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(pipe: object, into: list[str]) -> None:
        for line in pipe:  # type: ignore[attr-defined]
            into.append(line)

    @property
    def err(self) -> str:
        return "".join(self.err_lines)

    def wait_for(self, condition: object, what: str, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():  # type: ignore[operator]
            assert self.proc.poll() is None, f"the run ended before {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"never saw {what}:\n{self.output()}"
            time.sleep(0.05)

    def passed(self) -> int:
        return sum(" PASSED" in line for line in self.lines)

    def finish(self, timeout_s: float = 180) -> int:
        try:
            self.proc.wait(timeout=timeout_s)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for reader in self._readers:
            reader.join(timeout=30)
        return self.proc.returncode

    def output(self) -> str:
        return "".join(self.lines)[-3000:] + self.err[-2000:]

    def results(self) -> dict:
        return json.loads((self.reports / self.run_id / "results.json").read_text())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_sigterm_mid_run_exits_3_with_reports_and_leaves_nothing(remote, tmp_path, workers):
    base, targets = remote
    foreign = stable(listing(base, "/flows"))
    run = Run(targets, tmp_path / "reports", "sigterm", *workers)
    # Three seconds into the checks (and at least one finished, so the report has content).
    run.wait_for(lambda: run.passed() >= 1, "a passed check")
    run.wait_for(lambda: time.monotonic() - run.started >= 3, "three seconds")
    os.kill(run.proc.pid, signal.SIGTERM)
    code = run.finish()

    assert code == 3, run.output()
    assert "interrupted (SIGTERM)" in run.err, run.err
    results = run.results()
    assert results["interrupted"] is True and results["interrupted_by"] == "SIGTERM"
    assert results["checks"], "the checks that ran are missing"
    assert all(c["outcome"] in ("passed", "skipped", "warning") for c in results["checks"])
    assert results["not_run"] > 0
    run_dir = tmp_path / "reports" / "sigterm"
    for name in ("report.html", "junit.xml", "allure-results"):
        assert (run_dir / name).exists(), name
    latest = json.loads((tmp_path / "reports" / "latest" / "results.json").read_text())
    assert latest == results
    assert kit_flows(base) == [], "flows of the interrupted run were left on the target"
    assert stable(listing(base, "/flows")) == foreign
    assert {s["id"] for s in listing(base, "/sources")} == {f["source_id"] for f in foreign}


def test_a_second_signal_stops_at_once_and_cleanup_removes_what_it_left(remote, tmp_path):
    base, targets = remote
    run = Run(targets, tmp_path / "reports", "twice")
    run.wait_for(lambda: kit_flows(base), "a flow of the run")
    os.kill(run.proc.pid, signal.SIGTERM)
    os.kill(run.proc.pid, signal.SIGHUP)  # another signal (two SIGTERMs may arrive as one)
    code = run.finish()
    assert code == 3, run.output()
    assert "stopping at once" in run.err
    cleanup = subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", "cleanup", "--targets-file", str(targets)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    assert kit_flows(base) == []


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cleanup_removes_what_a_sigkilled_run_left_and_nothing_else(remote, tmp_path):
    base, targets = remote
    foreign = stable(listing(base, "/flows"))
    run = Run(targets, tmp_path / "reports", "killed")
    run.wait_for(lambda: kit_flows(base), "a flow of the run")
    os.killpg(run.proc.pid, signal.SIGKILL)  # the controller and any worker: no cleanup at all
    run.finish()
    left = kit_flows(base)
    assert left and {f["tags"][RUN_TAG] for f in left} == {"killed"}

    # The next run says so before it starts (and stops here: no check selected).
    notice = cli("run", "--targets-file", str(targets), "--reports-dir", str(tmp_path / "r2"),
                 "--", "-k", "no_such_check_anywhere")  # fmt: skip
    line = next(x for x in notice.stderr.splitlines() if "left by earlier runs" in x)
    assert f"target 'remote' holds {len(left)} flow" in line
    assert f"tams-conformance cleanup --target remote --targets-file {targets}" in line

    dry = cli("cleanup", "--target", "remote", "--targets-file", str(targets), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert all(f["id"] in dry.stdout for f in left) and "dry run" in dry.stdout
    assert kit_flows(base) == left

    young = cli("cleanup", "--targets-file", str(targets), "--older-than", "2h")
    assert young.returncode == 0, young.stderr
    assert "nothing to remove" in young.stdout, young.stdout
    assert kit_flows(base) == left  # "killed" has no time in its id: its flows' age counts

    done = cli("cleanup", "--target", "remote", "--targets-file", str(targets))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removed {len(left)} flows" in done.stdout
    assert kit_flows(base) == []
    assert stable(listing(base, "/flows")) == foreign
    assert {s["id"] for s in listing(base, "/sources")} == {f["source_id"] for f in foreign}


def test_two_concurrent_runs_into_one_reports_dir_both_keep_whole_reports(tmp_path):
    reports = tmp_path / "reports"
    command = [
        sys.executable,
        "-m",
        "tams_conformance.cli",
        "run",
        "--reports-dir",
        str(reports),
        "--",
        str(REPO / "conformance" / "test_service.py"),
        "-q",
    ]
    procs = [
        subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(outputs)
    runs = sorted(p for p in reports.iterdir() if not p.name.startswith((".", "latest")))
    assert not [p for p in reports.iterdir() if p.name.startswith(".latest")], "swap debris"
    assert len(runs) == 2
    for run_dir in runs:
        results = json.loads((run_dir / "results.json").read_text())
        assert results["run_id"] == run_dir.name and results["checks"]
        assert results["summary"] == {"passed": len(results["checks"])}
        assert "</html>" in (run_dir / "report.html").read_text()
        assert "<testsuite" in (run_dir / "junit.xml").read_text()
        assert any((run_dir / "allure-results").iterdir())
    latest = json.loads((reports / "latest" / "results.json").read_text())
    assert latest["run_id"] in [r.name for r in runs]
    whole = reports / latest["run_id"]
    assert sorted(p.name for p in (reports / "latest").iterdir()) == sorted(
        p.name for p in whole.iterdir()
    )
