"""Objects over HTTP: instances (controlled copies, uncontrolled URLs), the get_urls
selection, paged referenced_by_flows, and the non-presigned put_urls of the reference."""

from __future__ import annotations

import requests

from tams_reference.media import REPLICA_ID, STORAGE_ID

EXTERNAL = "https://media.invalid/x"


def one_object(api) -> tuple[str, str]:
    """A flow with one segment whose object's bytes are uploaded."""
    flow_id = api.create_flow()["id"]
    [media] = api.allocate(flow_id)
    put = media["put_url"]
    requests.put(put["url"], data=b"media", headers={"Content-Type": put["content-type"]})
    api.add_segment(flow_id, media["object_id"], "[0:0_1:0)")
    return flow_id, media["object_id"]


def test_instances_copy_list_filter_and_keep_the_last(api):
    flow_id, object_id = one_object(api)
    path = f"/objects/{object_id}/instances"
    assert api.post(path, json={"storage_id": REPLICA_ID}).status_code == 201
    assert api.post(path, json={"url": EXTERNAL, "label": "ext"}).status_code == 201
    assert api.post(path, json={"url": EXTERNAL}).status_code == 400  # label required
    assert api.post(path, json={"url": EXTERNAL, "label": "default"}).status_code == 400
    urls = api.get(f"/objects/{object_id}", params={"verbose_storage": "true"}).json()["get_urls"]
    assert [u.get("storage_id") for u in urls] == [STORAGE_ID, REPLICA_ID, None]
    copy = requests.get(urls[1]["url"], timeout=10)
    assert copy.status_code == 200 and copy.content == requests.get(urls[0]["url"]).content
    pick = api.get(f"/flows/{flow_id}/segments", params={"accept_storage_ids": REPLICA_ID})
    assert [u["label"] for u in pick.json()[0]["get_urls"]] == ["replica"]
    cold = api.get(f"/objects/{object_id}", params={"storage_backend_tag.tier": "cold"})
    assert [u["label"] for u in cold.json()["get_urls"]] == ["replica"]
    assert api.get(f"/objects/{object_id}", params={"presigned": "false"}).json()["get_urls"] == [
        {"url": EXTERNAL, "label": "ext"}
    ]
    assert api.delete(path).status_code == 400
    assert api.delete(path, params={"label": "ext"}).status_code == 204
    assert api.delete(path, params={"storage_id": REPLICA_ID}).status_code == 204
    assert api.delete(path, params={"storage_id": STORAGE_ID}).status_code == 400  # the last
    assert (
        api.post(f"/objects/{object_id}x/instances", json={"storage_id": REPLICA_ID}).status_code
        == 404
    )


def test_referenced_by_flows_pages(api):
    _, object_id = one_object(api)
    for _ in range(2):
        flow_id = api.create_flow()["id"]
        api.add_segment(flow_id, object_id, "[0:0_1:0)")
    first = api.get(f"/objects/{object_id}", params={"limit": 2})
    assert len(first.json()["referenced_by_flows"]) == 2
    rest = requests.get(first.links["next"]["url"], timeout=10).json()["referenced_by_flows"]
    assert len(rest) == 1 and rest[0] not in first.json()["referenced_by_flows"]


def test_non_presigned_put_urls_take_an_upload_and_register(api):
    flow_id = api.create_flow()["id"]
    response = api.post(f"/flows/{flow_id}/storage", json={"limit": 1, "presigned": False})
    [media] = response.json()["media_objects"]
    assert "presigned" not in media and media["put_url"]["url"].startswith(api.base_url)
    put = requests.put(
        media["put_url"]["url"],
        data=b"bytes",
        headers={"Content-Type": media["put_url"]["content-type"]},
        timeout=10,
    )
    assert put.status_code == 200
    api.add_segment(flow_id, media["object_id"], "[0:0_1:0)")
    [url] = api.get(f"/objects/{media['object_id']}").json()["get_urls"]
    assert requests.get(url["url"], timeout=10).content == b"bytes"
    again = requests.put(media["put_url"]["url"], data=b"other", timeout=10)
    assert again.status_code == 400  # registered objects are immutable


def test_variants_idempotent_repost_omit_empty_get_urls_unsigned_put_urls(make_server):
    from tests.reference.refkit import Api

    server = make_server(
        variants=frozenset(
            {"idempotent-segment-repost", "omit-empty-get-urls", "unsigned-put-urls"}
        )
    )
    api = Api(server.base_url)
    flow_id = api.create_flow()["id"]
    [media] = api.allocate(flow_id)
    assert "presigned" not in media  # not presigned unless asked
    body = {"object_id": media["object_id"], "timerange": "[0:0_1:0)"}
    assert api.post(f"/flows/{flow_id}/segments", json=body).status_code == 201
    assert api.post(f"/flows/{flow_id}/segments", json=body).status_code == 201  # the same
    listed = api.get(f"/flows/{flow_id}/segments", params={"accept_get_urls": ""}).json()
    assert len(listed) == 1 and "get_urls" not in listed[0]
