"""Store strictness: the client mistakes the target's S3 store punishes, proved on its real gate.

These run only where the target declares what its store enforces (`s3.store` aws or strict;
the embedded target's mock S3 always does). Each check first uploads to a sibling put_url with
exactly the declared headers (a precondition: if that fails, a refusal would prove nothing),
then makes one client mistake and expects the store's refusal (403 AccessDenied with
HeadersNotSigned, or SignatureDoesNotMatch) and nothing written. A vendor reads the outcome as
"these client mistakes break uploads on my store".
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from tams_conformance.fixtures.presign import (
    declared_names,
    describe_answer,
    fetch,
    parse_presigned,
    s3_error_code,
    stored_in_mock,
)
from tams_conformance.fixtures.upload import upload, upload_as_signed
from tams_conformance.levels import MUST, check

REFUSAL_CODES = ("AccessDenied", "SignatureDoesNotMatch")
PROBE_HEADER = "x-amz-meta-tams-conformance"
OTHER_CONTENT_TYPE = "application/x-tams-conformance-probe"


def probe_object(factory, runtime, flow_id):
    """A fresh media object whose sibling put_url accepts exactly the declared headers, or
    the signed ones where the declared are refused (a workaround, noted). Returns it with the
    declared headers the mistake must also leave out."""
    [control] = factory.allocate(flow_id, 1, presigned=True)
    _, omitted = upload_as_signed(
        control["put_url"], b"tams-conformance control", transcript=runtime.transcript
    )
    [probe] = factory.allocate(flow_id, 1, presigned=True)
    return probe, omitted


def assert_refused(response, mistake, store):
    assert response.status_code == 403 and s3_error_code(response) in REFUSAL_CODES, (
        f"an upload with {mistake} answered {describe_answer(response)}; a '{store}' store "
        "refuses it with 403 AccessDenied (HeadersNotSigned) or SignatureDoesNotMatch. If the "
        "store really accepts it, the target's s3.store is declared too strict"
    )


def assert_nothing_written(tams, runtime, flow_id, media, data):
    """State after a refusal: the object's key holds nothing (read through the embedded store,
    or else through the get_urls of a registration, if the server accepts one)."""
    if runtime.mock_s3 is not None:
        stored = stored_in_mock(runtime.mock_s3, media["put_url"]["url"])
        assert stored is None, f"the refused upload was stored anyway ({len(stored)} bytes)"
        return
    body = {"object_id": media["object_id"], "timerange": "[100:0_101:0)"}
    if tams.post(f"/flows/{flow_id}/segments", body, validate=False).status_code != 201:
        return  # the server itself sees no upload
    listed = tams.get(
        f"/flows/{flow_id}/segments", params={"object_id": media["object_id"]}, validate=False
    )
    entries = [u for s in listed.json() for u in s.get("get_urls") or []]
    for entry in entries:
        got = fetch(entry, runtime.raw, runtime.transcript)
        assert got.content != data, "the refused upload was stored anyway (get_urls return it)"


def try_mistake(tams, factory, runtime, target, mistake, headers_for, flow=None):
    """Upload to a probe object with the headers `headers_for(data)` adds; expect a refusal."""
    flow = flow or factory.flow()
    media, omitted = probe_object(factory, runtime, flow["id"])
    data = f"tams-conformance probe {os.urandom(8).hex()}".encode()
    response = upload(
        media["put_url"],
        data,
        extra_headers=headers_for(data),
        omit=omitted,
        transcript=runtime.transcript,
    )
    assert_refused(response, mistake, target.s3.store)
    assert_nothing_written(tams, runtime, flow["id"], media, data)


@check(
    "upload.store-refuses-undeclared-x-amz-meta",
    MUST,
    "S3 store profile aws/strict: unsigned x-amz-* refused (HeadersNotSigned)",
    store=("aws", "strict"),
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_store_refuses_an_undeclared_x_amz_meta_header(tams, factory, runtime, target):
    """MUST (aws, strict stores): a PUT that adds an undeclared x-amz-meta-* header is refused
    (403) and writes nothing."""
    mistake = f"an undeclared {PROBE_HEADER}"
    try_mistake(tams, factory, runtime, target, mistake, lambda data: {PROBE_HEADER: "1"})


@check(
    "upload.store-refuses-undeclared-content-md5",
    MUST,
    "S3 store profile aws/strict: unsigned Content-MD5 refused (HeadersNotSigned)",
    store=("aws", "strict"),
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_store_refuses_an_undeclared_content_md5(tams, factory, runtime, target):
    """MUST (aws, strict stores): a PUT that adds a correct but undeclared Content-MD5 is
    refused (403) and writes nothing."""

    def content_md5(data: bytes) -> dict[str, str]:
        return {"Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()}

    try_mistake(tams, factory, runtime, target, "an undeclared Content-MD5", content_md5)


@check(
    "upload.store-refuses-undeclared-content-type",
    MUST,
    "S3 store profile strict: every unsigned non-transport header refused",
    store=("strict",),
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_strict_store_refuses_a_content_type_the_put_url_does_not_declare(
    tams, factory, runtime, target
):
    """MUST (strict stores): when a put_url declares no content-type, a PUT that adds one (the
    flow's container, the likeliest client guess) is refused (403) and writes nothing."""
    flow = factory.flow()
    [sample] = factory.allocate(flow["id"], 1)
    if "content-type" in declared_names(sample["put_url"]):
        pytest.skip("n/a: the put_urls declare a content-type (see other-content-type)")
    guess = {"Content-Type": flow["container"]}
    try_mistake(tams, factory, runtime, target, "an undeclared Content-Type", lambda _: guess, flow)


@check(
    "upload.store-refuses-other-content-type",
    MUST,
    "http-request.json content-type ('must be used'); S3 signed Content-Type",
    store=("aws", "strict"),
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_store_refuses_a_content_type_other_than_the_declared_one(tams, factory, runtime, target):
    """MUST (aws, strict stores): a PUT with a Content-Type other than the declared one is
    refused (403) and writes nothing. On an aws store this holds only where the URL signs
    Content-Type (AWS accepts any unsigned Content-Type)."""
    flow = factory.flow()
    [sample] = factory.allocate(flow["id"], 1)
    if "content-type" not in declared_names(sample["put_url"]):
        pytest.skip("n/a: the put_urls declare no content-type (see undeclared-content-type)")
    signed = parse_presigned(sample["put_url"]["url"])
    if target.s3.store == "aws" and (signed is None or not signed.covers("content-type")):
        pytest.skip("n/a: the put_url does not sign Content-Type; an aws store accepts any")
    mistake = f"Content-Type {OTHER_CONTENT_TYPE} instead of the declared one"
    other = {"Content-Type": OTHER_CONTENT_TYPE}
    try_mistake(tams, factory, runtime, target, mistake, lambda _: other, flow)
