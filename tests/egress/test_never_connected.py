"""A server-handed URL outside the policy is never connected to: put_url, get_urls, Link.

The URLs point at a loopback server that counts the connections it accepts (and the ones left
in its backlog); the targets are declared so that this port is outside their policy (a public
target, or a loopback one narrowed by allowed_hosts). A positive control shows the counter
sees a connection when the policy allows one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tams_conformance import transport
from tams_conformance.client import TamsClient, Transcript
from tams_conformance.egress import EgressPolicy, EgressRefused
from tams_conformance.fixtures.presign import fetch, get_bare
from tams_conformance.fixtures.upload import upload
from tams_conformance.transport import Limits


@pytest.fixture
def activated() -> Iterator[list]:
    """Activate limits for the test; restores the defaults afterwards."""
    yield [transport.activate]
    transport.activate(None)


def signed(port: int) -> str:
    return f"http://127.0.0.1:{port}/media/key?X-Amz-Signature={'ab' * 32}"


def narrowed(base_port: int) -> EgressPolicy:
    return EgressPolicy.for_base(
        "narrow", f"http://127.0.0.1:{base_port}", allowed_hosts=["s3.example.invalid"]
    )


def public() -> EgressPolicy:
    return EgressPolicy.for_base("public", "https://8.8.8.8/tams")  # never contacted here


@pytest.mark.parametrize("make", [public, lambda: narrowed(1)], ids=["public", "narrowed"])
def test_put_url_and_get_url_outside_policy_are_not_contacted(recording, activated, make):
    policy = make()
    transport.activate(Limits(policy=policy, timeout_s=5))
    port = recording.server_address[1]
    with pytest.raises(EgressRefused) as put:
        upload({"url": signed(port), "content-type": "video/mp2t"}, b"media")
    with pytest.raises(EgressRefused) as get:
        get_bare(signed(port), 5)
    recording.shutdown()
    assert recording.connections_seen() == 0
    for caught in (put, get):
        text = str(caught.value)
        assert "host 127.0.0.1 is outside the egress policy of target" in text
        assert "allow it with allowed_hosts in targets.yaml" in text
        assert "ab" * 32 not in text and "\n" not in text  # the signature stays secret


def test_positive_control_connection_is_seen(recording, activated):
    port = recording.server_address[1]
    transport.activate(Limits(policy=EgressPolicy.for_base("local", "http://127.0.0.1:1")))
    assert upload({"url": signed(port)}, b"media").status_code == 200
    response = get_bare(signed(port), 5)
    assert response.content == b"ok" and response.media.size == 2
    recording.shutdown()
    assert recording.connections_seen() >= 1


class Api(BaseHTTPRequestHandler):
    """A TAMS-ish API whose listing pages link to `next_url` and whose get_urls point there."""

    next_url = ""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = json.dumps([{"id": "x"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Link", f'<{self.next_url}>; rel="next"')
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api(recording) -> Iterator[str]:
    handler = type("A", (Api,), {"next_url": f"http://127.0.0.1:{recording.server_address[1]}/f"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_link_and_location_outside_policy_are_not_followed(api, recording, activated):
    base_port = int(api.rsplit(":", 1)[1])
    policy = narrowed(base_port)
    client = TamsClient(
        api, requests.Session(), 5, Transcript(), Limits(policy=policy, timeout_s=5)
    )
    transport.activate(client.limits)
    pages = client.pages("/flows")
    assert next(pages).status_code == 200  # the API itself: base_url's host and port
    with pytest.raises(EgressRefused) as caught:
        next(pages)  # the Link points at the recording port
    with pytest.raises(EgressRefused):
        client.get(client.resolve(f"http://127.0.0.1:{recording.server_address[1]}/flows/x"))
    with pytest.raises(EgressRefused):  # a get_url on another origin, presigned or not
        fetch({"url": signed(recording.server_address[1])}, client)
    recording.shutdown()
    assert recording.connections_seen() == 0
    assert "target 'narrow'" in str(caught.value)


def test_connection_goes_to_the_checked_address(recording, activated, dns):
    """DNS rebinding: the name is resolved once, and that checked address is connected to
    (a second lookup would answer a public address, which this target may not reach)."""
    answers = iter([["127.0.0.1"]])
    dns["bucket.rebind.example"] = lambda: next(answers, ["8.8.8.8"])
    port = recording.server_address[1]
    transport.activate(Limits(policy=EgressPolicy.for_base("local", "http://127.0.0.1:1")))
    response = get_bare(f"http://bucket.rebind.example:{port}/media/key", 5)
    assert response.status_code == 200
    assert recording.hosts == [f"bucket.rebind.example:{port}"]  # the Host header keeps the name
    assert dns["calls"].count("bucket.rebind.example") == 1
    with pytest.raises(EgressRefused):  # the next lookup answers 8.8.8.8: refused, not sent
        upload({"url": f"http://bucket.rebind.example:{port}/media/other"}, b"x")
    assert recording.hosts == [f"bucket.rebind.example:{port}"]


class Redirecting(BaseHTTPRequestHandler):
    """Answers 302 to `to` (a store that redirects a get_url)."""

    to = ""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.to)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_redirects_of_get_urls_are_checked_hop_by_hop(recording, activated):
    port = recording.server_address[1]
    handler = type("R", (Redirecting,), {"to": f"http://127.0.0.1:{port}/media/moved"})
    store = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=store.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{store.server_port}/media/key"
        transport.activate(Limits(policy=EgressPolicy.for_base("local", "http://127.0.0.1:1")))
        assert get_bare(url, 5).content == b"ok"  # followed: loopback target, loopback hop
        before = recording.accepted
        only_store = EgressPolicy.for_base(
            "narrow", "http://127.0.0.1:1", allowed_hosts=[f"127.0.0.1:{store.server_port}"]
        )
        transport.activate(Limits(policy=only_store))
        with pytest.raises(EgressRefused, match="host 127.0.0.1 is outside"):
            get_bare(url, 5)  # the store is allowed, the hop it redirects to is not
    finally:
        store.shutdown()
        store.server_close()
    recording.shutdown()
    assert recording.connections_seen() == before
