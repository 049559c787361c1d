"""A comparison as text (a terminal), JSON (a script) or markdown (a pull-request comment)."""

from __future__ import annotations

import json

from tams_conformance.compare import KINDS, Change, Comparison
from tams_conformance.redact import redact_text

TITLES = {
    "regressed": "regressed (were passing, now fail)",
    "fixed": "fixed (were failing, now pass)",
    "known": "known failures (failing in both)",
    "new": "new checks",
    "removed": "removed checks",
    "changed": "changed without failing (e.g. passed -> warning or skipped)",
}
MESSAGE_CHARS = 200
LISTED = 100  # per target and kind in markdown: a PR comment is capped at 64 KiB


def _short(text: str) -> str:
    line = (redact_text(text or "").strip().splitlines() or [""])[0]
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS] + "..."


def summary_line(cmp: Comparison) -> str:
    counts = ", ".join(f"{cmp.count(k)} {k}" for k in KINDS if k != "changed")
    return f"tams-conformance compare: {counts}"


def as_text(cmp: Comparison) -> str:
    lines = [f"compare {cmp.old_run} (kit {cmp.old_kit}) -> {cmp.new_run} (kit {cmp.new_kit})"]
    lines += [f"note: {n}" for n in cmp.notes]
    for t in cmp.targets:
        name = t.target if t.old_target == t.target else f"{t.old_target} -> {t.target}"
        lines.append("")
        lines.append(f"target {name}: " + ", ".join(f"{len(t.changes[k])} {k}" for k in KINDS))
        lines += [f"  note: {n}" for n in t.notes]
        for kind in KINDS:
            for c in t.changes[kind]:
                lines.append(f"  {kind:9} {c.level:6} {c.id}: {_outcomes(c)}")
                if kind in ("regressed", "known") and c.new_message:
                    lines.append(f"            now: {_short(c.new_message)}")
                if kind == "known" and c.old_message:
                    lines.append(f"            baseline: {_short(c.old_message)}")
    lines += ["", summary_line(cmp)]
    return "\n".join(lines)


def _outcomes(c: Change) -> str:
    return f"{c.old or '-'} -> {c.new or '-'}"


def as_json(cmp: Comparison) -> str:
    return json.dumps(cmp.as_json(), indent=2)


def _md(text: str) -> str:
    from tams_conformance.report.markdown import text as md_text

    return md_text(_short(text))


def as_markdown(cmp: Comparison) -> str:
    """A table per target, regressions first, for a pull-request comment."""
    verdict = (
        f"{cmp.regressed} regressed" if cmp.regressed else "no regressions"
    ) + f", {cmp.count('fixed')} fixed, {cmp.count('new')} new, {cmp.count('removed')} removed"
    lines = [
        f"## TAMS conformance compared: {verdict}",
        "",
        f"`{_md(cmp.old_run)}` (kit {_md(cmp.old_kit)}) against "
        f"`{_md(cmp.new_run)}` (kit {_md(cmp.new_kit)}).",
    ]
    if cmp.notes:
        lines += ["", *[f"> {_md(n)}" for n in cmp.notes]]
    for t in cmp.targets:
        name = t.target if t.old_target == t.target else f"{t.old_target} -> {t.target}"
        lines += ["", f"### {_md(name)}", ""]
        lines += [f"> {_md(n)}" for n in t.notes]
        rows = [(k, c) for k in KINDS for c in t.changes[k]]
        if not rows:
            lines.append(f"No change ({t.unchanged} checks unchanged).")
            continue
        lines += [
            "| change | level | check | old | new | message |",
            "|---|---|---|---|---|---|",
        ]
        for kind, c in rows[:LISTED]:
            message = _md(c.new_message or c.old_message)
            if kind == "known" and c.old_message and c.old_message != c.new_message:
                message += f" (baseline: {_md(c.old_message)})"
            mark = "**regressed**" if kind == "regressed" else kind
            lines.append(
                f"| {mark} | {_md(c.level)} | `{c.id.replace('`', '')}` | "
                f"{_md(c.old or '-')} | {_md(c.new or '-')} | {message} |"
            )
        if len(rows) > LISTED:
            lines.append(f"\n... and {len(rows) - LISTED} more (`--format json` lists them all)")
        lines.append(f"\n{t.unchanged} checks unchanged.")
    return "\n".join(lines) + "\n"


FORMATS = {"text": as_text, "json": as_json, "md": as_markdown}
