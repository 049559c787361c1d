"""Flows: create and update, metadata round trips, read_only, invalid bodies, unknown ids."""

from __future__ import annotations

import uuid

import pytest

from tams_conformance.fixtures.factory import RUN_TAG, new_id
from tams_conformance.levels import MUST, SHOULD, check

SERVER_MANAGED = {
    "created",
    "metadata_updated",
    "segments_updated",
    "timerange",
    "collected_by",
    "metadata_version",
    "created_by",
    "updated_by",
    "generation",
}


def assert_flow_matches(got: dict, put: dict, path: str = "") -> None:
    """Every value that was PUT comes back the same (server-managed keys aside). Objects are
    compared key by key, so a server may add defaults or keys of its own."""
    for key, value in put.items():
        if not path and key in SERVER_MANAGED:
            continue
        where = f"{path}{key}"
        assert key in got, f"GET /flows/{{id}} lost {where!r}"
        if isinstance(value, dict) and isinstance(got[key], dict):
            assert_flow_matches(got[key], value, f"{where}.")
        else:
            assert got[key] == value, f"{where}: PUT {value!r}, GET {got[key]!r}"


@check(
    "flows.create-then-update",
    MUST,
    "PUT /flows/{flowId} responses 201, 204",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}"),
)
def test_put_new_flow_answers_201_then_204_on_update(tams, factory):
    """MUST: PUT of a new flow answers 201 with the flow; PUT of the same id again answers 204,
    and GET shows the update."""
    body = factory.flow_body("video", source_id=factory.source_id())
    factory.flows.append(body["id"])
    created = tams.put(f"/flows/{body['id']}", body)
    assert created.status_code == 201, f"create answered {created.status_code}"
    assert created.json()["id"] == body["id"]
    body["label"] = "updated by tams-conformance"
    updated = tams.put(f"/flows/{body['id']}", body)
    assert updated.status_code == 204, f"update answered {updated.status_code}"
    assert tams.get(f"/flows/{body['id']}").json()["label"] == "updated by tams-conformance"


# Flows of the other kinds, as overrides of the factory's video body (flow-image.json,
# flow-multi.json, flow-video.json vfr: frame_rate MUST NOT be set).
OTHER_KINDS: dict[str, dict] = {
    "image": {
        "format": "urn:x-tam:format:image",
        "codec": "image/jpeg",
        "container": "image/jpeg",
        "essence_parameters": {"frame_width": 640, "frame_height": 360},
    },
    "multi": {"format": "urn:x-nmos:format:multi", "essence_parameters": {}},
    "vfr": {"essence_parameters": {"frame_width": 1280, "frame_height": 720, "vfr": True}},
}


@pytest.mark.parametrize("kind", ["video", "audio", "data", *OTHER_KINDS])
@check(
    "flows.get-equals-put",
    MUST,
    "PUT /flows/{flowId}; GET /flows/{flowId}",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}"),
)
def test_get_flow_returns_what_was_put(tams, factory, kind):
    """MUST: GET /flows/{id} returns every value that was PUT (video, audio, data, image,
    multi (collecting a video flow) and variable-frame-rate video flows)."""
    if kind in OTHER_KINDS:
        overrides = dict(OTHER_KINDS[kind])
        if kind == "multi":
            overrides["flow_collection"] = [{"id": factory.flow()["id"], "role": "video"}]
        body = factory.flow("video", **overrides)
    else:
        body = factory.flow(kind)
    response = tams.get(f"/flows/{body['id']}")
    assert response.status_code == 200
    assert_flow_matches(response.json(), body)


@check(
    "flows.source-created-with-flow",
    SHOULD,
    "ADR-0018, AppNote 0007: sources are created implicitly with their first flow",
    ops=("PUT /flows/{flowId}", "GET /sources/{sourceId}"),
)
def test_creating_a_flow_creates_its_source_with_the_flow_format(tams, factory):
    """SHOULD: after a flow is created, GET /sources/{source_id} answers 200 with its format."""
    body = factory.flow("audio")
    response = tams.get(f"/sources/{body['source_id']}")
    assert response.status_code == 200, f"source of a new flow answered {response.status_code}"
    assert response.json()["format"] == body["format"]


