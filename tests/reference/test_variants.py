"""The reference variants over HTTP: each legitimate choice does what tams_reference/variants.py
says, and an unknown variant is a one-line error (ValueError, CLI exit 2)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

import tams_reference.variants as variants_module
from tams_reference import ServerConfig
from tams_reference.variants import VARIANTS
from tests.reference.refkit import Api

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def wait_done(api: Api, location: str, timeout_s: float = 10) -> dict[str, Any]:
    """Follow a 202's Location (a path or an absolute URL) until its request finishes."""
    url = location if location.startswith("http") else api.base_url + location
    deadline = time.monotonic() + timeout_s
    while True:
        body = requests.get(url, timeout=10).json()
        if body["status"] in ("done", "error") or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def shared_scene(api: Api) -> dict[str, Any]:
    """Source S: flow A (3 segments on objects L1, L2, X) and empty flow B; flow O of another
    source also uses X."""
    a, objects = api.flow_with_segments(3)
    b = api.create_flow(source_id=a["source_id"])
    other = api.create_flow()
    api.add_segment(other["id"], objects[2], "[0:0_1:0)")
    return {"source": a["source_id"], "a": a["id"], "b": b["id"], "other": other["id"]}


# -- async-everywhere --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "params"),
    [
        ("flow-without-segments", {}),
        ("flow-without-segments", {"cascade": "false"}),
        ("flow-with-segments", {"cascade": "true"}),
        ("segments", {}),
        ("segments", {"cascade": "false"}),
    ],
)
def test_async_everywhere_answers_202_for_every_flow_and_segment_delete(make_api, what, params):
    api = make_api(delete_mode="sync", variants=frozenset({"async-everywhere"}))
    if what == "flow-without-segments":
        flow = api.create_flow()
    else:
        flow, _ = api.flow_with_segments(2)
    path = f"/flows/{flow['id']}" + ("/segments" if what == "segments" else "")

    response = api.delete(path, params=params)

    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"/flow-delete-requests/{response.json()['id']}"
    assert wait_done(api, response.headers["Location"])["status"] == "done"
    if what == "segments":
        assert api.get(f"/flows/{flow['id']}/segments").json() == []
    else:
        assert api.get(f"/flows/{flow['id']}").status_code == 404


def test_async_everywhere_still_refuses_at_once_and_keeps_source_deletes_synchronous(make_api):
    api = make_api(variants=frozenset({"async-everywhere"}))
    scene = shared_scene(api)

    assert api.delete(f"/flows/{scene['a']}", params={"cascade": "false"}).status_code == 409
    assert api.delete(f"/flows/{uuid.uuid4()}").status_code == 404
    assert api.delete(f"/flows/{uuid.uuid4()}/segments").status_code == 404
    assert api.delete(f"/sources/{scene['source']}").status_code == 204
    assert api.get(f"/flows/{scene['a']}").status_code == 404


# -- absolute-location ------------------------------------------------------------------------


@pytest.mark.parametrize("variants", [{"absolute-location"}, set()], ids=["absolute", "default"])
def test_location_of_a_202_is_absolute_with_the_variant_and_a_path_without(make_api, variants):
    api = make_api(delete_mode="async", variants=frozenset(variants))
    flow, _ = api.flow_with_segments(1)

    response = api.delete(f"/flows/{flow['id']}")

    assert response.status_code == 202
    path = f"/flow-delete-requests/{response.json()['id']}"
    expected = api.base_url + path if variants else path
    assert response.headers["Location"] == expected
    assert wait_done(api, response.headers["Location"])["id"] == response.json()["id"]


# -- cascade-200-body -------------------------------------------------------------------------


