"""Run ids and report folders: safe names, one folder per run, an atomic `latest`, and a
failed write that is one line naming the path (in process, with the failure injected)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import threading
from pathlib import Path

import pytest

from tams_conformance.report import folders


@pytest.mark.parametrize(
    "bad", ["../x", "latest", "LATEST", ".hidden", "a/b", "a\\b", "", "..", "x" * 129, "a b"]
)
def test_unsafe_run_ids_are_refused(bad):
    with pytest.raises(folders.RunIdError, match="not a valid run id"):
        folders.validate_run_id(bad)


def test_default_run_ids_are_valid_distinct_and_encode_their_start():
    now = dt.datetime(2026, 12, 1, 22, 0, 5, tzinfo=dt.UTC)
    ids = {folders.new_run_id(now) for _ in range(2000)}  # all in the same second
    assert len(ids) == 2000
    for rid in ids:
        assert folders.validate_run_id(rid) == rid
        assert folders.started_at(rid) == now
    assert folders.started_at("nightly-42") is None


def test_reserve_gives_each_run_its_own_folder(tmp_path):
    seen = {folders.reserve(tmp_path / "reports", None)[0] for _ in range(50)}
    assert len(seen) == 50
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == sorted(seen)


def test_a_chosen_run_id_that_exists_is_a_usage_error(tmp_path):
    rid, folder = folders.reserve(tmp_path, "nightly-1")
    (folder / "results.json").write_text("{}")
    with pytest.raises(folders.RunIdError, match="already exists"):
        folders.reserve(tmp_path, "nightly-1")
    assert (folder / "results.json").read_text() == "{}"


def test_a_reports_dir_under_a_file_is_a_write_error_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(folders.ReportWriteError) as caught:
        folders.reserve(blocker / "reports", None)
    line = str(caught.value)
    assert str(blocker / "reports") in line and "\n" not in line


def test_latest_is_a_whole_copy_swapped_in_that_replaces_old_forms(tmp_path):
    (tmp_path / "latest").mkdir()  # the copied folder of an older version of the kit
    (tmp_path / "latest" / "stale.txt").write_text("old")
    for rid in ("run-a", "run-b"):
        (tmp_path / rid / "allure-results").mkdir(parents=True)
        (tmp_path / rid / "results.json").write_text(rid)
        folders.point_latest(tmp_path, rid)
        assert (tmp_path / "latest" / "results.json").read_text() == rid
    assert sorted(p.name for p in (tmp_path / "latest").iterdir()) == [
        "allure-results",
        "results.json",
    ]
    assert not (tmp_path / "latest").is_symlink()
    os.rename(tmp_path / "latest", tmp_path / "moved")
    os.symlink("run-a", tmp_path / "latest")  # a symlink someone made by hand
    folders.point_latest(tmp_path, "run-b")
    assert (tmp_path / "latest" / "results.json").read_text() == "run-b"
    assert not (tmp_path / "latest").is_symlink()
    assert (tmp_path / "run-a" / "results.json").read_text() == "run-a"


def test_concurrent_switches_leave_latest_one_whole_run_and_no_debris(tmp_path):
    rids = [f"run-{i}" for i in range(8)]
    for rid in rids:
        (tmp_path / rid).mkdir()
        for name in ("results.json", "report.html", "junit.xml"):
            (tmp_path / rid / name).write_text(rid)
    threads = [threading.Thread(target=folders.point_latest, args=(tmp_path, r)) for r in rids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    contents = {(tmp_path / "latest" / n).read_text() for n in ("results.json", "junit.xml")}
    assert len(contents) == 1 and contents <= set(rids)  # one run's files, never a mix
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*rids, "latest"])


def test_a_full_disk_is_a_write_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    def full(self: Path, *args: object, **kw: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    target = tmp_path / "results.json"
    with pytest.raises(folders.ReportWriteError) as caught:
        folders.write_text(target, "{}")
    line = str(caught.value)
    assert str(target) in line and "No space left on device" in line and "\n" not in line
    assert list(tmp_path.iterdir()) == []
    assert folders.is_write_failure(caught.value)


def test_recorded_failures_are_one_line_each_and_deduplicated():
    folders.clear_failures()
    try:
        error = OSError(errno.ENOSPC, "No space left on device", "/r/x/junit.xml")
        folders.record_failure(error)
        folders.record_failure(error)
        assert folders.failures() == [
            "cannot write reports to /r/x/junit.xml (No space left on device); free space "
            "there or choose another --reports-dir"
        ]
    finally:
        folders.clear_failures()
