"""The kit's webhook receiver: it keeps only deliveries to its own paths naming watched ids."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from tams_conformance.webhooks.receiver import Receiver, split_listen


def _event(flow_id: str) -> dict:
    return {"event_timestamp": "x", "event_type": "flows/deleted", "event": {"flow_id": flow_id}}


def test_only_deliveries_naming_watched_ids_on_known_paths_are_kept():
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    with Receiver() as receiver:
        url, sub = receiver.subscribe()
        sub.watch(mine)
        assert requests.post(url, json=_event(other), timeout=5).status_code == 200
        assert requests.post(url, json=_event(mine), timeout=5).status_code == 200
        unknown = requests.post(receiver.listen_url + "/hooks/nope", json=_event(mine), timeout=5)
        assert unknown.status_code == 404
        kept = sub.snapshot()
        assert [d.event["flow_id"] for d in kept] == [mine]
        assert sub.dropped == 1 and receiver.unknown == 1


def test_wait_returns_as_soon_as_the_delivery_arrives_and_none_when_it_never_does():
    flow_id = str(uuid.uuid4())
    with Receiver() as receiver:
        url, sub = receiver.subscribe()
        sub.watch(flow_id)
        assert sub.wait_for(lambda d: True, timeout_s=0) is None
        sender = threading.Thread(
            target=requests.post, args=(url,), kwargs={"json": _event(flow_id)}
        )
        sender.start()
        got = sub.wait_for(lambda d: d.event.get("flow_id") == flow_id, timeout_s=30)
        sender.join()
        assert got is not None and got.headers["content-type"] == "application/json"


def test_public_url_is_what_is_advertised_and_probe_runs_before_the_answer():
    with Receiver(public_url="http://tunnel.example:8080/prefix/") as receiver:
        url, sub = receiver.subscribe()
        assert url.startswith("http://tunnel.example:8080/prefix/hooks/")
        sub.watch("f")
        sub.probe = lambda body: "probed"
        local = receiver.listen_url + url.removeprefix("http://tunnel.example:8080")
        requests.post(local, json={"event_type": "e", "event": {"flow_id": "f"}}, timeout=5)
        assert sub.snapshot()[0].probe == "probed"


@pytest.mark.parametrize("bad", ["127.0.0.1", "host:port", ":80", "a:1/x"])
def test_listen_must_be_host_and_port(bad):
    with pytest.raises(ValueError):
        split_listen(bad)
