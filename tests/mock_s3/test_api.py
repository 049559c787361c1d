"""The Python API: clock-driven expiry, region and SigV2 switches, isolation between instances,
the request log (redacted), and the error shapes of malformed presigned requests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mock_s3 import PROFILES, Clock, MockS3
from mock_s3.server import MockS3Error


@pytest.fixture(scope="module")
def regional() -> Iterator[MockS3]:
    with MockS3("aws", buckets=["media"], region="us-east-1", enforce_region=True) as s3:
        yield s3


@pytest.fixture(scope="module")
def v4_only() -> Iterator[MockS3]:
    with MockS3("strict", buckets=["media"], allow_sigv2=False) as s3:
        yield s3


def put_url(s3: MockS3, signature_version: str = "s3v4", expires: int = 60, **kw: str) -> str:
    return s3.presigner(signature_version, **kw).generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": uuid.uuid4().hex}, ExpiresIn=expires
    )


def error(response: requests.Response) -> dict[str, str]:
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    return {child.tag: child.text or "" for child in root}


def test_exports_and_profiles() -> None:
    assert set(PROFILES) == {"lenient", "aws", "strict"}
    assert isinstance(MockS3().clock, Clock)


@pytest.mark.parametrize(("signature_version", "expires"), [("s3v4", 60), ("s3", 30)])
def test_url_expires_when_the_gate_clock_passes_its_expiry(
    stores, signature_version: str, expires: int
) -> None:
    s3 = stores("api", "strict").mock
    url = put_url(s3, signature_version, expires)
    try:
        # Expiry has one-second resolution (X-Amz-Date, Expires): stay clear of the boundary.
        s3.clock.advance(expires - 3)
        assert requests.put(url, data=b"x", timeout=30).status_code == 200
        s3.clock.advance(6)
        response = requests.put(url, data=b"x", timeout=30)
        assert response.status_code == 403
        assert error(response)["Message"] == "Request has expired"
        assert {"Expires", "ServerTime"} <= error(response).keys()
    finally:
        s3.clock.reset()
    assert requests.put(url, data=b"x", timeout=30).status_code == 200


def test_region_enforced_for_presigned_urls(regional: MockS3) -> None:
    assert requests.put(put_url(regional), data=b"x", timeout=30).status_code == 200
    response = requests.put(put_url(regional, region="eu-west-1"), data=b"x", timeout=30)
    assert response.status_code == 400
    body = error(response)
    assert body["Code"] == "AuthorizationQueryParametersError"
    assert "'eu-west-1' is wrong; expecting 'us-east-1'" in body["Message"]
    assert body["Region"] == "us-east-1"


def test_region_enforced_for_header_signed_requests(regional: MockS3) -> None:
    url = f"{regional.endpoint}/media"
    request = AWSRequest(method="GET", url=url)
    credentials = Credentials(regional.access_key, regional.secret_key)
    S3SigV4Auth(credentials, "s3", "eu-west-1").add_auth(request)
    response = requests.get(url, headers=dict(request.headers), timeout=30)
    assert response.status_code == 400
    assert error(response)["Code"] == "AuthorizationHeaderMalformed"
    assert error(response)["Region"] == "us-east-1"


def test_sigv2_refused_when_disabled(v4_only: MockS3) -> None:
    response = requests.put(put_url(v4_only, "s3"), data=b"x", timeout=30)
    assert response.status_code == 400
    assert error(response)["Code"] == "InvalidRequest"
    assert "Please use AWS4-HMAC-SHA256" in error(response)["Message"]
    assert requests.put(put_url(v4_only), data=b"x", timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("mangle", "status", "code"),
    [
        (
            lambda u: u.replace("&X-Amz-Date=", "&X-Amz-Nothing="),
            400,
            "AuthorizationQueryParametersError",
        ),
        (
            lambda u: u.replace("X-Amz-Expires=60", "X-Amz-Expires=0"),
            403,
            "AuthorizationQueryParametersError",
        ),
        (
            lambda u: u.replace("X-Amz-Expires=60", "X-Amz-Expires=soon"),
            400,
            "AuthorizationQueryParametersError",
        ),
        (
            lambda u: u.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1),
            400,
            "AuthorizationQueryParametersError",
        ),
        (lambda u: u.replace("%2Fs3%2F", "%2Fsqs%2F"), 400, "AuthorizationQueryParametersError"),
        (lambda u: u + "&Signature=abc", 400, "InvalidArgument"),
    ],
    ids=["missing-date", "zero-expiry", "bad-expiry", "bad-algorithm", "bad-service", "two-auths"],
)
def test_malformed_presigned_urls_get_the_aws_error(stores, mangle, status: int, code: str) -> None:
    s3 = stores("api", "strict").mock
    response = requests.put(mangle(put_url(s3)), data=b"x", timeout=30)
    assert (response.status_code, error(response)["Code"]) == (status, code)


def test_refused_head_has_no_body(stores) -> None:
    s3 = stores("api", "aws").mock
    response = requests.head(f"{s3.endpoint}/media/anything", timeout=30)
    assert response.status_code == 403
    assert response.content == b""


def test_instances_are_isolated_even_with_the_same_bucket_name() -> None:
    with MockS3(buckets=["media"]) as one, MockS3(buckets=["media"]) as two:
        one.client.put_object(Bucket="media", Key="only-in-one", Body=b"1")
        assert two.client.list_objects_v2(Bucket="media")["KeyCount"] == 0
        assert one.access_key != two.access_key and one.secret_key != two.secret_key
        foreign = requests.put(put_url(one).replace(one.endpoint, two.endpoint), timeout=30)
        assert error(foreign)["Code"] == "InvalidAccessKeyId"
    with MockS3(buckets=["media"]) as three:
        assert three.client.list_objects_v2(Bucket="media")["KeyCount"] == 0


def test_request_log_records_verdicts_without_secrets(stores) -> None:
    s3 = stores("api", "strict").mock
    s3.requests.clear()
    url = put_url(s3)
    requests.put(url, data=b"x", timeout=30)
    requests.put(url, data=b"x", headers={"Content-Type": "video/mp2t"}, timeout=30)
    requests.put(put_url(s3, "s3"), data=b"x", headers={"Content-Type": "video/mp2t"}, timeout=30)
    s3.client.list_objects_v2(Bucket="media", MaxKeys=1)
    allowed, refused, v2_refused, listed = s3.requests.snapshot()
    assert (allowed.verdict, allowed.status, allowed.code) == ("allowed", 200, None)
    assert (refused.verdict, refused.status, refused.code) == ("refused", 403, "AccessDenied")
    assert refused.reason == "headers not signed: content-type"
    assert v2_refused.code == "SignatureDoesNotMatch" and "content-type" in v2_refused.reason
    assert (listed.method, listed.auth, listed.profile) == ("GET", "sigv4-header", "strict")
    text = repr(s3.requests.snapshot())
    signature = url.partition("X-Amz-Signature=")[2]
    for secret in (s3.secret_key, s3.access_key, signature):
        assert secret not in text
    assert "X-Amz-Signature=REDACTED" in allowed.path


def test_non_loopback_host_and_unknown_profile_are_refused() -> None:
    with pytest.raises(MockS3Error, match="not a loopback address"):
        MockS3(host="0.0.0.0")
    with pytest.raises(MockS3Error, match="unknown profile"):
        MockS3(profile="vast")


def test_invalid_bucket_name_is_a_one_line_error_and_stops_the_server() -> None:
    s3 = MockS3(buckets=["x"])
    with pytest.raises(MockS3Error, match="cannot create bucket 'x': InvalidBucketName"):
        s3.start()
    with pytest.raises(MockS3Error, match="not running"):
        s3.endpoint  # noqa: B018
