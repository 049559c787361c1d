"""A run stopped by SIGTERM while a check waits for an event still removes its webhook
registrations (the fixture's teardown runs on the kit's Ctrl-C path: tams_conformance.signals).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests
import yaml

from tests.signals.test_interrupts import Run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals"),
]


def test_sigterm_while_waiting_for_an_event_removes_the_registration(tmp_path: Path):
    from tams_reference import ReferenceServer, ServerConfig

    # The fault sends no segments_deleted, so that check waits (up to webhook_s) with its
    # registration in place: the signal comes in the middle of it.
    config = ServerConfig(faults=frozenset({"webhook-no-segment-delete-events"}))
    with ReferenceServer(config, host="127.0.0.1", port=0) as server:
        base = server.base_url
        targets = tmp_path / "targets.yaml"
        entry = {"base_url": base, "timeouts": {"webhook_s": 120}}
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        run = Run(
            targets,
            tmp_path / "reports",
            "webhook-sigterm",
            "conformance/test_webhooks_delivery.py",
            "-k",
            "segments_deleted",
        )

        def registered() -> bool:
            return bool(requests.get(f"{base}/service/webhooks", timeout=10).json())

        run.wait_for(registered, "a webhook registration on the target")
        os.kill(run.proc.pid, signal.SIGTERM)
        code = run.finish()
        assert code == 3, run.output()
        left = requests.get(f"{base}/service/webhooks", timeout=10).json()
        assert left == [], f"registrations left after SIGTERM: {left}"
