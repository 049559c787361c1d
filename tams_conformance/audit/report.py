"""The audit's reports: audit.json, audit.html and junit.xml in reports/<audit-id>/.

The findings come from the state file and are written one at a time (audit.json may list
millions); the HTML page and JUnit list the first `SHOWN` of each type and the counts of all.
Every text goes through the kit's redaction (secrets and presigned signatures masked) and the
HTML escapes everything a server sent.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from tams_conformance.audit.findings import ERROR, IDS, TYPES
from tams_conformance.redact import redact_object, redact_text
from tams_conformance.report.folders import write_error, write_text

SHOWN = 200  # findings per type on the HTML page and in JUnit


def write_all(folder: Path, doc: dict[str, Any], findings: list[Any]) -> None:
    """Write the three files; `doc` is audit.json without its findings, `findings` a list of
    (target name, iterator factory) pairs giving each target's findings."""
    write_json(folder / "audit.json", doc, findings)
    shown = _shown(findings)
    write_text(folder / "audit.html", render_html(doc, shown))
    write_text(folder / "junit.xml", render_junit(doc, shown))


def _shown(findings: list[Any]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    kept: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for target, produce in findings:
        per = kept.setdefault(target, defaultdict(list))
        for finding in produce():
            if len(per[finding["type"]]) < SHOWN:
                per[finding["type"]].append(redact_object(finding))
    return kept


def write_json(path: Path, doc: dict[str, Any], findings: list[Any]) -> None:
    """audit.json, streamed: the document, then its findings one per line of the array."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            head = json.dumps(redact_object(doc), indent=2)
            out.write(head[: head.rfind("}")].rstrip() + ',\n  "findings": [')
            first = True
            for target, produce in findings:
                for finding in produce():
                    out.write(("\n    " if first else ",\n    ") + _dump(target, finding))
                    first = False
            out.write("\n  ]\n}\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(path, exc) from None


def _dump(target: str, finding: dict[str, Any]) -> str:
    return json.dumps(redact_object({"target": target, **finding}))


def render_html(doc: dict[str, Any], shown: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    e = html.escape
    verdict = doc["verdict"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>TAMS integrity audit {e(doc['audit_id'])}</title><style>{STYLE}</style>",
        "</head><body>",
        f"<h1>Integrity audit: <span class='v {e(verdict)}'>{e(verdict)}</span></h1>",
        f"<p>audit {e(doc['audit_id'])} · started {e(doc['started'])} · "
        f"{doc['duration_s']:.1f} s · kit {e(doc['kit_version'])} · "
        f"{'complete' if doc['complete'] else 'INCOMPLETE'}</p>",
    ]
    for target in doc["targets"]:
        name = target["name"]
        summary = target["summary"]
        parts.append(f"<h2>Target {e(name)}</h2>")
        parts.append(
            f"<p>scope: {e(target['scope'])} · {summary['flows']} flows, "
            f"{summary['segments']} segments, {summary['objects']} objects, "
            f"{summary['media_checked']} media checked ({e(target['verify_media'])}) · "
            f"{summary['requests']} requests</p>"
        )
        if target.get("problem"):
            parts.append(f"<p class=problem>{e(target['problem'])}</p>")
        for note in target.get("notes", []):
            parts.append(f"<p class=note>{e(note)}</p>")
        parts.append(
            "<table><tr><th>finding</th><th>level</th><th>count</th><th>likely cause</th></tr>"
        )
        for kind, ftype in TYPES.items():
            count = summary["by_type"].get(kind, 0)
            cls = "zero" if not count else ftype.level
            parts.append(
                f"<tr class={cls}><td><code>{e(kind)}</code></td><td>{ftype.level}</td>"
                f"<td>{count}</td><td>{e(ftype.cause)}</td></tr>"
            )
        parts.append("</table>")
        for kind, items in shown.get(name, {}).items():
            count = summary["by_type"].get(kind, 0)
            parts.append(f"<h3 id='{e(kind)}'><code>{e(kind)}</code> ({count})</h3>")
            parts.append(f"<p class=what>{e(TYPES[kind].what)}</p><ul>")
            for finding in items:
                ids = " ".join(
                    f"<span class=id>{k}={e(str(finding[k]))}</span>" for k in IDS if k in finding
                )
                parts.append(f"<li>{e(finding['message'])}<br>{ids}</li>")
            if count > len(items):
                parts.append(f"<li>... and {count - len(items)} more in audit.json</li>")
            parts.append("</ul>")
    parts.append("</body></html>")
    return redact_text("\n".join(parts))


def render_junit(doc: dict[str, Any], shown: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    """One test case per target and finding type: an error type with findings fails, a
    warning type passes with its findings in system-out."""
    cases, failures = [], 0
    for target in doc["targets"]:
        name = target["name"]
        counts = Counter(target["summary"]["by_type"])
        for kind, ftype in TYPES.items():
            items = shown.get(name, {}).get(kind, [])
            lines = "\n".join(f"{f['message']}" for f in items)
            if counts[kind] > len(items):
                lines += f"\n... and {counts[kind] - len(items)} more in audit.json"
            case = f"<testcase classname={quoteattr('audit.' + name)} name={quoteattr(kind)}>"
            if counts[kind] and ftype.level == ERROR:
                failures += 1
                case += (
                    f"<failure message={quoteattr(f'{counts[kind]} {kind}: {ftype.cause}')}>"
                    f"{escape(lines)}</failure>"
                )
            elif counts[kind]:
                case += f"<system-out>{escape(lines)}</system-out>"
            cases.append(case + "</testcase>")
        if target.get("problem"):
            cases.append(
                f'<testcase classname={quoteattr("audit." + name)} name="audit-complete">'
                f"<error message={quoteattr(target['problem'])}/></testcase>"
            )
    errors = sum(1 for t in doc["targets"] if t.get("problem"))
    body = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuites><testsuite name="tams-conformance audit" tests="{len(cases)}" '
        f'failures="{failures}" errors="{errors}">' + "".join(cases) + "</testsuite></testsuites>\n"
    )
    return redact_text(body)


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
tr.error td{background:#fde8e8}tr.warning td{background:#fff6dd}tr.zero td{color:#888}
.v.clean{color:#17743a}.v.errors{color:#b3261e}.v.incomplete,.v.warnings{color:#8a5a00}
.id{font-family:monospace;font-size:12px;background:#f2f2f2;margin-right:.6em;padding:0 .3em}
.problem{color:#b3261e;font-weight:bold}.note{color:#555}li{margin:.3em 0}
"""