@check(
    "flows.tags-round-trip",
    MUST,
    "PUT/GET/DELETE /flows/{flowId}/tags/{name}; GET /flows tag.{name}",
    ops=(
        "GET /flows?tag.{name}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/tags",
        "DELETE /flows/{flowId}/tags/{name}",
        "GET /flows/{flowId}/tags/{name}",
        "PUT /flows/{flowId}/tags/{name}",
    ),
)
def test_flow_tag_put_get_filter_delete_round_trip(tams, factory):
    """MUST: a tag PUT (204) is returned by GET, found by the tag filter, and gone after DELETE
    (204, then GET 404); the other tags are untouched."""
    flow = factory.flow()
    name, value = "conformance_probe", uuid.uuid4().hex
    assert tams.put(f"/flows/{flow['id']}/tags/{name}", value).status_code == 204
    assert tams.get(f"/flows/{flow['id']}/tags/{name}").json() == value
    tags = tams.get(f"/flows/{flow['id']}/tags").json()
    assert tags.get(name) == value and tags.get(RUN_TAG) == factory.run_id, tags
    listed = tams.get("/flows", params={f"tag.{name}": value}).json()
    assert [f["id"] for f in listed] == [flow["id"]], "tag filter did not find exactly the flow"
    assert tams.delete(f"/flows/{flow['id']}/tags/{name}").status_code == 204
    assert tams.get(f"/flows/{flow['id']}/tags/{name}").status_code == 404
    tags = tams.get(f"/flows/{flow['id']}/tags").json()
    assert name not in tags and tags.get(RUN_TAG) == factory.run_id, f"after DELETE: {tags}"


@check(
    "flows.tag-array-values",
    MUST,
    "PUT /flows/{flowId}/tags/{name} request body: string or array of strings (8.2; "
    "7.0-8.1: string only); schemas/tags.json",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/tags/{name}",
        "PUT /flows/{flowId}/tags/{name}",
    ),
)
def test_flow_tag_accepts_an_array_of_strings(tams, factory):
    """MUST (8.2+): a tag value PUT as an array of strings is accepted (204) and returned as the
    same array. (tags.json allows arrays in responses from 8.0, but the PUT body of 8.0 and 8.1
    is a string only.)"""
    flow = factory.flow()
    assert tams.put(f"/flows/{flow['id']}/tags/genres", ["news", "sport"]).status_code == 204
    assert tams.get(f"/flows/{flow['id']}/tags/genres").json() == ["news", "sport"]


@pytest.mark.parametrize("field", ["label", "description"])
@check(
    "flows.label-description-round-trip",
    MUST,
    "PUT/GET/DELETE /flows/{flowId}/label, /description",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/description",
        "GET /flows/{flowId}/description",
        "PUT /flows/{flowId}/description",
        "DELETE /flows/{flowId}/label",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
    ),
)
def test_flow_label_and_description_round_trip(tams, factory, field):
    """MUST: PUT a JSON string (204), GET returns it and the flow shows it, DELETE (204)
    removes it."""
    flow = factory.flow()
    text = f"{field} {uuid.uuid4().hex}"
    assert tams.put(f"/flows/{flow['id']}/{field}", text).status_code == 204
    assert tams.get(f"/flows/{flow['id']}/{field}").json() == text
    assert tams.get(f"/flows/{flow['id']}").json()[field] == text
    assert tams.delete(f"/flows/{flow['id']}/{field}").status_code == 204
    assert field not in tams.get(f"/flows/{flow['id']}").json()


@check(
    "flows.put-replaces-tags",
    MUST,
    "PUT /flows/{flowId}: Create or replace the Flow metadata; flow-common.json tags: WILL NOT "
    "be merged (8.0)",
    ops=("PUT /flows/{flowId}", "GET /flows/{flowId}/tags"),
)
def test_flow_put_without_tags_resets_tags(tams, factory):
    """MUST: PUT is a full replace: a PUT that omits `tags` leaves the flow with no tags."""
    flow = factory.flow()
    flow.pop("tags")
    response = tams.put(f"/flows/{flow['id']}", flow)
    assert response.status_code == 204, f"PUT /flows/{{id}} update answered {response.status_code}"
    tags = tams.get(f"/flows/{flow['id']}/tags").json()
    assert tags == {}, (
        f"after a PUT /flows/{{id}} without tags, GET /flows/{{id}}/tags answers {tags}, not {{}}: "
        "the PUT was merged into the stored flow instead of replacing it"
    )


