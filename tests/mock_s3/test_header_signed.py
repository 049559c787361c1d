"""Header-signed SDK traffic (how a TAMS server sets up buckets and deletes objects) passes the
gate on every profile, in every payload-hash flavour boto3 uses; a bad signature does not."""

from __future__ import annotations

import io
import os
import uuid

import boto3
import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

PROFILES = ["lenient", "aws", "strict"]


def _key(name: str) -> str:
    return f"{name}/{uuid.uuid4().hex[:8]}"


def _client(store, **s3_config: object):
    return boto3.client(
        "s3",
        endpoint_url=store.endpoint,
        region_name="us-east-1",
        aws_access_key_id=store.access_key,
        aws_secret_access_key=store.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path", **s3_config}),
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_put_get_head_list_delete_pass_with_a_payload_hash(stores, profile: str) -> None:
    store = stores("api", profile)
    client, key = store.client(), _key("crud")
    client.put_object(Bucket=store.bucket, Key=key, Body=b"abc", ContentType="video/mp2t")
    assert client.get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"abc"
    assert client.head_object(Bucket=store.bucket, Key=key)["ContentType"] == "video/mp2t"
    listed = client.list_objects_v2(Bucket=store.bucket, Prefix=key)["Contents"]
    assert [o["Key"] for o in listed] == [key]
    client.delete_object(Bucket=store.bucket, Key=key)
    assert client.list_objects_v2(Bucket=store.bucket, Prefix=key)["KeyCount"] == 0


@pytest.mark.parametrize("profile", PROFILES)
def test_unsigned_payload_upload_passes(stores, profile: str) -> None:
    store = stores("api", profile)
    client, key = _client(store, payload_signing_enabled=False), _key("unsigned-payload")
    client.put_object(Bucket=store.bucket, Key=key, Body=b"payload")
    assert store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"payload"


@pytest.mark.parametrize("profile", PROFILES)
def test_aws_chunked_streaming_upload_passes_on_its_seed_signature(stores, profile: str) -> None:
    """boto3 sends STREAMING-UNSIGNED-PAYLOAD-TRAILER over TLS; forced here over plain HTTP."""
    store = stores("api", profile)
    client, key = _client(store), _key("streaming")

    def trailer_checksum(context: dict, **_: object) -> None:
        context["checksum"]["request_algorithm"]["in"] = "trailer"

    sent: list[str] = []
    client.meta.events.register("before-call.s3.PutObject", trailer_checksum)
    client.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: sent.append(request.headers["X-Amz-Content-SHA256"].decode()),
    )
    body = os.urandom(300_000)
    client.put_object(Bucket=store.bucket, Key=key, Body=body)
    assert sent == ["STREAMING-UNSIGNED-PAYLOAD-TRAILER"]
    assert store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read() == body


@pytest.mark.parametrize("profile", PROFILES)
def test_multipart_upload_passes(stores, profile: str) -> None:
    store = stores("api", profile)
    key, body = _key("multipart"), os.urandom(11 * 1024 * 1024)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024**2)
    store.client().upload_fileobj(io.BytesIO(body), store.bucket, key, Config=config)
    assert store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read() == body


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
@pytest.mark.parametrize(
    ("profile", "refused"), [("lenient", False), ("aws", True), ("strict", True)]
)
def test_wrong_secret_is_signature_does_not_match(
    stores, profile: str, refused: bool, signature_version: str
) -> None:
    store = stores("api", profile)
    client = store.presigner(signature_version, secret_key="wrong-secret-" + "y" * 27)
    if not refused:
        client.put_object(Bucket=store.bucket, Key=_key("wrong"), Body=b"x")
        return
    with pytest.raises(ClientError) as caught:
        client.put_object(Bucket=store.bucket, Key=_key("wrong"), Body=b"x")
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("profile", "status", "code"),
    [
        ("lenient", 200, None),
        ("aws", 400, "XAmzContentSHA256Mismatch"),
        ("strict", 400, "XAmzContentSHA256Mismatch"),
    ],
)
def test_body_other_than_the_signed_payload_hash_is_refused(stores, profile, status, code) -> None:
    store = stores("api", profile)
    url = f"{store.endpoint}/{store.bucket}/{_key('swapped')}"
    request = AWSRequest(method="PUT", url=url, data=b"signed body")
    S3SigV4Auth(Credentials(store.access_key, store.secret_key), "s3", "us-east-1").add_auth(
        request
    )
    response = requests.put(url, data=b"other body!", headers=dict(request.headers), timeout=30)
    assert response.status_code == status
    if code:
        assert f"<Code>{code}</Code>" in response.text


@pytest.mark.parametrize("profile", PROFILES)
def test_header_signed_sigv2_passes_when_sigv2_is_allowed(stores, profile: str) -> None:
    store = stores("api", profile)
    client, key = store.presigner("s3"), _key("sigv2-header")
    client.put_object(Bucket=store.bucket, Key=key, Body=b"v2", ContentType="text/plain")
    assert client.get_object(Bucket=store.bucket, Key=key)["Body"].read() == b"v2"
