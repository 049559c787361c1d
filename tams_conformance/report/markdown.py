"""The run as markdown, for the job page of a CI system ($GITHUB_STEP_SUMMARY on GitHub Actions).

One table of counts per target (areas by outcome), then every failure and error with its check
id, level and message; warnings follow, folded. The text goes through the same redaction as
every other output before it is written.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tams_conformance.redact import redact_text
from tams_conformance.report.html import columns_of, duration_text, spec_versions, verdict

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
PROBLEMS = ("failed", "xpassed", "error")
LISTED = 50  # per target and kind: GitHub caps a step summary at 1 MiB
MESSAGE_CHARS = 300
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")  # after html.escape: no < or > left


def text(value: object) -> str:
    """One line of plain text that markdown (and the HTML GitHub allows in it) shows as is."""
    lines = str(value or "").strip().splitlines()
    line = lines[0] if lines else ""
    if len(line) > MESSAGE_CHARS:
        line = line[:MESSAGE_CHARS] + "..."
    return _MARKDOWN.sub(r"\\\1", html.escape(line, quote=False))


def render(doc: dict[str, Any], secrets: Iterable[str] = ()) -> str:
    """The markdown summary of one results document."""
    secrets = tuple(secrets)
    # Redacted before escaping too: a backslash escape inside a token would hide it from the
    # patterns (abc\_def), and the final pass below would mask only part of it.
    doc = {
        **doc,
        "checks": [{**c, "message": redact_text(c["message"], secrets)} for c in doc["checks"]],
        "cleanup_warnings": [redact_text(p, secrets) for p in doc.get("cleanup_warnings", [])],
    }
    _, words = verdict(doc)
    versions = spec_versions(doc)
    lines = [
        f"## TAMS conformance: {text(words)}",
        "",
        f"Run `{text(doc['run_id'])}`, tams-conformance {text(doc.get('kit_version', '?'))}, "
        f"{text(duration_text(doc.get('duration_s')))}, schema validation "
        f"{text(doc.get('schema_validation', 'on'))}"
        + (", strict" if doc.get("strict") else "")
        + ".",
    ]
    names = [t["name"] for t in doc.get("targets", [])]
    names += sorted({c["target"] or "-" for c in doc["checks"]} - set(names))
    for name in names:
        mine = [c for c in doc["checks"] if (c["target"] or "-") == name]
        if mine:
            lines += _target(name, versions.get(name, ""), mine)
    from tams_conformance.compare import views

    lines += views.markdown_parts(doc)  # --baseline and --compare, when the run made them
    if doc.get("cleanup_warnings"):
        lines += ["", f"**Cleanup warnings** ({len(doc['cleanup_warnings'])}):", ""]
        lines += [f"- {text(p)}" for p in doc["cleanup_warnings"][:LISTED]]
    lines += ["", "The full report is report.html in the reports artifact.", ""]
    return redact_text("\n".join(lines), secrets)


def _target(name: str, version: str, checks: list[dict[str, Any]]) -> list[str]:
    by_area: dict[str, Counter] = {}
    for c in sorted(checks, key=lambda c: c["area"]):
        by_area.setdefault(c["area"], Counter())[c["outcome"]] += 1
    total = Counter(c["outcome"] for c in checks)
    title = f"### {text(name)}" + (f" (TAMS {text(version)})" if version else "")
    columns = columns_of(checks)
    lines = ["", title, "", "| area | " + " | ".join(columns) + " | total |"]
    lines.append("|---|" + "---:|" * (len(columns) + 1))
    for area, counts in [*by_area.items(), ("**total**", total)]:
        cells = " | ".join(str(counts[o]) for o in columns)
        lines.append(
            f"| {area if area == '**total**' else text(area)} | {cells} | {sum(counts.values())} |"
        )
    problems = [c for c in checks if c["outcome"] in PROBLEMS]
    if problems:
        lines += ["", f"Failures and errors ({len(problems)}):", ""]
        lines += _items(problems)
    warnings = [c for c in checks if c["outcome"] == "warning"]
    if warnings:
        lines += ["", f"<details><summary>Warnings: SHOULD not met ({len(warnings)})</summary>"]
        lines += ["", *_items(warnings), "", "</details>"]
    return lines


def _items(checks: list[dict[str, Any]]) -> list[str]:
    order = {o: i for i, o in enumerate(PROBLEMS)}
    ordered = sorted(checks, key=lambda c: (order.get(c["outcome"], 9), c["level"], c["id"]))
    items = [
        f"- **{text(c['outcome'])}** {text(c['level'])} `{c['id'].replace('`', '')}`: "
        f"{text(c['message']) or '(no message)'}"
        for c in ordered[:LISTED]
    ]
    if len(ordered) > LISTED:
        items.append(f"- ... and {len(ordered) - LISTED} more (see report.html)")
    return items


def write_step_summary(
    doc: dict[str, Any], secrets: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> Path | None:
    """Append the summary to the file named by $GITHUB_STEP_SUMMARY, when it is set."""
    target = (os.environ if env is None else env).get(STEP_SUMMARY_ENV)
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as out:  # appended: other steps write there too
            out.write(render(doc, secrets))
    except OSError as exc:  # the job summary is a courtesy: never the reason a run fails
        sys.stderr.write(f"tams-conformance: could not write ${STEP_SUMMARY_ENV} ({exc})\n")
        return None
    return path
