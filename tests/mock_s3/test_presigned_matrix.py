"""The presigned-request matrix (facts B4) for every store profile, driven with ``requests``.

URLs come from boto3 exactly as a TAMS server makes them; the rows say what each kind of store
answers: ``aws`` what AWS S3 answers, ``strict`` what a VAST-style store answers, ``lenient``
what plain moto answers (and every lenient row is also checked against a plain moto server).
Each row runs against an in-process MockS3 ("api") and a ``python -m mock_s3 serve`` ("cli").
"""

from __future__ import annotations

import base64
import hashlib
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from unittest import mock
from xml.etree import ElementTree

import pytest
import requests

BODY = b"0123456789" * 100
MD5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()
CRC32 = base64.b64encode(zlib.crc32(BODY).to_bytes(4, "big")).decode()
SHA256 = hashlib.sha256(BODY).hexdigest()
TS = "video/mp2t"


@dataclass(frozen=True)
class Case:
    """How the URL is presigned and how the client then uses it."""

    sig: str  # "s3v4" or "s3" (SigV2)
    method: str = "PUT"
    content_type: str | None = None  # ContentType in the presign Params
    metadata: dict[str, str] | None = None  # Metadata in the presign Params
    headers: dict[str, str] = field(default_factory=dict)  # sent by the client
    mutate: str | None = None  # tamper | other-key | other-method | wrong-secret | unknown-key
    expires: int = 300
    backdate: int = 0  # sign this many seconds in the past
    region: str | None = None
    existing: bool = False  # the object exists before the request


CASES = {
    "v4_bare_put": Case("s3v4"),
    "v4_unsigned_content_type": Case("s3v4", headers={"Content-Type": TS}),
    "v4_unsigned_content_md5": Case("s3v4", headers={"Content-MD5": MD5}),
    "v4_unsigned_meta": Case("s3v4", headers={"x-amz-meta-foo": "bar"}),
    "v4_unsigned_acl": Case("s3v4", headers={"x-amz-acl": "private"}),
    "v4_unsigned_checksum": Case("s3v4", headers={"x-amz-checksum-crc32": CRC32}),
    "v4_unsigned_content_sha256": Case("s3v4", headers={"x-amz-content-sha256": SHA256}),
    "v4_signed_type_matching": Case("s3v4", content_type=TS, headers={"Content-Type": TS}),
    "v4_signed_type_other": Case("s3v4", content_type=TS, headers={"Content-Type": "text/plain"}),
    "v4_signed_type_missing": Case("s3v4", content_type=TS),
    "v4_signed_type_plus_meta": Case(
        "s3v4", content_type=TS, headers={"Content-Type": TS, "x-amz-meta-foo": "bar"}
    ),
    "v4_signed_meta_sent": Case("s3v4", metadata={"foo": "bar"}, headers={"x-amz-meta-foo": "bar"}),
    "v4_signed_meta_missing": Case("s3v4", metadata={"foo": "bar"}),
    "v4_tampered_signature": Case("s3v4", mutate="tamper"),
    "v4_other_key": Case("s3v4", mutate="other-key"),
    "v4_other_method": Case("s3v4", mutate="other-method", existing=True),
    "v4_wrong_secret": Case("s3v4", mutate="wrong-secret"),
    "v4_unknown_key": Case("s3v4", mutate="unknown-key"),
    "v4_expired": Case("s3v4", expires=60, backdate=120),
    "v4_expires_too_long": Case("s3v4", expires=604801),
    "v4_other_region": Case("s3v4", region="eu-west-1"),
    "v4_get": Case("s3v4", method="GET", existing=True),
    "v4_get_range": Case("s3v4", method="GET", existing=True, headers={"Range": "bytes=0-3"}),
    "v2_bare_put": Case("s3"),
    "v2_unsigned_content_type": Case("s3", headers={"Content-Type": TS}),
    "v2_unsigned_content_md5": Case("s3", headers={"Content-MD5": MD5}),
    "v2_unsigned_meta": Case("s3", headers={"x-amz-meta-foo": "bar"}),
    "v2_signed_type_matching": Case("s3", content_type=TS, headers={"Content-Type": TS}),
    "v2_signed_type_other": Case("s3", content_type=TS, headers={"Content-Type": "text/plain"}),
    "v2_signed_type_missing": Case("s3", content_type=TS),
    "v2_signed_meta_hoisted": Case("s3", metadata={"foo": "bar"}),
    "v2_tampered_signature": Case("s3", mutate="tamper"),
    "v2_other_key": Case("s3", mutate="other-key"),
    "v2_wrong_secret": Case("s3", mutate="wrong-secret"),
    "v2_unknown_key": Case("s3", mutate="unknown-key"),
    "v2_expired": Case("s3", expires=-60),
    "v2_get_range": Case("s3", method="GET", existing=True, headers={"Range": "bytes=0-3"}),
    "anonymous_put": Case("none"),
}

