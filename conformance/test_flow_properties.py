"""Flow property sub-resources: PUT/GET/DELETE round trips and the 400/403/404 of each.

test_flows.py holds the label/description/tags round trips, max_bit_rate's 204/400 and the
label's 403 on a read-only flow; this module adds avg_bit_rate, the DELETE of the bit rates,
the refusals of every sub-resource, a full PUT on a read-only flow, unknown essence_parameters
keys, and that an unset property is absent (never null).
"""

from __future__ import annotations

from typing import Any

import pytest

from tams_conformance.fixtures.factory import new_id
from tams_conformance.levels import MUST, SHOULD, check

FLOW = "/flows/{flowId}"
# sub-resource -> (methods of the spec, a valid value, an invalid value)
PROPERTIES: dict[str, tuple[tuple[str, ...], Any, Any]] = {
    "label": (("GET", "PUT", "DELETE"), "probe label", 5),
    "description": (("GET", "PUT", "DELETE"), "probe description", ["not", "a", "string"]),
    "max_bit_rate": (("GET", "PUT", "DELETE"), 6000, -1),
    "avg_bit_rate": (("GET", "PUT", "DELETE"), 4000, "fast"),
    "flow_collection": (("GET", "PUT", "DELETE"), None, "not an array"),
    "read_only": (("GET", "PUT"), False, "yes"),
    "tags/probe": (("GET", "PUT", "DELETE"), "probe value", {"not": "a string"}),
}
UNSET = ("description", "max_bit_rate", "avg_bit_rate", "flow_collection")


def op(method: str, name: str) -> str:
    template = "tags/{name}" if name.startswith("tags/") else name
    return f"{method} /flows/{{flowId}}/{template}"


def every_op(methods: tuple[str, ...] = ("GET", "PUT", "DELETE")) -> tuple[str, ...]:
    return tuple(
        op(m, name) for name, (allowed, _, _) in PROPERTIES.items() for m in allowed if m in methods
    )


def valid_value(name: str, factory: Any) -> Any:
    if name == "flow_collection":
        return [{"id": factory.flow()["id"], "role": "probe"}]
    return PROPERTIES[name][1]


@pytest.mark.parametrize("attr", ["max_bit_rate", "avg_bit_rate"])
@check(
    "flows.bit-rate-round-trip",
    MUST,
    "PUT/GET/DELETE /flows/{flowId}/max_bit_rate, /avg_bit_rate (integer, minimum 0)",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/avg_bit_rate",
        "PUT /flows/{flowId}/avg_bit_rate",
        "DELETE /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/max_bit_rate",
    ),
)
def test_bit_rate_put_get_delete_round_trip(tams, factory, attr):
    """MUST: PUT 7000 (204) is returned by the sub-resource and the flow; a negative value
    answers 400 and keeps 7000; DELETE (204) removes it from the flow."""
    flow = factory.flow()
    path = f"/flows/{flow['id']}/{attr}"
    assert tams.put(path, 7000).status_code == 204
    assert tams.get(path).json() == 7000
    assert tams.get(f"/flows/{flow['id']}").json().get(attr) == 7000
    assert tams.put(path, -5).status_code == 400, f"PUT {attr} -5 was not refused with 400"
    assert tams.get(path).json() == 7000, f"a refused {attr} changed the stored one"
    deleted = tams.delete(path)
    assert deleted.status_code == 204, f"DELETE {attr} answered {deleted.status_code}"
    got = tams.get(f"/flows/{flow['id']}").json()
    assert attr not in got, f"after DELETE /flows/{{id}}/{attr} the flow still has {got[attr]!r}"


