"""Control characters from a server reach the terminal and the reports escaped."""

from __future__ import annotations

from _pytest._code import ExceptionInfo
from _pytest.reports import TestReport

from tams_conformance.safetext import escape_controls, escape_report

HOSTILE = "body \x1b[2J\x1b]8;;http://evil\x07link\x1b]8;;\x07 \x00end"


def report_with(longrepr) -> TestReport:
    return TestReport("t.py::t", ("t.py", 1, "t"), {}, "failed", longrepr, "call", [("s", HOSTILE)])


def test_an_assertion_carrying_a_hostile_body_is_escaped() -> None:
    try:
        raise AssertionError(f"get_url answered 403: {HOSTILE}")
    except AssertionError as exc:
        info = ExceptionInfo.from_exception(exc)
    rep = report_with(info.getrepr())
    escape_report(rep)
    text = str(rep.longrepr)
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "\\x1b[2J" in text and "\\x1b]8;;http://evil\\x07" in text
    assert rep.sections == [("s", escape_controls(HOSTILE))]


def test_skip_reasons_are_escaped_and_clean_reports_left_alone() -> None:
    rep = report_with(("t.py", 1, f"Skipped: {HOSTILE}"))
    escape_report(rep)
    assert rep.longrepr[2] == f"Skipped: {escape_controls(HOSTILE)}"
    try:
        raise AssertionError("plain")
    except AssertionError as exc:
        repr_ = ExceptionInfo.from_exception(exc).getrepr()
    clean = report_with(repr_)
    escape_report(clean)
    assert clean.longrepr is repr_  # nothing to escape: pytest's own rendering is kept
