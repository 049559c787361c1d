"""Segment POSTs racing a cascade=false flow delete: either order is fine, an orphan never is."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.reference.refkit import Api, orphans

ROUNDS = 20
WRITERS = 3


def race_once(server, api) -> tuple[int, list[int]]:
    """One flow, WRITERS segment POSTs and one DELETE ?cascade=false released together."""
    flow = api.create_flow()
    objects = [item["object_id"] for item in api.allocate(flow["id"], WRITERS)]
    start = threading.Barrier(WRITERS + 1)
    results: dict[str, int] = {}

    def post(i: int) -> None:
        start.wait()
        body = {"object_id": objects[i], "timerange": f"[{i}:0_{i + 1}:0)"}
        url = f"{server.base_url}/flows/{flow['id']}/segments"
        results[f"post{i}"] = requests.post(url, json=body, timeout=10).status_code

    def delete() -> None:
        start.wait()
        url = f"{server.base_url}/flows/{flow['id']}?cascade=false"
        results["delete"] = requests.delete(url, timeout=10).status_code

    threads = [threading.Thread(target=post, args=(i,)) for i in range(WRITERS)]
    threads.append(threading.Thread(target=delete))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results["delete"], [results[f"post{i}"] for i in range(WRITERS)]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_segment_posts_racing_a_refusing_delete_never_leave_orphans(make_server, mode):
    server = make_server(delete_mode=mode)
    api = Api(server.base_url)
    for _ in range(ROUNDS):
        deleted, posts = race_once(server, api)
        assert set(posts) <= {201, 404}
        if deleted == 409:
            assert 201 in posts  # refused because a segment landed first
        else:
            assert deleted in (202, 204)
            assert 201 not in posts  # every POST after the delete found the flow gone
    assert orphans(server.store) == {}
