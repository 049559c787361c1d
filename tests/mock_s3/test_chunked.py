"""aws-chunked uploads (chunk and trailer signatures, trailer checksums) and clock skew on
header-signed requests: refused as AWS refuses them, faithful ones stored intact."""

from __future__ import annotations

import calendar
import io
import os
import time
import uuid
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
import requests
from botocore.exceptions import ClientError

from mock_s3 import MockS3
from mock_s3.clock import Clock
from mock_s3.gate import Gate
from mock_s3.profiles import PROFILES, StoreSettings
from mock_s3.requestlog import RequestLog

CHECKING = ["aws", "strict"]


def _code(response: requests.Response) -> str | None:
    if response.status_code < 300:
        return None
    return ElementTree.fromstring(response.content).findtext("Code")


def _put(store, chunked) -> requests.Response:
    return requests.put(chunked.url, data=chunked.body, headers=chunked.headers, timeout=60)


def _build(aws_chunked, store, data: bytes, **kw):
    path = f"/{store.bucket}/chunked/{uuid.uuid4().hex}"
    return aws_chunked.build(
        store.endpoint, path, data, access_key=store.access_key, secret_key=store.secret_key, **kw
    )


def _stored(store, chunked) -> bytes:
    key = chunked.url.split(f"/{store.bucket}/", 1)[1]
    return store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read()


