"""The embedded reference target with ``-n 2`` against serial: how many times faster.

Runs ``tams-conformance run --target reference`` on a set of check modules, serially and with
``-- -n 2``, interleaved (S P, P S, S P, ...: the machine's drift spreads over both), each run
a fresh process as a user starts it. Each pair of runs gives one ratio serial/parallel; prints
the wall times and the ratio as min/median/max over the pairs, and the CPU seconds of the run
(its processes and the embedded servers'). The issue's goal on a 2-core machine: >= 1.7.

    .venv/bin/python benchmarks/embedded_parallel.py [--pairs 3] [--checks all | FILE ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A modest default: a third of the suite's requests, every kind of check but the long races.
DEFAULT_CHECKS = (
    "conformance/test_flows.py",
    "conformance/test_sources.py",
    "conformance/test_paging.py",
    "conformance/test_segments.py",
    "conformance/test_deletion_spec.py",
)


def timed_run(checks: list[str], workers: int, reports: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (every process of the run) of one suite run."""
    cmd = [sys.executable, "-m", "tams_conformance.cli", "run", "--target", "reference"]
    cmd += ["--reports-dir", str(reports), "--", *checks, "-q", "-p", "no:randomly"]
    if workers > 1:
        cmd += ["-n", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the run exited {done.returncode}:\n{done.stdout[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return (
        f"min {fmt.format(min(values))}, median {fmt.format(statistics.median(values))}, "
        f"max {fmt.format(max(values))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3, help="pairs of runs (serial, -n 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checks", nargs="+", default=list(DEFAULT_CHECKS), help="or: all")
    args = parser.parse_args()
    checks = [] if args.checks == ["all"] else args.checks
    os.environ.setdefault("TAMS_SPEC_DIR", str(REPO.parent / "shared" / "tams-api"))
    serial: list[float] = []
    parallel: list[float] = []
    cpu: dict[str, list[float]] = {"serial": [], "parallel": []}
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as tmp:
        for pair in range(args.pairs):
            order = [1, args.workers] if pair % 2 == 0 else [args.workers, 1]
            for workers in order:
                wall, used = timed_run(checks, workers, Path(tmp))
                (serial if workers == 1 else parallel).append(wall)
                cpu["serial" if workers == 1 else "parallel"].append(used)
                print(f"  pair {pair + 1}: -n {workers}: {wall:.1f} s wall, {used:.1f} s CPU")
    ratios = [s / p for s, p in zip(serial, parallel, strict=True)]
    what = "the whole suite" if not checks else f"{len(checks)} check modules"
    print(f"embedded reference, {what}, {args.pairs} interleaved pairs, {os.cpu_count()} cores:")
    print(
        f"  serial wall s: {_spread(serial, '{:.1f}')}; CPU s: {_spread(cpu['serial'], '{:.1f}')}"
    )
    print(
        f"  -n {args.workers} wall s: {_spread(parallel, '{:.1f}')}; "
        f"CPU s: {_spread(cpu['parallel'], '{:.1f}')}"
    )
    print(f"  ratio serial / -n {args.workers} (x faster): {_spread(ratios)} (goal >= 1.7)")


if __name__ == "__main__":
    main()
