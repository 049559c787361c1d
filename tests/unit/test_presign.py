"""tams_conformance.fixtures.presign on URLs boto3 really generates (SigV4 with and without
ContentType, SigV2), without any server: presigning is local computation."""

from __future__ import annotations

import time

import boto3
import pytest
import requests
from botocore.config import Config

from tams_conformance.fixtures.presign import (
    SIGV2,
    SIGV4,
    PresignError,
    conflicting_declarations,
    declarations_refused,
    describe_answer,
    parse_presigned,
    path_style_location,
    s3_error_code,
    undeclared_signed_headers,
)

ENDPOINT = "http://127.0.0.1:9"
KEY = "objects/a/b c+d"


def presign(signature_version="s3v4", region="us-east-1", expires=600, **params):
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id="AKIAEXAMPLEKEY000000",
        aws_secret_access_key="not-a-real-secret",
        region_name=region,
        config=Config(signature_version=signature_version, s3={"addressing_style": "path"}),
    )
    return client.generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": KEY, **params}, ExpiresIn=expires
    )


def test_sigv4_without_content_type_signs_only_host():
    before = time.time()
    signed = parse_presigned(presign(expires=600, region="eu-west-2"))
    assert signed.version == SIGV4
    assert signed.signed_headers == {"host"}
    assert signed.required_headers == set()
    assert signed.expires_in == 600
    assert signed.region == "eu-west-2"
    assert before - 1 <= signed.signed_at <= time.time()
    assert signed.expires_at == signed.signed_at + 600


def test_sigv4_with_content_type_and_metadata_requires_them():
    url = presign(ContentType="video/mp2t", Metadata={"origin": "x"})
    signed = parse_presigned(url)
    assert signed.signed_headers == {"content-type", "host", "x-amz-meta-origin"}
    assert signed.required_headers == {"content-type", "x-amz-meta-origin"}
    assert signed.signed_values == {}  # SigV4 never reveals signed values


def test_sigv2_without_content_type_covers_an_empty_one():
    before = time.time()
    signed = parse_presigned(presign("s3", expires=120))
    after = time.time()  # presigning may take a while on a loaded machine: bound it both ways
    assert signed.version == SIGV2
    assert signed.signed_headers == {"content-type", "content-md5"}
    assert signed.required_headers == set()
    assert signed.region is None and signed.expires_in is None
    assert signed.remaining_s(after) >= 118
    assert signed.remaining_s(before) <= 121 + (after - before)


def test_sigv2_with_content_type_reveals_the_signed_value():
    signed = parse_presigned(presign("s3", ContentType="video/mp2t", Metadata={"a": "b"}))
    assert signed.signed_values == {"content-type": "video/mp2t", "x-amz-meta-a": "b"}
    assert signed.required_headers == {"content-type"}
    assert signed.covers("X-Amz-Meta-A") and not signed.covers("x-amz-meta-other")


def test_url_without_query_auth_is_not_presigned():
    assert parse_presigned("https://tams.example.com/media/upload/1234") is None
    assert parse_presigned("https://store.example.com/b/k?versionId=3") is None


@pytest.mark.parametrize(
    "url",
    [
        "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=0",
        "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=a%2F20250101%2Fr%2Fs3"
        "%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=0",
        "http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date="
        "20250101T000000Z&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=0",
        "http://h/b/k?AWSAccessKeyId=a&Signature=0&Expires=tomorrow",
    ],
    ids=["sigv4-missing-params", "sigv4-other-algorithm", "sigv4-bad-scope", "sigv2-bad-expires"],
)
def test_malformed_presigned_urls_raise_presign_error(url):
    with pytest.raises(PresignError):
        parse_presigned(url)


def test_the_specs_example_put_url_parses():
    url = (
        "https://store.example.com/tams-e2b8/846023d3?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=0%2F20230316%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20230316T120329Z"
        "&X-Amz-Expires=300&X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Signature=0"
    )
    signed = parse_presigned(url)
    assert signed.required_headers == {"content-type"}
    assert signed.expires_in == 300


# The contract between the URL and the put_url declaration ------------------------------------
def test_signed_content_type_left_undeclared_is_reported():
    signed = parse_presigned(presign(ContentType="video/mp2t"))
    assert undeclared_signed_headers(signed, {"url": "u"}) == ["content-type"]
    assert undeclared_signed_headers(signed, {"url": "u", "content-type": "video/mp2t"}) == []
    assert undeclared_signed_headers(signed, {"url": "u", "headers": {"Content-Type": "x"}}) == []


