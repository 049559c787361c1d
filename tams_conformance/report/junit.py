"""junit.xml written from the results document, so CI dashboards count what the kit counts.

| results.json outcome | junit element |
|---|---|
| failed, xpassed (a known failure that now passes fails the run) | `<failure>` |
| error (the harness could not judge; a target that failed pre-flight) | `<error>` |
| skipped (n/a, unsupported), xfailed (a known failure, still failing) | `<skipped>` |
| warning (a SHOULD not met) | passed, with property `tams.outcome=warning` and system-out |
| passed | passed |

So `failures` = failed + xpassed, `errors` = error, `skipped` = skipped + xfailed, `tests` =
every check; the suite's properties repeat the kit's own counts (`tams.summary.<outcome>`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

ELEMENT = {"failed": "failure", "xpassed": "failure", "error": "error"}
SKIPPED = ("skipped", "xfailed")
# Characters XML 1.0 cannot carry at all (a transcript may quote a binary body).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def counts(doc: dict[str, Any]) -> dict[str, int]:
    """The junit totals implied by a results document (what `write` puts in the file)."""
    summary = Counter(doc.get("summary", {}))
    return {
        "tests": sum(summary.values()),
        "failures": summary["failed"] + summary["xpassed"],
        "errors": summary["error"],
        "skipped": summary["skipped"] + summary["xfailed"],
    }


def build(doc: dict[str, Any], transcripts: dict[str, str]) -> ET.ElementTree:
    totals = counts(doc)
    time_s = sum(c["duration_s"] for c in doc["checks"])
    suites = ET.Element("testsuites", {k: str(v) for k, v in totals.items()})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": "tams-conformance",
            **{k: str(v) for k, v in totals.items()},
            "time": f"{time_s:.3f}",
            "timestamp": doc.get("started", ""),
        },
    )
    props = ET.SubElement(suite, "properties")
    extra = {
        "tams.run_id": doc.get("run_id", ""),
        "tams.schema_validation": doc.get("schema_validation", "on"),
        "tams.cleanup_warnings": str(len(doc.get("cleanup_warnings", []))),
    }
    extra.update({f"tams.summary.{k}": str(v) for k, v in sorted(doc["summary"].items())})
    for name, value in extra.items():
        ET.SubElement(props, "property", {"name": name, "value": value})
    for check in doc["checks"]:
        _case(suite, check, transcripts.get(check["nodeid"], ""))
    ET.indent(suites)
    return ET.ElementTree(suites)


def _case(suite: ET.Element, check: dict[str, Any], transcript: str) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"{check['target'] or '-'}.{check['area']}",
            "name": check["id"],
            "time": f"{check['duration_s']:.3f}",
        },
    )
    props = ET.SubElement(case, "properties")
    for key in ("outcome", "level", "spec_ref", "target"):
        value = _safe(str(check[key] or ""))
        ET.SubElement(props, "property", {"name": f"tams.{key}", "value": value})
    outcome, message, transcript = check["outcome"], _safe(check["message"]), _safe(transcript)
    if outcome in ELEMENT:
        element = ET.SubElement(case, ELEMENT[outcome], {"message": message, "type": outcome})
        element.text = "\n\n".join(p for p in (message, transcript) if p)
    elif outcome in SKIPPED:
        ET.SubElement(case, "skipped", {"message": message, "type": outcome})
    elif outcome == "warning":
        out = ET.SubElement(case, "system-out")
        body = f"SHOULD not met (warning; --strict makes it a failure): {message}"
        out.text = "\n\n".join(p for p in (body, transcript) if p)


def write(doc: dict[str, Any], transcripts: dict[str, str], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build(doc, transcripts).write(path, encoding="utf-8", xml_declaration=True)
    return path
