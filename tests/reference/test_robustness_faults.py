"""The faults of servers unlike ours (issue 9), each checked for the one rule it breaks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tams_reference import S3Settings
from tams_reference.errors import NotFound
from tams_reference.media import MediaStore
from tests.reference.refkit import video_flow

MISSING = "9b0d5b4e-3f1c-4d5e-8a7b-1c2d3e4f5a6b"


def test_sources_never_removed_keeps_the_source_of_a_deleted_last_flow(world):
    w = world(faults={"sources-never-removed"})
    flow = w.flow()
    source = w.store.get_flow(flow)["source_id"]
    w.store.delete_flow(flow)
    assert w.store.get_source(source)["id"] == source
    with pytest.raises(NotFound):
        w.store.get_flow(flow)


def test_sources_never_removed_answers_a_source_delete_but_keeps_the_source(world):
    w = world(faults={"sources-never-removed"})
    source = w.store.get_flow(w.flow())["source_id"]
    w.store.delete_source(source, cascade=True)
    assert w.store.get_source(source)["id"] == source


def test_put_merges_keeps_what_the_replacing_body_omits(world):
    w = world(faults={"put-merges"})
    body = video_flow(tags={"kept": "yes"}, description="old")
    w.store.put_flow(body["id"], body)
    replacing = {k: v for k, v in body.items() if k not in ("tags", "description")}
    w.store.put_flow(body["id"], replacing)
    flow = w.store.get_flow(body["id"])
    assert flow["tags"] == {"kept": "yes"} and flow["description"] == "old"


def test_without_put_merges_a_put_replaces(world):
    w = world()
    body = video_flow(tags={"kept": "yes"})
    w.store.put_flow(body["id"], body)
    w.store.put_flow(body["id"], {k: v for k, v in body.items() if k != "tags"})
    assert w.store.get_flow(body["id"])["tags"] == {}


def test_segments_for_missing_flow_are_stored_under_the_missing_id(world):
    w = world(faults={"segments-for-missing-flow"})
    owner = w.flow()
    [media] = w.store.allocate_storage(owner, {"limit": 1})
    assert (
        w.store.post_segments(MISSING, {"object_id": media["object_id"], "timerange": "[0:0_1:0)"})
        == []
    )
    assert w.orphans()["segments without flow"] == [media["object_id"]]


def test_no_objects_endpoint_answers_404_for_a_registered_object(make_api):
    api = make_api(faults=frozenset({"no-objects-endpoint"}))
    flow, objects = api.flow_with_segments(1)
    assert api.get(f"/objects/{objects[0]}").status_code == 404
    listed = api.get(f"/flows/{flow['id']}/segments").json()
    assert [s["object_id"] for s in listed] == objects


def test_unsigned_content_type_put_urls_sign_only_host_and_declare_the_type():
    settings = S3Settings("http://127.0.0.1:9", "AKIAEXAMPLE", "secret", bucket="b")
    media = MediaStore(settings, frozenset({"put-url-unsigned-content-type"}), 600)
    put_url = media.put_url("o1", "video/mp2t")
    query = parse_qs(urlsplit(put_url["url"]).query)
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert put_url["content-type"] == "video/mp2t"
