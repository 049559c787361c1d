"""The markdown summary on its own: escaping, redaction, and when it is written."""

from __future__ import annotations

from pathlib import Path

from tams_conformance.report import markdown


def document(message: str) -> dict:
    check = {
        "id": "flows.x[y]",
        "nodeid": "conformance/test_flows.py::test_x[t-y]",
        "area": "flows",
        "level": "MUST",
        "outcome": "failed",
        "spec_ref": "PUT /flows/{flowId}",
        "target": "t",
        "duration_s": 0.1,
        "message": message,
    }
    passed = {**check, "id": "flows.z", "outcome": "passed", "message": ""}
    return {
        "run_id": "r1",
        "targets": [{"name": "t", "api_version": "8.1"}],
        "summary": {"failed": 1, "passed": 1},
        "cleanup_warnings": [],
        "checks": [check, passed],
    }


def test_messages_are_one_escaped_line() -> None:
    text = markdown.render(document("a | b <img src=x> *bold*\nsecond line"))
    assert "a \\| b &lt;img src=x&gt; \\*bold\\*" in text
    assert "second line" not in text and "<img" not in text
    assert "| flows | 1 | 0 | 1 | 2 |" in text


def test_secrets_are_redacted() -> None:
    doc = document("answered 401 to Authorization: Bearer abc_def+ghi for sekrit_value(42)")
    text = markdown.render(doc, secrets=["sekrit_value(42)"])
    assert "def" not in text and "ghi" not in text and "sekrit" not in text
    assert "Bearer \\*\\*\\* for \\*\\*\\*" in text  # *** once rendered


def test_written_only_when_the_variable_is_set(tmp_path: Path) -> None:
    doc = document("boom")
    assert markdown.write_step_summary(doc, env={}) is None
    out = tmp_path / "summary.md"
    out.write_text("earlier step\n")
    assert markdown.write_step_summary(doc, env={"GITHUB_STEP_SUMMARY": str(out)}) == out
    text = out.read_text()
    assert text.startswith("earlier step\n") and "`flows.x[y]`: boom" in text


def test_an_unwritable_summary_is_reported_not_raised(tmp_path: Path, capsys) -> None:
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing-dir" / "summary.md")}
    assert markdown.write_step_summary(document("boom"), env=env) is None
    assert "could not write $GITHUB_STEP_SUMMARY" in capsys.readouterr().err
