"""Baselines: what a target failed in a run, kept to judge later runs by regressions only.

A baseline file is a slim results document (loadable by `compare` like a results.json):
the kit version, every target's `api_version` and spec version, and each check's id, level,
outcome and message. `tams-conformance run --baseline FILE` compares the run with it: the exit
code is 1 only for regressions, and failures the baseline already has are *known*, reported
with the baseline's message beside the new one. `--update-baseline` writes the run's own.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tams_conformance.compare import BAD, CompareError, Comparison, compare, load

FORMAT = 1
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3  # as the CLI's
KEPT = ("id", "target", "level", "area", "outcome", "message")


def from_results(doc: dict[str, Any]) -> dict[str, Any]:
    """The baseline of one results document."""
    specs = doc.get("spec_versions") or {}
    return {
        "baseline_format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": doc.get("run_id"),
        "kit_version": doc.get("kit_version"),
        "strict": doc.get("strict", False),
        "schema_validation": doc.get("schema_validation", "on"),
        "spec_versions": specs,
        "targets": [
            {
                "name": t.get("name"),
                "api_version": t.get("api_version"),
                "spec_version": specs.get(t.get("name")) or t.get("api_version"),
                "base_url": t.get("base_url"),
            }
            for t in doc.get("targets") or []
        ],
        "summary": doc.get("summary", {}),
        "checks": [{k: c.get(k) for k in KEPT} for c in doc.get("checks", [])],
    }


def write(results_path: Path, baseline_path: Path) -> None:
    """Write the baseline of the run whose results.json is `results_path`."""
    doc = load(results_path)
    text = json.dumps(from_results(doc), indent=2) + "\n"
    baseline_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = baseline_path.with_name(baseline_path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(baseline_path)  # never half a baseline


def annotate(doc: dict[str, Any], baseline: dict[str, Any], path: str) -> Comparison:
    """Add the comparison with `baseline` to a results document (additive fields): a
    `baseline` section, and on each check `baseline_status` (regressed, fixed, known, new,
    changed, unchanged) with the baseline's `baseline_outcome` and `baseline_message`."""
    cmp = compare(baseline, doc)
    status: dict[tuple[str, str], str] = {}
    for t in cmp.targets:
        for kind, changes in t.changes.items():
            for c in changes:
                status[(t.target, c.id)] = kind
    old = {(c.get("target") or "-", c["id"]): c for c in baseline.get("checks", [])}
    names = {t.target: t.old_target for t in cmp.targets}
    for c in doc["checks"]:
        target = c.get("target") or "-"
        c["baseline_status"] = status.get((target, c["id"]), "unchanged")
        before = old.get((names.get(target, target), c["id"]))
        if before is not None:
            c["baseline_outcome"] = before.get("outcome")
            c["baseline_message"] = before.get("message", "")
    doc["baseline"] = {
        "file": path,
        "created": baseline.get("created"),
        **cmp.as_json(),
    }
    return cmp


def read(path: str) -> dict[str, Any]:
    """The baseline at `path` (a baseline file, a results.json or a run folder)."""
    return load(path)


def exit_code(doc: dict[str, Any], usual: int) -> int:
    """The exit code of a run judged against a baseline: 1 for regressions only. A run with
    no verdict (interrupted, no results, a target that failed pre-flight) keeps its own."""
    if usual == EXIT_USAGE or doc.get("interrupted") or not doc.get("checks"):
        return usual
    section = doc.get("baseline") or {}
    if section.get("summary", {}).get("regressed"):
        return EXIT_FAILURES
    # A target the baseline does not have is judged as without one: its failures count.
    unjudged = {t["target"] for t in section.get("targets", []) if not t.get("in_old", True)}
    if any(c.get("target") in unjudged and c["outcome"] in BAD for c in doc["checks"]):
        return usual
    if any(c.get("id") == "preflight" and c["outcome"] in BAD for c in doc["checks"]):
        return EXIT_HARNESS  # a target that could not be checked is no pass
    return EXIT_OK


def terminal_lines(doc: dict[str, Any]) -> list[str]:
    """The baseline part of the terminal summary: regressions, then known failures with both
    messages, then counts of the rest."""
    section = doc.get("baseline")
    if not section:
        return []
    s = section["summary"]
    lines = [
        f"baseline {section['file']} (run {section['old']['run_id']}, kit "
        f"{section['old']['kit_version']}): {s['regressed']} regressed, {s['known']} known, "
        f"{s['fixed']} fixed, {s['new']} new, {s['removed']} removed"
    ]
    lines += [f"note: {n}" for n in section.get("notes", [])]
    for t in section["targets"]:
        lines += [f"note [{t['target']}]: {n}" for n in t.get("notes", [])]
        for c in t["regressed"]:
            lines.append(
                f"REGRESSED {c['id']} [{t['target']}]: {c['old_outcome']} -> "
                f"{c['new_outcome']}: {c['new_message'][:200]}"
            )
        for c in t["known"]:
            lines.append(f"known     {c['id']} [{t['target']}]: {c['new_message'][:200]}")
            if c["old_message"] != c["new_message"]:
                lines.append(f"          baseline: {c['old_message'][:200]}")
        for c in t["fixed"]:
            lines.append(
                f"fixed     {c['id']} [{t['target']}]: {c['old_outcome']} -> {c['new_outcome']}"
            )
    return lines


__all__ = ["CompareError", "annotate", "exit_code", "from_results", "read", "write"]
