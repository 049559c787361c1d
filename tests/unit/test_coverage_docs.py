"""docs/coverage.md marks each of the sixty concrete assertions of the spec facts (section 10)
with the checks that cover it: all sixty are covered, by checks that exist."""

from __future__ import annotations

import re
from pathlib import Path

from tams_conformance.catalog import collect_checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
ROW = re.compile(r"^\| (\d+) \| .+ \| (.+) \|$")


def test_every_assertion_is_covered_by_checks_that_exist():
    ids = {info.id for info in collect_checks()}
    rows = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows[int(match.group(1))] = re.findall(r"`([a-z0-9-]+\.[a-z0-9-]+)`", match.group(2))
    assert sorted(rows) == list(range(1, 61))
    uncovered = [n for n, checks in rows.items() if not checks]
    assert uncovered == [], f"assertions {uncovered} name no check"
    unknown = sorted({c for checks in rows.values() for c in checks} - ids)
    assert unknown == [], f"docs/coverage.md names checks that do not exist: {unknown}"
