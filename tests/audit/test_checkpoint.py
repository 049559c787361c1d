"""An audit stopped part-way (--max-requests here; Ctrl-C takes the same path) keeps its
checkpoint, and --resume finishes it: the same findings as an audit never stopped, without
walking again what was done, and never twice the same finding."""

from __future__ import annotations

from tams_reference.seed import damage_media_lost, seed
from tests.audit.stores import live_store, run_audit


def _ids(run):
    return sorted((f["type"], f.get("flow_id"), f.get("object_id")) for f in run.findings)


def test_an_interrupted_audit_resumes_where_it_stopped(tmp_path):
    with live_store(faults=("ignore-cascade",)) as live:
        seeded = seed(live.store, 12, 36, media=True)
        damage_media_lost(live.store, seeded.object_ids[::5])
        live.api("DELETE", f"/sources/{seeded.source_ids[3]}?cascade=false")
        whole = run_audit(tmp_path / "whole", live.base_url, "--page-limit", "5")
        checkpoint = tmp_path / "audit.sqlite"
        common = ("--page-limit", "5", "--checkpoint", str(checkpoint))
        first = run_audit(tmp_path / "cut", live.base_url, *common, "--max-requests", "40")
        assert checkpoint.exists()
        rest = run_audit(tmp_path / "cut", live.base_url, *common, "--resume")
    assert whole.code == 1
    assert first.code == 3 and first.doc["complete"] is False
    assert "--max-requests 40 reached" in first.doc["targets"][0]["problem"]
    assert rest.code == 1 and rest.doc["complete"] is True
    assert _ids(rest) == _ids(whole)
    assert len(rest.findings) == len(
        {(f["type"], f.get("object_id"), f.get("flow_id")) for f in rest.findings}
    )
    done_first = first.doc["summary"]["requests"]
    # Resuming redoes at most the page and the jobs in flight when it stopped, never all.
    assert rest.doc["summary"]["requests"] < whole.doc["summary"]["requests"] - done_first + 20
    assert not checkpoint.exists()  # a finished audit leaves nothing to resume


def test_resume_refuses_a_checkpoint_of_another_scope(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 4, 4, media=True)
        checkpoint = tmp_path / "audit.sqlite"
        cut = run_audit(
            tmp_path, live.base_url, "--checkpoint", str(checkpoint), "--max-requests", "3"
        )
        other = run_audit(
            tmp_path,
            live.base_url,
            "--checkpoint",
            str(checkpoint),
            "--resume",
            "--flow-id",
            seeded.flow_ids[0],
        )
    assert cut.code == 3
    assert other.code == 2


def test_resume_without_a_checkpoint_is_a_usage_error(tmp_path, capsys):
    with live_store() as live:
        run = run_audit(
            tmp_path, live.base_url, "--checkpoint", str(tmp_path / "none.sqlite"), "--resume"
        )
    assert run.code == 2
    assert "no checkpoint at" in capsys.readouterr().err


def test_ctrl_c_writes_incomplete_reports_and_keeps_the_checkpoint(tmp_path):
    """SIGINT to a running audit (rate-limited so that it is still walking): exit 3, the
    reports say incomplete, and --resume finishes the same audit."""
    import json
    import signal
    import subprocess
    import sys
    import time

    import yaml

    with live_store() as live:
        seed(live.store, 60, 60, media=True)
        targets = tmp_path / "targets.yaml"
        targets.write_text(yaml.safe_dump({"targets": {"live": {"base_url": live.base_url}}}))
        cmd = [
            sys.executable,
            "-m",
            "tams_conformance.cli",
            "audit",
            "--targets-file",
            str(targets),
            "--reports-dir",
            str(tmp_path / "r"),
            "--page-limit",
            "10",
            "--no-progress",
        ]
        proc = subprocess.Popen(
            [*cmd, "--rate", "10/s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        checkpoint = tmp_path / "r" / ".audit-checkpoints" / "live.sqlite"
        while not checkpoint.exists() and proc.poll() is None:
            time.sleep(0.2)
        time.sleep(2)  # some flows audited, most not: 60 flows take 25 s at 10/s
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        first = json.loads((tmp_path / "r" / "latest-audit" / "audit.json").read_text())
        done = subprocess.run(
            [*cmd, "--rate", "unlimited", "--resume"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        last = json.loads((tmp_path / "r" / "latest-audit" / "audit.json").read_text())
    assert proc.returncode == 3, err
    assert first["complete"] is False and "interrupted (SIGINT)" in first["targets"][0]["problem"]
    assert done.returncode == 0, done.stderr
    assert last["complete"] is True and last["targets"][0]["summary"]["flows"] == 60
    assert not checkpoint.exists()
