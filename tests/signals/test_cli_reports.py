"""The command line on bad run ids and reports that cannot be written: exit 2 or 3 with one
line, never exit 1, never a file outside --reports-dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path = REPO, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tams_conformance.cli", *args]
    if code is not None:  # run the CLI in-process after `code` (an injected failure)
        command = [sys.executable, "-c", code, *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("run_id", ["../x", "latest", "a/b", ".x"])
def test_an_unsafe_run_id_exits_2_and_writes_nothing(tmp_path, run_id):
    reports = tmp_path / "reports"
    proc = cli("run", "--reports-dir", str(reports), "--run-id", run_id)
    assert proc.returncode == 2, proc.stderr
    assert "run id" in one_line(proc.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_run_id_that_was_used_exits_2(tmp_path):
    (tmp_path / "reports" / "used").mkdir(parents=True)
    proc = cli("run", "--reports-dir", str(tmp_path / "reports"), "--run-id", "used")
    assert proc.returncode == 2
    assert "already exists" in one_line(proc.stderr)


def test_a_reports_dir_that_cannot_be_created_exits_3_naming_it(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    proc = cli("run", "--reports-dir", str(blocker / "reports"))
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc.stderr)
    assert str(blocker / "reports") in line and "--reports-dir" in line


INJECT_FULL_DISK = textwrap.dedent("""
    import errno, sys
    from tams_conformance.report import folders
    real = folders.write_text
    def full(path, text):
        if path.name == "results.json":
            raise folders.write_error(path, OSError(errno.ENOSPC, "No space left on device"))
        real(path, text)
    folders.write_text = full
    from tams_conformance.cli import main
    sys.argv[0] = "tams-conformance"
    raise SystemExit(main())
""")


def test_a_disk_full_while_writing_results_is_exit_3_naming_the_file(tmp_path):
    """A conformant target, and results.json cannot be written: exit 3 (not 1), one line on
    stderr naming the file, and `latest` does not point at the broken run."""
    reports = tmp_path / "reports"
    proc = cli(
        "run",
        "--reports-dir",
        str(reports),
        "--run-id",
        "full",
        "--",
        str(REPO / "conformance" / "test_service.py"),
        "-q",
        code=INJECT_FULL_DISK,
    )
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr
    line = one_line(proc.stderr)
    assert str(reports / "full" / "results.json") in line and "No space left" in line
    assert "Traceback" not in proc.stdout
    assert not (reports / "latest").exists()


INJECT_FULL_DISK_JUNIT = textwrap.dedent("""
    import errno, sys
    import xml.etree.ElementTree as ET
    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    ET.ElementTree.write = full  # the kit writes junit.xml itself, from results.json
    from tams_conformance.cli import main
    raise SystemExit(main())
""")


def test_a_disk_full_while_junit_is_written_is_exit_3_and_results_still_written(tmp_path):
    reports = tmp_path / "reports"
    proc = cli(
        "run",
        "--reports-dir",
        str(reports),
        "--run-id",
        "full",
        "--",
        str(REPO / "conformance" / "test_service.py"),
        "-q",
        code=INJECT_FULL_DISK_JUNIT,
    )
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr
    line = one_line(proc.stderr)
    assert str(reports / "full" / "junit.xml") in line and "No space left" in line
    assert (reports / "full" / "results.json").exists()  # our writers ran all the same
    assert not (reports / "latest").exists()


INJECT_FULL_DISK_ALLURE = textwrap.dedent("""
    import errno, sys
    from allure_commons import logger
    def full(self, item):
        path = str(self._report_dir) + "/x-result.json"
        raise OSError(errno.ENOSPC, "No space left on device", path)
    logger.AllureFileLogger._report_item = full
    from tams_conformance.cli import main
    raise SystemExit(main())
""")


def test_a_disk_full_mid_run_is_exit_3_naming_the_file(tmp_path):
    """Allure writes while checks run: the run stops, cleans up and exits 3 with one line on
    stderr (pytest's INTERNALERROR detail stays on stdout)."""
    reports = tmp_path / "reports"
    proc = cli(
        "run",
        "--reports-dir",
        str(reports),
        "--run-id",
        "full",
        "--",
        str(REPO / "conformance" / "test_service.py"),
        "-q",
        code=INJECT_FULL_DISK_ALLURE,
    )
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr
    line = one_line(proc.stderr)
    assert str(reports / "full" / "allure-results") in line and "No space left" in line
    assert not (reports / "latest").exists()


SIGNALS = textwrap.dedent("""
    import os, signal, sys, time
    from tams_conformance import signals
    signals.install()
    if sys.argv[1] == "running":
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except KeyboardInterrupt as exc:
            print("interrupted by", exc, flush=True)
    else:
        signals.finishing()
        os.kill(os.getpid(), signal.SIGHUP)  # while finishing: noted, nothing is cut short
        print("still cleaning up after", signals.received(), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)  # a further signal: out at once
    time.sleep(5)
    print("never printed", flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")
@pytest.mark.parametrize(
    ("phase", "first"),
    [("running", "interrupted by SIGTERM"), ("finishing", "still cleaning up after SIGHUP")],
)
def test_first_signal_stops_the_run_and_a_further_one_exits_3_at_once(phase, first):
    proc = subprocess.run(
        [sys.executable, "-c", SIGNALS, phase],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.splitlines() == [first]
    assert "stopping at once" in proc.stderr


def test_cleanup_refuses_a_bad_age():
    proc = cli("cleanup", "--older-than", "soon")
    assert proc.returncode == 2
    assert "soon" in one_line(proc.stderr)


def test_cleanup_of_an_embedded_target_has_nothing_to_do():
    proc = cli("cleanup", "--target", "reference")
    assert proc.returncode == 0, proc.stderr
    assert "embedded" in proc.stdout