SDNM = "SignatureDoesNotMatch"
DENIED = "AccessDenied"
QPE = "AuthorizationQueryParametersError"

# (case, profile, expected status, expected S3 error code)
MATRIX = [
    ("v4_bare_put", "lenient", 200, None),
    ("v4_bare_put", "aws", 200, None),
    ("v4_bare_put", "strict", 200, None),
    ("v4_unsigned_content_type", "lenient", 200, None),
    ("v4_unsigned_content_type", "aws", 200, None),
    ("v4_unsigned_content_type", "strict", 403, DENIED),
    ("v4_unsigned_content_md5", "lenient", 200, None),
    ("v4_unsigned_content_md5", "aws", 403, DENIED),
    ("v4_unsigned_content_md5", "strict", 403, DENIED),
    ("v4_unsigned_meta", "lenient", 200, None),
    ("v4_unsigned_meta", "aws", 403, DENIED),
    ("v4_unsigned_meta", "strict", 403, DENIED),
    ("v4_unsigned_acl", "lenient", 200, None),
    ("v4_unsigned_acl", "aws", 403, DENIED),
    ("v4_unsigned_acl", "strict", 403, DENIED),
    ("v4_unsigned_checksum", "lenient", 200, None),
    ("v4_unsigned_checksum", "aws", 403, DENIED),
    ("v4_unsigned_checksum", "strict", 403, DENIED),
    ("v4_unsigned_content_sha256", "lenient", 200, None),
    ("v4_unsigned_content_sha256", "aws", 403, SDNM),
    ("v4_unsigned_content_sha256", "strict", 403, DENIED),
    ("v4_signed_type_matching", "lenient", 200, None),
    ("v4_signed_type_matching", "aws", 200, None),
    ("v4_signed_type_matching", "strict", 200, None),
    ("v4_signed_type_other", "lenient", 200, None),
    ("v4_signed_type_other", "aws", 403, SDNM),
    ("v4_signed_type_other", "strict", 403, SDNM),
    ("v4_signed_type_missing", "lenient", 200, None),
    ("v4_signed_type_missing", "aws", 403, SDNM),
    ("v4_signed_type_missing", "strict", 403, SDNM),
    ("v4_signed_type_plus_meta", "lenient", 200, None),
    ("v4_signed_type_plus_meta", "aws", 403, DENIED),
    ("v4_signed_type_plus_meta", "strict", 403, DENIED),
    ("v4_signed_meta_sent", "lenient", 200, None),
    ("v4_signed_meta_sent", "aws", 200, None),
    ("v4_signed_meta_sent", "strict", 200, None),
    ("v4_signed_meta_missing", "lenient", 200, None),
    ("v4_signed_meta_missing", "aws", 403, SDNM),
    ("v4_signed_meta_missing", "strict", 403, SDNM),
    ("v4_tampered_signature", "lenient", 200, None),
    ("v4_tampered_signature", "aws", 403, SDNM),
    ("v4_tampered_signature", "strict", 403, SDNM),
    ("v4_other_key", "lenient", 200, None),
    ("v4_other_key", "aws", 403, SDNM),
    ("v4_other_key", "strict", 403, SDNM),
    ("v4_other_method", "lenient", 200, None),
    ("v4_other_method", "aws", 403, SDNM),
    ("v4_other_method", "strict", 403, SDNM),
    ("v4_wrong_secret", "lenient", 200, None),
    ("v4_wrong_secret", "aws", 403, SDNM),
    ("v4_wrong_secret", "strict", 403, SDNM),
    ("v4_unknown_key", "lenient", 200, None),
    ("v4_unknown_key", "aws", 403, "InvalidAccessKeyId"),
    ("v4_unknown_key", "strict", 403, "InvalidAccessKeyId"),
    ("v4_expired", "lenient", 200, None),
    ("v4_expired", "aws", 403, DENIED),
    ("v4_expired", "strict", 403, DENIED),
    ("v4_expires_too_long", "lenient", 200, None),
    ("v4_expires_too_long", "aws", 403, QPE),
    ("v4_expires_too_long", "strict", 403, QPE),
    ("v4_other_region", "lenient", 200, None),
    ("v4_other_region", "aws", 200, None),
    ("v4_other_region", "strict", 200, None),
    ("v4_get", "lenient", 200, None),
    ("v4_get", "aws", 200, None),
    ("v4_get", "strict", 200, None),
    ("v4_get_range", "lenient", 206, None),
    ("v4_get_range", "aws", 206, None),
    ("v4_get_range", "strict", 403, DENIED),
    ("v2_bare_put", "lenient", 200, None),
    ("v2_bare_put", "aws", 200, None),
    ("v2_bare_put", "strict", 200, None),
    ("v2_unsigned_content_type", "lenient", 200, None),
    ("v2_unsigned_content_type", "aws", 403, SDNM),
    ("v2_unsigned_content_type", "strict", 403, SDNM),
    ("v2_unsigned_content_md5", "lenient", 200, None),
    ("v2_unsigned_content_md5", "aws", 403, SDNM),
    ("v2_unsigned_content_md5", "strict", 403, SDNM),
    ("v2_unsigned_meta", "lenient", 200, None),
    ("v2_unsigned_meta", "aws", 403, SDNM),
    ("v2_unsigned_meta", "strict", 403, SDNM),
    ("v2_signed_type_matching", "lenient", 200, None),
    ("v2_signed_type_matching", "aws", 200, None),
    ("v2_signed_type_matching", "strict", 200, None),
    ("v2_signed_type_other", "lenient", 403, SDNM),
    ("v2_signed_type_other", "aws", 403, SDNM),
    ("v2_signed_type_other", "strict", 403, SDNM),
    ("v2_signed_type_missing", "lenient", 403, SDNM),
    ("v2_signed_type_missing", "aws", 403, SDNM),
    ("v2_signed_type_missing", "strict", 403, SDNM),
    ("v2_signed_meta_hoisted", "lenient", 200, None),
    ("v2_signed_meta_hoisted", "aws", 200, None),
    ("v2_signed_meta_hoisted", "strict", 200, None),
    ("v2_tampered_signature", "lenient", 200, None),
    ("v2_tampered_signature", "aws", 403, SDNM),
    ("v2_tampered_signature", "strict", 403, SDNM),
    ("v2_other_key", "lenient", 200, None),
    ("v2_other_key", "aws", 403, SDNM),
    ("v2_other_key", "strict", 403, SDNM),
    ("v2_wrong_secret", "lenient", 200, None),
    ("v2_wrong_secret", "aws", 403, SDNM),
    ("v2_wrong_secret", "strict", 403, SDNM),
    ("v2_unknown_key", "lenient", 200, None),
    ("v2_unknown_key", "aws", 403, "InvalidAccessKeyId"),
    ("v2_unknown_key", "strict", 403, "InvalidAccessKeyId"),
    ("v2_expired", "lenient", 200, None),
    ("v2_expired", "aws", 403, DENIED),
    ("v2_expired", "strict", 403, DENIED),
    ("v2_get_range", "lenient", 206, None),
    ("v2_get_range", "aws", 206, None),
    ("v2_get_range", "strict", 403, DENIED),
    ("anonymous_put", "lenient", 200, None),
    ("anonymous_put", "aws", 403, DENIED),
    ("anonymous_put", "strict", 403, DENIED),
]


