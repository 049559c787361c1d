"""The wheel works anywhere: built from the repository, installed into a fresh virtualenv beside
PyPI's `fixtures` (whose import name the kit must not take), run from an empty directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import pytest

from tests.packaging.layout import ALLOWED_TOP_LEVEL, REPO

pytestmark = pytest.mark.slow

# Copied to a temporary source tree so the build leaves no build/ or egg-info in the checkout.
_NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "reports", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)


def _clean_env() -> dict[str, str]:
    """The environment of a vendor's CI job: nothing of this checkout or of this test run leaks
    in (no PYTHONPATH, no TAMS_* settings), except the spec folder CI provides."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAMS_", "PYTEST_", "PYTHON", "VIRTUAL_ENV"))
    }
    if os.environ.get("TAMS_SPEC_DIR"):
        env["TAMS_SPEC_DIR"] = os.environ["TAMS_SPEC_DIR"]
    return env


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(the wheel, the verbose build log)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(REPO, src, ignore=_NOT_COPIED)
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", str(src), "-w", str(base)],
        cwd=base,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = base.glob("tams_conformance-*.whl")
    return wheel, proc.stdout + proc.stderr


def test_the_build_prints_no_setuptools_deprecation(built):
    _, log = built
    assert "running bdist_wheel" in log  # the backend's own output is in the log we read
    warned = [line for line in log.splitlines() if "DeprecationWarning" in line]
    assert not warned, "\n".join(warned)


def test_the_wheel_installs_only_allowlisted_top_level_names(built):
    wheel, _ = built
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    top = {t.removesuffix(".py") for t in top}
    print(f"top-level import names installed: {len(top)} {sorted(top)}")
    assert top == ALLOWED_TOP_LEVEL
    for data in ("tams_conformance/pytest.ini", "tams_conformance/config/default_targets.yaml"):
        assert data in names, f"{data} is not in the wheel"
    assert any(n.startswith("tams_conformance/checks/test_") for n in names)


def test_the_wheel_runs_the_suite_from_an_empty_directory(built, tmp_path):
    wheel, _ = built
    started = time.monotonic()
    # A vendor's project keeps its virtualenv inside it, under its own pytest config: pytest
    # finds that config above the installed checks unless the kit brings its own.
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\naddopts = --an-option-of-the-vendor\n")
    env_dir = project / ".venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # PyPI's fixtures beside ours: both must import, neither may shadow the other. No bytecode
    # compiling: it is most of the install's time and says nothing about the wheel.
    install = [str(py), "-m", "pip", "install", "-q", "--no-compile", str(wheel), "fixtures"]
    proc = _run(install, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    installed = time.monotonic()

    imports = "import fixtures; fixtures.Fixture; import tams_conformance.fixtures.factory"
    proc = _run([str(py), "-c", imports], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = _run([str(env_dir / "bin" / "tams-conformance"), "run"], cwd=empty)
    ran = time.monotonic()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads((empty / "reports" / "latest" / "results.json").read_text())
    summary = results["summary"]
    assert summary.get("passed", 0) > 50
    assert not {"failed", "error", "xpassed"} & {k for k, v in summary.items() if v}
    assert sum(summary.values()) == len(results["checks"])
    assert (empty / "reports" / "latest" / "junit.xml").is_file()
    # Nothing but the reports folder is written where the command runs (pytest's cache too).
    assert sorted(p.name for p in empty.iterdir()) == ["reports"]
    assert (empty / "reports" / ".pytest_cache").is_dir()
    print(
        f"wheel test: install {installed - started:.1f}s, run {ran - installed:.1f}s, "
        f"{summary.get('passed', 0)} passed"
    )
