"""report.html on its own: everything is escaped, transcripts are redacted, order and counts."""

from __future__ import annotations

from tams_conformance.report import html as html_report


def check(outcome: str, check_id: str, message: str = "", level: str = "MUST") -> dict:
    return {
        "id": check_id,
        "nodeid": f"conformance/test_x.py::test_{check_id}[t]",
        "area": check_id.split(".")[0],
        "level": level,
        "outcome": outcome,
        "spec_ref": "GET /flows <b>",
        "target": "t",
        "duration_s": 0.5,
        "message": message,
    }


def document(*checks: dict) -> dict:
    return {
        "run_id": "<run>",
        "started": "s",
        "finished": "f",
        "targets": [{"name": "t", "api_version": "8.2", "profiles": ["tams"]}],
        "summary": {},
        "cleanup_warnings": ["flow <x> left behind"],
        "checks": list(checks),
    }


def test_everything_is_escaped_and_transcripts_redacted() -> None:
    bad = check("failed", "flows.a", "<script>alert(1)</script>\nmore")
    transcripts = {bad["nodeid"]: "GET http://h/flows -> 401 (1 ms)\n  > X-Api-Key: k-123456"}
    page = html_report.render(document(bad), transcripts, secrets=["k-123456"])
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "<run>" not in page and "flow &lt;x&gt; left behind" in page
    assert "GET /flows &lt;b&gt;" in page
    assert "k-123456" not in page and "X-Api-Key: ***" in page
    assert page.count("<script>") == 1  # the page's own script, nothing else


def test_failures_then_errors_then_warnings_then_the_rest() -> None:
    doc = document(
        check("passed", "flows.p"),
        check("warning", "flows.w", "w", level="SHOULD"),
        check("error", "flows.e", "e"),
        check("failed", "flows.f", "f"),
        check("skipped", "flows.s", "n/a: x"),
    )
    doc["summary"] = {"passed": 1, "warning": 1, "error": 1, "failed": 1, "skipped": 1}
    page = html_report.render(doc, {})
    at = {i: page.index(f"data-id='flows.{i}'") for i in "fewps"}
    assert at["f"] < at["e"] < at["w"] < at["p"] < at["s"]
    assert "id='verdict'>not conformant: 1 failed<" in page