def run_case(store, name: str) -> requests.Response:
    """Presign with boto3 for ``store`` as the case says, then send the request with requests."""
    case = CASES[name]
    key = f"{name}/{uuid.uuid4().hex[:8]}.ts"
    if case.existing:
        store.client().put_object(Bucket=store.bucket, Key=key, Body=BODY)
    method = "GET" if case.mutate == "other-method" else case.method
    url = presigned_url(store, case, key)
    data = BODY if method == "PUT" else None
    return requests.request(method, url, data=data, headers=case.headers, timeout=60)


def presigned_url(store, case: Case, key: str) -> str:
    if case.sig == "none":
        return f"{store.endpoint}/{store.bucket}/{key}"
    creds = {}
    if case.mutate == "wrong-secret":
        creds = {"secret_key": "not-the-secret-" + "x" * 25}
    elif case.mutate == "unknown-key":
        creds = {"access_key": "AKIAUNKNOWNKEY000000"}
    client = store.presigner(case.sig, region=case.region, **creds)
    params = {"Bucket": store.bucket, "Key": key}
    if case.content_type:
        params["ContentType"] = case.content_type
    if case.metadata:
        params["Metadata"] = case.metadata
    operation = "put_object" if case.method == "PUT" else "get_object"
    signed_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=case.backdate)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        url = client.generate_presigned_url(operation, Params=params, ExpiresIn=case.expires)
    if case.mutate == "tamper":
        url = tamper(url)
    elif case.mutate == "other-key":
        url = url.replace(f"/{key.split('/')[0]}/", "/another/", 1)
    return url


