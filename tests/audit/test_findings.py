"""The finding types are a contract of audit.json: stable names, a level, a cause each."""

from __future__ import annotations

import io
import sys

from tams_conformance.audit.findings import TYPES, Finding
from tams_conformance.audit.progress import Progress

NAMES = {
    "flow-source-missing": "error",
    "object-referenced-by-missing-flow": "error",
    "segment-object-missing": "error",
    "segment-media-missing": "error",
    "segment-media-size-mismatch": "error",
    "flow-timerange-not-spanning-segments": "error",
    "collection-member-missing": "error",
    "delete-request-stuck": "error",
    "segments-overlap": "warning",
}


def test_finding_types_keep_their_names_and_levels():
    assert {name: t.level for name, t in TYPES.items()} == NAMES
    assert all(t.what and t.cause for t in TYPES.values())


def test_a_finding_carries_only_the_ids_that_apply():
    finding = Finding("flow-source-missing", "m", source_id="s", flow_id="f")
    assert finding.as_json() == {
        "type": "flow-source-missing",
        "level": "error",
        "message": "m",
        "source_id": "s",
        "flow_id": "f",
    }
    assert Finding.from_json(finding.as_json()) == finding


def test_the_progress_bar_counts_without_failing(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    progress = Progress(enabled=True)
    progress.total_flows(3)
    for _ in range(3):
        progress.flow_done()
    progress.phase("objects", 2)
    progress.item_done()
    progress.finding(Finding("segments-overlap", "m"))
    progress.close()
    assert "audit" in err.getvalue() and progress.findings == 1
    assert Progress(enabled=False).enabled is False
