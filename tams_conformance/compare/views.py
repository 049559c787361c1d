"""The comparison parts of report.html and of the markdown step summary: the run against its
baseline (`run --baseline`), and the targets of one run side by side (`run --compare`).

Both read only the results document's additive fields (`baseline`, `target_comparison`), so
a page rendered from an older results.json simply has neither part."""

from __future__ import annotations

import html
from typing import Any

from tams_conformance.compare import KINDS

SHOWN = ("regressed", "known", "fixed", "changed", "new", "removed")
MD_LISTED = 50


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _unjudged(doc: dict[str, Any]) -> int:
    """Failures of targets the baseline does not have: they count as without a baseline."""
    from tams_conformance.compare import BAD

    section = doc.get("baseline") or {}
    names = {t["target"] for t in section.get("targets", []) if not t.get("in_old", True)}
    return sum(1 for c in doc["checks"] if c.get("target") in names and c["outcome"] in BAD)


def verdict_words(doc: dict[str, Any]) -> tuple[bool, str]:
    """(bad, words) of the run against its baseline."""
    s = doc["baseline"]["summary"]
    unjudged = _unjudged(doc)
    words = f"regressions: {s['regressed']}" if s["regressed"] else "no regressions"
    if unjudged:
        words += f"; {unjudged} failed on targets the baseline does not have"
    return bool(s["regressed"] or unjudged), words


def _rows(section: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(kind, t["target"], c) for kind in SHOWN for t in section["targets"] for c in t[kind]]


# HTML -----------------------------------------------------------------------------------------
def html_baseline(doc: dict[str, Any]) -> str:
    section = doc.get("baseline")
    if not section:
        return ""
    s = section["summary"]
    counts = ", ".join(f"{s[k]} {k}" for k in KINDS)
    notes = [*section.get("notes", [])]
    for t in section["targets"]:
        notes += [f"{t['target']}: {n}" for n in t.get("notes", [])]
    note_html = "".join(f"<li>{esc(n)}</li>" for n in notes)
    bad, words = verdict_words(doc)
    head = (
        f"<section class='group' id='baseline'><h2>Compared with the baseline</h2>"
        f"<div class='verdict {'o-failed' if bad else 'o-passed'}' id='baseline-verdict'>"
        f"{esc(words)}</div><p>baseline <code>{esc(section['file'])}</code>: run "
        f"<code>{esc(section['old']['run_id'])}</code>, kit {esc(section['old']['kit_version'])}"
        f"; {esc(counts)}</p>" + (f"<ul class='notes'>{note_html}</ul>" if notes else "")
    )
    rows = []
    for kind, target, c in _rows(section):
        rows.append(
            f"<tr class='change' data-change='{esc(kind)}' data-id='{esc(c['id'])}' "
            f"data-target='{esc(target)}'><td><span class='badge "
            f"o-{'failed' if kind == 'regressed' else 'skipped'}'>{esc(kind)}</span></td>"
            f"<td>{esc(c['level'])}</td><td><code class='cid'>{esc(c['id'])}</code></td>"
            f"<td>{esc(target)}</td><td>{esc(c['old_outcome'] or '-')}</td>"
            f"<td>{esc(c['new_outcome'] or '-')}</td><td class='m msg'>{esc(c['new_message'])}"
            f"</td><td class='m msg' data-baseline-message>{esc(c['old_message'])}</td></tr>"
        )
    if not rows:
        return head + "<p>Every check has the baseline's outcome.</p></section>"
    table = (
        "<table class='rest baseline'><tr><th>change</th><th>level</th><th>check</th>"
        "<th>target</th><th>baseline</th><th>now</th><th>message now</th>"
        f"<th>baseline message</th></tr>{''.join(rows)}</table>"
    )
    return head + table + "</section>"


def html_targets(doc: dict[str, Any]) -> str:
    found = doc.get("target_comparison")
    if not found:
        return ""
    names = found["targets"]
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    rows = []
    for r in found["rows"]:
        cells = "".join(
            f"<td title='{esc(r['messages'].get(n, ''))}'><span class='badge "
            f"o-{esc(r['outcomes'][n])}'>{esc(r['outcomes'][n])}</span></td>"
            for n in names
        )
        rows.append(
            f"<tr class='compared{' differs' if r['differs'] else ''}' "
            f"data-differs='{'yes' if r['differs'] else 'no'}' data-id='{esc(r['id'])}'>"
            f"<td>{esc(r['level'])}</td><td><code class='cid'>{esc(r['id'])}</code></td>"
            f"{cells}</tr>"
        )
    return (
        "<section class='group' id='targets-compared'><h2>Targets compared "
        f"({found['differences']} differ of {len(found['rows'])})</h2>"
        "<table class='rest compare'><tr><th>level</th><th>check</th>"
        f"{head}</tr>{''.join(rows)}</table></section>"
    )


def html_parts(doc: dict[str, Any]) -> str:
    """What report.html shows after its summary: the comparisons, when the run made any."""
    return html_baseline(doc) + html_targets(doc)


# Markdown -------------------------------------------------------------------------------------
def markdown_parts(doc: dict[str, Any]) -> list[str]:
    from tams_conformance.report.markdown import text

    lines: list[str] = []
    section = doc.get("baseline")
    if section:
        s = section["summary"]
        lines += [
            "",
            f"### Compared with the baseline: {text(verdict_words(doc)[1])}",
            "",
            f"Baseline `{text(section['file'])}` (run `{text(section['old']['run_id'])}`, kit "
            f"{text(section['old']['kit_version'])}): "
            + ", ".join(f"{s[k]} {k}" for k in KINDS)
            + ".",
        ]
        notes = [*section.get("notes", [])]
        notes += [f"{t['target']}: {n}" for t in section["targets"] for n in t.get("notes", [])]
        lines += [f"> {text(n)}" for n in notes]
        rows = [r for r in _rows(section) if r[0] in ("regressed", "known", "fixed")]
        if rows:
            lines += [
                "",
                "| change | check | target | baseline | now | message now | baseline message |",
                "|---|---|---|---|---|---|---|",
            ]
            for kind, target, c in rows[:MD_LISTED]:
                mark = "**regressed**" if kind == "regressed" else kind
                lines.append(
                    f"| {mark} | `{c['id'].replace('`', '')}` | {text(target)} | "
                    f"{text(c['old_outcome'])} | {text(c['new_outcome'])} | "
                    f"{text(c['new_message'])} | {text(c['old_message'])} |"
                )
            if len(rows) > MD_LISTED:
                lines.append(f"\n... and {len(rows) - MD_LISTED} more (see report.html)")
    found = doc.get("target_comparison")
    if found:
        names = found["targets"]
        differing = [r for r in found["rows"] if r["differs"]]
        lines += [
            "",
            f"### Targets compared: {len(differing)} of {len(found['rows'])} checks differ",
        ]
        if differing:
            lines += [
                "",
                "| level | check | " + " | ".join(text(n) for n in names) + " |",
                "|---|---|" + "---|" * len(names),
            ]
            for r in differing[:MD_LISTED]:
                cells = " | ".join(text(r["outcomes"][n]) for n in names)
                lines.append(f"| {text(r['level'])} | `{r['id'].replace('`', '')}` | {cells} |")
            if len(differing) > MD_LISTED:
                lines.append(f"\n... and {len(differing) - MD_LISTED} more (see report.html)")
    return lines
