"""pytest options of the comparisons (`tams-conformance run --baseline/--compare` pass them),
and the two hooks the report collector calls: `extend` adds the comparison fields to the
results document, `terminal` gives the lines of the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

_BASELINE = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tams-conformance")
    group.addoption(
        "--tams-baseline",
        dest="tams_baseline",
        default=None,
        metavar="FILE",
        help="compare the run with this baseline (a baseline file, results.json or run folder)",
    )
    group.addoption(
        "--tams-compare",
        action="store_true",
        dest="tams_compare",
        default=False,
        help="put the targets of the run side by side in the reports",
    )


def _baseline(config: pytest.Config) -> dict[str, Any] | None:
    path = config.getoption("tams_baseline", None)
    if not path:
        return None
    if _BASELINE not in config.stash:
        from tams_conformance.compare import CompareError, load

        try:
            config.stash[_BASELINE] = load(path)
        except CompareError as exc:
            raise pytest.UsageError(f"--tams-baseline: {exc}") from None
    return config.stash[_BASELINE]


def extend(config: pytest.Config, doc: dict[str, Any]) -> dict[str, Any]:
    """The results document with the comparisons the run asked for (additive fields)."""
    baseline = _baseline(config)
    wants_targets = config.getoption("tams_compare", False)
    if baseline is None and not wants_targets:
        return doc
    doc["checks"] = [dict(c) for c in doc["checks"]]  # the collector's own entries stay as is
    if baseline is not None:
        from tams_conformance import baseline as baselines

        baselines.annotate(doc, baseline, str(config.getoption("tams_baseline")))
    if wants_targets:
        from tams_conformance.compare.targets import matrix

        doc["target_comparison"] = matrix(doc)
    return doc


def terminal(config: pytest.Config, doc: dict[str, Any]) -> list[str]:
    """Lines of the terminal summary for the comparisons."""
    lines: list[str] = []
    if doc.get("baseline"):
        from tams_conformance import baseline as baselines

        lines += baselines.terminal_lines(doc)
    found = doc.get("target_comparison")
    if found:
        names = found["targets"]
        differing = [r for r in found["rows"] if r["differs"]]
        lines.append(
            f"targets compared ({', '.join(names)}): {len(differing)} of "
            f"{len(found['rows'])} checks differ"
        )
        for r in differing[:50]:
            cells = ", ".join(f"{n}={r['outcomes'][n]}" for n in names)
            lines.append(f"  {r['id']}: {cells}")
    return lines
