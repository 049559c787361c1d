"""Run the conformance suite in a subprocess against an embedded reference server configured
with faults, and read back its results.json. Shared by every meta-test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


@dataclass
class SuiteRun:
    exit_code: int
    results: dict
    stdout: str
    stderr: str
    folder: Path | None = None  # reports/<run-id>/ of the run

    @property
    def checks(self) -> list[dict]:
        return self.results.get("checks", [])

    def outcomes(self) -> dict[str, str]:
        """check id -> outcome (ids of parametrised checks carry their parameter)."""
        return {c["id"]: c["outcome"] for c in self.checks}

    def with_outcome(self, *outcomes: str) -> set[str]:
        return {c["id"] for c in self.checks if c["outcome"] in outcomes}

    def explain(self) -> str:
        lines = [f"exit {self.exit_code}"]
        for c in self.checks:
            if c["outcome"] not in ("passed", "skipped"):
                lines.append(f"  {c['outcome']:8} {c['id']}: {c['message'][:300]}")
        lines.append(self.stderr[-2000:])
        return "\n".join(lines)


def write_targets(
    path: Path,
    *,
    faults: Iterable[str] = (),
    variants: Iterable[str] = (),
    delete_mode: str = "sync",
    store: str = "strict",
    profiles: Sequence[str] = ("tams", "cascade"),
    cascade_extension: bool = True,
    extra: dict | None = None,
) -> Path:
    entry = {
        "embedded": True,
        "profiles": list(profiles),
        "s3": {"store": store},
        "reference": {
            "delete_mode": delete_mode,
            "faults": list(faults),
            "cascade_extension": cascade_extension,
            "variants": list(variants),
        },
        **(extra or {}),
    }
    path.write_text(yaml.safe_dump({"default": "meta", "targets": {"meta": entry}}))
    return path


def run_suite(
    tmp_path: Path,
    *,
    checks: Sequence[str] = (),
    pytest_args: Sequence[str] = (),
    targets_file: Path | None = None,
    target: str | Sequence[str] | None = None,
    timeout_s: float = 600,
    env: dict[str, str] | None = None,
    cli_args: Sequence[str] = (),
    **target_options: object,
) -> SuiteRun:
    """Run `tams-conformance run` on `checks` (paths under conformance/, or all) and return its
    results. `target_options` go to `write_targets` when no targets_file is given; `cli_args`
    go to `run` itself (`--baseline FILE`), before the pytest arguments."""
    if targets_file is None:
        targets_file = write_targets(
            tmp_path / f"targets-{uuid.uuid4().hex[:6]}.yaml", **target_options
        )  # type: ignore[arg-type]
    reports = tmp_path / "reports"
    run_id = uuid.uuid4().hex[:12]
    cmd = [
        sys.executable,
        "-m",
        "tams_conformance.cli",
        "run",
        "--targets-file",
        str(targets_file),
        "--reports-dir",
        str(reports),
        "--run-id",
        run_id,
    ]
    for name in [target] if isinstance(target, str) else target or ():
        cmd += ["--target", name]
    cmd += [
        *cli_args,
        "--",
        *[str(REPO / c) for c in checks],
        "-q",
        "-p",
        "no:randomly",
        *pytest_args,
    ]
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
        env=_environment(env),
    )
    results_file = reports / run_id / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return SuiteRun(proc.returncode, results, proc.stdout, proc.stderr, reports / run_id)


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    """The runner's environment, less a CI job summary file: a meta-run's summary is not the
    project's (tests that want one pass GITHUB_STEP_SUMMARY in `extra`)."""
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    return {**env, **(extra or {})}
