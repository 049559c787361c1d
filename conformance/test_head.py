"""HEAD parity: every HEAD operation of the spec answers as its GET does, without a body.

One parametrised check over the HEAD operations of TAMS 8.2 (a superset of the earlier
versions; a path the target's version lacks is not applicable). Path parameters are filled with
resources the check creates, and each path with parameters is also asked with a fresh id (or
tag name), where GET is 404 and HEAD must be too. Listings are asked with ``limit=1`` so the
paging headers (``Link``, ``X-Paging-NextKey``) appear where there is more than one item.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tams_conformance.client import seg
from tams_conformance.fixtures.factory import RUN_TAG, new_id
from tams_conformance.levels import MUST, SHOULD, check

# The HEAD operations of TAMS 8.2, as its spec file spells them (tests/unit/test_gates.py
# proves this is exactly that list).
HEAD_PATHS = (
    "/",
    "/service",
    "/service/storage-backends",
    "/service/profiles",
    "/service/profiles/{profileId}",
    "/service/webhooks",
    "/service/webhooks/{webhookId}",
    "/sources",
    "/sources/{sourceId}",
    "/sources/{sourceId}/tags",
    "/sources/{sourceId}/tags/{name}",
    "/sources/{sourceId}/description",
    "/sources/{sourceId}/label",
    "/flows",
    "/flows/{flowId}",
    "/flows/{flowId}/tags",
    "/flows/{flowId}/tags/{name}",
    "/flows/{flowId}/description",
    "/flows/{flowId}/label",
    "/flows/{flowId}/read_only",
    "/flows/{flowId}/flow_collection",
    "/flows/{flowId}/max_bit_rate",
    "/flows/{flowId}/avg_bit_rate",
    "/flows/{flowId}/segments",
    "/objects/{objectId}",
    "/flow-delete-requests",
    "/flow-delete-requests/{request-id}",
)
LISTINGS = {
    "/service/storage-backends",
    "/service/profiles",
    "/service/webhooks",
    "/sources",
    "/flows",
    "/flows/{flowId}/segments",
    "/flow-delete-requests",
}
PROBE_TAG = "head_probe"
# Headers compared by value; the paging cursor headers by presence (their values are opaque).
BY_VALUE = ("content-type", "x-paging-limit", "x-paging-reverse-order", "x-paging-timerange")
BY_PRESENCE = ("x-paging-nextkey", "x-paging-count", "link")


def _profile(tams: Any, factory: Any) -> str:
    """A profile the kit creates (profiles cannot be deleted: it stays, tagged with the run)."""
    profile_id = new_id()
    body = {
        "id": profile_id,
        "label": f"tams-conformance {factory.run_id}",
        "tags": {RUN_TAG: factory.run_id},
        "flow_metadata": {
            "format": "urn:x-tam:format:image",
            "codec": "image/jpeg",
            "container": "image/jpeg",
            "essence_parameters": {"frame_width": 64, "frame_height": 64},
        },
    }
    tams.post(f"/service/profiles/{profile_id}", body)
    return profile_id


def _delete_request(tams: Any, factory: Any) -> str:
    """The id of a flow-delete-request (a new id when the target deletes at once)."""
    flow = factory.flow()
    factory.segment(flow["id"], "[0:0_1:0)")
    response = tams.delete(f"/flows/{flow['id']}")
    location = response.headers.get("Location", "")
    if response.status_code == 202 and location:
        return location.rstrip("/").rsplit("/", 1)[-1]
    return new_id()


def _arrange(template: str, tams: Any, factory: Any) -> dict[str, str]:
    """Path parameter values naming resources the check made, with every property set."""
    values: dict[str, str] = {}
    if "{sourceId}" in template:
        source_id = factory.flow()["source_id"]
        for name, value in (("label", "head probe"), ("description", "head probe")):
            tams.put(f"/sources/{source_id}/{name}", value)
        tams.put(f"/sources/{source_id}/tags/{PROBE_TAG}", "x")
        values.update(sourceId=source_id, name=PROBE_TAG)
    if "{flowId}" in template or "{objectId}" in template:
        member = factory.flow()
        flow = factory.flow(
            description="head probe",
            max_bit_rate=5000,
            avg_bit_rate=4000,
            flow_collection=[{"id": member["id"], "role": "member"}],
            tags={PROBE_TAG: "x"},
        )
        values.update(flowId=flow["id"], name=PROBE_TAG)
        if "segments" in template or "{objectId}" in template:
            segments = factory.segments(flow["id"], 2)
            values["objectId"] = segments[0].object_id
    if "{profileId}" in template:
        values["profileId"] = _profile(tams, factory)
    if "{request-id}" in template:
        values["request-id"] = _delete_request(tams, factory)
    if "{webhookId}" in template:
        values["webhookId"] = new_id()  # the kit registers no webhook: both answer 404
    return values


def _fill(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", seg(value))
    return path


def _missing(template: str, values: dict[str, str]) -> dict[str, str]:
    """The same values with the last path parameter replaced by one that does not exist."""
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    last = names[-1]
    fresh = f"absent_{uuid.uuid4().hex[:8]}" if last == "name" else new_id()
    return {**values, last: fresh}


def _compare(tams: Any, path: str, params: dict[str, Any], headers: bool = False) -> int:
    got = tams.get(path, params=params)
    head = tams.head(path, params=params)
    what = f"HEAD {path}"
    assert head.status_code == got.status_code, (
        f"{what} answered {head.status_code}, GET {got.status_code}: HEAD must answer as GET"
    )
    assert head.content == b"", f"{what} returned a body of {len(head.content)} bytes"
    if headers and got.status_code == 200:
        for name in BY_VALUE:
            if name in got.headers:
                assert head.headers.get(name) == got.headers[name], (
                    f"{what}: {name} is {head.headers.get(name)!r}, GET sent {got.headers[name]!r}"
                )
        for name in BY_PRESENCE:
            if name in got.headers:
                assert name in head.headers, f"{what} lacks {name}, which GET sent"
    return got.status_code


def _applicable(spec: Any, template: str) -> None:
    if spec.operation_for("HEAD", template.replace("{", "x").replace("}", "")) is None:
        pytest.skip(f"n/a: HEAD {template} is not an operation of this API version")


def _listing_params(template: str, tams: Any, factory: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 1}
    if template in ("/flows", "/sources"):
        params[f"tag.{PROBE_TAG}"] = "x"
        for _ in range(2):  # two tagged items, so a next page exists
            flow = factory.flow(tags={PROBE_TAG: "x"})
            tams.put(f"/sources/{flow['source_id']}/tags/{PROBE_TAG}", "x")
    return params


def _id(path: str) -> str:
    return path.strip("/") or "root"


@pytest.mark.parametrize("template", HEAD_PATHS, ids=_id)
@check(
    "head.mirrors-get",
    MUST,
    "every HEAD operation: Return ... headers (RFC 9110 9.3.2: the same answer as GET, "
    "without content); 404 as GET",
    ops=(
        "GET /",
        "HEAD /",
        "GET /flow-delete-requests?limit",
        "HEAD /flow-delete-requests?limit",
        "GET /flow-delete-requests/{request-id}",
        "HEAD /flow-delete-requests/{request-id}",
        "GET /flows?limit",
        "HEAD /flows?limit",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "HEAD /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/avg_bit_rate",
        "HEAD /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/description",
        "HEAD /flows/{flowId}/description",
        "GET /flows/{flowId}/flow_collection",
        "HEAD /flows/{flowId}/flow_collection",
        "GET /flows/{flowId}/label",
        "HEAD /flows/{flowId}/label",
        "GET /flows/{flowId}/max_bit_rate",
        "HEAD /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/read_only",
        "HEAD /flows/{flowId}/read_only",
        "GET /flows/{flowId}/segments?limit",
        "HEAD /flows/{flowId}/segments?limit",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /flows/{flowId}/tags",
        "HEAD /flows/{flowId}/tags",
        "GET /flows/{flowId}/tags/{name}",
        "HEAD /flows/{flowId}/tags/{name}",
        "GET /objects/{objectId}",
        "HEAD /objects/{objectId}",
        "GET /service",
        "HEAD /service",
        "GET /service/profiles?limit",
        "HEAD /service/profiles?limit",
        "GET /service/profiles/{profileId}",
        "HEAD /service/profiles/{profileId}",
        "POST /service/profiles/{profileId}",
        "GET /service/storage-backends?limit",
        "HEAD /service/storage-backends?limit",
        "GET /service/webhooks?limit",
        "HEAD /service/webhooks?limit",
        "GET /service/webhooks/{webhookId}",
        "HEAD /service/webhooks/{webhookId}",
        "GET /sources?limit",
        "HEAD /sources?limit",
        "GET /sources/{sourceId}",
        "HEAD /sources/{sourceId}",
        "GET /sources/{sourceId}/description",
        "HEAD /sources/{sourceId}/description",
        "PUT /sources/{sourceId}/description",
        "GET /sources/{sourceId}/label",
        "HEAD /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/label",
        "GET /sources/{sourceId}/tags",
        "HEAD /sources/{sourceId}/tags",
        "GET /sources/{sourceId}/tags/{name}",
        "HEAD /sources/{sourceId}/tags/{name}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_head_answers_as_get_without_a_body(tams, factory, spec, template):
    """MUST: HEAD answers GET's status with no body, for resources the check made; for a path
    naming a resource that does not exist, GET 404 and HEAD 404."""
    _applicable(spec, template)
    values = _arrange(template, tams, factory)
    _compare(tams, _fill(template, values), {"limit": 1} if template in LISTINGS else {})
    if "{" in template:
        missing = _fill(template, _missing(template, values))
        status = _compare(tams, missing, {})
        if template not in LISTINGS:
            assert status == 404, f"GET {missing} (does not exist) answered {status}, not 404"


@pytest.mark.parametrize("template", sorted(LISTINGS), ids=_id)
@check(
    "head.same-headers",
    SHOULD,
    "HEAD of every listing: X-Paging-* and Link documented on its 200; RFC 9110 9.3.2: the "
    "server SHOULD send the same header fields as for GET",
    ops=(
        "GET /flow-delete-requests?limit",
        "HEAD /flow-delete-requests?limit",
        "GET /flows?limit&tag.{name}",
        "HEAD /flows?limit&tag.{name}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?limit",
        "HEAD /flows/{flowId}/segments?limit",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /service/profiles?limit",
        "HEAD /service/profiles?limit",
        "GET /service/storage-backends?limit",
        "HEAD /service/storage-backends?limit",
        "GET /service/webhooks?limit",
        "HEAD /service/webhooks?limit",
        "GET /sources?limit&tag.{name}",
        "HEAD /sources?limit&tag.{name}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_head_of_a_listing_sends_the_headers_get_sends(tams, factory, spec, template):
    """SHOULD: HEAD of a listing (limit=1, more items than one where the check can make them)
    sends the headers GET sent: Content-Type, X-Paging-Limit/Reverse-Order/Timerange with the
    same values, X-Paging-NextKey/Count and Link (opaque cursors) present."""
    _applicable(spec, template)
    values = _arrange(template, tams, factory)
    _compare(tams, _fill(template, values), _listing_params(template, tams, factory), True)
