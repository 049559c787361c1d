"""put_url / get_url signing, and the upload faults against a strict mock S3."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tams_reference.config import S3Settings
from tams_reference.media import MediaStore

SETTINGS = S3Settings("http://127.0.0.1:9", "K", "S", "media", "us-east-1")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def put_url(*faults: str) -> dict:
    return MediaStore(SETTINGS, frozenset(faults), 3600).put_url("a/b", "video/mp2t")


def test_put_url_signs_exactly_the_content_type_it_declares():
    url = put_url()
    params = query(url["url"])
    assert url["content-type"] == "video/mp2t"
    assert params["X-Amz-SignedHeaders"] == "content-type;host"
    assert params["X-Amz-Expires"] == "3600"
    assert "/us-east-1/s3/" in params["X-Amz-Credential"]
    assert urlsplit(url["url"]).path == "/media/objects/a/b"


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("sigv2-put-urls", lambda u, q: "AWSAccessKeyId" in q and u["content-type"]),
        ("content-type-signed-not-declared", lambda u, q: "content-type" not in u),
        ("short-expiry", lambda u, q: q["X-Amz-Expires"] == "10"),
        ("wrong-region", lambda u, q: "/eu-west-2/s3/" in q["X-Amz-Credential"]),
    ],
)
def test_each_upload_fault_changes_the_put_url_as_documented(fault, check):
    url = put_url(fault)
    assert check(url, query(url["url"]))


def upload(api) -> tuple[dict, requests.Response]:
    """Allocate one object and PUT to it with exactly the headers its put_url declares."""
    flow = api.create_flow()
    [item] = api.allocate(flow["id"])
    headers = {"Content-Type": item["put_url"]["content-type"]}
    return item, requests.put(item["put_url"]["url"], data=b"x", headers=headers)


def test_sigv2_put_urls_fail_on_a_strict_store_with_the_declared_content_type(make_api):
    _, response = upload(make_api(faults={"sigv2-put-urls"}))
    assert response.status_code == 403


def test_broken_get_urls_fail_on_download(make_api):
    api = make_api(faults={"broken-get-urls"})
    flow = api.create_flow()
    [item] = api.allocate(flow["id"])
    put = requests.put(item["put_url"]["url"], data=b"x", headers={"Content-Type": "video/mp2t"})
    assert put.status_code == 200
    api.add_segment(flow["id"], item["object_id"], "[0:0_1:0)")
    [segment] = api.get(f"/flows/{flow['id']}/segments").json()
    assert requests.get(segment["get_urls"][0]["url"]).status_code == 403
