"""`tams-conformance audit` at scale: requests per second, wall time and peak memory, and
whether the audit's memory grows with the store.

For each size a reference server is started as its own subprocess, seeded in bulk
(`tams-conformance reference --seed-flows N --seed-segments M [--seed-media]`), and audited
by another subprocess (`tams-conformance audit --rate unlimited`), whose peak resident memory
(ru_maxrss) it reports itself, so neither the server's memory nor this script's is counted.
Sizes are audited in interleaved rounds (small, large, small, large, ...) and each figure is
printed as min/median/max over the rounds.

    .venv/bin/python benchmarks/audit_scale.py        # 10,000 flows; 20k and 200k segments
    .venv/bin/python benchmarks/audit_scale.py --flows 1000 --segments 2000,20000 --rounds 1
    .venv/bin/python benchmarks/audit_scale.py --verify-media size --seed-media ...
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

# The audit child: run the CLI in process, then print its own peak memory (KiB on Linux).
CHILD = (
    "import resource, sys\n"
    "from tams_conformance.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write(f'MAXRSS_KIB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
    "raise SystemExit(code)\n"
)


def start_reference(flows: int, segments: int, media: bool) -> tuple[subprocess.Popen, str, float]:
    cmd = [
        sys.executable,
        "-m",
        "tams_reference",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--seed-flows",
        str(flows),
        "--seed-segments",
        str(segments),
    ]
    if media:
        cmd.append("--seed-media")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("BASE_URL="):
        proc.kill()
        raise SystemExit(f"the reference did not start: {line!r}")
    return proc, line.removeprefix("BASE_URL="), time.monotonic() - started


def audit(base_url: str, work: Path, args: argparse.Namespace) -> dict[str, float]:
    targets = work / "targets.yaml"
    targets.write_text(
        yaml.safe_dump({"targets": {"bench": {"base_url": base_url, "timeout_s": 120}}})
    )
    cmd = [
        sys.executable,
        "-c",
        CHILD,
        "audit",
        "--targets-file",
        str(targets),
        "--target",
        "bench",
        "--reports-dir",
        str(work / "reports"),
        "--rate",
        "unlimited",
        "--concurrency",
        str(args.concurrency),
        "--verify-media",
        args.verify_media,
        "--no-progress",
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit exited {proc.returncode}: {proc.stderr[-2000:]}")
    rss = next(
        int(line.split("=")[1])
        for line in proc.stderr.splitlines()
        if line.startswith("MAXRSS_KIB=")
    )
    doc = json.loads((work / "reports" / "latest-audit" / "audit.json").read_text())
    summary = doc["targets"][0]["summary"]
    return {
        "wall_s": wall,
        "requests": summary["requests"],
        "rps": summary["requests"] / wall,
        "peak_mib": rss / 1024,
        "segments": summary["segments"],
        "flows": summary["flows"],
        "findings": sum(summary["by_type"].values()),
    }


def show(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=10_000)
    parser.add_argument("--segments", default="20000,200000", help="comma list of sizes")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--verify-media", default="none", choices=("none", "size", "hash"))
    parser.add_argument("--seed-media", action="store_true", help="PUT every object's media")
    args = parser.parse_args()
    os.environ.setdefault("TAMS_SPEC_DIR", str(Path.home() / ".cache/tams-conformance/spec"))
    sizes = [int(s) for s in args.segments.split(",")]
    figures: dict[int, list[dict[str, float]]] = {s: [] for s in sizes}
    for round_ in range(args.rounds):
        for size in sizes:  # interleaved: the machine's drift spreads over every size
            proc, base_url, seed_s = start_reference(args.flows, size, args.seed_media)
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    got = audit(base_url, Path(tmp), args)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            got["seed_s"] = seed_s
            figures[size].append(got)
            print(
                f"round {round_ + 1}: {args.flows} flows, {size} segments: "
                f"{got['requests']:.0f} requests in {got['wall_s']:.1f} s "
                f"({got['rps']:.0f}/s), peak {got['peak_mib']:.1f} MiB, "
                f"seeded in {seed_s:.1f} s, {got['findings']:.0f} findings",
                flush=True,
            )
    print(
        f"\naudit of a seeded reference ({args.flows} flows, --verify-media "
        f"{args.verify_media}, --concurrency {args.concurrency}, {args.rounds} rounds; "
        "min/median/max):"
    )
    print(f"{'segments':>10} {'requests':>10} {'wall s':>16} {'requests/s':>16} {'peak MiB':>16}")
    for size, runs in figures.items():
        print(
            f"{size:>10} {runs[0]['requests']:>10.0f} "
            f"{show([r['wall_s'] for r in runs], '.1f'):>16} "
            f"{show([r['rps'] for r in runs], '.0f'):>16} "
            f"{show([r['peak_mib'] for r in runs], '.1f'):>16}"
        )
    if len(sizes) > 1:
        small = statistics.median(r["peak_mib"] for r in figures[sizes[0]])
        large = statistics.median(r["peak_mib"] for r in figures[sizes[-1]])
        print(
            f"peak memory, {sizes[-1]} vs {sizes[0]} segments: {large / small:.2f} x "
            f"({large - small:+.1f} MiB for {sizes[-1] / sizes[0]:.0f} x the segments)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
