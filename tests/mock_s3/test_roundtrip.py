"""Objects survive the gate byte for byte: sizes from empty to 64 MiB, concurrent uploads, and
keys that need careful encoding (each stored under exactly the key that was presigned)."""

from __future__ import annotations

import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

MiB = 1024 * 1024
AWKWARD_KEYS = ["a b/c+d.ts", "flows/é/ü~x.ts", "x%2Fy", "q?x=1&y"]


def presign(store, operation: str, key: str, signature_version: str = "s3v4") -> str:
    client = store.presigner(signature_version)
    params = {"Bucket": store.bucket, "Key": key}
    return client.generate_presigned_url(operation, Params=params, ExpiresIn=600)


def put_then_get(store, key: str, body: bytes, signature_version: str = "s3v4") -> bytes:
    put = requests.put(presign(store, "put_object", key, signature_version), data=body, timeout=120)
    assert put.status_code == 200, put.text
    got = requests.get(presign(store, "get_object", key, signature_version), timeout=120)
    assert got.status_code == 200, got.text
    return got.content


@pytest.mark.parametrize("size", [0, 1, 5 * MiB, 64 * MiB], ids=["0B", "1B", "5MiB", "64MiB"])
def test_presigned_put_then_get_is_byte_exact(stores, size: int) -> None:
    body = os.urandom(size)
    key = f"sizes/{uuid.uuid4().hex}"
    got = put_then_get(stores("api", "strict"), key, body)
    assert len(got) == size and hashlib.sha256(got).digest() == hashlib.sha256(body).digest()


def test_sixteen_concurrent_uploads_arrive_uncorrupted(stores) -> None:
    store = stores("api", "strict")
    bodies = {f"concurrent/{uuid.uuid4().hex}": os.urandom(256 * 1024 + i) for i in range(16)}
    urls = {key: presign(store, "put_object", key) for key in bodies}

    def upload(key: str) -> int:
        return requests.put(urls[key], data=bodies[key], timeout=120).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert list(pool.map(upload, bodies)) == [200] * 16
    for key, body in bodies.items():
        assert store.client().get_object(Bucket=store.bucket, Key=key)["Body"].read() == body


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
@pytest.mark.parametrize("profile", ["aws", "strict"])
@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_key_is_stored_under_exactly_that_key(
    stores, profile: str, signature_version: str, key: str
) -> None:
    store = stores("api", profile)
    full_key = f"awkward-{profile}-{signature_version}/{key}"
    assert put_then_get(store, full_key, b"awkward", signature_version) == b"awkward"
    prefix = full_key.split("/")[0] + "/"
    listed = store.client().list_objects_v2(Bucket=store.bucket, Prefix=prefix)["Contents"]
    assert full_key in [obj["Key"] for obj in listed]