@check(
    "flows.read-only-refuses-writes",
    SHOULD,
    "flow-common.json read_only; 403 on PUT /flows/{flowId}/label",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
        "PUT /flows/{flowId}/read_only",
    ),
)
def test_read_only_flow_refuses_a_label_update_with_403(tams, factory):
    """SHOULD: with read_only true, PUT /flows/{id}/label answers 403 and the label is kept."""
    flow = factory.flow()
    factory.set_read_only(flow["id"])
    assert tams.put(f"/flows/{flow['id']}/label", "changed").status_code == 403
    assert tams.get(f"/flows/{flow['id']}/label").json() == flow["label"]


@check(
    "flows.read-only-can-be-cleared",
    MUST,
    "PUT /flows/{flowId}/read_only 204",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/label",
        "PUT /flows/{flowId}/label",
        "GET /flows/{flowId}/read_only",
        "PUT /flows/{flowId}/read_only",
    ),
)
def test_read_only_can_be_turned_off_again(tams, factory):
    """MUST: PUT read_only false on a read-only flow answers 204 and writes work again."""
    flow = factory.flow()
    factory.set_read_only(flow["id"])
    assert tams.get(f"/flows/{flow['id']}/read_only").json() is True
    assert tams.put(f"/flows/{flow['id']}/read_only", False).status_code == 204
    assert tams.get(f"/flows/{flow['id']}/read_only").json() is False
    assert tams.put(f"/flows/{flow['id']}/label", "writable again").status_code == 204
    assert tams.get(f"/flows/{flow['id']}/label").json() == "writable again"


@check(
    "flows.read-only-rejects-non-boolean",
    MUST,
    "PUT /flows/{flowId}/read_only 400",
    ops=("PUT /flows/{flowId}", "GET /flows/{flowId}/read_only", "PUT /flows/{flowId}/read_only"),
)
def test_read_only_rejects_a_non_boolean_with_400(tams, factory):
    """MUST: PUT read_only with a string answers 400 and the flow stays writable."""
    flow = factory.flow()
    assert tams.put(f"/flows/{flow['id']}/read_only", "yes").status_code == 400
    assert tams.get(f"/flows/{flow['id']}/read_only").json() in (False, None)


def _invalid_bodies() -> list:
    def drop(key):
        return lambda body: body.pop(key)

    def essence(key, value):
        return lambda body: body["essence_parameters"].__setitem__(key, value)

    def field(key, value):
        return lambda body: body.__setitem__(key, value)

    return [
        pytest.param(drop("source_id"), id="missing-source-id"),
        pytest.param(field("format", "urn:x-nmos:format:smell"), id="bad-format-urn"),
        pytest.param(
            lambda b: b["essence_parameters"].pop("frame_rate"), id="video-without-frame-rate"
        ),
        pytest.param(essence("frame_width", 0), id="frame-width-zero"),
        pytest.param(field("source_id", str(uuid.uuid4()).upper()), id="uppercase-source-id"),
        pytest.param(
            field("source_id", "0190b5d2-9a1c-7c3e-8f00-1234567890ab"), id="uuid-v7-source-id"
        ),
        pytest.param(field("id", new_id()), id="body-id-differs-from-path"),
    ]


@pytest.mark.parametrize("spoil", _invalid_bodies())
@check(
    "flows.invalid-body-400",
    MUST,
    "PUT /flows/{flowId} 400; schemas/flow-put.json",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}", "GET /sources/{sourceId}"),
)
def test_invalid_flow_body_is_refused_with_400_and_creates_nothing(tams, factory, spoil):
    """MUST: an invalid flow body answers 400 and no flow (nor source) is created."""
    source_id = factory.source_id()
    body = factory.flow_body("video", source_id=source_id)
    path_id = body["id"]
    factory.flows.append(path_id)
    spoil(body)
    response = tams.put(f"/flows/{path_id}", body)
    assert response.status_code == 400, f"invalid body answered {response.status_code}"
    assert tams.get(f"/flows/{path_id}").status_code == 404, "the invalid flow was stored"
    assert tams.get(f"/sources/{source_id}").status_code == 404, "its source was created"