@pytest.mark.parametrize("name", sorted(PROPERTIES))
@check(
    "flows.sub-resource-unknown-flow-404",
    MUST,
    "GET/PUT/DELETE of every /flows/{flowId} sub-resource: 404 The requested Flow does not exist",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/avg_bit_rate",
        "PUT /flows/{flowId}/avg_bit_rate",
        "DELETE /flows/{flowId}/description",
        "GET /flows/{flowId}/description",
        "PUT /flows/{flowId}/description",
        "DELETE /flows/{flowId}/flow_collection",
        "GET /flows/{flowId}/flow_collection",
        "PUT /flows/{flowId}/flow_collection",
        "DELETE /flows/{flowId}/label",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
        "DELETE /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/read_only",
        "PUT /flows/{flowId}/read_only",
        "DELETE /flows/{flowId}/tags/{name}",
        "GET /flows/{flowId}/tags/{name}",
        "PUT /flows/{flowId}/tags/{name}",
    ),
)
def test_sub_resources_of_an_unknown_flow_answer_404(tams, factory, name):
    """MUST: GET, PUT (a valid value) and DELETE of the sub-resource of a flow that does not
    exist answer 404, and no flow appears."""
    flow_id = new_id()
    factory.flows.append(flow_id)  # a server creating it by mistake is cleaned up
    methods, _, _ = PROPERTIES[name]
    value = valid_value(name, factory)
    path = f"/flows/{flow_id}/{name}"
    for method in methods:
        body = {"json_body": value} if method == "PUT" else {}
        status = tams.request(method, path, **body).status_code
        assert status == 404, f"{method} {path} of an unknown flow answered {status}"
    assert tams.get(f"/flows/{flow_id}").status_code == 404, "a sub-resource PUT made the flow"


@pytest.mark.parametrize("name", sorted(PROPERTIES))
@check(
    "flows.sub-resource-invalid-400",
    MUST,
    "PUT of every /flows/{flowId} sub-resource: 400 Bad request (invalid value for its schema)",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/avg_bit_rate",
        "PUT /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/description",
        "PUT /flows/{flowId}/description",
        "GET /flows/{flowId}/flow_collection",
        "PUT /flows/{flowId}/flow_collection",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
        "GET /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/read_only",
        "PUT /flows/{flowId}/read_only",
        "GET /flows/{flowId}/tags/{name}",
        "PUT /flows/{flowId}/tags/{name}",
    ),
)
def test_invalid_sub_resource_value_answers_400_and_keeps_the_old(tams, factory, name):
    """MUST: PUT of a value outside the sub-resource's schema answers 400 and the valid value
    set before is kept."""
    flow = factory.flow()
    _, _, invalid = PROPERTIES[name]
    value = valid_value(name, factory)
    path = f"/flows/{flow['id']}/{name}"
    assert tams.put(path, value).status_code == 204, f"PUT {name} {value!r} was refused"
    response = tams.put(path, invalid)
    assert response.status_code == 400, f"PUT {name} {invalid!r} answered {response.status_code}"
    assert tams.get(path).json() == value, f"the refused {name} changed the stored value"


@pytest.mark.parametrize("name", sorted(set(PROPERTIES) - {"read_only"}))
@check(
    "flows.sub-resource-read-only-403",
    SHOULD,
    "PUT/DELETE of every /flows/{flowId} sub-resource: 403 Forbidden ... It may be marked "
    "read-only; flow-common.json read_only",
    ops=(
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/avg_bit_rate",
        "PUT /flows/{flowId}/avg_bit_rate",
        "DELETE /flows/{flowId}/description",
        "GET /flows/{flowId}/description",
        "PUT /flows/{flowId}/description",
        "DELETE /flows/{flowId}/flow_collection",
        "GET /flows/{flowId}/flow_collection",
        "PUT /flows/{flowId}/flow_collection",
        "DELETE /flows/{flowId}/label",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
        "DELETE /flows/{flowId}/max_bit_rate",
        "GET /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/read_only",
        "DELETE /flows/{flowId}/tags/{name}",
        "GET /flows/{flowId}/tags/{name}",
        "PUT /flows/{flowId}/tags/{name}",
    ),
)
def test_read_only_flow_refuses_sub_resource_writes_with_403(tams, factory, name):
    """SHOULD: with read_only true, PUT and DELETE of the sub-resource answer 403 and the value
    set before stays."""
    flow = factory.flow()
    value = valid_value(name, factory)
    path = f"/flows/{flow['id']}/{name}"
    assert tams.put(path, value).status_code == 204, f"PUT {name} {value!r} was refused"
    factory.set_read_only(flow["id"])
    replacement = valid_value(name, factory) if name == "flow_collection" else value
    if isinstance(replacement, str):
        replacement = replacement + " changed"
    elif isinstance(replacement, int):
        replacement += 1
    for method, body in (("PUT", {"json_body": replacement}), ("DELETE", {})):
        status = tams.request(method, path, **body).status_code
        assert status == 403, f"{method} {name} of a read-only flow answered {status}"
    assert tams.get(path).json() == value, f"{name} of a read-only flow changed"


