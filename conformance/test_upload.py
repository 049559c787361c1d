"""The upload round trip: allocate, PUT with exactly the declared headers, register, read back.

Uploads go through `tams_conformance.fixtures.upload.upload`, which sends the put_url's
declared headers and nothing else (docs/uploads.md). Object ids may contain `/`, so /objects
paths encode them.
"""

from __future__ import annotations

import hashlib
import os

from tams_conformance.client import seg
from tams_conformance.fixtures.presign import describe_answer, fetch, stored_in_mock
from tams_conformance.fixtures.upload import declared_headers, upload, upload_precondition
from tams_conformance.levels import MUST, SHOULD, check, note, unsupported


def media_bytes(label: str) -> bytes:
    """Bytes no other upload has, so a read-back cannot match by accident."""
    return f"tams-conformance {label} ".encode() + os.urandom(2048)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uploaded_object(factory, runtime, flow_id, data):
    """A freshly allocated object with `data` uploaded (a precondition: worked around where a
    client could, else an error naming the check that reports the bug)."""
    [media] = factory.allocate(flow_id, 1)
    upload_precondition(media["put_url"], data, transcript=runtime.transcript)
    return media["object_id"]


def object_record(tams, object_id):
    """GET /objects/{id} of a registered object: its body, or a failure saying what answered.
    (A target without the endpoint fails here, in the checks of the /objects rules.)"""
    response = tams.get(f"/objects/{seg(object_id)}")
    assert response.status_code == 200, (
        f"GET /objects/{{id}} of registered object {object_id} answered {response.status_code}, "
        "not 200: the target does not serve the object record (an operation of every version "
        "from 7.0)"
    )
    body = response.json()
    assert "referenced_by_flows" in body, (
        f"GET /objects/{{id}} of {object_id} has no referenced_by_flows, which object.json requires"
    )
    return body