@pytest.mark.parametrize(
    "malformed",
    [
        pytest.param(lambda fid: fid.upper(), id="uppercase-flow-id"),
        pytest.param(lambda fid: fid[:14] + "7" + fid[15:], id="uuid-v7-flow-id"),
    ],
)
@check(
    "flows.malformed-id-refused",
    MUST,
    "PUT /flows/{flowId} 400/404; schemas/uuid.json pattern (lowercase, version 1-5)",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}"),
)
def test_flow_with_a_malformed_id_is_refused_and_creates_nothing(tams, factory, malformed):
    """MUST: a flow whose id (in the path and the body) is not a lowercase v1-5 UUID is refused
    with 400 (invalid body) or 404 (invalid path id), and nothing is stored under either form."""
    body = factory.flow_body("video", source_id=factory.source_id())
    good_id = body["id"]
    bad_id = malformed(good_id)
    factory.flows.extend([good_id, bad_id])  # a lenient server may store either
    body["id"] = bad_id
    response = tams.put(f"/flows/{bad_id}", body)
    assert response.status_code in (400, 404), f"malformed id answered {response.status_code}"
    assert tams.get(f"/flows/{good_id}").status_code == 404, "stored under the lowercase id"
    assert tams.get(f"/flows/{bad_id}").status_code in (400, 404), "stored under the bad id"


@check(
    "flows.non-json-body-400",
    MUST,
    "PUT /flows/{flowId} 400",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}"),
)
def test_non_json_flow_body_is_refused_with_400(tams, factory):
    """MUST: a body that is not JSON answers 400 and nothing is created."""
    flow_id = new_id()
    factory.flows.append(flow_id)
    response = tams.request(
        "PUT", f"/flows/{flow_id}", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert tams.get(f"/flows/{flow_id}").status_code == 404


@check(
    "flows.unknown-id-404",
    MUST,
    "GET /flows/{flowId} 404",
    ops=("GET /flows/{flowId}", "HEAD /flows/{flowId}"),
)
def test_unknown_flow_id_answers_404(tams):
    """MUST: GET and HEAD of a flow id that does not exist answer 404."""
    flow_id = new_id()
    assert tams.get(f"/flows/{flow_id}").status_code == 404
    assert tams.head(f"/flows/{flow_id}").status_code == 404


@check(
    "flows.list-filter-source-id",
    MUST,
    "GET /flows source_id",
    ops=("GET /flows?source_id", "PUT /flows/{flowId}"),
)
def test_flows_listing_filtered_by_source_id_gives_exactly_its_flows(tams, factory):
    """MUST: /flows?source_id=S lists exactly the flows of S (two here), no other."""
    source_id = factory.source_id()
    video = factory.flow("video", source_id=source_id)
    other = factory.flow("video", source_id=source_id)
    factory.flow("video")
    listed = tams.get("/flows", params={"source_id": source_id}).json()
    assert sorted(f["id"] for f in listed) == sorted([video["id"], other["id"]])


@check(
    "flows.max-bit-rate",
    MUST,
    "PUT /flows/{flowId}/max_bit_rate 204, 400 (minimum 0)",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/max_bit_rate",
        "PUT /flows/{flowId}/max_bit_rate",
    ),
)
def test_max_bit_rate_accepts_positive_and_refuses_negative(tams, factory):
    """MUST: max_bit_rate 5000 is stored (204, GET 5000); -1 answers 400 and changes nothing."""
    flow = factory.flow()
    assert tams.put(f"/flows/{flow['id']}/max_bit_rate", 5000).status_code == 204
    assert tams.get(f"/flows/{flow['id']}/max_bit_rate").json() == 5000
    assert tams.put(f"/flows/{flow['id']}/max_bit_rate", -1).status_code == 400
    assert tams.get(f"/flows/{flow['id']}/max_bit_rate").json() == 5000


@check(
    "flows.client-timerange-ignored",
    MUST,
    "flow-common.json timerange: Service implementations MUST ignore this if given in a PUT (8.0)",
    since="8.0",
    ops=("GET /flows/{flowId}?include_timerange", "PUT /flows/{flowId}"),
)
def test_client_supplied_timerange_is_ignored(tams, factory):
    """MUST (8.0+): a `timerange` in the PUT body is ignored: a flow with no segments does not
    report the client's timerange."""
    flow = factory.flow(timerange="[0:0_100:0)")
    got = tams.get(f"/flows/{flow['id']}", params={"include_timerange": "true"}).json()
    assert got.get("timerange") in (None, "()"), (
        f"flow without segments reports the client's timerange {got.get('timerange')!r}"
    )