@check(
    "flows.read-only-refuses-full-put",
    SHOULD,
    "PUT /flows/{flowId} 403 (read_only); flow-common.json read_only",
    ops=(f"PUT {FLOW}", f"GET {FLOW}", "PUT /flows/{flowId}/read_only"),
)
def test_read_only_flow_refuses_a_full_put_with_403(tams, factory):
    """SHOULD: a full PUT /flows/{id} of a read-only flow (changed description and codec,
    read_only kept true) answers 403, and GET shows the flow unchanged."""
    flow = factory.flow()
    factory.set_read_only(flow["id"])
    changed = {**flow, "description": "changed", "codec": "video/h265", "read_only": True}
    response = tams.put(f"/flows/{flow['id']}", changed)
    assert response.status_code == 403, f"full PUT of a read-only flow: {response.status_code}"
    got = tams.get(f"/flows/{flow['id']}").json()
    assert "description" not in got and got["codec"] == flow["codec"], f"it changed: {got}"


@pytest.mark.parametrize("kind", ["video", "audio", "data"])
@check(
    "flows.unknown-essence-key-400",
    MUST,
    "PUT /flows/{flowId} 400; flow-video.json essence_parameters unevaluatedProperties false, "
    "flow-audio/-data.json additionalProperties false",
    ops=(f"PUT {FLOW}", f"GET {FLOW}"),
)
def test_unknown_essence_parameter_is_refused_with_400(tams, factory, kind):
    """MUST: essence_parameters with a key its schema does not define answers 400 and no flow
    is stored (the schemas close essence_parameters to unknown keys)."""
    body = factory.flow_body(kind, source_id=factory.source_id())
    body["essence_parameters"]["conformance_unknown_key"] = 1
    factory.flows.append(body["id"])
    response = tams.put(f"/flows/{body['id']}", body)
    assert response.status_code == 400, f"unknown essence key answered {response.status_code}"
    assert tams.get(f"/flows/{body['id']}").status_code == 404, "the invalid flow was stored"


@check(
    "flows.unset-properties-absent",
    MUST,
    "GET /flows/{flowId}; flow-get.json (description string, bit rates integer, "
    "flow_collection array: null is none of them); GET of each sub-resource",
    ops=(
        "GET /flows?tag.{name}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/avg_bit_rate",
        "GET /flows/{flowId}/description",
        "GET /flows/{flowId}/flow_collection",
        "DELETE /flows/{flowId}/label",
        "GET /flows/{flowId}/label",
        "GET /flows/{flowId}/max_bit_rate",
    ),
)
def test_unset_flow_properties_are_absent_never_null(tams, factory):
    """MUST: a flow without description, bit rates or flow_collection (and whose label was
    deleted) shows none of them as null in GET /flows/{id} or the listing, and GET of each
    unset sub-resource does not answer 200 with null."""
    flow = factory.flow(tags={"unset_probe": new_id()})
    assert tams.delete(f"/flows/{flow['id']}/label").status_code == 204
    got = tams.get(f"/flows/{flow['id']}").json()
    nulls = sorted(key for key, value in got.items() if value is None)
    assert not nulls, f"GET /flows/{{id}} shows unset {nulls} as null"
    listed = tams.get("/flows", params={"tag.unset_probe": flow["tags"]["unset_probe"]}).json()
    nulls = sorted(key for item in listed for key, value in item.items() if value is None)
    assert not nulls, f"GET /flows shows unset {nulls} as null"
    for name in (*UNSET, "label"):
        response = tams.get(f"/flows/{flow['id']}/{name}")
        null = response.status_code == 200 and response.content.strip() in (b"null", b"")
        assert not null, f"GET /flows/{{id}}/{name} of an unset {name} answered 200 with null"
