"""The flags of `tams-conformance run` that compare (`--baseline`, `--update-baseline`,
`--compare`) and sweep (`--sweep`): their arguments, what they add to the pytest command line,
and how they change the exit code. Kept here so cli.py only wires them in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tams_conformance.compare import CompareError, load

SWEEP_MODES = ("read", "write")


def add_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--baseline",
        metavar="FILE",
        help="judge the run against this baseline: exit 1 only for regressions; failures the "
        "baseline has are reported as known (a baseline file, results.json or run folder)",
    )
    run.add_argument(
        "--update-baseline",
        action="store_true",
        help="write the run's outcomes to the --baseline FILE afterwards (created if missing)",
    )
    run.add_argument(
        "--compare",
        action="store_true",
        help="with two or more --target: one report with a column per target, differences first",
    )
    run.add_argument(
        "--sweep",
        nargs="?",
        const="read",
        choices=SWEEP_MODES,
        default=None,
        help="also fuzz every operation of the target's spec with Schemathesis (needs the "
        "[sweep] extra): read-only operations, or --sweep=write for writes too, on ids the "
        "kit owns",
    )


def problem(args: argparse.Namespace) -> str | None:
    """A usage mistake in these flags, as one line (exit 2), or None."""
    if args.update_baseline and not args.baseline:
        return "--update-baseline needs --baseline FILE (where to write it)"
    if args.baseline and not (args.update_baseline and not Path(args.baseline).exists()):
        try:
            load(args.baseline)
        except CompareError as exc:
            return f"--baseline: {exc}"
    if args.compare and len(args.target) < 2:
        return "--compare needs two or more --target (e.g. --target staging --target production)"
    if args.sweep:
        from tams_conformance.sweep import missing_extra

        missing = missing_extra()
        if missing:
            return f"--sweep: {missing}"
    return None


def pytest_args(args: argparse.Namespace) -> list[str]:
    """What these flags add to the pytest command line."""
    out = ["-p", "tams_conformance.compare.plugin"]
    if args.baseline and Path(args.baseline).exists():
        out += ["--tams-baseline", str(Path(args.baseline).resolve())]
    if args.compare:
        out.append("--tams-compare")
    if args.sweep:
        from tams_conformance.sweep import CHECKS_FILE

        out += ["-p", "tams_conformance.sweep.plugin", "--tams-sweep", args.sweep]
        out.append(str(CHECKS_FILE))
    return out


def finish(args: argparse.Namespace, results_path: Path, code: int) -> int:
    """The exit code once the run is over, and the new baseline when asked for."""
    try:
        doc = json.loads(results_path.read_text())
    except (OSError, ValueError):
        return code
    if args.baseline and doc.get("baseline"):
        from tams_conformance import baseline

        code = baseline.exit_code(doc, code)
        s = doc["baseline"]["summary"]
        print(
            f"tams-conformance: against the baseline {args.baseline}: {s['regressed']} "
            f"regressed, {s['known']} known, {s['fixed']} fixed, {s['new']} new, "
            f"{s['removed']} removed",
            flush=True,
        )
    elif args.update_baseline and code == 1:
        code = 0  # the first baseline: every failure becomes known, none is a regression
    if args.update_baseline:
        if doc.get("interrupted") or not doc.get("checks"):
            sys.stderr.write(
                f"tams-conformance: baseline {args.baseline} not written: the run is incomplete\n"
            )
            return code
        from tams_conformance import baseline

        try:
            baseline.write(results_path, Path(args.baseline))
        except OSError as exc:
            sys.stderr.write(f"tams-conformance: could not write baseline {args.baseline}: {exc}\n")
            return 3
        sys.stderr.write(f"tams-conformance: baseline written to {args.baseline}\n")
    return code
