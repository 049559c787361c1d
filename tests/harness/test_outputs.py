"""Outputs that agree and read as sentences: the transcript shows the judged exchange, messages
carry no introspection or reprs, junit.xml counts what results.json counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
import requests

from tams_conformance.client import Transcript
from tams_conformance.report import junit, sentences, verdict_line


def _prepared(method: str, path: str) -> requests.PreparedRequest:
    return requests.Request(method, f"http://127.0.0.1:1/{path}").prepare()


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"{}"
    return response


def fill(transcript: Transcript, calls: list[tuple[str, str, int]]) -> list[requests.Response]:
    made = []
    for method, path, status in calls:
        response = _response(status)
        transcript.record(response, _prepared(method, path), 0.001)
        made.append(response)
    return made


def test_the_judged_delete_is_shown_among_many_reads_with_the_omitted_count():
    transcript = Transcript()
    mark = transcript.mark()
    calls = [("PUT", f"flows/setup-{i}", 201) for i in range(5)]
    calls += [("DELETE", "flows/the-one", 204)]
    calls += [("GET", f"flows/poll-{i}", 200) for i in range(80)]
    fill(transcript, calls)
    text = transcript.render(mark)
    lines = text.splitlines()
    assert lines[0].startswith("PUT http://127.0.0.1:1/flows/setup-0 -> 201")
    judged = lines.index(">>> judged")
    assert lines[judged + 1].startswith("DELETE http://127.0.0.1:1/flows/the-one -> 204")
    assert any(line.endswith("exchanges omitted ...") for line in lines)
    assert lines[-2].startswith("GET http://127.0.0.1:1/flows/poll-79 -> 200")
    shown = sum(1 for line in lines if " -> " in line)
    omitted = sum(int(line.split()[1]) for line in lines if line.endswith("omitted ..."))
    assert shown + omitted == len(calls)


def test_a_check_marks_the_exchange_it_judges():
    transcript = Transcript()
    mark = transcript.mark()
    responses = fill(transcript, [("GET", "service", 200), ("POST", "flows/x/storage", 201)])
    transcript.mark_judged(responses[0])
    text = transcript.render(mark)
    assert text.splitlines()[:2] == [">>> judged", text.splitlines()[1]]
    assert "service -> 200" in text.splitlines()[1]
    with transcript.judged():
        fill(transcript, [("GET", "flows/y", 404)])
    assert transcript.judged_since(mark) == {0, 2}


def _excinfo(fn) -> pytest.ExceptionInfo:
    with pytest.raises(BaseException) as info:
        fn()
    return info


@dataclass
class _Target:
    name: str
    token: str


def test_an_assertion_with_a_message_is_only_its_message():
    def check():
        status = 204
        assert status == 409, "DELETE /flows/{id} answered 204, not 409"

    info = _excinfo(check)
    assert sentences.assertion(info) == "DELETE /flows/{id} answered 204, not 409"


def test_a_bare_comparison_becomes_expected_and_got_without_reprs():
    def check():
        left = {"tams_conformance_run": "x"}
        assert left == {}

    text = sentences.assertion(_excinfo(check))
    assert text == "left == {}: expected {}, got {'tams_conformance_run': 'x'}"

    def with_repr():
        target = _Target("vast", "secret")
        assert target.name == "other"

    text = sentences.assertion(_excinfo(with_repr))
    assert "where" not in text and "_Target(" not in text and "secret" not in text
    assert text == """target.name == "other": expected 'other', got 'vast'"""
    assert sentences.plain("<Response [204]> and Target(name=Auth(x=1), y=2)") == (
        "Response and Target"
    )


def test_an_unexpected_exception_names_itself_and_the_body_it_was_reading():
    transcript = Transcript()
    fill(transcript, [("GET", "objects/o1", 200)])
    last = transcript.since(0)[-1]

    def check():
        body = {"id": "o1"}
        return body["referenced_by_flows"]

    text = sentences.unexpected(_excinfo(check), last)
    assert "unexpected KeyError: 'referenced_by_flows'" in text
    assert "GET http://127.0.0.1:1/objects/o1 -> 200" in text and ": {}" in text


DOC = {
    "run_id": "r",
    "started": "2026-01-01T00:00:00+00:00",
    "schema_validation": "off",
    "targets": [{"name": "a"}, {"name": "b"}],
    "summary": {"failed": 2, "error": 1, "warning": 3, "passed": 4, "skipped": 1, "xfailed": 1},
    "cleanup_warnings": [],
    "checks": [
        {
            "id": f"x.{outcome}-{i}",
            "nodeid": f"t::{outcome}{i}",
            "area": "x",
            "level": "SHOULD" if outcome == "warning" else "MUST",
            "outcome": outcome,
            "spec_ref": "GET /x",
            "target": "a",
            "duration_s": 0.1,
            "message": f"{outcome} \x00 message",
        }
        for outcome, n in {
            "failed": 2,
            "error": 1,
            "warning": 3,
            "passed": 4,
            "skipped": 1,
            "xfailed": 1,
        }.items()
        for i in range(n)
    ],
}


def test_junit_counts_equal_the_results_summary(tmp_path):
    path = junit.write(DOC, {"t::failed0": "GET /x -> 500"}, tmp_path / "junit.xml")
    suite = ET.parse(path).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert junit.counts(DOC) == {"tests": 12, "failures": 2, "errors": 1, "skipped": 2}
    assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    assert junit.counts(DOC) == {k: int(suite.get(k)) for k in junit.counts(DOC)}
    warned = [c for c in cases if c.find("properties/property[@value='warning']") is not None]
    assert len(warned) == 3
    assert all("SHOULD not met" in c.find("system-out").text for c in warned)
    assert all(c.find("failure") is None for c in warned)
    failed = next(c for c in cases if c.get("name") == "x.failed-0")
    assert "GET /x -> 500" in failed.find("failure").text


def test_the_last_line_is_the_kits_verdict():
    assert verdict_line(DOC, 1) == (
        "tams-conformance: 2 failed, 1 error, 3 warnings, 4 passed, 1 skipped, 1 xfailed "
        "on a, b; schema validation: off (exit 1)"
    )
