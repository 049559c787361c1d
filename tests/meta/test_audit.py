"""The audit finds each kind of damage, with the right ids, and nothing on a clean store.

Per finding type the damage is made the way it happens in production: through a reference
fault (a delete that ignores dependents, a cascade that stops one level down, a garbage
collector that deletes shared media, a timerange never updated) acted on through the API, or,
where the reference cannot be made to leave it, by seeding its SQLite/S3 directly
(tams_reference/seed.py). A counting proxy in front of the target proves the audit only reads.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tams_reference.seed import (
    damage_collection,
    damage_media_lost,
    damage_overlap,
    damage_replica,
    damage_stuck_request,
    seed,
)
from tests.audit.stores import live_store, run_audit

pytestmark = pytest.mark.slow


def share(live, seeded, into: int = 1, frm: int = 0) -> str:
    """Flow `into` gets a segment on an object of flow `frm` (a shared object); its id."""
    object_id = seeded.object_ids[frm * (len(seeded.object_ids) // len(seeded.flow_ids))]
    response = live.api(
        "POST",
        f"/flows/{seeded.flow_ids[into]}/segments",
        json={"object_id": object_id, "timerange": "[100:0_102:0)"},
    )
    assert response.status_code == 201, response.text
    return object_id


def test_a_clean_seeded_store_audits_clean(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 5, 20, media=True)
        share(live, seeded)
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 0, run.doc
    assert run.findings == []
    assert run.doc["verdict"] == "clean"
    summary = run.doc["targets"][0]["summary"]
    assert (summary["flows"], summary["segments"], summary["objects"]) == (5, 21, 20)
    assert summary["media_checked"] == 20
    assert (run.folder / "audit.html").exists() and (run.folder / "junit.xml").exists()


def test_flow_source_missing_after_a_source_delete_that_ignored_its_flows(tmp_path):
    with live_store(faults=("ignore-cascade",)) as live:
        seeded = seed(live.store, 3, 6, media=True)
        source_id, flow_id = seeded.source_ids[0], seeded.flow_ids[0]
        assert live.api("DELETE", f"/sources/{source_id}?cascade=false").status_code < 300
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 1
    assert run.types() == {"flow-source-missing"}
    (finding,) = run.of("flow-source-missing")
    assert (finding["source_id"], finding["flow_id"]) == (source_id, flow_id)
    assert finding["level"] == "error"


def test_object_referenced_by_a_deleted_flow_after_a_cascade_that_stopped(tmp_path):
    with live_store(faults=("cascade-rows-only",)) as live:
        seeded = seed(live.store, 3, 6, media=True)
        shared = share(live, seeded, into=1, frm=0)
        gone = seeded.flow_ids[0]
        assert live.api("DELETE", f"/flows/{gone}").status_code < 300
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 1
    assert run.types() == {"object-referenced-by-missing-flow"}
    (finding,) = run.of("object-referenced-by-missing-flow")
    assert (finding["object_id"], finding["flow_id"]) == (shared, gone)


def test_segment_object_and_media_missing_after_gc_of_a_shared_object(tmp_path):
    with live_store(faults=("gc-shared-objects",)) as live:
        seeded = seed(live.store, 3, 6, media=True)
        shared = share(live, seeded, into=1, frm=0)
        first = seeded.flow_ids[0]
        assert live.api("DELETE", f"/flows/{first}/segments").status_code < 300
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 1
    assert run.types() == {"segment-object-missing", "segment-media-missing"}
    for kind in ("segment-object-missing", "segment-media-missing"):
        (finding,) = run.of(kind)
        assert finding["object_id"] == shared
        assert finding["flow_id"] == seeded.flow_ids[1]
        assert finding["timerange"] == "[100:0_102:0)"


def test_segment_media_missing_when_the_media_is_gone_and_the_rows_stay(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 2, 4, media=True)
        lost = seeded.object_ids[3]
        damage_media_lost(live.store, [lost])
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 1
    assert run.types() == {"segment-media-missing"}
    (finding,) = run.of("segment-media-missing")
    assert (finding["object_id"], finding["flow_id"]) == (lost, seeded.flow_ids[1])
    assert "404" in finding["message"]


@pytest.mark.parametrize("verify", ["size", "hash"])
def test_segment_media_size_mismatch_between_get_urls(tmp_path, verify):
    with live_store() as live:
        seeded = seed(live.store, 2, 4, media=True)
        bad = seeded.object_ids[1]
        damage_replica(live.store, bad, b"truncated")
        run = run_audit(tmp_path, live.base_url, "--verify-media", verify)
    assert run.code == 1
    assert run.types() == {"segment-media-size-mismatch"}
    (finding,) = run.of("segment-media-size-mismatch")
    assert (finding["object_id"], finding["flow_id"]) == (bad, seeded.flow_ids[0])


def test_flow_timerange_not_spanning_its_segments(tmp_path):
    with live_store(faults=("timerange-not-updated",)) as live:
        seeded = seed(live.store, 2, 6, media=True)
        one = live.store.get_flow(seeded.flow_ids[0], include_timerange=True)["timerange"]
        run = run_audit(tmp_path, live.base_url)
    assert one == "[0:0_2:0)"
    assert run.code == 1
    assert run.types() == {"flow-timerange-not-spanning-segments"}
    found = {f["flow_id"]: f["timerange"] for f in run.of("flow-timerange-not-spanning-segments")}
    assert found == {fid: "[0:0_6:0)" for fid in seeded.flow_ids}


def test_collection_member_missing(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 3, 3, media=True)
        missing = "0b0b0b0b-0000-4000-8000-000000000001"
        damage_collection(live.store, seeded.flow_ids[0], [seeded.flow_ids[1], missing])
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 1
    assert run.types() == {"collection-member-missing"}
    (finding,) = run.of("collection-member-missing")
    assert finding["flow_id"] == seeded.flow_ids[0]
    assert finding["details"]["member_id"] == missing


def test_delete_request_stuck_past_the_limit(tmp_path):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with live_store() as live:
        seeded = seed(live.store, 2, 2, media=True)
        stuck = damage_stuck_request(live.store, seeded.flow_ids[0], "started", old)
        damage_stuck_request(live.store, seeded.flow_ids[1], "created", recent)
        run = run_audit(tmp_path, live.base_url, "--stuck-after", "2h")
    assert run.code == 1
    assert run.types() == {"delete-request-stuck"}
    (finding,) = run.of("delete-request-stuck")
    assert finding["flow_id"] == seeded.flow_ids[0]
    assert finding["details"] == {"request_id": stuck, "status": "started"}


def test_overlapping_segments_are_a_warning_not_a_failure(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 2, 4, media=True)
        damage_overlap(live.store, seeded.flow_ids[0], "[1:0_3:0)", seeded.object_ids[0])
        run = run_audit(tmp_path, live.base_url)
    assert run.code == 0
    assert run.doc["verdict"] == "warnings"
    assert run.types() == {"segments-overlap"}
    # [1:0_3:0) overlaps [0:0_2:0), and [2:0_4:0) overlaps it in turn
    found = run.of("segments-overlap")
    assert {(f["level"], f["flow_id"]) for f in found} == {("warning", seeded.flow_ids[0])}
    assert sorted(f["timerange"] for f in found) == ["[1:0_3:0)", "[2:0_4:0)"]


def test_scope_limits_the_audit_to_one_flow_source_or_tag(tmp_path):
    with live_store(faults=("ignore-cascade",)) as live:
        seeded = seed(live.store, 3, 3, media=True)
        tagged = seed(live.store, 1, 1, media=True, tags={"team": "news"})
        for source_id in (seeded.source_ids[0], tagged.source_ids[0]):
            assert live.api("DELETE", f"/sources/{source_id}?cascade=false").status_code < 300
        by_flow = run_audit(tmp_path / "f", live.base_url, "--flow-id", seeded.flow_ids[1])
        by_source = run_audit(tmp_path / "s", live.base_url, "--source-id", seeded.source_ids[0])
        by_tag = run_audit(tmp_path / "t", live.base_url, "--tag", "team=news")
    assert by_flow.code == 0 and by_flow.doc["targets"][0]["summary"]["flows"] == 1
    assert [f["flow_id"] for f in by_source.findings] == [seeded.flow_ids[0]]
    assert [f["flow_id"] for f in by_tag.findings] == [tagged.flow_ids[0]]


class _CountingProxy(BaseHTTPRequestHandler):
    """A loopback reverse proxy that records every method it forwards."""

    upstream = ""
    seen: list[str] = []

    def _forward(self) -> None:
        self.seen.append(self.command)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        answer = requests.request(
            self.command, self.upstream + self.path, headers=headers, data=body, timeout=30
        )
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value.replace(self.upstream, self.own))
        content = answer.content if self.command != "HEAD" else b""
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _forward

    def log_message(self, *args: object) -> None:
        pass


def test_an_audit_only_ever_sends_get_and_head(tmp_path):
    with live_store(faults=("gc-shared-objects",)) as live:
        seeded = seed(live.store, 20, 100, media=True)
        share(live, seeded)
        damage_media_lost(live.store, seeded.object_ids[:3])
        handler = type("Proxy", (_CountingProxy,), {"upstream": live.base_url, "seen": []})
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        handler.own = f"http://127.0.0.1:{proxy.server_port}"
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        s3_mark = len(live.s3.requests)
        try:
            run = run_audit(tmp_path, handler.own, "--verify-media", "size")
        finally:
            proxy.shutdown()
            proxy.server_close()
        s3_methods = {r.method for r in list(live.s3.requests)[s3_mark:]}
    assert run.code == 1 and run.types() == {"segment-media-missing"}
    assert len(handler.seen) > 100
    assert set(handler.seen) <= {"GET", "HEAD"}, set(handler.seen)
    assert s3_methods == {"GET"}  # the media, read past the headers never
    assert run.doc["summary"]["requests"] >= len(handler.seen)


def test_no_secret_or_signature_in_any_output(tmp_path):
    with live_store() as live:
        seeded = seed(live.store, 2, 2, media=True)
        damage_replica(live.store, seeded.object_ids[0], b"x")
        damage_media_lost(live.store, seeded.object_ids[1:])
        run = run_audit(tmp_path, live.base_url)
        secret = live.s3.secret_key
    assert run.code == 1
    for name in ("audit.json", "audit.html", "junit.xml"):
        text = (run.folder / name).read_text()
        assert "X-Amz-Signature=" not in text and "X-Amz-Credential=" not in text
        assert secret not in text


def test_the_suite_catches_the_timerange_fault_with_exactly_its_check(tmp_path):
    """The new fault is a bug the suite itself must also see (and nothing else)."""
    from tests.meta.suite_runner import run_suite

    run = run_suite(tmp_path, faults=["timerange-not-updated"], timeout_s=1500)
    assert run.exit_code == 1, run.explain()
    assert run.with_outcome("failed", "error", "warning", "xpassed") == {
        "segments.flow-timerange-spans-segments",
        # the flow's timerange is what these read too (tams_conformance checks/test_timeranges)
        "timeranges.flow-timerange-query",
        "timeranges.flow-timerange-shrinks",
        "timeranges.negative-timestamps",
    }, run.explain()
