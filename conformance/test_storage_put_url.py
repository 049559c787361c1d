"""The `put_url` contract, read from the presigned URL itself (nothing is uploaded here).

http-request.json: `content-type` is "the content type which must be used" and `headers` are
to be included. That only works when the server declares exactly what it signed: a signed
header left undeclared breaks the URL for every client, and a declared header outside the
signature breaks it on every store that checks (the bug report's Bug #2).
tams_conformance.fixtures.presign reads SigV4 and SigV2 query authentication; a URL without
either is not judged (n/a).
"""

from __future__ import annotations

import math
import time

import pytest
from mediatimestamp import Timestamp

from tams_conformance.fixtures.presign import (
    SIGV2,
    SIGV2_TRAP,
    conflicting_declarations,
    declarations_refused,
    parse_presigned,
    undeclared_signed_headers,
)
from tams_conformance.levels import MUST, SHOULD, check

# SigV2 `Expires` is whole seconds, and the local clock is read before the request is sent.
EXPIRY_ROUNDING_S = 2


def allocate(tams, flow_id, limit=2):
    """Allocate; returns the media objects (201 required). The response's schema is judged by
    storage.allocate-limit, so a violation is only noted here."""
    response = tams.post(f"/flows/{flow_id}/storage", {"limit": limit}, validate=False)
    assert response.status_code == 201, f"POST storage answered {response.status_code}"
    return response.json()["media_objects"]


def presigned_items(tams, flow_id):
    """(media object, parsed URL) for each object of a fresh allocation; n/a when the target
    hands out no S3-presigned put_urls."""
    items = [(m, parse_presigned(m["put_url"]["url"])) for m in allocate(tams, flow_id)]
    items = [(m, p) for m, p in items if p is not None]
    if not items:
        pytest.skip("n/a: the put_urls carry no S3 query authentication (SigV4 or SigV2)")
    return items


