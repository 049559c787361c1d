"""Storage -> presigned PUT -> segment -> get_urls, against a strict mock S3."""

from __future__ import annotations

import requests


def test_upload_with_the_declared_content_type_round_trips_through_get_urls(api):
    flow = api.create_flow()
    [item] = api.allocate(flow["id"])
    put_url = item["put_url"]
    assert put_url["content-type"] == "video/mp2t"
    assert item["presigned"] is True
    upload = requests.put(
        put_url["url"], data=b"media bytes", headers={"Content-Type": put_url["content-type"]}
    )
    assert upload.status_code == 200, upload.text
    api.add_segment(flow["id"], item["object_id"], "[0:0_1:0)")

    [segment] = api.get(f"/flows/{flow['id']}/segments").json()
    [get_url] = segment["get_urls"]
    assert requests.get(get_url["url"]).content == b"media bytes"
    obj = api.get(f"/objects/{item['object_id']}").json()
    assert obj["referenced_by_flows"] == [flow["id"]]
    assert obj["timerange"] == "[0:0_1:0)"
