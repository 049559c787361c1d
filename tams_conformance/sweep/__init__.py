"""The sweep: Schemathesis fuzzes every operation of the target's spec version (opt-in,
`tams-conformance run --sweep`, with the `tams-conformance[sweep]` extra installed).

Each operation is one parameter row of the check `sweep.operation`: no 5xx, only status codes
the spec documents for it, responses valid against its schemas. Read-only operations (GET,
HEAD) only, unless `--sweep=write`; writes then go only to ids the kit created, and what they
made is deleted at the end like everything else the run makes.
"""

from __future__ import annotations

from pathlib import Path

CHECKS_FILE = Path(__file__).resolve().parent / "check_sweep.py"
EXTRA_HINT = "pip install 'tams-conformance[sweep]'"


def missing_extra() -> str | None:
    """Why the sweep cannot run here (one line naming the fix), or None."""
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        return f"the sweep needs Schemathesis, which is not installed: {EXTRA_HINT}"
    return None
