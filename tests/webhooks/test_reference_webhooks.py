"""The reference server's webhook side: bounded retries end in status error, callbacks go to
loopback only (SSRF mitigation), api_key_value is kept but never shown."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tams_conformance.webhooks.receiver import Receiver
from tams_reference import ReferenceServer, ServerConfig


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(ServerConfig(webhook_retries=2), host="127.0.0.1", port=0) as srv:
        yield srv.base_url


def _flow(base: str, flow_id: str | None = None) -> str:
    flow_id = flow_id or str(uuid.uuid4())
    body = {
        "id": flow_id,
        "source_id": str(uuid.uuid4()),
        "format": "urn:x-nmos:format:data",
        "codec": "text/plain",
        "container": "text/plain",
        "essence_parameters": {},
    }
    assert requests.put(f"{base}/flows/{flow_id}", json=body, timeout=10).status_code == 201
    return flow_id


def test_a_receiver_that_never_accepts_puts_the_webhook_in_error(server):
    with Receiver() as receiver:  # an unknown path: the receiver answers 404 every time
        url = receiver.listen_url + "/hooks/unknown"
        hook = requests.post(
            f"{server}/service/webhooks", json={"url": url, "events": ["flows/created"]}, timeout=10
        ).json()
        _flow(server)
        deadline = time.monotonic() + 60
        status = hook["status"]
        while status != "error" and time.monotonic() < deadline:
            time.sleep(0.05)
            got = requests.get(f"{server}/service/webhooks/{hook['id']}", timeout=10).json()
            status = got["status"]
        assert status == "error", got
        assert {"type", "summary", "time"} <= set(got["error"]), got
        assert receiver.unknown == 3  # the first attempt and two retries, then no more


@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://169.254.169.254/", "ftp://x/"])
def test_callbacks_outside_loopback_are_refused(server, url):
    answer = requests.post(
        f"{server}/service/webhooks", json={"url": url, "events": ["flows/created"]}, timeout=10
    )
    assert answer.status_code == 400


def test_api_key_value_is_sent_but_not_shown(server):
    with Receiver() as receiver:
        url, sub = receiver.subscribe()
        body = {
            "url": url,
            "events": ["flows/created"],
            "api_key_name": "X-Key",
            "api_key_value": "k-" + uuid.uuid4().hex,
        }
        answer = requests.post(f"{server}/service/webhooks", json=body, timeout=10)
        assert body["api_key_value"] not in answer.text
        flow_id = str(uuid.uuid4())
        sub.watch(flow_id)  # before the change: a delivery naming no watched id is dropped
        _flow(server, flow_id)
        got = sub.wait_for(lambda d: True, timeout_s=30)
        assert got is not None and got.headers["x-key"] == body["api_key_value"]
        listing = requests.get(f"{server}/service/webhooks", timeout=10).text
        assert body["api_key_value"] not in listing