def test_sigv2_declared_value_must_be_the_signed_one():
    signed = parse_presigned(presign("s3", ContentType="video/mp2t"))
    put_url = {"url": "u", "content-type": "audio/wav"}
    assert conflicting_declarations(signed, put_url) == [
        "content-type: declared 'audio/wav', signed 'video/mp2t'"
    ]
    assert conflicting_declarations(signed, {"url": "u", "content-type": "video/mp2t"}) == []


@pytest.mark.parametrize("store", ["aws", "strict"])
def test_sigv2_declaring_an_unsigned_content_type_is_the_bug_report(store):
    signed = parse_presigned(presign("s3"))
    refused = declarations_refused(signed, {"url": "u", "content-type": "video/mp2t"}, store)
    assert len(refused) == 1 and refused[0].startswith("content-type: declared but not presigned")


@pytest.mark.parametrize(
    ("store", "expected"),
    [("lenient", []), ("aws", []), ("strict", ["content-type"])],
)
def test_sigv4_host_only_with_declared_content_type_depends_on_the_store(store, expected):
    signed = parse_presigned(presign())
    refused = declarations_refused(signed, {"url": "u", "content-type": "video/mp2t"}, store)
    assert [r.split(":")[0] for r in refused] == expected


def test_sigv4_declared_unsigned_x_amz_header_is_refused_on_aws():
    signed = parse_presigned(presign())
    put_url = {"url": "u", "headers": {"x-amz-acl": "private"}}
    assert [r.split(":")[0] for r in declarations_refused(signed, put_url, "aws")] == ["x-amz-acl"]


def test_sigv4_declaring_exactly_what_it_signs_is_clean_everywhere():
    signed = parse_presigned(presign(ContentType="video/mp2t"))
    put_url = {"url": "u", "content-type": "video/mp2t"}
    for store in ("lenient", "aws", "strict"):
        assert declarations_refused(signed, put_url, store) == []
    assert undeclared_signed_headers(signed, put_url) == []


def test_host_only_url_declaring_nothing_is_clean_everywhere():
    signed = parse_presigned(presign())
    for store in ("lenient", "aws", "strict"):
        assert declarations_refused(signed, {"url": "u"}, store) == []


# Helpers ----------------------------------------------------------------------------------
def test_path_style_location_decodes_the_key():
    url = presign()
    assert path_style_location(url, ENDPOINT) == ("media", KEY)
    assert path_style_location(url, "http://127.0.0.1:10") is None


def test_s3_error_answer_is_described_without_the_signature():
    response = requests.Response()
    response.status_code = 403
    response._content = (
        b"<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code><Message>The request "
        b"signature we calculated does not match</Message><SignatureProvided>c2VjcmV0"
        b"</SignatureProvided></Error>"
    )
    assert s3_error_code(response) == "SignatureDoesNotMatch"
    text = describe_answer(response)
    assert text == ("403 SignatureDoesNotMatch: The request signature we calculated does not match")
    assert "c2VjcmV0" not in text


# Against a real gate: the two failure modes of the report, and the store read-back ----------
def test_the_two_upload_failure_modes_on_a_strict_mock_s3(mock_s3):
    from tams_conformance.fixtures.presign import stored_in_mock
    from tams_conformance.fixtures.upload import upload

    sigv2 = mock_s3.presigner("s3").generate_presigned_url(
        "put_object", Params={"Bucket": mock_s3.bucket, "Key": "bug/sigv2"}, ExpiresIn=60
    )
    answer = upload({"url": sigv2, "content-type": "video/mp2t"}, b"media")
    assert describe_answer(answer).startswith("403 SignatureDoesNotMatch: ")
    assert stored_in_mock(mock_s3, sigv2) is None

    sigv4 = mock_s3.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": mock_s3.bucket, "Key": "bug/sigv4"}, ExpiresIn=60
    )
    answer = upload(
        {"url": sigv4}, b"media", extra_headers={"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}
    )
    assert describe_answer(answer) == (
        "403 AccessDenied: There were headers present in the request which were not signed "
        "(HeadersNotSigned: content-md5)"
    )
    assert upload({"url": sigv4}, b"media").status_code == 200
    assert stored_in_mock(mock_s3, sigv4) == b"media"