@check(
    "storage.put-url-sigv4",
    SHOULD,
    "http-request.json url; S3 SigV4 query authentication",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_put_urls_are_signed_with_sigv4(tams, factory):
    """SHOULD: presigned put_urls use SigV4 (X-Amz-Algorithm=AWS4-HMAC-SHA256). SigV2 signs the
    request's Content-Type whether or not the server declares one, the trap behind the report's
    upload failures."""
    for media, signed in presigned_items(tams, factory.flow()["id"]):
        assert signed.version != SIGV2, (
            f"put_url of {media['object_id']} is signed with SigV2 "
            f"(AWSAccessKeyId/Signature/Expires): {SIGV2_TRAP}"
        )


@check(
    "storage.put-url-signed-headers-declared",
    MUST,
    "http-request.json content-type ('must be used'), headers; X-Amz-SignedHeaders",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_every_signed_header_is_declared_by_the_put_url(tams, factory):
    """MUST: every header the URL signs (host aside) is declared in `content-type` or
    `headers`, with the value it was signed with where the URL reveals it; otherwise no client
    can send what the signature expects."""
    for media, signed in presigned_items(tams, factory.flow()["id"]):
        missing = undeclared_signed_headers(signed, media["put_url"])
        assert not missing, (
            f"put_url of {media['object_id']} signs {', '.join(missing)} but does not declare "
            "it: a client cannot know the value, so every upload fails with "
            "SignatureDoesNotMatch; declare it in put_url.content-type or put_url.headers"
        )
        conflicts = conflicting_declarations(signed, media["put_url"])
        assert not conflicts, f"put_url of {media['object_id']}: {'; '.join(conflicts)}"


@check(
    "storage.put-url-declared-headers-signed",
    MUST,
    "http-request.json content-type, headers; S3 store profile (unsigned headers refused)",
    store=("aws", "strict"),
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_every_declared_header_is_covered_by_the_signature(tams, factory, target):
    """MUST (aws, strict stores): every header the put_url tells clients to send is one the
    signature covers with that value, so the store accepts it. A SigV2 URL presigned without a
    Content-Type that declares one is the report's Bug #2."""
    for media, signed in presigned_items(tams, factory.flow()["id"]):
        refused = declarations_refused(signed, media["put_url"], target.s3.store)
        assert not refused, (
            f"put_url of {media['object_id']} declares headers its {signed.version} signature "
            f"does not cover, so the upload a client makes as told is refused: "
            f"{'; '.join(refused)}; sign SigV4 with every declared header"
        )


@check(
    "storage.put-url-content-type-is-container",
    MUST,
    "flow-storage.json: content-type MUST match the request (default: the Flow container); "
    "flow-storage-post.json content_type (8.2)",
    since="8.2",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_declared_content_type_is_the_flow_container(tams, factory):
    """MUST (8.2+): a put_url `content-type`, when given, equals the flow's `container` (the
    request named no content_type). Before 8.2 the spec ties content-type to nothing."""
    flow = factory.flow("data")
    for media in allocate(tams, flow["id"]):
        declared = media["put_url"].get("content-type")
        assert declared in (None, flow["container"]), (
            f"put_url of {media['object_id']} declares content-type {declared!r}, the flow's "
            f"container is {flow['container']!r}"
        )


@check(
    "storage.put-url-expiry",
    MUST,
    "http-request.json url; service.json min_presigned_url_timeout",
    since="8.1",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage", "GET /service"),
)
def test_presigned_put_urls_live_at_least_min_presigned_url_timeout(tams, factory):
    """MUST (8.1+): a presigned put_url stays valid for at least min_presigned_url_timeout
    (SigV4: X-Amz-Expires; SigV2: Expires minus the time of the request), and a service that
    hands out presigned URLs advertises that timeout."""
    service = tams.get("/service").json()
    flow_id = factory.flow()["id"]
    asked_at = math.floor(time.time())
    items = presigned_items(tams, flow_id)
    assert "min_presigned_url_timeout" in service, (
        "the service hands out presigned put_urls but /service has no min_presigned_url_timeout"
    )
    minimum = Timestamp.from_str(service["min_presigned_url_timeout"]).to_float()
    for media, signed in items:
        if signed.expires_in is not None:
            lifetime, what = float(signed.expires_in), "X-Amz-Expires"
        else:
            lifetime = signed.remaining_s(asked_at) + EXPIRY_ROUNDING_S
            what = "Expires minus the time of the request"
        assert lifetime >= minimum, (
            f"put_url of {media['object_id']} is valid for {lifetime:.0f} s ({what}), below "
            f"min_presigned_url_timeout {service['min_presigned_url_timeout']}"
        )


@check(
    "storage.put-url-presigned-flag",
    MUST,
    "flow-storage.json presigned ('if unset, the URL is NOT pre-signed')",
    since="8.2",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_presigned_flag_agrees_with_the_url(tams, factory):
    """MUST (8.2+): a put_url carrying S3 query authentication comes with `presigned: true`
    (unset means "not presigned", which would send clients their API credentials)."""
    for media in allocate(tams, factory.flow()["id"]):
        if parse_presigned(media["put_url"]["url"]) is not None:
            assert media.get("presigned") is True, (
                f"put_url of {media['object_id']} is presigned but `presigned` is "
                f"{media.get('presigned')!r}"
            )


@check(
    "storage.put-url-region",
    SHOULD,
    "storage-backend.json region; X-Amz-Credential scope",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage", "GET /service/storage-backends"),
)
def test_sigv4_put_urls_are_signed_for_the_backend_region(tams, factory):
    """SHOULD: a SigV4 put_url is signed for the region its storage backend advertises (the
    credential scope); a store that checks the region refuses any other."""
    backends = tams.get("/service/storage-backends", validate=False).json()  # service.* judge it
    default = [b for b in backends if b.get("default_storage")] or backends[:1]
    region = default[0].get("region") if len(default) == 1 else None
    if not region:
        pytest.skip("n/a: the default storage backend advertises no region")
    for media, signed in presigned_items(tams, factory.flow()["id"]):
        if signed.region is None:
            continue
        assert signed.region == region, (
            f"put_url of {media['object_id']} is signed for region {signed.region!r}; its "
            f"storage backend is in {region!r}"
        )


@check(
    "storage.presigned-request",
    MUST,
    "flow-storage-post.json presigned: true, the put_urls will be presigned; false, they "
    "will not (8.2)",
    since="8.2",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_presigned_in_the_request_decides_the_put_urls(tams, factory):
    """MUST (8.2+): POST storage with presigned true answers put_urls flagged
    `presigned: true`, with presigned false put_urls not so flagged; a target supporting only
    one mode may refuse the other with 400, never both."""
    flow_id = factory.flow()["id"]
    answered = {}
    for value in (True, False):
        response = tams.post(f"/flows/{flow_id}/storage", {"limit": 1, "presigned": value})
        answered[value] = response.status_code
        if response.status_code == 400:
            continue
        assert response.status_code == 201, f"presigned={value} answered {response.status_code}"
        for media in response.json()["media_objects"]:
            assert (media.get("presigned") is True) == value, (
                f"presigned={value} gave a put_url flagged presigned={media.get('presigned')!r}"
            )
    assert 201 in answered.values(), f"both modes refused: {answered}"
