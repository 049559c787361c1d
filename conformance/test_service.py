"""The service description: /, /service, /service/storage-backends."""

from __future__ import annotations

import re

import pytest
from mediatimestamp import Timestamp

from tams_conformance.levels import MUST, SHOULD, check, unsupported

API_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@check("service.schema", MUST, "GET /service 200; schemas/service.json", ops=("GET /service",))
def test_service_answers_200_with_a_valid_service_description(tams, spec):
    """MUST: GET /service answers 200 and its body validates against service.json."""
    response = tams.get("/service")
    assert response.status_code == 200
    errors = spec.validate_schema("service.json", response.json())
    assert not errors, f"service.json: {errors}"


@check(
    "service.api-version-form",
    MUST,
    "schemas/service.json api_version pattern",
    ops=("GET /service",),
)
def test_service_api_version_is_major_dot_minor(tams):
    """MUST: api_version is required and has the form major.minor (no leading zeros)."""
    body = tams.get("/service").json()
    assert "api_version" in body, "api_version missing from /service"
    assert API_VERSION.match(str(body["api_version"])), (
        f"api_version {body['api_version']!r} is not major.minor"
    )


@check("service.type-urn", MUST, "schemas/service.json type", ops=("GET /service",))
def test_service_type_is_a_tams_service_urn(tams):
    """MUST: `type` starts with urn:x-tams:service."""
    body = tams.get("/service").json()
    assert str(body.get("type", "")).startswith("urn:x-tams:service"), (
        f"type {body.get('type')!r} does not start with urn:x-tams:service"
    )


@check(
    "service.min-object-timeout",
    MUST,
    "schemas/service.json min_object_timeout (ADR-0044)",
    since="8.1",
    ops=("GET /service",),
)
def test_service_min_object_timeout_is_at_least_300_seconds(tams):
    """MUST (8.1+): min_object_timeout is present and at least 300:0."""
    body = tams.get("/service").json()
    assert "min_object_timeout" in body, "min_object_timeout missing (required since 8.1)"
    assert Timestamp.from_str(body["min_object_timeout"]) >= Timestamp(300, 0), (
        f"min_object_timeout {body['min_object_timeout']} is below 300:0"
    )


@check(
    "service.presigned-url-timeout-bounds",
    MUST,
    "schemas/service.json min_presigned_url_timeout (ADR-0044)",
    since="8.1",
    ops=("GET /service",),
)
def test_service_min_presigned_url_timeout_lies_between_30s_and_min_object_timeout(tams):
    """MUST (8.1+): when given, 30:0 <= min_presigned_url_timeout <= min_object_timeout."""
    body = tams.get("/service").json()
    if "min_presigned_url_timeout" not in body:
        pytest.skip(
            "n/a: no min_presigned_url_timeout (required only with presigned URLs; "
            "storage.put-url-expiry covers that case)"
        )
    presigned = Timestamp.from_str(body["min_presigned_url_timeout"])
    assert presigned >= Timestamp(30, 0), f"min_presigned_url_timeout {presigned} < 30:0"
    objects = Timestamp.from_str(body["min_object_timeout"])
    assert presigned <= objects, (
        f"min_presigned_url_timeout {presigned} exceeds min_object_timeout {objects}"
    )


@check(
    "service.root-lists-endpoints",
    SHOULD,
    "GET / 200 (example: service, flows, sources)",
    ops=("GET /",),
)
def test_root_lists_the_top_level_endpoints(tams):
    """SHOULD: GET / answers 200 with a list naming at least service, flows and sources."""
    response = tams.get("/")
    assert response.status_code == 200
    listed = response.json()
    missing = {"service", "flows", "sources"} - set(listed)
    assert not missing, f"GET / does not list {sorted(missing)}"


@check("service.head-mirrors-get", MUST, "HEAD /service 200", ops=("HEAD /service",))
def test_head_service_answers_200_without_a_body(tams):
    """MUST: HEAD /service answers like GET, with no body."""
    response = tams.head("/service")
    assert response.status_code == 200
    assert response.content == b"", "HEAD /service returned a body"


