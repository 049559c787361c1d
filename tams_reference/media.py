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
SHORT_EXPIRY_S = 10
WRONG_REGION = "eu-west-2"


def object_key(object_id: str) -> str:
    """The S3 key of an object (boto3 quotes it when it signs)."""
    return f"objects/{object_id}"


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

    def put_url(self, object_id: str, content_type: str) -> dict[str, Any]:
        """A presigned PUT request description (http-request.json) for a new object."""
        params = {"Bucket": self.settings.bucket, "Key": object_key(object_id)}
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

    def get_url(self, object_id: str) -> dict[str, Any]:
        """The controlled, presigned get_urls entry for an object."""
        kind = "wrong-secret" if "broken-get-urls" in self.faults else "default"
        url = self._client(kind).generate_presigned_url(
            "get_object",
            Params={"Bucket": self.settings.bucket, "Key": object_key(object_id)},
            ExpiresIn=self.expiry_s,
        )
        return {
            "url": url,
            "label": STORAGE_LABEL,
            "storage_id": STORAGE_ID,
            "presigned": True,
            "controlled": True,
        }

    def delete(self, object_ids: Iterable[str]) -> list[str]:
        """Delete the media of garbage-collected objects; returns the ids that failed.

        The rows are already gone (committed); a media delete that fails leaves an
        unreachable blob, which is the lesser evil next to a row without media.
        """
        failed = []
        for object_id in object_ids:
            try:
                self._client("default").delete_object(
                    Bucket=self.settings.bucket, Key=object_key(object_id)
                )
            except (BotoCoreError, ClientError):
                failed.append(object_id)
        return failed

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
