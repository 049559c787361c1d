"""Storage allocation, segment registration and listing, objects, over HTTP."""

from __future__ import annotations

import uuid

import pytest

from tests.reference.refkit import video_flow


def test_storage_defaults_and_explicit_object_ids(api):
    flow_id = api.create_flow()["id"]
    default = api.post(f"/flows/{flow_id}/storage")
    assert default.status_code == 201
    assert len(default.json()["media_objects"]) == 5
    chosen = ["clip/one", "clip two"]
    response = api.post(f"/flows/{flow_id}/storage", json={"object_ids": chosen})
    assert [m["object_id"] for m in response.json()["media_objects"]] == chosen
    again = api.post(f"/flows/{flow_id}/storage", json={"object_ids": ["clip/one"]})
    assert again.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 1, "object_ids": ["x"]},
        {"storage_id": str(uuid.uuid4())},
        {"limit": "many"},
    ],
    ids=["limit-and-object-ids", "unknown-storage", "bad-limit"],
)
def test_bad_storage_requests_are_400(api, body):
    flow_id = api.create_flow()["id"]
    assert api.post(f"/flows/{flow_id}/storage", json=body).status_code == 400


def test_storage_and_segments_need_a_known_flow_with_a_container(api):
    assert api.post(f"/flows/{uuid.uuid4()}/storage", json={}).status_code == 404
    body = video_flow()
    del body["container"]
    assert api.put(f"/flows/{body['id']}", json=body).status_code == 201
    assert api.post(f"/flows/{body['id']}/storage", json={}).status_code == 400
    segment = {"object_id": "o", "timerange": "[0:0_1:0)"}
    assert api.post(f"/flows/{body['id']}/segments", json=segment).status_code == 400


def test_bulk_post_creates_the_valid_segments_and_reports_the_rest(api):
    a, b = api.create_flow(), api.create_flow()
    mine, theirs = api.allocate(a["id"], 2)[0], api.allocate(b["id"], 1)[0]
    body = [
        {"object_id": mine["object_id"], "timerange": "[0:0_1:0)"},
        {"object_id": theirs["object_id"], "timerange": "[1:0_2:0)"},
        {"object_id": "never-allocated", "timerange": "[2:0_3:0)"},
        {"object_id": mine["object_id"], "timerange": "[0:500000000_1:500000000)"},
        {"object_id": mine["object_id"], "timerange": "()"},
    ]
    response = api.post(f"/flows/{a['id']}/segments", json=body)
    assert response.status_code == 200
    failed = response.json()["failed_segments"]
    assert [f["object_id"] for f in failed] == [
        theirs["object_id"],
        "never-allocated",
        mine["object_id"],
        mine["object_id"],
    ]
    assert all(f["error"]["type"] == "BadRequest" for f in failed)
    assert [s["timerange"] for s in api.get(f"/flows/{a['id']}/segments").json()] == ["[0:0_1:0)"]


@pytest.mark.parametrize(
    "segment",
    [
        {"timerange": "[0:0_1:0)"},
        {"object_id": "o", "timerange": "[0:0__1:0)"},
        {"object_id": "o", "timerange": "[0:0_1:0)", "ts_offset": "1.5"},
    ],
    ids=["no-object-id", "bad-timerange", "bad-ts-offset"],
)
def test_single_invalid_segment_is_400(api, segment):
    flow_id = api.create_flow()["id"]
    assert api.post(f"/flows/{flow_id}/segments", json=segment).status_code == 400


def test_registered_objects_can_be_reused_by_another_flow(api):
    a, [first, _] = api.flow_with_segments(2)
    b = api.create_flow()
    api.add_segment(b["id"], first, "[10:0_11:0)")
    obj = api.get(f"/objects/{first}").json()
    assert sorted(obj["referenced_by_flows"]) == sorted([a["id"], b["id"]])
    assert obj["first_referenced_by_flow"] == a["id"]
    assert obj["timerange"] == "[0:0_1:0)"


def test_ts_offset_moves_the_object_timeline(api):
    flow_id = api.create_flow()["id"]
    [item] = api.allocate(flow_id)
    segment = {"object_id": item["object_id"], "timerange": "[10:0_11:0)", "ts_offset": "10:0"}
    assert api.post(f"/flows/{flow_id}/segments", json=segment).status_code == 201
    assert api.get(f"/objects/{item['object_id']}").json()["timerange"] == "[0:0_1:0)"


def test_segment_listing_filters_order_and_paging(api):
    flow, objects = api.flow_with_segments(3)
    base = f"/flows/{flow['id']}/segments"
    ranges = lambda **p: [s["timerange"] for s in api.get(base, params=p).json()]  # noqa: E731
    assert ranges() == ["[0:0_1:0)", "[1:0_2:0)", "[2:0_3:0)"]
    assert ranges(reverse_order="true") == ["[2:0_3:0)", "[1:0_2:0)", "[0:0_1:0)"]
    assert ranges(timerange="[0:500000000_1:500000000)") == ["[0:0_1:0)", "[1:0_2:0)"]
    assert ranges(object_id=objects[2]) == ["[2:0_3:0)"]
    first = api.get(base, params={"limit": 2})
    assert first.headers["X-Paging-Timerange"] == "[0:0_2:0)"
    last = api.get(base, params={"limit": 2, "page": first.headers["X-Paging-NextKey"]})
    assert [s["timerange"] for s in last.json()] == ["[2:0_3:0)"]
    assert "Link" not in last.headers
    assert last.headers["X-Paging-Timerange"] == "[2:0_3:0)"


def test_get_url_filters(api):
    flow, _ = api.flow_with_segments(1)
    base = f"/flows/{flow['id']}/segments"
    [segment] = api.get(base).json()
    [url] = segment["get_urls"]
    assert url["presigned"] and url["label"] == "default"
    assert set(url) == {"url", "presigned", "label"}  # no verbose_storage: only these
    assert api.get(base, params={"accept_get_urls": ""}).json()[0]["get_urls"] == []
    assert api.get(base, params={"presigned": "false"}).json()[0]["get_urls"] == []
    verbose = api.get(base, params={"verbose_storage": "true"}).json()[0]["get_urls"][0]
    assert verbose["store_type"] == "http_object_store" and verbose["controlled"] is True


def test_segments_of_an_unknown_flow_are_an_empty_list(api):
    response = api.get(f"/flows/{uuid.uuid4()}/segments")
    assert response.status_code == 200 and response.json() == []
    assert api.post(f"/flows/{uuid.uuid4()}/segments", json=[]).status_code == 404


def test_object_ids_with_slashes_are_addressed_url_encoded(api):
    flow_id = api.create_flow()["id"]
    api.post(f"/flows/{flow_id}/storage", json={"object_ids": ["a/b"]})
    assert api.get("/objects/a%2Fb").status_code == 404  # allocated, not registered: MUST 404
    api.add_segment(flow_id, "a/b", "[0:0_1:0)")
    assert api.get("/objects/a%2Fb").json()["id"] == "a/b"
    assert api.get("/objects/a/b").status_code == 404
    assert api.get("/objects/unknown").status_code == 404