@check(
    "service.storage-backends",
    MUST,
    "GET /service/storage-backends 200; schemas/storage-backends-list.json",
    since="7.0",
    ops=("GET /service/storage-backends",),
)
def test_storage_backends_list_is_valid_with_at_most_one_default(tams):
    """MUST (7.0+): the backend list validates and at most one backend is default_storage."""
    response = tams.get("/service/storage-backends")
    assert response.status_code == 200
    backends = response.json()
    assert isinstance(backends, list)
    defaults = [b["id"] for b in backends if b.get("default_storage")]
    assert len(defaults) <= 1, f"several backends claim default_storage: {defaults}"
    ids = [b["id"] for b in backends]
    assert len(ids) == len(set(ids)), f"duplicate backend ids: {ids}"


@check(
    "service.webhooks-advertised-consistently",
    SHOULD,
    "service.json event_stream_mechanisms; GET /service/webhooks 200, 404 (not supported)",
    since="8.0",
    ops=("GET /service", "GET /service/webhooks"),
)
def test_webhooks_endpoint_matches_what_the_service_advertises(tams):
    """SHOULD (8.0+): a service whose event_stream_mechanisms name "webhooks" lists them at
    GET /service/webhooks (200, an array); one that does not answers 404 there (the spec's
    "not supported"). Credentials without permission (403) make it unsupported here."""
    mechanisms = tams.get("/service").json().get("event_stream_mechanisms") or []
    advertised = any(m.get("name") == "webhooks" for m in mechanisms)
    response = tams.get("/service/webhooks")
    if response.status_code == 403:
        unsupported("these credentials may not read /service/webhooks")
    if advertised:
        assert response.status_code == 200, (
            f"webhooks are advertised but GET /service/webhooks answered {response.status_code}"
        )
        assert isinstance(response.json(), list)
    else:
        assert response.status_code == 404, (
            "webhooks are not advertised in event_stream_mechanisms, so GET /service/webhooks "
            f"must answer 404 (not supported), not {response.status_code}"
        )


# The top-level listings of the spec: GET /<name> answers a listing where the server serves it.
TOP_LEVEL_LISTINGS = ("service", "flows", "sources", "flow-delete-requests")


@check(
    "service.root-lists-served-paths",
    SHOULD,
    "GET / 200: List of paths available from this API",
    ops=("GET /", "GET /service", "GET /flows", "GET /sources", "GET /flow-delete-requests"),
)
def test_root_lists_every_top_level_path_the_server_serves(tams):
    """SHOULD: every top-level listing the server answers 200 at (service, flows, sources,
    flow-delete-requests) is named by GET /, and every spec path GET / names is served."""
    listed = tams.get("/").json()
    assert isinstance(listed, list), f"GET / is not an array: {listed!r}"
    served = {name for name in TOP_LEVEL_LISTINGS if tams.get(f"/{name}").status_code == 200}
    missing = sorted(served - set(listed))
    assert not missing, f"GET / leaves out {missing}, which the server serves"
    dead = sorted(name for name in set(listed) & set(TOP_LEVEL_LISTINGS) if name not in served)
    assert not dead, f"GET / lists {dead}, which do not answer 200"


@check(
    "service.post-updates-name",
    MUST,
    "POST /service 200 (service info updated), 400 (invalid service JSON); "
    "schemas/service-post.json",
    ops=("POST /service", "GET /service"),
)
def test_post_service_updates_the_name_and_refuses_an_invalid_body(tams, target):
    """MUST: POST /service with a new name answers 200 and GET /service shows it; a name that
    is not a string answers 400 and changes nothing. The original name is restored after.
    Credentials without permission (403) make it unsupported. Only on embedded targets: the
    service's name belongs to the deployment, not to the kit, which touches nothing it did
    not create."""
    if not target.embedded:
        pytest.skip(
            "n/a: POST /service would change the deployment's own service name, which the kit "
            "did not create; checked on the embedded reference only"
        )
    original = tams.get("/service").json()
    field = "name" if "name" in original else "description"
    before = original.get(field, "")
    probe = f"{before} (tams-conformance probe)"
    response = tams.post("/service", {field: probe})
    if response.status_code == 403:
        unsupported("these credentials may not update /service")
    try:
        assert response.status_code == 200, f"POST /service answered {response.status_code}"
        assert tams.get("/service").json().get(field) == probe, f"{field} was not updated"
        refused = tams.post("/service", {field: 5})
        assert refused.status_code == 400, f"{field}: 5 answered {refused.status_code}"
        assert tams.get("/service").json().get(field) == probe, f"a refused {field} changed it"
    finally:
        if field in original:
            tams.post("/service", {field: before})