@check(
    "upload.declared-headers-accepted",
    MUST,
    "http-request.json url, content-type ('must be used'), headers; POST storage description",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_upload_with_exactly_the_declared_headers_succeeds(factory, runtime):
    """MUST: a PUT of the bytes to put_url.url with exactly the declared headers (content-type,
    headers) and nothing else succeeds (2xx), and the store holds the bytes after it (checked
    through the store itself when it is embedded)."""
    flow = factory.flow()
    [media] = factory.allocate(flow["id"], 1, presigned=True)  # the presigned contract
    data = media_bytes("declared-headers")
    response = upload(media["put_url"], data, transcript=runtime.transcript)
    sent = ", ".join(declared_headers(media["put_url"])) or "none"
    assert 200 <= response.status_code < 300, (
        f"PUT to the put_url of {media['object_id']} with exactly the declared headers "
        f"({sent}) was refused: {describe_answer(response)}; the storage.put-url-* checks "
        "say which part of the put_url contract is broken"
    )
    if runtime.mock_s3 is not None:
        stored = stored_in_mock(runtime.mock_s3, media["put_url"]["url"])
        assert stored == data, "the store answered 2xx but does not hold the uploaded bytes"


@check(
    "upload.segment-registered",
    MUST,
    "POST /flows/{flowId}/segments 201; GET /objects/{objectId} referenced_by_flows",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_uploaded_object_registers_as_a_segment_and_lists_its_flow(tams, factory, runtime):
    """MUST: registering the uploaded object answers 201; the flow's segments list it and
    GET /objects/{id} answers 200 with the flow in referenced_by_flows."""
    flow = factory.flow()
    object_id = uploaded_object(factory, runtime, flow["id"], media_bytes("register"))
    response = tams.post(
        f"/flows/{flow['id']}/segments", {"object_id": object_id, "timerange": "[0:0_1:0)"}
    )
    assert response.status_code == 201, f"segment registration answered {response.status_code}"
    listed = [s["object_id"] for s in tams.get(f"/flows/{flow['id']}/segments").json()]
    assert listed == [object_id], f"flow segments list {listed}, not the registered object"
    obj = object_record(tams, object_id)
    assert flow["id"] in obj["referenced_by_flows"], (
        f"referenced_by_flows {obj['referenced_by_flows']} lacks the flow"
    )


@check(
    "upload.get-urls-return-uploaded-bytes",
    MUST,
    "flow-segment.json get_urls (required for http_object_store); object-core.json get_urls",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_get_urls_download_the_bytes_that_were_uploaded(tams, factory, runtime):
    """MUST: the registered segment lists get_urls, and every one of them (and every get_url
    of GET /objects/{id}) downloads exactly the uploaded bytes (sha256)."""
    flow = factory.flow()
    data = media_bytes("read-back")
    segment = factory.segment(flow["id"], "[0:0_1:0)", data=data)
    [listed] = tams.get(f"/flows/{flow['id']}/segments").json()
    get_urls = list(listed.get("get_urls") or [])
    assert get_urls, "the segment has no get_urls (required for http_object_store backends)"
    record = tams.get(f"/objects/{seg(segment.object_id)}", validate=False)
    if record.status_code == 200:
        get_urls += record.json().get("get_urls") or []
    else:  # the record is upload.segment-registered's rule; the segment's get_urls are this one
        note(
            f"GET /objects/{{id}} answered {record.status_code}: only the segment's get_urls "
            "were downloaded (upload.segment-registered judges the object record)"
        )
    for entry in get_urls:
        response = fetch(entry, runtime.raw, runtime.transcript)
        label = entry.get("label", "unlabelled")
        assert response.status_code == 200, (
            f"get_url '{label}' answered {describe_answer(response)}"
        )
        assert sha256(response.content) == sha256(data), (
            f"get_url '{label}' returned {len(response.content)} bytes that differ from the "
            f"{len(data)} uploaded"
        )


@check(
    "upload.unregistered-object-404",
    MUST,
    "GET /objects/{objectId} 404 (MUST when assigned via /storage but not yet registered, 8.1)",
    since="8.1",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_allocated_but_unregistered_object_is_404(tams, factory):
    """MUST (8.1+): GET /objects/{id} of an object that was allocated but never registered on
    a segment answers 404, while a registered object of the same flow answers 200. Without
    the second the 404 proves nothing: a target that serves no /objects at all is
    unsupported here (upload.segment-registered fails for it)."""
    flow = factory.flow()
    [media] = factory.allocate(flow["id"], 1)
    response = tams.get(f"/objects/{seg(media['object_id'])}")
    assert response.status_code == 404, (
        f"GET /objects/{{id}} of an allocated, unregistered object answered "
        f"{response.status_code}, not 404"
    )
    registered = factory.segment(flow["id"], "[0:0_1:0)").object_id
    shown = tams.get(f"/objects/{seg(registered)}", validate=False).status_code
    if shown != 200:
        unsupported(
            f"GET /objects/{{id}} answers {shown} for a registered object too, so the 404 for an "
            "unregistered one proves nothing (upload.segment-registered reports the missing "
            "record)"
        )


@check(
    "upload.object-reuse-across-flows",
    SHOULD,
    "POST /flows/{flowId}/segments (re-use of Objects); object.json referenced_by_flows",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_object_of_flow_a_can_be_registered_in_flow_b(tams, factory):
    """SHOULD: flow B may register an object already used by flow A (201); the object then
    lists both flows, and first_referenced_by_flow, when given, is A."""
    flow_a, flow_b = factory.flow(), factory.flow()
    first = factory.segment(flow_a["id"], "[0:0_1:0)")
    response = tams.post(
        f"/flows/{flow_b['id']}/segments",
        {"object_id": first.object_id, "timerange": "[0:0_1:0)"},
    )
    assert response.status_code == 201, f"re-use in a second flow answered {response.status_code}"
    obj = object_record(tams, first.object_id)
    assert {flow_a["id"], flow_b["id"]} <= set(obj["referenced_by_flows"]), (
        f"referenced_by_flows {obj['referenced_by_flows']} does not hold both flows"
    )
    assert obj.get("first_referenced_by_flow", flow_a["id"]) == flow_a["id"]


@check(
    "upload.non-presigned-put-url",
    SHOULD,
    "POST /flows/{flowId}/storage: put_urls that are not presigned, clients SHOULD include "
    "credentials if on the same origin as the Service (ADR-0054, 8.2)",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_non_presigned_put_url_takes_the_api_credentials(tams, factory, runtime):
    """SHOULD (8.2+): a put_url allocated with presigned false accepts the upload a client
    makes as the spec says (the API credentials on the same origin, none elsewhere); the
    object then registers and its get_urls return the bytes."""
    flow_id = factory.flow()["id"]
    response = tams.post(f"/flows/{flow_id}/storage", {"limit": 1, "presigned": False})
    if response.status_code == 400:
        unsupported("the target hands out presigned put_urls only")
    assert response.status_code == 201, f"POST storage answered {response.status_code}"
    [media] = response.json()["media_objects"]
    data = media_bytes("non-presigned")

    put = factory.upload(media, data)

    assert 200 <= put.status_code < 300, f"the upload answered {describe_answer(put)}"
    factory.segment(flow_id, "[0:0_1:0)", object_id=media["object_id"])
    [item] = tams.get(f"/flows/{flow_id}/segments").json()
    for entry in item.get("get_urls") or []:
        got = fetch(entry, runtime.raw, runtime.transcript)
        assert got.status_code == 200, f"get_url answered {describe_answer(got)}"
        assert sha256(got.content) == sha256(data), "the get_url returns other bytes"
