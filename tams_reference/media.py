"""S3 access: presigned PUT/GET URLs for objects and the deletion of garbage-collected media.

URLs are presigned with boto3, SigV4, path-style addressing, for the configured region; the
content type a put_url declares is exactly the one it signs. The upload faults swap the signing
client for one with the bug they reproduce; the ``host-only-put-urls`` variant signs no content
type and declares none, the other correct choice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tams_reference.config import S3Settings
from tams_reference.variants import HOST_ONLY_PUT_URLS

STORAGE_ID = "5b2b6a0e-8a4c-4c55-9d3e-2a1f0c7e6b41"
STORAGE_LABEL = "default"
REPLICA_ID = "0c1d7e52-3f4a-4b8e-9a61-7d2e5c4b3a19"
REPLICA_LABEL = "replica"
# Storage backend tags (storage-backend.json tags, 8.2): what storage_backend_tag.* filters on.
BACKEND_TAGS = {STORAGE_ID: {"tier": "hot"}, REPLICA_ID: {"tier": "cold", "replica": "true"}}
SHORT_EXPIRY_S = 10
WRONG_REGION = "eu-west-2"


def object_key(object_id: str, storage_id: str = STORAGE_ID) -> str:
    """The S3 key of an object on a backend (boto3 quotes it when it signs)."""
    prefix = "replica/" if storage_id == REPLICA_ID else ""
    return f"{prefix}objects/{object_id}"


class MediaStore:
    """Presigns and deletes media objects in one bucket."""

    def __init__(
        self,
        settings: S3Settings,
        faults: frozenset[str],
        expiry_s: int,
        variants: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.faults = faults
        self.variants = variants
        self.expiry_s = expiry_s
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def backend(self) -> dict[str, Any]:
        """The one storage backend, as /service/storage-backends lists it."""
        return {
            "id": STORAGE_ID,
            "store_type": "http_object_store",
            "provider": "tams-reference",
            "store_product": "S3-compatible object store",
            "label": STORAGE_LABEL,
            "region": self.settings.region,
            "default_storage": True,
        }

    def backends(self) -> list[dict[str, Any]]:
        """Every storage backend: the default one and the replica (tags added by the store)."""
        replica = {
            **self.backend(),
            "id": REPLICA_ID,
            "label": REPLICA_LABEL,
            "store_product": "S3-compatible object store (replica)",
            "default_storage": False,
        }
        return [self.backend(), replica]

    def put_url(
        self, object_id: str, content_type: str, storage_id: str = STORAGE_ID
    ) -> dict[str, Any]:
        """A presigned PUT request description (http-request.json) for a new object."""
        params = {"Bucket": self.settings.bucket, "Key": object_key(object_id, storage_id)}
        if "sigv2-put-urls" in self.faults:
            url = self._client("sigv2").generate_presigned_url(
                "put_object", Params=params, ExpiresIn=self.expiry_s
            )
            return {"url": url, "content-type": content_type}
        host_only = HOST_ONLY_PUT_URLS in self.variants
        unsigned_declared = "put-url-unsigned-content-type" in self.faults
        if not (host_only or unsigned_declared):
            params["ContentType"] = content_type
        kind = "wrong-region" if "wrong-region" in self.faults else "default"
        expiry = SHORT_EXPIRY_S if "short-expiry" in self.faults else self.expiry_s
        url = self._client(kind).generate_presigned_url(
            "put_object", Params=params, ExpiresIn=expiry
        )
        if host_only or "content-type-signed-not-declared" in self.faults:
            return {"url": url}
        return {"url": url, "content-type": content_type}

    def get_url(self, object_id: str, storage_id: str = STORAGE_ID) -> dict[str, Any]:
        """The controlled, presigned get_urls entry for an object on a backend."""
        kind = "wrong-secret" if "broken-get-urls" in self.faults else "default"
        url = self._client(kind).generate_presigned_url(
            "get_object",
            Params={"Bucket": self.settings.bucket, "Key": object_key(object_id, storage_id)},
            ExpiresIn=self.expiry_s,
        )
        label = REPLICA_LABEL if storage_id == REPLICA_ID else STORAGE_LABEL
        return {
            "url": url,
            "label": label,
            "storage_id": storage_id,
            "presigned": True,
            "controlled": True,
        }

    def copy(self, object_id: str, source: str, target: str) -> None:
        """Copy an object's media from one backend to another (a new controlled instance)."""
        bucket = self.settings.bucket
        self._client("default").copy_object(
            Bucket=bucket,
            Key=object_key(object_id, target),
            CopySource={"Bucket": bucket, "Key": object_key(object_id, source)},
        )

    def write(self, object_id: str, storage_id: str, data: bytes, content_type: str | None) -> None:
        """Store uploaded bytes (the non-presigned put_urls of the reference's own API)."""
        extra = {"ContentType": content_type} if content_type else {}
        self._client("default").put_object(
            Bucket=self.settings.bucket, Key=object_key(object_id, storage_id), Body=data, **extra
        )

    def read(self, object_id: str, storage_id: str = STORAGE_ID) -> bytes | None:
        """An instance's bytes, or None when the store has none (a copy's source check)."""
        try:
            answer = self._client("default").get_object(
                Bucket=self.settings.bucket, Key=object_key(object_id, storage_id)
            )
        except ClientError:
            return None
        return answer["Body"].read()

    def delete(self, object_ids: Iterable[str]) -> list[str]:
        """Delete the media of garbage-collected objects; returns the ids that failed.

        The rows are already gone (committed); a media delete that fails leaves an
        unreachable blob, which is the lesser evil next to a row without media.
        """
        failed = []
        for object_id in object_ids:
            try:
                for storage_id in (STORAGE_ID, REPLICA_ID):
                    self.delete_instance(object_id, storage_id)
            except (BotoCoreError, ClientError):
                failed.append(object_id)
        return failed

    def delete_instance(self, object_id: str, storage_id: str) -> None:
        """Delete one controlled instance's media (a missing key is no error in S3)."""
        self._client("default").delete_object(
            Bucket=self.settings.bucket, Key=object_key(object_id, storage_id)
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when the store does not have it yet."""
        client = self._client("default")
        try:
            client.head_bucket(Bucket=self.settings.bucket)
        except ClientError:
            client.create_bucket(Bucket=self.settings.bucket)

    def _client(self, kind: str) -> Any:
        with self._lock:
            if kind not in self._clients:
                self._clients[kind] = self._make_client(kind)
            return self._clients[kind]

    def _make_client(self, kind: str) -> Any:
        region = WRONG_REGION if kind == "wrong-region" else self.settings.region
        secret = self.settings.secret_key + "-wrong" if kind == "wrong-secret" else None
        signature = "s3" if kind == "sigv2" else "s3v4"
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.settings.endpoint,
            aws_access_key_id=self.settings.access_key,
            aws_secret_access_key=secret or self.settings.secret_key,
            region_name=region,
            config=Config(signature_version=signature, s3={"addressing_style": "path"}),
        )
