"""The sweep's judge: a target that answers 5xx, an undocumented status or an invalid body to
generated requests is caught, each kind named with an example; a correct one (the reference)
passes. Loopback servers on ephemeral ports only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import requests

pytest.importorskip(
    "schemathesis", reason="the sweep extra is not installed: pip install -e '.[sweep]'"
)

from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from tams_conformance.client import TamsClient, Transcript  # noqa: E402
from tams_conformance.sweep.engine import spec_yaml, sweep_operation  # noqa: E402
from tams_spec import (
    get_validator,  # noqa: E402
    locate_spec,  # noqa: E402
)

# A valid answer: the spec's own example of GET /service.
SERVICE = json.loads((locate_spec("8.2") / "examples" / "service-get-200.json").read_text())


def broken_app(kind: str):  # a vendor's server with one kind of bug on GET /service
    @Request.application
    def app(request: Request) -> Response:
        if kind == "5xx":
            return Response("boom", status=500)
        if kind == "undocumented":
            return Response(json.dumps(SERVICE), status=418, content_type="application/json")
        if kind == "invalid":
            return Response(json.dumps({"type": 7}), content_type="application/json")
        return Response(json.dumps(SERVICE), content_type="application/json")

    return app


@pytest.fixture
def target(request) -> Iterator[SimpleNamespace]:
    server = make_server("127.0.0.1", 0, broken_app(request.param), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        client = TamsClient(base, requests.Session(), 10, Transcript())
        validator = get_validator("8.2")
        yield SimpleNamespace(raw=client, require_validator=lambda: validator)
    finally:
        server.shutdown()
        thread.join(5)


def sweep(runtime) -> object:
    return sweep_operation(runtime, spec_yaml("8.2"), "GET", "/service", examples=3, seconds=60)


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("5xx", "server error (5xx)"),
        ("undocumented", "status not documented for the operation"),
        ("invalid", "response invalid against its schema"),
    ],
    indirect=["target"],
)
def test_each_kind_of_bad_answer_is_caught_and_named(target, kind):
    outcome = sweep(target)
    assert outcome.sent == 3
    assert list(outcome.problems) == [kind]
    message = outcome.message("GET /service")
    assert message.startswith("GET /service swept with 3 generated requests: " + kind)
    assert "GET /service" in message and "-> " in message


@pytest.mark.parametrize("target", ["ok"], indirect=True)
def test_a_correct_answer_passes(target):
    outcome = sweep(target)
    assert outcome.sent == 3 and outcome.problems == {}, outcome.message("GET /service")
