"""The upload workaround of fixtures/upload.py on a strict mock S3: a put_url that declares a
Content-Type its signature does not cover is refused as declared and accepted with exactly the
signed headers (noted); with no workaround the error names the blocking check."""

from __future__ import annotations

import pytest

from mock_s3 import MockS3
from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.upload import (
    blocking_check,
    unsigned_declarations,
    upload,
    upload_as_signed,
)
from tams_conformance.levels import take_notes

BUCKET = "media"


@pytest.fixture(scope="module")
def s3():
    with MockS3(
        profile="strict", access_key="AKIAEXAMPLE000", secret_key="S", buckets=[BUCKET]
    ) as s3:
        yield s3


def put_url(s3, key, *, sign_type=None, declare_type=None, version="s3v4"):
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id="AKIAEXAMPLE000",
        aws_secret_access_key="S",
        region_name="us-east-1",
        config=Config(signature_version=version, s3={"addressing_style": "path"}),
    )
    params = {"Bucket": BUCKET, "Key": key}
    if sign_type:
        params["ContentType"] = sign_type
    url = client.generate_presigned_url("put_object", Params=params, ExpiresIn=600)
    return {"url": url, **({"content-type": declare_type} if declare_type else {})}


def test_unsigned_declared_content_type_is_refused_as_declared_and_worked_around(s3):
    target = put_url(s3, "a", declare_type="video/mp2t")
    assert unsigned_declarations(target) == ("content-type",)
    assert upload(target, b"x").status_code == 403
    take_notes()
    response, omitted = upload_as_signed(target, b"bytes")
    assert response.status_code == 200 and omitted == ("content-type",)
    [note] = take_notes()
    assert "workaround" in note and "storage.put-url-declared-headers-signed" in note


def test_sigv2_without_a_hoisted_content_type_is_worked_around(s3):
    target = put_url(s3, "b", declare_type="video/mp2t", version="s3")
    assert unsigned_declarations(target) == ("content-type",)
    assert upload_as_signed(target, b"bytes")[0].status_code == 200
    take_notes()


def test_a_correct_put_url_needs_no_workaround(s3):
    target = put_url(s3, "c", sign_type="video/mp2t", declare_type="video/mp2t")
    assert unsigned_declarations(target) == ()
    assert upload_as_signed(target, b"bytes")[1] == ()
    assert take_notes() == []


def test_a_signed_but_undeclared_content_type_blocks_naming_the_check(s3):
    target = put_url(s3, "d", sign_type="video/mp2t")
    assert blocking_check(target, ()) == "storage.put-url-signed-headers-declared"
    with pytest.raises(HarnessError, match="blocked: storage.put-url-signed-headers-declared"):
        upload_as_signed(target, b"bytes")