# AWS's published example of a signed streaming upload ("Signature Calculations for the
# Authorization Header: Transferring Payload in Multiple Chunks"): 66,560 bytes of "a".
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
AWS_CHUNKS = [
    (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
    (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
    (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
]


def _aws_example(body: bytes) -> dict:
    signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    signed += "x-amz-decoded-content-length;x-amz-storage-class"
    return {
        "REQUEST_METHOD": "PUT",
        "RAW_URI": "/examplebucket/chunkObject.txt",
        "HTTP_HOST": "s3.amazonaws.com",
        "HTTP_X_AMZ_DATE": "20130524T000000Z",
        "HTTP_X_AMZ_STORAGE_CLASS": "REDUCED_REDUNDANCY",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
        f"us-east-1/s3/aws4_request,SignedHeaders={signed},Signature={AWS_SEED}",
        "HTTP_X_AMZ_CONTENT_SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "HTTP_CONTENT_ENCODING": "aws-chunked",
        "HTTP_X_AMZ_DECODED_CONTENT_LENGTH": "66560",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }


def _aws_body(corrupt: bool = False) -> bytes:
    body = b""
    for size, signature in AWS_CHUNKS:
        data = bytearray(b"a" * size)
        if corrupt and size == 1024:
            data[10] = ord("b")
        body += f"{size:x};chunk-signature={signature}\r\n".encode() + bytes(data) + b"\r\n"
    return body


@pytest.fixture
def aws_gate() -> Gate:
    settings = StoreSettings(PROFILES["strict"], {"AKIAIOSFODNN7EXAMPLE": AWS_SECRET})
    clock = Clock()
    clock.advance(calendar.timegm((2013, 5, 24, 0, 0, 0)) + 60 - time.time())
    return Gate(lambda *_: [], settings, clock, RequestLog(), "123456789012")


def test_the_gate_accepts_aws_published_streaming_example(aws_gate: Gate, aws_chunked) -> None:
    body = _aws_body()
    assert len(body) == 66824  # the example's Content-Length
    assert aws_gate.judge(_aws_example(body)) == "sigv4-header"
    # The tests' encoder agrees with AWS's published chunk signatures.
    k = aws_chunked.key(AWS_SECRET, "20130524", "us-east-1")
    previous = AWS_SEED
    for size, signature in AWS_CHUNKS:
        scope = "20130524/us-east-1/s3/aws4_request"
        previous = aws_chunked.chunk_signature(k, "20130524T000000Z", scope, previous, b"a" * size)
        assert previous == signature


def test_the_gate_refuses_aws_example_with_one_byte_changed(aws_gate: Gate) -> None:
    from mock_s3.errors import S3Error

    with pytest.raises(S3Error) as caught:
        aws_gate.judge(_aws_example(_aws_body(corrupt=True)))
    assert (caught.value.status, caught.value.code) == (403, "SignatureDoesNotMatch")
    assert "decoded byte 65536" in caught.value.reason


@pytest.mark.parametrize("profile", ["lenient", *CHECKING])
@pytest.mark.parametrize("mode", ["SIGNED", "SIGNED_TRAILER", "UNSIGNED_TRAILER"])
def test_a_faithful_chunked_upload_is_stored_decoded(stores, aws_chunked, profile, mode) -> None:
    store = stores("api", profile)
    data = os.urandom(150_000)
    chunked = _build(aws_chunked, store, data, mode=getattr(aws_chunked, mode))
    response = _put(store, chunked)
    assert response.status_code == 200, response.text
    assert _stored(store, chunked) == data


def _flip_data(c) -> None:
    first = bytearray(c.chunks[0])
    first[-10] ^= 1
    c.chunks[0] = bytes(first)


def _bad_signature(c) -> None:
    head, _, rest = c.chunks[1].partition(b"\r\n")
    c.chunks[1] = head[:-1] + (b"0" if head[-1:] != b"0" else b"1") + b"\r\n" + rest


def _swap(c) -> None:
    c.chunks[0], c.chunks[1] = c.chunks[1], c.chunks[0]


def _drop_last_data_chunk(c) -> None:
    del c.chunks[-2]


def _no_final_chunk(c) -> None:
    del c.chunks[-1]


def _bad_decoded_length(c) -> None:
    c.headers["x-amz-decoded-content-length"] = str(
        int(c.headers["x-amz-decoded-content-length"]) + 1
    )


TAMPERS = {
    "data byte flipped": (_flip_data, "SignatureDoesNotMatch"),
    "chunk signature altered": (_bad_signature, "SignatureDoesNotMatch"),
    "chunks reordered": (_swap, "SignatureDoesNotMatch"),
    # The next two change the body's length, which the seed signature covers.
    "chunk dropped": (_drop_last_data_chunk, "SignatureDoesNotMatch"),
    "final chunk missing": (_no_final_chunk, "SignatureDoesNotMatch"),
    "decoded length changed": (_bad_decoded_length, "SignatureDoesNotMatch"),
}


@pytest.mark.parametrize("profile", CHECKING)
@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_a_tampered_signed_chunked_upload_is_refused(stores, aws_chunked, profile, tamper) -> None:
    store = stores("api", profile)
    chunked = _build(aws_chunked, store, os.urandom(200_000))
    change, code = TAMPERS[tamper]
    change(chunked)
    response = _put(store, chunked)
    assert (response.status_code, _code(response)) == (403, code), response.text
    assert store.mock.requests.snapshot()[-1].verdict == "refused"


@pytest.mark.parametrize("profile", CHECKING)
def test_a_bad_trailer_signature_is_refused(stores, aws_chunked, profile) -> None:
    store = stores("api", profile)
    chunked = _build(aws_chunked, store, os.urandom(70_000), mode=aws_chunked.SIGNED_TRAILER)
    last = chunked.trailer[-5:-4]
    chunked.trailer = chunked.trailer[:-5] + (b"0" if last != b"0" else b"1") + b"\r\n\r\n"
    response = _put(store, chunked)
    assert (response.status_code, _code(response)) == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("profile", CHECKING)
@pytest.mark.parametrize("mode", ["SIGNED_TRAILER", "UNSIGNED_TRAILER"])
def test_a_trailer_checksum_other_than_the_body_is_bad_digest(
    stores, aws_chunked, profile, mode
) -> None:
    store = stores("api", profile)
    wrong = aws_chunked.crc32_b64(b"some other body")
    chunked = _build(
        aws_chunked, store, os.urandom(70_000), mode=getattr(aws_chunked, mode),
        trailer_checksum=wrong,
    )  # fmt: skip
    response = _put(store, chunked)
    assert (response.status_code, _code(response)) == (400, "BadDigest"), response.text


def test_a_trailer_other_than_the_declared_one_is_malformed(stores, aws_chunked) -> None:
    store = stores("api", "strict")
    chunked = _build(aws_chunked, store, b"x" * 1000, mode=aws_chunked.UNSIGNED_TRAILER)
    # Same length (Content-Length is signed), another trailer name than x-amz-trailer declares.
    chunked.trailer = chunked.trailer.replace(b"x-amz-checksum-crc32", b"x-amz-meta-abcdefghi")
    response = _put(store, chunked)
    assert (response.status_code, _code(response)) == (400, "MalformedTrailerError")


@pytest.mark.parametrize("profile", CHECKING)
def test_default_boto3_put_object_and_upload_fileobj_pass(stores, profile) -> None:
    store = stores("api", profile)
    client, key = store.client(), f"default/{uuid.uuid4().hex}"
    client.put_object(Bucket=store.bucket, Key=key, Body=b"default boto3")
    client.upload_fileobj(io.BytesIO(b"y" * 300_000), store.bucket, key + ".2")
    assert client.get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"default boto3"


@pytest.fixture(scope="module")
def skewed() -> Iterator[MockS3]:
    with MockS3("strict", buckets=["media"]) as s3:
        yield s3


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
@pytest.mark.parametrize(
    ("offset", "refused"),
    [(0, False), (14 * 60, False), (-14 * 60, False), (16 * 60, True), (-16 * 60, True)],
)
def test_header_signed_requests_far_off_the_store_clock_are_too_skewed(
    skewed: MockS3, signature_version: str, offset: int, refused: bool
) -> None:
    client = skewed.presigner(signature_version)
    skewed.clock.advance(offset)
    try:
        if not refused:
            client.put_object(Bucket="media", Key="skew", Body=b"on time")
            return
        with pytest.raises(ClientError) as caught:
            client.put_object(Bucket="media", Key="skew", Body=b"late")
    finally:
        skewed.clock.reset()
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "RequestTimeTooSkewed"
    assert error["MaxAllowedSkewMilliseconds"] == "900000"
    assert error["ServerTime"] and error["RequestTime"]
    assert skewed.requests.snapshot()[-1].reason.startswith("request time ")


def test_presigned_urls_are_judged_by_expiry_not_skew(skewed: MockS3) -> None:
    url = skewed.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": "late-url"}, ExpiresIn=7200
    )
    skewed.clock.advance(3600)
    try:
        assert requests.put(url, data=b"x", timeout=30).status_code == 200
    finally:
        skewed.clock.reset()
