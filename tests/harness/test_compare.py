"""The comparison of runs: matching by check id and parameter row per target, the kinds of
change, kit and version notes, the compare subcommand's formats and exit codes, the baseline
annotations of a results document, and the side-by-side view of several targets."""

from __future__ import annotations

import json

import pytest

from tams_conformance import baseline
from tams_conformance.cli import main
from tams_conformance.compare import compare, load
from tams_conformance.compare.render import as_markdown, as_text
from tams_conformance.compare.targets import matrix
from tams_conformance.compare.views import html_parts, markdown_parts


def check(cid: str, outcome: str, target: str = "t", message: str = "") -> dict:
    return {
        "id": cid,
        "nodeid": f"conformance/test_x.py::test[{target}-{cid}]",
        "area": cid.split(".")[0],
        "level": "MUST",
        "outcome": outcome,
        "spec_ref": "spec",
        "target": target,
        "duration_s": 0.1,
        "message": message,
    }


def doc(*checks: dict, kit: str = "0.1.0", run: str = "r", version: str = "8.2") -> dict:
    names = sorted({c["target"] for c in checks}) or ["t"]
    return {
        "run_id": run,
        "kit_version": kit,
        "spec_versions": {n: version for n in names},
        "targets": [{"name": n, "api_version": version} for n in names],
        "summary": {},
        "checks": list(checks),
    }


OLD = doc(
    check("a.pass", "passed"),
    check("a.fails[row-1]", "failed", message="old reason"),
    check("a.fails[row-2]", "passed"),
    check("a.skip", "skipped"),
    check("a.warn", "warning"),
    check("a.fixed", "error", message="broken"),
    check("a.gone", "passed"),
    run="old",
)
NEW = doc(
    check("a.pass", "passed"),
    check("a.fails[row-1]", "failed", message="new reason"),
    check("a.fails[row-2]", "failed", message="row 2 broke"),
    check("a.skip", "error", message="now errors"),
    check("a.warn", "passed"),
    check("a.fixed", "passed"),
    check("a.brand-new", "failed"),
    run="new",
)


def test_kinds_are_matched_by_id_and_parameter_row():
    diff = compare(OLD, NEW).targets[0]
    assert diff.ids("regressed") == ["a.fails[row-2]", "a.skip"]
    assert diff.ids("known") == ["a.fails[row-1]"]
    assert diff.ids("fixed") == ["a.fixed"]
    assert diff.ids("new") == ["a.brand-new"]  # a new failing check is not a regression
    assert diff.ids("removed") == ["a.gone"]
    assert diff.ids("changed") == ["a.warn"]
    assert diff.unchanged == 1
    known = diff.changes["known"][0]
    assert (known.old_message, known.new_message) == ("old reason", "new reason")


def test_targets_are_compared_separately():
    old = doc(check("x", "passed", "staging"), check("x", "failed", "prod"))
    new = doc(check("x", "failed", "staging"), check("x", "passed", "prod"))
    by = {t.target: t for t in compare(old, new).targets}
    assert by["staging"].ids("regressed") == ["x"]
    assert by["prod"].ids("fixed") == ["x"]


def test_one_target_under_two_names_is_compared_and_the_notes_say_so():
    cmp = compare(doc(check("x", "passed", "a")), doc(check("x", "failed", "b")))
    assert [t.ids("regressed") for t in cmp.targets] == [["x"]]
    assert any("target names differ" in n for n in cmp.notes)


def test_different_kit_versions_are_said_and_missing_checks_are_new():
    old = doc(check("x", "passed"), kit="0.1.0")
    new = doc(check("x", "passed"), check("y", "failed"), kit="0.2.0", version="8.1")
    cmp = compare(old, new)
    assert any("different kit versions" in n for n in cmp.notes)
    assert cmp.regressed == 0 and cmp.targets[0].ids("new") == ["y"]
    assert "spec version changed: 8.2 -> 8.1" in cmp.targets[0].notes


def test_text_and_markdown_name_every_change():
    cmp = compare(OLD, NEW)
    text = as_text(cmp)
    assert "regressed MUST   a.skip: skipped -> error" in text
    assert "baseline: old reason" in text
    md = as_markdown(cmp)
    assert "| **regressed** | MUST | `a.fails[row-2]` | passed | failed | row 2 broke |" in md
    assert "(baseline: old reason)" in md
    assert md.startswith("## TAMS conformance compared: 2 regressed")


