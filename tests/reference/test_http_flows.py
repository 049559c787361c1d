"""Service, sources, flows and paging over HTTP (responses checked against the 8.2 schemas)."""

from __future__ import annotations

import uuid

import pytest

from tests.reference.refkit import video_flow


def test_root_and_service(api):
    assert api.get("/").json() == ["service", "flows", "sources", "flow-delete-requests", "objects"]
    service = api.get("/service").json()
    assert service["type"].startswith("urn:x-tams:service")
    assert service["api_version"] == "8.2"
    assert api.post("/service", json={"name": "renamed"}).status_code == 200
    assert api.get("/service").json()["name"] == "renamed"
    backends = api.get("/service/storage-backends").json()
    assert [b["default_storage"] for b in backends] == [True, False]  # default, then replica


def test_unknown_route_is_404_and_wrong_method_is_405_with_allow(api):
    missing = api.get("/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json()) == {"type", "summary", "time"}
    wrong = api.post("/flows")
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["Allow"]


def test_flow_put_creates_then_replaces(api):
    body = video_flow(tags={"a": "1"}, label="first")
    created = api.put(f"/flows/{body['id']}", json=body)
    assert created.status_code == 201
    assert created.json()["label"] == "first"
    replaced = api.put(f"/flows/{body['id']}", json={**body, "tags": None} | {"label": "second"})
    assert replaced.status_code == 400  # tags must be an object: validated by the spec
    body.pop("tags")
    assert api.put(f"/flows/{body['id']}", json={**body, "label": "second"}).status_code == 204
    flow = api.get(f"/flows/{body['id']}").json()
    assert flow["label"] == "second" and flow["tags"] == {}
    assert api.get(f"/sources/{body['source_id']}").json()["format"] == body["format"]


def test_flow_put_ignores_server_managed_fields(api):
    body = video_flow(created="2000-01-01T00:00:00Z", timerange="[0:0_1:0)")
    flow = api.put(f"/flows/{body['id']}", json=body).json()
    assert flow["created"] != "2000-01-01T00:00:00Z"
    assert "timerange" not in flow


@pytest.mark.parametrize(
    ("path_id", "body_changes"),
    [
        ("UPPER", {}),
        ("other", {}),
        ("same", {"frame_rate_missing": True}),
        ("same", {"format": "urn:x-nmos:format:audio"}),
    ],
    ids=["uppercase-id", "id-mismatch", "invalid-body", "format-differs-from-source"],
)
def test_bad_flow_puts_are_400(api, path_id, body_changes):
    existing = api.create_flow()
    body = video_flow(source_id=existing["source_id"])
    if body_changes.pop("frame_rate_missing", False):
        del body["essence_parameters"]["frame_rate"]
    body.update(body_changes)
    if body.get("format") == "urn:x-nmos:format:audio":
        body.pop("essence_parameters")
        body["codec"] = "audio/aac"
        body["essence_parameters"] = {"sample_rate": 48000, "channels": 2}
    flow_id = {"UPPER": body["id"].upper(), "other": str(uuid.uuid4())}.get(path_id, body["id"])
    assert api.put(f"/flows/{flow_id}", json=body).status_code == 400


def test_non_json_flow_body_is_400(api):
    response = api.put(f"/flows/{uuid.uuid4()}", data="{not json")
    assert response.status_code == 400


def test_unknown_and_malformed_ids_are_404(api):
    for path in (f"/flows/{uuid.uuid4()}", "/flows/NOT-A-UUID", f"/sources/{uuid.uuid4()}"):
        assert api.get(path).status_code == 404


def test_flow_sub_resources(api):
    flow_id = api.create_flow()["id"]
    base = f"/flows/{flow_id}"
    assert api.put(f"{base}/tags/genre", json=["news", "live"]).status_code == 204
    assert api.get(f"{base}/tags/genre").json() == ["news", "live"]
    assert api.put(f"{base}/tags/genre", json=5).status_code == 400
    assert api.delete(f"{base}/tags/genre").status_code == 204
    assert api.get(f"{base}/tags/genre").status_code == 404
    assert api.put(f"{base}/label", json="L").status_code == 204
    assert api.get(f"{base}/label").json() == "L"
    assert api.put(f"{base}/max_bit_rate", json=-1).status_code == 400
    assert api.put(f"{base}/max_bit_rate", json=5000).status_code == 204
    assert api.get(f"{base}/max_bit_rate").json() == 5000
    assert api.put(f"{base}/read_only", json="yes").status_code == 400
    assert api.delete(f"{base}/read_only").status_code == 405


def test_read_only_flows_refuse_writes_except_read_only_itself(api):
    flow = api.create_flow()
    base = f"/flows/{flow['id']}"
    assert api.put(f"{base}/read_only", json=True).status_code == 204
    writes = [
        api.put(f"{base}/label", json="x"),
        api.delete(f"{base}/description"),
        api.put(base, json=video_flow(id=flow["id"], source_id=flow["source_id"])),
        api.post(f"{base}/storage", json={"limit": 1}),
        api.post(f"{base}/segments", json={"object_id": "o", "timerange": "[0:0_1:0)"}),
        api.delete(f"{base}/segments"),
        api.delete(base),
    ]
    assert [w.status_code for w in writes] == [403] * len(writes)
    assert api.put(f"{base}/read_only", json=False).status_code == 204
    assert api.put(f"{base}/label", json="x").status_code == 204


def test_source_sub_resources_and_filters(api):
    flow = api.create_flow()
    base = f"/sources/{flow['source_id']}"
    assert api.put(f"{base}/tags/site", json="north").status_code == 204
    assert api.put(f"{base}/label", json="cam 1").status_code == 204
    assert api.get(f"{base}/description").status_code == 404
    found = api.get("/sources", params={"tag.site": "south,north", "label": "cam 1"}).json()
    assert [s["id"] for s in found] == [flow["source_id"]]
    assert api.get("/sources", params={"tag_exists.site": "false"}).json() == []


def test_flow_filters(api):
    tagged = api.create_flow(tags={"k": ["a", "b"]}, label="t")
    plain = api.create_flow()
    ids = lambda **params: {f["id"] for f in api.get("/flows", params=params).json()}  # noqa: E731
    assert ids(**{"tag.k": "b"}) == {tagged["id"]}
    assert ids(**{"tag_exists.k": "false"}) == {plain["id"]}
    assert ids(source_id=plain["source_id"]) == {plain["id"]}
    assert ids(frame_width="1920") == {tagged["id"], plain["id"]}
    assert ids(frame_width="640") == set()
    assert api.get("/flows", params={"timerange": "nonsense"}).status_code == 400
    assert api.get("/flows", params={"frame_width": "wide"}).status_code == 400


def test_flow_timerange_filter_and_include_timerange(api):
    with_content, _ = api.flow_with_segments(2)
    empty = api.create_flow()
    ids = lambda tr: {f["id"] for f in api.get("/flows", params={"timerange": tr}).json()}  # noqa: E731
    assert ids("[1:500000000_5:0)") == {with_content["id"]}
    assert ids("()") == {empty["id"]}
    assert ids("[10:0_11:0)") == set()
    flow = api.get(f"/flows/{with_content['id']}", params={"include_timerange": "true"}).json()
    assert flow["timerange"] == "[0:0_2:0)"
    partial = api.get(
        f"/flows/{with_content['id']}",
        params={"include_timerange": "true", "timerange": "[1:500000000_5:0)"},
    ).json()
    assert partial["timerange"] == "[1:0_2:0)"


def test_paging_walks_every_flow_once_by_link(api):
    created = {api.create_flow()["id"] for _ in range(5)}
    seen, url, pages = [], "/flows?limit=2", 0
    while url:
        response = api.get(url)
        pages += 1
        assert response.headers["X-Paging-Limit"] == "2"
        seen += [f["id"] for f in response.json()]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].removeprefix(api.base_url) if link else None
        if link:
            assert response.headers["X-Paging-NextKey"]
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_paging_limits(make_api):
    api = make_api(default_page_limit=2, max_page_limit=3)
    for _ in range(4):
        api.create_flow()
    assert api.get("/flows", params={"limit": "abc"}).status_code == 400
    assert api.get("/flows", params={"limit": "0"}).status_code == 400
    capped = api.get("/flows", params={"limit": "50"})
    assert capped.headers["X-Paging-Limit"] == "3" and len(capped.json()) == 3
    assert api.get("/flows", params={"page": "!!"}).status_code == 400
    head = api.request("HEAD", "/flows?limit=1")
    assert head.status_code == 200 and head.content == b"" and "Link" in head.headers


def test_paging_order_is_stable_when_flows_are_created_between_pages(api):
    first_ids = [api.create_flow()["id"] for _ in range(3)]
    page1 = api.get("/flows", params={"limit": 2})
    api.create_flow()
    page2 = api.get("/flows", params={"limit": 2, "page": page1.headers["X-Paging-NextKey"]})
    listed = [f["id"] for f in page1.json() + page2.json()]
    assert listed == list(reversed(first_ids))  # newest first; the new flow is before page 1
