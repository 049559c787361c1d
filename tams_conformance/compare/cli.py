"""`tams-conformance compare OLD NEW`: what changed between two runs, per target.

Exit codes: 0 nothing regressed, 1 something regressed, 2 a file that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tams_conformance.compare import CompareError, compare, load
from tams_conformance.compare.render import FORMATS

EXIT_OK, EXIT_REGRESSED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any) -> None:
    """The `compare` subcommand of the CLI parser."""
    parser = sub.add_parser(
        "compare",
        help="compare two runs: regressed, fixed, new and removed checks per target",
        description="Compare two runs (results.json files, run folders or baseline files) per "
        "target, matching checks by id and parameter row. Exit 1 when a check regressed "
        "(passed, warning or skipped before; failed or error now), else 0.",
    )
    parser.add_argument("old", metavar="OLD", help="the earlier run (or the baseline)")
    parser.add_argument("new", metavar="NEW", help="the later run")
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="text",
        help="text (default), json, or md: a markdown table for a pull-request comment",
    )


def main(args: argparse.Namespace) -> int:
    try:
        old, new = load(args.old), load(args.new)
    except CompareError as exc:
        sys.stderr.write(f"tams-conformance compare: {exc}\n")
        return EXIT_USAGE
    result = compare(old, new)
    print(FORMATS[args.format](result))
    return EXIT_REGRESSED if result.regressed else EXIT_OK