@pytest.mark.parametrize("fmt", ["text", "json", "md"])
def test_compare_command_exits_1_on_a_regression_and_0_otherwise(tmp_path, capsys, fmt):
    old, new = tmp_path / "old.json", tmp_path / "new" / "results.json"
    new.parent.mkdir()
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    assert main(["compare", str(old), str(new.parent), "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["summary"]["regressed"] == 2
    assert main(["compare", str(old), str(old), "--format", fmt]) == 0


def test_compare_command_names_an_unreadable_file(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{}")
    assert main(["compare", str(tmp_path / "nope.json"), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "nope.json: no such file" in err and err.count("\n") == 1


def test_a_baseline_file_round_trips_and_keeps_the_versions(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(OLD))
    path = tmp_path / "sub" / "baseline.json"
    baseline.write(results, path)
    written = load(path)
    assert written["kit_version"] == "0.1.0"
    assert written["targets"][0]["api_version"] == "8.2"
    assert written["targets"][0]["spec_version"] == "8.2"
    assert compare(written, OLD).regressed == 0
    assert compare(written, NEW).targets[0].ids("regressed") == ["a.fails[row-2]", "a.skip"]


def test_annotate_adds_fields_and_the_exit_code_follows_regressions_only():
    new = json.loads(json.dumps(NEW))
    baseline.annotate(new, OLD, "base.json")
    by = {c["id"]: c for c in new["checks"]}
    assert by["a.fails[row-1]"]["baseline_status"] == "known"
    assert by["a.fails[row-1]"]["baseline_message"] == "old reason"
    assert by["a.pass"]["baseline_status"] == "unchanged"
    assert by["a.brand-new"]["baseline_status"] == "new"
    assert "baseline_outcome" not in by["a.brand-new"]
    assert new["baseline"]["summary"]["regressed"] == 2
    assert baseline.exit_code(new, 1) == 1
    only_known = doc(check("a.fails[row-1]", "failed"), check("a.pass", "passed"))
    baseline.annotate(only_known, OLD, "base.json")
    assert baseline.exit_code(only_known, 1) == 0
    lines = baseline.terminal_lines(only_known)
    assert any(line.startswith("known     a.fails[row-1]") for line in lines)


def test_the_baseline_view_shows_both_messages():
    new = json.loads(json.dumps(NEW))
    baseline.annotate(new, OLD, "base.json")
    page = html_parts(new)
    assert "id='baseline'" in page and "regressions: 2" in page
    assert "old reason" in page and "new reason" in page
    md = "\n".join(markdown_parts(new))
    assert "### Compared with the baseline: regressions: 2" in md
    assert "| known | `a.fails[row-1]` | t | failed | failed | new reason | old reason |" in md


def test_targets_side_by_side_put_the_differences_first():
    d = doc(
        check("a.same", "passed", "staging"),
        check("a.same", "passed", "prod"),
        check("a.diff", "passed", "staging"),
        check("a.diff", "failed", "prod"),
        check("a.only", "passed", "staging"),
    )
    m = matrix(d)
    assert m["targets"] == ["prod", "staging"]
    assert [r["id"] for r in m["rows"]] == ["a.diff", "a.only", "a.same"]
    assert m["rows"][1]["outcomes"] == {"prod": "-", "staging": "passed"}
    assert m["differences"] == 2
    d["target_comparison"] = m
    md = "\n".join(markdown_parts(d))
    assert "| MUST | `a.diff` | failed | passed |" in md
    assert "a.same" not in md
    assert html_parts(d).index("a.diff") < html_parts(d).index("a.same")


def test_a_target_the_baseline_lacks_is_judged_without_it():
    old = doc(check("x", "passed", "staging"), check("y", "passed", "staging"))
    new = doc(check("x", "passed", "staging"), check("x", "failed", "production"))
    baseline.annotate(new, old, "base.json")
    assert new["baseline"]["summary"]["regressed"] == 0
    assert baseline.exit_code(new, 1) == 1  # production's failure is not hidden by "new"
    assert "1 failed on targets the baseline does not have" in html_parts(new)
    clean = doc(check("x", "passed", "staging"), check("x", "passed", "production"))
    baseline.annotate(clean, old, "base.json")
    assert baseline.exit_code(clean, 0) == 0


def test_the_exit_code_keeps_no_verdict_runs():
    interrupted = {**doc(check("x", "failed")), "interrupted": True}
    baseline.annotate(interrupted, doc(check("x", "failed")), "b")
    assert baseline.exit_code(interrupted, 3) == 3
    pre = doc(check("x", "passed"))
    pre["checks"].append({**check("preflight", "error", "other"), "area": "preflight"})
    baseline.annotate(pre, doc(check("x", "passed"), check("preflight", "error", "other")), "b")
    assert baseline.exit_code(pre, 1) == 3
