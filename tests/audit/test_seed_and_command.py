"""The reference's seeding (tams_reference/seed.py and `reference --seed-flows`), and the
audit command's own edges: embedded targets, usage errors, the report files."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
import yaml

from tams_conformance.cli import main
from tams_reference.seed import seed
from tests.audit.stores import live_store


def test_seed_writes_what_the_api_then_serves():
    with live_store() as live:
        seeded = seed(live.store, 3, 7, media=True)
        flows = live.api("GET", "/flows", params={"limit": 10})
        segments = live.api("GET", f"/flows/{seeded.flow_ids[0]}/segments").json()
        obj = live.api("GET", f"/objects/{seeded.object_ids[0]}").json()
        media = requests.get(segments[0]["get_urls"][0]["url"], timeout=30)
    assert flows.headers["X-Paging-Count"] == "3"
    assert [s["timerange"] for s in segments] == ["[0:0_2:0)", "[2:0_4:0)", "[4:0_6:0)"]
    assert obj["referenced_by_flows"] == [seeded.flow_ids[0]]
    assert media.status_code == 200 and media.content.startswith(b"seed media of")


def test_the_reference_command_seeds_before_it_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tams_reference", "--seed-flows", "4", "--seed-segments", "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip().removeprefix("BASE_URL=")
        listing = requests.get(base_url + "/flows", timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert len(listing.json()) == 4


def test_an_embedded_target_audits_clean(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {"ref": {"embedded": True}}}))
    code = main(
        [
            "audit",
            "--targets-file",
            str(targets),
            "--target",
            "ref",
            "--reports-dir",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    assert code == 0
    assert "clean" in capsys.readouterr().out
    assert (tmp_path / "r" / "latest-audit" / "audit.json").is_file()


@pytest.mark.parametrize(
    "extra",
    [
        ["--tag", "novalue"],
        ["--rate", "fast"],
        ["--verify-media", "all"],
        ["--concurrency", "0"],
        ["--source-id", "a", "--flow-id", "b"],
    ],
)
def test_usage_errors_exit_2(tmp_path, extra):
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"targets": {"ref": {"embedded": True}}}))
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--targets-file", str(targets), *extra])
    assert exc.value.code == 2


def test_an_unreachable_target_could_not_complete(tmp_path, capsys):
    targets = tmp_path / "targets.yaml"
    url = "http://127.0.0.1:9"  # the discard port: nothing listens
    targets.write_text(yaml.safe_dump({"targets": {"gone": {"base_url": url, "timeout_s": 3}}}))
    code = main(
        [
            "audit",
            "--targets-file",
            str(targets),
            "--reports-dir",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    assert code == 3
    assert "audit of 'gone'" in capsys.readouterr().err
