"""Several targets of one run side by side (`run --target a --target b --compare`): each check
with its outcome on every target, the checks whose outcomes differ first."""

from __future__ import annotations

from typing import Any

from tams_conformance.compare import BAD

NOT_RUN = "-"  # a check that did not run on that target (a profile or version gate, say)


def target_names(doc: dict[str, Any]) -> list[str]:
    names = [t["name"] for t in doc.get("targets", [])]
    return names + sorted({c.get("target") or "-" for c in doc["checks"]} - set(names))


def matrix(doc: dict[str, Any]) -> dict[str, Any]:
    """results.json `target_comparison`: {"targets", "differences", "rows"}; each row has the
    check id, level, area, `differs` and its `outcomes` and `messages` per target."""
    names = target_names(doc)
    rows: dict[str, dict[str, Any]] = {}
    for c in doc["checks"]:
        if c["id"] == "preflight":
            continue
        row = rows.setdefault(
            c["id"],
            {"id": c["id"], "level": c["level"], "area": c["area"], "outcomes": {}, "messages": {}},
        )
        target = c.get("target") or "-"
        row["outcomes"][target] = c["outcome"]
        row["messages"][target] = c.get("message", "")
    for row in rows.values():
        outcomes = [row["outcomes"].get(n, NOT_RUN) for n in names]
        row["outcomes"] = dict(zip(names, outcomes, strict=True))
        row["messages"] = {n: row["messages"].get(n, "") for n in names}
        row["differs"] = len(set(outcomes)) > 1
    # differences first; among them, the ones where some target fails before the rest
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            not r["differs"],
            not any(o in BAD for o in r["outcomes"].values()),
            r["id"],
        ),
    )
    return {
        "targets": names,
        "differences": sum(1 for r in ordered if r["differs"]),
        "rows": ordered,
    }
