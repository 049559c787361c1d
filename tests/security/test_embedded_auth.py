"""Embedded targets with `reference: {auth: ...}`: the server asks for credentials the kit
makes up for the run, the kit's client uses them, and they are registered for redaction."""

from __future__ import annotations

import pytest
import requests

from tams_conformance.config import ConfigError, load_targets
from tams_conformance.redact import registered_secrets
from tams_conformance.runtime import open_runtime


def _target(tmp_path, auth: str):
    (tmp_path / "targets.yaml").write_text(
        f"targets:\n  t:\n    embedded: true\n    reference: {{auth: {auth}}}\n"
    )
    return load_targets(["t"], str(tmp_path / "targets.yaml"), environ={}, cwd=tmp_path)[0]


@pytest.mark.parametrize("mode", ["bearer", "basic", "oauth2-client-credentials"])
def test_the_client_gets_in_and_a_bare_request_does_not(tmp_path, mode):
    target = _target(tmp_path, mode)
    assert target.reference.auth == mode and target.auth.type == "none"
    runtime = open_runtime(target, "run-1", None)
    try:
        assert runtime.target.auth.type == mode
        assert runtime.tams.get("/flows").status_code == 200
        bare = requests.get(runtime.target.base_url + "/flows", timeout=10)
        assert bare.status_code == 401 and "WWW-Authenticate" in bare.headers
        made = [s for s in runtime.target.auth.secrets() if s in registered_secrets()]
        assert made, "the made-up secrets are not registered for redaction"
        assert all(str(s) not in repr(runtime) for s in runtime.target.auth.secrets())
        if mode == "oauth2-client-credentials":
            assert runtime.target.auth.token_url == runtime.target.base_url + "/oauth2/token"
    finally:
        runtime.close()


def test_an_unknown_mode_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="reference.auth"):
        _target(tmp_path, "kerberos")
