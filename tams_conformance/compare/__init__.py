"""Comparisons of runs: two results (or a run and its baseline), and several targets of one run.

Checks are matched by their stable id, which carries the parameter row of a parametrised
check (`flows.invalid-body-400[missing-source-id]`), per target. An outcome is *bad* when it
fails the run or leaves it without a verdict (failed, error, xpassed) and *good* otherwise
(passed, warning, skipped, xfailed); a check regressed when it went from good to bad, was fixed
when it went from bad to good, is *known* when it was bad and still is. Checks present on one
side only are new or removed, never regressions: a newer kit version brings checks the older
run did not have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BAD = frozenset({"failed", "error", "xpassed"})
GOOD = frozenset({"passed", "warning", "skipped", "xfailed"})
KINDS = ("regressed", "fixed", "known", "new", "removed", "changed")


class CompareError(Exception):
    """A results file or baseline that cannot be read: the message names it and the fix."""


def load(path: str | Path) -> dict[str, Any]:
    """A results document from a results.json, a baseline file or a run folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CompareError(
            f"{path}: no such file (give a results.json, a run folder or a baseline file)"
        ) from None
    except (OSError, ValueError) as exc:
        raise CompareError(f"{path}: not a readable JSON results file ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list):
        raise CompareError(f"{path}: has no `checks` list; is it a tams-conformance results.json?")
    return doc


def target_versions(doc: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    """Target name -> {"api_version", "spec_version"} as the document records them."""
    specs = doc.get("spec_versions") or {}
    found: dict[str, dict[str, str | None]] = {}
    for t in doc.get("targets") or []:
        name = t.get("name")
        found[name] = {
            "api_version": t.get("api_version"),
            "spec_version": t.get("spec_version") or specs.get(name) or t.get("api_version"),
        }
    return found


@dataclass
class Change:
    """One check of one target whose status is worth a line."""

    kind: str
    id: str
    level: str
    old: str | None  # outcome in the old run (None: did not exist)
    new: str | None
    old_message: str = ""
    new_message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "old_outcome": self.old,
            "new_outcome": self.new,
            "old_message": self.old_message,
            "new_message": self.new_message,
        }


@dataclass
class TargetDiff:
    """The comparison of one target: its changes by kind, and the notes that qualify them."""

    target: str
    old_target: str
    changes: dict[str, list[Change]] = field(default_factory=lambda: {k: [] for k in KINDS})
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    in_old: bool = True  # False: the old run (baseline) has no such target at all

    def ids(self, kind: str) -> list[str]:
        return [c.id for c in self.changes[kind]]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target}
        if self.old_target != self.target:
            out["old_target"] = self.old_target
        out.update({k: [c.as_json() for c in self.changes[k]] for k in KINDS})
        out["unchanged"] = self.unchanged
        out["notes"] = self.notes
        out["in_old"] = self.in_old
        return out


@dataclass
class Comparison:
    """Old against new, per target."""

    old_run: str
    new_run: str
    old_kit: str
    new_kit: str
    targets: list[TargetDiff]
    notes: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> int:
        return sum(len(t.changes["regressed"]) for t in self.targets)

    def count(self, kind: str) -> int:
        return sum(len(t.changes[kind]) for t in self.targets)

    def as_json(self) -> dict[str, Any]:
        return {
            "old": {"run_id": self.old_run, "kit_version": self.old_kit},
            "new": {"run_id": self.new_run, "kit_version": self.new_kit},
            "summary": {k: self.count(k) for k in KINDS},
            "notes": self.notes,
            "targets": [t.as_json() for t in self.targets],
        }


def _by_target(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for t in doc.get("targets") or []:
        found.setdefault(t.get("name") or "-", {})
    for c in doc["checks"]:
        found.setdefault(c.get("target") or "-", {})[c["id"]] = c
    return found


def _kind(old: str | None, new: str | None) -> str | None:
    if old is None:
        return "new"
    if new is None:
        return "removed"
    if old in GOOD and new in BAD:
        return "regressed"
    if old in BAD and new in GOOD:
        return "fixed"
    if old in BAD:
        return "known"
    return "changed" if old != new else None


def diff_checks(
    target: str,
    old_target: str,
    old: dict[str, dict[str, Any]],
    new: dict[str, dict[str, Any]],
) -> TargetDiff:
    """The changes of one target between two maps of check id -> check entry."""
    result = TargetDiff(target, old_target)
    for check_id in sorted(old.keys() | new.keys()):
        o, n = old.get(check_id), new.get(check_id)
        kind = _kind(o and o.get("outcome"), n and n.get("outcome"))
        if kind is None:
            result.unchanged += 1
            continue
        entry = n or o or {}
        result.changes[kind].append(
            Change(
                kind,
                check_id,
                entry.get("level", ""),
                o and o.get("outcome"),
                n and n.get("outcome"),
                (o or {}).get("message", ""),
                (n or {}).get("message", ""),
            )
        )
    return result


def compare(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> Comparison:
    """Every target of the new run against the same target of the old one."""
    old_by, new_by = _by_target(old_doc), _by_target(new_doc)
    pairs: list[tuple[str, str]] = [(n, n) for n in new_by if n in old_by]
    notes: list[str] = []
    only_new = [n for n in new_by if n not in old_by]
    only_old = [n for n in old_by if n not in new_by]
    if not pairs and len(only_new) == 1 and len(only_old) == 1:
        # one target on each side under two names (staging then production, a renamed target)
        pairs = [(only_new[0], only_old[0])]
        notes.append(f"target names differ: old '{only_old[0]}' compared with new '{only_new[0]}'")
        only_new, only_old = [], []
    for name in only_new:
        notes.append(
            f"target '{name}' is not in the old run: all its checks are new (a run judged "
            "against a baseline judges its failures as without one)"
        )
        pairs.append((name, ""))
    for name in only_old:
        notes.append(f"target '{name}' is not in the new run: all its checks are removed")
    old_kit, new_kit = str(old_doc.get("kit_version", "?")), str(new_doc.get("kit_version", "?"))
    if old_kit != new_kit:
        notes.append(
            f"the runs were made with different kit versions (old {old_kit}, new {new_kit}): "
            "checks one of them did not have are listed as new or removed, not as regressions"
        )
    old_versions, new_versions = target_versions(old_doc), target_versions(new_doc)
    diffs = []
    for name, old_name in pairs:
        diff = diff_checks(name, old_name or name, old_by.get(old_name, {}), new_by[name])
        diff.in_old = bool(old_name)
        before, after = old_versions.get(old_name, {}), new_versions.get(name, {})
        for key, words in (("api_version", "api_version"), ("spec_version", "spec version")):
            if old_name and before.get(key) and after.get(key) and before[key] != after[key]:
                diff.notes.append(f"{words} changed: {before[key]} -> {after[key]}")
        diffs.append(diff)
    for name in only_old:
        diffs.append(diff_checks(name, name, old_by[name], {}))
    return Comparison(
        str(old_doc.get("run_id", "?")),
        str(new_doc.get("run_id", "?")),
        old_kit,
        new_kit,
        diffs,
        notes,
    )
