"""A reference server on loopback with its own strict mock S3, seeded, for the audit's tests;
and the audit run in process against it, its audit.json read back."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from mock_s3 import MockS3
from tams_reference import ReferenceServer, S3Settings, ServerConfig


@dataclass
class Live:
    server: ReferenceServer
    s3: MockS3

    @property
    def store(self) -> Any:
        return self.server.store

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, method: str, path: str, **kw: Any) -> requests.Response:
        """The test acting as a client of the store (the damage made through the API)."""
        return requests.request(method, self.base_url + path, timeout=30, **kw)


@contextlib.contextmanager
def live_store(faults: tuple[str, ...] = (), **config: Any) -> Iterator[Live]:
    with MockS3(profile="strict", region="us-east-1", buckets=["media"]) as s3:
        cfg = ServerConfig(
            s3=S3Settings(s3.endpoint, s3.access_key, s3.secret_key, "media", "us-east-1"),
            faults=frozenset(faults),
            spec_dir=os.environ.get("TAMS_SPEC_DIR"),
            **config,
        )
        with ReferenceServer(cfg, host="127.0.0.1", port=0) as server:
            yield Live(server, s3)


@dataclass
class AuditRun:
    code: int
    doc: dict[str, Any]
    folder: Path

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.doc.get("findings", [])

    def types(self) -> set[str]:
        return {f["type"] for f in self.findings}

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["type"] == kind]


def run_audit(tmp_path: Path, base_url: str, *args: str, target: str = "live") -> AuditRun:
    """`tams-conformance audit --target live ...` in process; its audit.json."""
    from tams_conformance.cli import main

    tmp_path.mkdir(parents=True, exist_ok=True)
    targets = tmp_path / "audit-targets.yaml"
    if not targets.exists():
        targets.write_text(
            yaml.safe_dump({"targets": {target: {"base_url": base_url, "timeout_s": 30}}})
        )
    reports = tmp_path / "reports"
    code = main(
        [
            "audit",
            "--targets-file",
            str(targets),
            "--target",
            target,
            "--reports-dir",
            str(reports),
            "--rate",
            "unlimited",
            "--no-progress",
            *args,
        ]
    )
    latest = reports / "latest-audit"
    doc = json.loads((latest / "audit.json").read_text()) if latest.exists() else {}
    return AuditRun(code, doc, latest)
