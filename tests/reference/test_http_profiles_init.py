"""Flow Profiles, init segments and HEAD parity of the reference over HTTP (8.2 schemas)."""

from __future__ import annotations

import uuid

from tests.reference.refkit import video_flow

METADATA = {
    "format": "urn:x-tam:format:image",
    "codec": "image/jpeg",
    "container": "image/jpeg",
    "essence_parameters": {"frame_width": 64, "frame_height": 64},
}


def test_profiles_are_create_only_and_flows_take_their_metadata(api):
    pid = str(uuid.uuid4())
    body = {"id": pid, "label": "probe", "flow_metadata": METADATA}
    assert api.post(f"/service/profiles/{pid}", json=body).status_code == 201
    assert api.post(f"/service/profiles/{pid}", json=body).status_code == 400
    assert api.post("/service/profiles/NOT-A-UUID", json=body).status_code == 404
    assert [p["id"] for p in api.get("/service/profiles", params={"label": "probe"}).json()] == [
        pid
    ]
    assert api.get(f"/service/profiles/{uuid.uuid4()}").status_code == 404
    flow_id = str(uuid.uuid4())
    flow = {"id": flow_id, "source_id": str(uuid.uuid4()), "profile_id": pid}
    assert api.put(f"/flows/{flow_id}", json=flow).status_code == 201
    got = api.get(f"/flows/{flow_id}").json()
    assert got["profile_id"] == pid and got["codec"] == "image/jpeg"
    other = {**flow, "id": str(uuid.uuid4()), "profile_id": str(uuid.uuid4())}
    assert api.put(f"/flows/{other['id']}", json=other).status_code == 400
    carrying = {**flow, "id": str(uuid.uuid4()), "codec": "image/png"}
    assert api.put(f"/flows/{carrying['id']}", json=carrying).status_code == 400


def test_init_objects_are_linked_and_never_used_as_media(api):
    flow = api.create_flow(container="video/mp4")
    init = api.post(
        f"/flows/{flow['id']}/storage", json={"limit": 1, "content_type": "application/mp4"}
    ).json()["media_objects"][0]
    assert init["put_url"]["content-type"] == "application/mp4"
    [media, other] = [o["object_id"] for o in api.allocate(flow["id"], 2)]
    segment = {"object_id": media, "init_object_id": init["object_id"], "timerange": "[0:0_1:0)"}
    assert api.post(f"/flows/{flow['id']}/segments", json=segment).status_code == 201
    [listed] = api.get(f"/flows/{flow['id']}/segments").json()
    assert listed["init_object"]["object_id"] == init["object_id"]
    assert api.get(f"/objects/{media}").json()["init_object"]["id"] == init["object_id"]
    assert "timerange" not in api.get(f"/objects/{init['object_id']}").json()
    refused = [
        {"object_id": init["object_id"], "timerange": "[1:0_2:0)"},
        {"object_id": other, "init_object_id": media, "timerange": "[1:0_2:0)"},
        {"object_id": media, "init_object_id": other, "timerange": "[1:0_2:0)"},
    ]
    for body in refused:
        assert api.post(f"/flows/{flow['id']}/segments", json=body).status_code == 400, body


def test_head_keeps_the_paging_headers_and_the_variant_drops_content_length(api, make_api):
    api.create_flow()
    api.create_flow()
    head = api.request("HEAD", "/flows?limit=1")
    assert head.content == b"" and "X-Paging-NextKey" in head.headers
    assert "Link" in head.headers and "Content-Length" in head.headers
    variant = make_api(variants=frozenset({"head-omits-content-length"}))
    variant.put(f"/flows/{(body := video_flow())['id']}", json=body)
    head = variant.request("HEAD", "/flows")
    assert head.status_code == 200 and "Content-Length" not in head.headers
    assert "X-Paging-Limit" in head.headers