def test_cascade_source_delete_answers_200_with_what_it_deleted(make_api):
    api = make_api(variants=frozenset({"cascade-200-body"}))
    scene = shared_scene(api)

    response = api.delete(f"/sources/{scene['source']}", params={"cascade": "true"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    # Flows A and B, A's three segments, L1 and L2 (X stays: flow O still uses it).
    assert body["deleted"] == {"sources": 1, "flows": 2, "segments": 3, "objects": 2}
    assert api.get(f"/sources/{scene['source']}").status_code == 404
    assert api.get(f"/flows/{scene['other']}/segments").json() != []


@pytest.mark.parametrize(
    ("victim", "params", "status", "deleted"),
    [
        ("a", {"cascade": "true"}, 200, {"sources": 0, "flows": 1, "segments": 3, "objects": 2}),
        ("b", {"cascade": "false"}, 200, {"sources": 0, "flows": 1, "segments": 0, "objects": 0}),
        ("a", {}, 204, None),
    ],
    ids=["cascade-true", "cascade-false-no-segments", "no-cascade-parameter"],
)
def test_flow_deletes_carrying_the_cascade_parameter_answer_200_with_counts(
    make_api, victim, params, status, deleted
):
    api = make_api(variants=frozenset({"cascade-200-body"}))
    scene = shared_scene(api)

    response = api.delete(f"/flows/{scene[victim]}", params=params)

    assert response.status_code == status, response.text
    if deleted is not None:
        assert response.json()["deleted"] == deleted
    assert api.get(f"/flows/{scene[victim]}").status_code == 404
    assert api.get(f"/sources/{scene['source']}").status_code == 200  # the sibling keeps it


def test_the_last_flow_deleted_with_cascade_counts_its_source(make_api):
    api = make_api(variants=frozenset({"cascade-200-body"}))
    flow, _ = api.flow_with_segments(2)

    response = api.delete(f"/flows/{flow['id']}", params={"cascade": "true"})

    assert response.json()["deleted"] == {"sources": 1, "flows": 1, "segments": 2, "objects": 2}


def test_refused_cascade_deletes_keep_their_error_status(make_api):
    api = make_api(variants=frozenset({"cascade-200-body"}))
    scene = shared_scene(api)

    assert api.delete(f"/sources/{scene['source']}", params={"cascade": "false"}).status_code == 409
    assert api.delete(f"/flows/{uuid.uuid4()}", params={"cascade": "true"}).status_code == 404


# -- slash-object-ids -------------------------------------------------------------------------


def test_slash_object_ids_work_on_every_route_and_in_s3(make_api, mock_s3):
    api = make_api(variants=frozenset({"slash-object-ids"}))
    flow = api.create_flow()
    [item] = api.allocate(flow["id"])
    object_id = item["object_id"]
    assert re.fullmatch(f"media/{UUID}/essence", object_id), object_id
    encoded = quote(object_id, safe="")
    assert api.get(f"/objects/{encoded}").status_code == 404  # allocated, not registered

    put_url = item["put_url"]
    headers = {"Content-Type": put_url["content-type"]}
    assert requests.put(put_url["url"], data=b"slashed", headers=headers).status_code == 200
    api.add_segment(flow["id"], object_id, "[0:0_1:0)")

    key = f"objects/{object_id}"
    assert mock_s3.client.get_object(Bucket=mock_s3.bucket, Key=key)["Body"].read() == b"slashed"
    obj = api.get(f"/objects/{encoded}")
    assert obj.status_code == 200 and obj.json()["id"] == object_id
    assert requests.get(obj.json()["get_urls"][0]["url"]).content == b"slashed"
    assert api.get(f"/objects/{object_id}").status_code == 404  # unencoded: another path
    listed = api.get(f"/flows/{flow['id']}/segments", params={"object_id": object_id}).json()
    assert [s["object_id"] for s in listed] == [object_id]

    response = api.delete(f"/flows/{flow['id']}/segments", params={"object_id": object_id})
    assert response.status_code == 204
    assert api.get(f"/objects/{encoded}").status_code == 404


# -- host-only-put-urls -----------------------------------------------------------------------


def test_host_only_put_urls_sign_only_host_and_declare_no_content_type(make_api):
    api = make_api(variants=frozenset({"host-only-put-urls"}))
    flow = api.create_flow()
    [item] = api.allocate(flow["id"])
    put_url = item["put_url"]
    query = parse_qs(urlsplit(put_url["url"]).query)

    assert "content-type" not in put_url and "headers" not in put_url
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["host"]
    assert requests.put(put_url["url"], data=b"host only").status_code == 200
    api.add_segment(flow["id"], item["object_id"], "[0:0_1:0)")
    [segment] = api.get(f"/flows/{flow['id']}/segments").json()
    assert requests.get(segment["get_urls"][0]["url"]).content == b"host only"


# -- deferred-204 -----------------------------------------------------------------------------


def test_deferred_204_answers_at_once_and_deletes_the_segments_a_moment_later(make_api):
    api = make_api(variants=frozenset({"deferred-204"}))
    flow, _ = api.flow_with_segments(2)
    response = api.delete(f"/flows/{flow['id']}/segments")
    assert response.status_code == 204 and "Location" not in response.headers
    deadline = time.monotonic() + 10
    while api.get(f"/flows/{flow['id']}/segments").json():
        assert time.monotonic() < deadline, "the deferred delete never happened"
        time.sleep(0.02)
    assert api.get(f"/flows/{flow['id']}").status_code == 200  # the flow stays


# -- late-gc ----------------------------------------------------------------------------------


def test_late_gc_releases_references_at_once_and_deletes_the_object_later(make_api):
    api = make_api(variants=frozenset({"late-gc"}))
    flow, objects = api.flow_with_segments(1)
    object_id = objects[0]
    assert api.delete(f"/flows/{flow['id']}").status_code == 204
    early = api.get(f"/objects/{quote(object_id, safe='')}")
    assert early.status_code == 200, "late-gc deleted the object with the flow"
    assert early.json()["referenced_by_flows"] == []
    deadline = time.monotonic() + 10
    while api.get(f"/objects/{quote(object_id, safe='')}").status_code != 404:
        assert time.monotonic() < deadline, "late-gc never collected the object"
        time.sleep(0.05)


# -- relative-next-links ----------------------------------------------------------------------


@pytest.mark.parametrize("variants", [{"relative-next-links"}, set()], ids=["relative", "default"])
def test_next_links_are_relative_with_the_variant_and_absolute_without(make_api, variants):
    api = make_api(variants=frozenset(variants))
    marker = uuid.uuid4().hex
    made = {api.create_flow(tags={"probe": marker})["id"] for _ in range(3)}

    seen, pages, url = [], [], f"{api.base_url}/flows?limit=2&tag.probe={marker}"
    while url:
        response = requests.get(url, timeout=10)
        pages.append(response)
        seen += [f["id"] for f in response.json()]
        link = response.links.get("next", {}).get("url")
        url = link and (api.base_url + link if link.startswith("/") else link)

    first_link = pages[0].headers["Link"]
    prefix = "</flows?" if variants else f"<{api.base_url}/flows?"
    assert first_link.startswith(prefix) and first_link.endswith('>; rel="next"'), first_link
    assert sorted(seen) == sorted(made) and len(pages) == 2
    head = requests.head(f"{api.base_url}/flows?limit=2&tag.probe={marker}", timeout=10)
    assert head.headers["Link"] == first_link


# -- choosing variants ------------------------------------------------------------------------


def test_unknown_variant_is_a_value_error_naming_the_known_ones():
    with pytest.raises(ValueError) as raised:
        ServerConfig(variants=frozenset({"bogus", "absolute-location"}))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("unknown variant bogus; known variants: absolute-location, ")


def test_cli_unknown_variant_exits_2_with_one_line():
    process = subprocess.run(
        [sys.executable, "-m", "tams_reference", "--variants", "absolute-location,bogus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stdout == ""
    assert process.stderr.startswith("tams-reference: unknown variant bogus; known variants: ")
    assert process.stderr.count("\n") == 1


def test_every_variant_is_documented_in_the_module_and_in_help():
    help_text = subprocess.run(
        [sys.executable, "-m", "tams_reference", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for name in VARIANTS:
        assert f"``{name}``" in (variants_module.__doc__ or ""), name
        assert f"\n  {name}\n" in help_text, name
