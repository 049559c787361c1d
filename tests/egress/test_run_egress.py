"""A whole run against a remote target whose put_urls lead outside its egress policy: the
upload checks end in error with the one-line reason, the run exits 3, nothing is uploaded."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.meta.suite_runner import run_suite


@pytest.mark.slow
def test_put_urls_outside_the_policy_are_errors_naming_host_and_key(tmp_path):
    from tams_reference import ReferenceServer, ServerConfig

    with ReferenceServer(ServerConfig(), host="127.0.0.1", port=0) as srv:
        targets = tmp_path / "remote.yaml"
        # The reference's own mock S3 is on another loopback port: outside allowed_hosts.
        entry = {"base_url": srv.base_url, "s3": {"store": "strict"}, "allowed_hosts": []}
        targets.write_text(yaml.safe_dump({"default": "remote", "targets": {"remote": entry}}))
        run = run_suite(tmp_path, checks=["conformance/test_upload.py"], targets_file=targets)
        endpoint = srv.own_s3_endpoint
    assert run.exit_code == 3, run.explain()
    errors = [c for c in run.checks if c["outcome"] == "error"]
    assert errors and not [c for c in run.checks if c["outcome"] == "failed"], run.explain()
    port = endpoint.rsplit(":", 1)[1] if endpoint else ""
    for check in errors:
        message = check["message"]
        assert "host 127.0.0.1 is outside the egress policy of target 'remote'" in message
        assert "allow it with allowed_hosts in targets.yaml" in message and "\n" not in message
        assert not re.search(r"X-Amz-Signature=[0-9a-f]", message)
    put = re.compile(rf"EgressRefused: PUT http://127\.0\.0\.1:{port}/\S+: not contacted: host")
    assert any(put.match(c["message"]) for c in errors), run.explain()