def tamper(url: str) -> str:
    """Change one character of the signature (X-Amz-Signature or Signature)."""
    head, sep, rest = url.partition("Signature=")
    flipped = ("b" if rest[0] == "a" else "a") + rest[1:]
    return head + sep + flipped


def error_code(response: requests.Response) -> str | None:
    if response.status_code < 300 or not response.content:
        return None
    root = ElementTree.fromstring(response.content)
    code = root.find(".//Code")
    return code.text if code is not None else None


def check_error_shape(response: requests.Response, case: Case) -> None:
    """A gated refusal looks like S3's: an <Error> document with the elements clients read."""
    assert response.headers["Content-Type"] == "application/xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    assert root.findtext("RequestId")
    code = root.findtext("Code")
    if code == SDNM:
        expected = {"StringToSign", "SignatureProvided"}
        if case.sig == "s3v4":
            expected.add("CanonicalRequest")
        assert expected <= {child.tag for child in root}
    if code == DENIED and root.findtext("Message", "").startswith("There were headers"):
        sent = {name.lower() for name in case.headers}
        assert set(root.findtext("HeadersNotSigned", "").split(",")) <= sent
    if code == DENIED and "expired" in root.findtext("Message", ""):
        assert root.findtext("ServerTime") and root.findtext("Expires")


@pytest.mark.parametrize("via", ["api", "cli"])
@pytest.mark.parametrize(("case", "profile", "status", "code"), MATRIX)
def test_presigned_request_answers_as_the_store_profile_does(
    stores, via: str, case: str, profile: str, status: int, code: str | None
) -> None:
    response = run_case(stores(via, profile), case)
    assert (response.status_code, error_code(response)) == (status, code), response.text
    if profile != "lenient" and code is not None:
        check_error_shape(response, CASES[case])


@pytest.mark.parametrize("case", sorted(CASES))
def test_lenient_profile_answers_exactly_as_plain_moto(stores, case: str) -> None:
    gated = run_case(stores("api", "lenient"), case)
    plain = run_case(stores("plain", "moto"), case)
    assert (gated.status_code, error_code(gated)) == (plain.status_code, error_code(plain))


def test_matrix_covers_every_case_for_every_profile() -> None:
    assert {(c, p) for c, p, _, _ in MATRIX} == {
        (c, p) for c in CASES for p in ("lenient", "aws", "strict")
    }
