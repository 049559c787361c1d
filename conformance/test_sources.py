"""Sources: read access, metadata round trips, unknown ids."""

from __future__ import annotations

import uuid

import pytest

from tams_conformance.fixtures.factory import new_id
from tams_conformance.levels import MUST, check


@check(
    "sources.get-valid",
    MUST,
    "GET /sources/{sourceId} 200; schemas/source.json",
    ops=("PUT /flows/{flowId}", "GET /sources/{sourceId}"),
)
def test_source_of_a_flow_answers_200_with_id_and_format(tams, factory):
    """MUST: the source a flow names can be read back, with its id and format."""
    flow = factory.flow("video")
    response = tams.get(f"/sources/{flow['source_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == flow["source_id"]
    assert body["format"] == flow["format"]


@check(
    "sources.tags-round-trip",
    MUST,
    "PUT/GET/DELETE /sources/{sourceId}/tags/{name}; GET /sources tag.{name}",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?tag.{name}",
        "GET /sources/{sourceId}/tags",
        "DELETE /sources/{sourceId}/tags/{name}",
        "GET /sources/{sourceId}/tags/{name}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_source_tag_put_get_filter_delete_round_trip(tams, factory):
    """MUST: a source tag PUT (204) is returned, found by the tag filter, and gone after DELETE
    (204, then GET 404)."""
    source_id = factory.flow()["source_id"]
    name, value = "conformance_probe", uuid.uuid4().hex
    assert tams.put(f"/sources/{source_id}/tags/{name}", value).status_code == 204
    assert tams.get(f"/sources/{source_id}/tags/{name}").json() == value
    assert tams.get(f"/sources/{source_id}/tags").json().get(name) == value
    listed = tams.get("/sources", params={f"tag.{name}": value}).json()
    assert [s["id"] for s in listed] == [source_id], "tag filter did not find exactly the source"
    assert tams.delete(f"/sources/{source_id}/tags/{name}").status_code == 204
    assert tams.get(f"/sources/{source_id}/tags/{name}").status_code == 404


@pytest.mark.parametrize("field", ["label", "description"])
@check(
    "sources.label-description-round-trip",
    MUST,
    "PUT/GET/DELETE /sources/{sourceId}/label, /description",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources/{sourceId}",
        "DELETE /sources/{sourceId}/description",
        "GET /sources/{sourceId}/description",
        "PUT /sources/{sourceId}/description",
        "DELETE /sources/{sourceId}/label",
        "GET /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/label",
    ),
)
def test_source_label_and_description_round_trip(tams, factory, field):
    """MUST: PUT a JSON string (204), GET returns it and the source shows it, DELETE (204)
    removes it."""
    source_id = factory.flow()["source_id"]
    text = f"{field} {uuid.uuid4().hex}"
    assert tams.put(f"/sources/{source_id}/{field}", text).status_code == 204
    assert tams.get(f"/sources/{source_id}/{field}").json() == text
    assert tams.get(f"/sources/{source_id}").json()[field] == text
    assert tams.delete(f"/sources/{source_id}/{field}").status_code == 204
    assert field not in tams.get(f"/sources/{source_id}").json()


@check(
    "sources.unknown-id-404",
    MUST,
    "GET /sources/{sourceId} 404",
    ops=("GET /sources/{sourceId}", "HEAD /sources/{sourceId}"),
)
def test_unknown_source_id_answers_404(tams):
    """MUST: GET and HEAD of a source id that does not exist answer 404."""
    source_id = new_id()
    assert tams.get(f"/sources/{source_id}").status_code == 404
    assert tams.head(f"/sources/{source_id}").status_code == 404


@check(
    "sources.list-filter-format",
    MUST,
    "GET /sources format",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?format&tag.{name}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_listing_filtered_by_format_holds_only_that_format(tams, factory):
    """MUST: /sources?format=audio lists the audio source made here and no other format
    (among the sources tagged for this check, so a large store is not paged through)."""
    marker = uuid.uuid4().hex
    audio, video = factory.flow("audio"), factory.flow("video")
    for flow in (audio, video):
        assert (
            tams.put(f"/sources/{flow['source_id']}/tags/format_probe", marker).status_code == 204
        )
    params = {"format": audio["format"], "tag.format_probe": marker}
    listed = [s for page in tams.pages("/sources", params) for s in page.json()]
    assert [s["id"] for s in listed] == [audio["source_id"]], "format filter is wrong"


@pytest.mark.parametrize("name", ["label", "description", "tags", "tags/probe"])
@check(
    "sources.sub-resource-unknown-source-404",
    MUST,
    "GET/PUT/DELETE /sources/{sourceId}/label, /description, /tags, /tags/{name}: 404 The "
    "requested Source does not exist",
    ops=(
        "GET /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/label",
        "DELETE /sources/{sourceId}/label",
        "GET /sources/{sourceId}/description",
        "PUT /sources/{sourceId}/description",
        "DELETE /sources/{sourceId}/description",
        "GET /sources/{sourceId}/tags",
        "GET /sources/{sourceId}/tags/{name}",
        "PUT /sources/{sourceId}/tags/{name}",
        "DELETE /sources/{sourceId}/tags/{name}",
        "GET /sources/{sourceId}",
    ),
)
def test_sub_resources_of_an_unknown_source_answer_404(tams, factory, name):
    """MUST: GET, PUT (a valid string) and DELETE of a sub-resource of a source that does not
    exist answer 404, and no source appears."""
    source_id = factory.source_id()
    path = f"/sources/{source_id}/{name}"
    methods = ("GET",) if name == "tags" else ("GET", "PUT", "DELETE")
    for method in methods:
        body = {"json_body": "probe"} if method == "PUT" else {}
        status = tams.request(method, path, **body).status_code
        assert status == 404, f"{method} {path} of an unknown source answered {status}"
    assert tams.get(f"/sources/{source_id}").status_code == 404, "a sub-resource PUT made it"
