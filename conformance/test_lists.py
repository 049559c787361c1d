"""GET /flows filters: each one matches the kit's flows it should and no others, and an invalid
value is a 400. Every query carries the check's own marker tag, so other data on the target
(and other checks' flows) never enters a comparison."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tams_conformance.levels import MUST, check

PROBE = "list_probe"
LIST_OPS = ("GET /flows",)


def listed(tams: Any, marker: str, **params: Any) -> set[str]:
    """Ids of the marked flows GET /flows lists with ``params``, every page followed."""
    query = {f"tag.{PROBE}": marker, **params}
    seen: list[str] = []
    for page in tams.pages("/flows", query):
        assert page.status_code == 200, f"GET /flows?{params} answered {page.status_code}"
        seen.extend(flow["id"] for flow in page.json())
    assert len(seen) == len(set(seen)), f"GET /flows?{params} listed a flow twice"
    return set(seen)


@pytest.fixture
def catalogue(factory) -> dict[str, Any]:
    """Three flows under one marker: video V (1920x1080, h264, tags colour=red), audio A (aac,
    colour=blue) and data D (no label, no colour)."""
    marker = uuid.uuid4().hex
    tag = {PROBE: marker}
    video = factory.flow("video", label=f"lists {marker} v", tags={**tag, "colour": "red"})
    audio = factory.flow("audio", label=f"lists {marker} a", tags={**tag, "colour": "blue"})
    data = factory.flow("data", label=None, tags=tag)
    return {"marker": marker, "V": video, "A": audio, "D": data}


def ids(cat: dict[str, Any], *names: str) -> set[str]:
    return {cat[name]["id"] for name in names}


@check(
    "lists.flows-filter-format",
    MUST,
    "GET /flows format",
    ops=("GET /flows?format&tag.{name}", "PUT /flows/{flowId}"),
)
def test_format_filter_keeps_only_that_format(tams, catalogue):
    """MUST: format=video lists the video flow only, format=audio the audio flow only, and a
    format none of the flows has lists none of them."""
    marker = catalogue["marker"]
    assert listed(tams, marker, format="urn:x-nmos:format:video") == ids(catalogue, "V")
    assert listed(tams, marker, format="urn:x-nmos:format:audio") == ids(catalogue, "A")
    assert listed(tams, marker, format="urn:x-nmos:format:multi") == set()


@check(
    "lists.flows-filter-codec",
    MUST,
    "GET /flows codec",
    ops=("GET /flows?codec&tag.{name}", "PUT /flows/{flowId}"),
)
def test_codec_filter_keeps_only_that_codec(tams, catalogue):
    """MUST: codec=video/h264 lists the h264 flow only; a codec no flow has lists none."""
    marker = catalogue["marker"]
    assert listed(tams, marker, codec="video/h264") == ids(catalogue, "V")
    assert listed(tams, marker, codec="audio/aac") == ids(catalogue, "A")
    assert listed(tams, marker, codec="video/x-tams-conformance-none") == set()


@check(
    "lists.flows-filter-label",
    MUST,
    "GET /flows label",
    ops=("GET /flows?label&tag.{name}", "PUT /flows/{flowId}"),
)
def test_label_filter_keeps_only_that_label(tams, catalogue):
    """MUST: label=<V's label> lists V only; a label no flow has lists none."""
    marker = catalogue["marker"]
    assert listed(tams, marker, label=catalogue["V"]["label"]) == ids(catalogue, "V")
    assert listed(tams, marker, label=f"lists {marker} none") == set()


@check(
    "lists.flows-filter-frame-size",
    MUST,
    "GET /flows frame_width, frame_height",
    ops=("GET /flows?frame_height&frame_width&tag.{name}", "PUT /flows/{flowId}"),
)
def test_frame_size_filters_keep_only_that_size(tams, catalogue):
    """MUST: frame_width=1920 and frame_height=1080 list the 1920x1080 video flow only; another
    width or height lists none."""
    marker = catalogue["marker"]
    assert listed(tams, marker, frame_width=1920) == ids(catalogue, "V")
    assert listed(tams, marker, frame_height=1080) == ids(catalogue, "V")
    assert listed(tams, marker, frame_width=1280) == set()
    assert listed(tams, marker, frame_height=720) == set()


@check(
    "lists.flows-filter-tag-values",
    MUST,
    "GET /flows tag.{name}",
    ops=("GET /flows?tag.{name}", "PUT /flows/{flowId}"),
)
def test_tag_filter_matches_any_listed_value_and_no_partial_value(tams, catalogue):
    """MUST: tag.colour=red lists V; tag.colour=red,blue lists V and A (any of the values);
    tag.colour=green and the partial value tag.colour=re list none."""
    marker = catalogue["marker"]
    assert listed(tams, marker, **{"tag.colour": "red"}) == ids(catalogue, "V")
    assert listed(tams, marker, **{"tag.colour": "red,blue"}) == ids(catalogue, "V", "A")
    assert listed(tams, marker, **{"tag.colour": "green"}) == set()
    assert listed(tams, marker, **{"tag.colour": "re"}) == set(), "a partial value matched"


@check(
    "lists.flows-filter-tag-exists",
    MUST,
    "GET /flows tag_exists.{name}",
    ops=("GET /flows?tag.{name}&tag_exists.{name}", "PUT /flows/{flowId}"),
)
def test_tag_exists_filter_selects_presence_and_absence(tams, catalogue):
    """MUST: tag_exists.colour=true lists V and A; tag_exists.colour=false lists D."""
    marker = catalogue["marker"]
    assert listed(tams, marker, **{"tag_exists.colour": "true"}) == ids(catalogue, "V", "A")
    assert listed(tams, marker, **{"tag_exists.colour": "false"}) == ids(catalogue, "D")


@check(
    "lists.flows-filter-tag-array",
    MUST,
    "GET /flows tag.{name}: an array value matches when one element is listed",
    since="8.2",
    ops=("GET /flows?tag.{name}", "PUT /flows/{flowId}", "PUT /flows/{flowId}/tags/{name}"),
)
def test_tag_filter_matches_an_element_of_an_array_value(tams, catalogue):
    """MUST (8.2+): a flow whose tag is the array ["a", "b"] is listed by tag.multi=b and by
    tag.multi=x,a, not by tag.multi=c."""
    marker, flow_id = catalogue["marker"], catalogue["A"]["id"]
    assert tams.put(f"/flows/{flow_id}/tags/multi", ["a", "b"]).status_code == 204
    assert listed(tams, marker, **{"tag.multi": "b"}) == {flow_id}
    assert listed(tams, marker, **{"tag.multi": "x,a"}) == {flow_id}
    assert listed(tams, marker, **{"tag.multi": "c"}) == set()


@check(
    "lists.flows-filter-timerange",
    MUST,
    "GET /flows timerange: flows that overlap the given timerange",
    ops=(
        "GET /flows?tag.{name}&timerange",
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_timerange_filter_keeps_flows_with_content_there(tams, factory, catalogue):
    """MUST: with one segment [0:0_1:0) on V, timerange=[0:0_1:0) and [0:500000000_5:0) list V
    only, and [10:0_11:0) lists none of the flows."""
    marker = catalogue["marker"]
    factory.segment(catalogue["V"]["id"], "[0:0_1:0)")
    assert listed(tams, marker, timerange="[0:0_1:0)") == ids(catalogue, "V")
    assert listed(tams, marker, timerange="[0:500000000_5:0)") == ids(catalogue, "V")
    assert listed(tams, marker, timerange="[10:0_11:0)") == set()


@check(
    "lists.flows-filter-empty-timerange",
    MUST,
    "GET /flows timerange: an empty timerange returns Flows with no content; default _",
    since="8.0",
    ops=(
        "GET /flows?tag.{name}&timerange",
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_empty_timerange_lists_flows_without_content(tams, factory, catalogue):
    """MUST (8.0+): with a segment on V only, timerange=() lists A and D (no content) and
    timerange=_ lists all three."""
    marker = catalogue["marker"]
    factory.segment(catalogue["V"]["id"], "[0:0_1:0)")
    assert listed(tams, marker, timerange="()") == ids(catalogue, "A", "D")
    assert listed(tams, marker, timerange="_") == ids(catalogue, "V", "A", "D")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"frame_width": "wide"}, id="frame-width-not-integer"),
        pytest.param({"frame_height": "1.5"}, id="frame-height-not-integer"),
        pytest.param({"tag_exists.colour": "maybe"}, id="tag-exists-not-boolean"),
        pytest.param({"source_id": "not-a-uuid"}, id="source-id-not-uuid"),
        pytest.param({"format": "urn:x-nmos:format:smell"}, id="format-unknown"),
    ],
)
@check(
    "lists.flows-bad-query-400",
    MUST,
    "GET /flows 400 (invalid query options)",
    ops=("GET /flows?format&frame_height&frame_width&source_id&tag_exists.{name}",),
)
def test_invalid_filter_values_on_flows_answer_400(tams, params):
    """MUST: a filter value its schema refuses answers 400."""
    response = tams.get("/flows", params=params)
    assert response.status_code == 400, f"GET /flows?{params} answered {response.status_code}"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"reverse_order": "sideways"}, id="reverse-order-not-boolean"),
        pytest.param({"sort_by": "size"}, id="sort-by-unknown"),
        pytest.param({"status": "sleeping"}, id="status-unknown"),
        pytest.param({"init_segments": "maybe"}, id="init-segments-not-boolean"),
        pytest.param({"collected_by_ids": "not-a-uuid"}, id="collected-by-ids-not-uuids"),
        pytest.param({"profile_id": "not-a-uuid"}, id="profile-id-not-uuid"),
        pytest.param({"codec": "no-slash"}, id="codec-not-a-mime-type"),
    ],
)
@check(
    "lists.flows-bad-query-400-8.2",
    MUST,
    "GET /flows 400 (reverse_order, sort_by, status, init_segments, collected_by_ids, "
    "profile_id, codec)",
    since="8.2",
    ops=(
        "GET /flows?codec&collected_by_ids&init_segments&profile_id&reverse_order&sort_by&status",
    ),
)
def test_invalid_8_2_filter_values_on_flows_answer_400(tams, params):
    """MUST (8.2+): a value the 8.2 parameter schemas refuse answers 400."""
    response = tams.get("/flows", params=params)
    assert response.status_code == 400, f"GET /flows?{params} answered {response.status_code}"


@check(
    "lists.flows-filter-status",
    MUST,
    "GET /flows status",
    since="8.2",
    ops=("GET /flows?status&tag.{name}", "PUT /flows/{flowId}"),
)
def test_status_filter_keeps_only_that_status(tams, factory):
    """MUST (8.2+): status=ingesting lists the ingesting flow only; status=closed_complete the
    closed one only; replication_in_progress none."""
    marker = uuid.uuid4().hex
    ingesting = factory.flow(tags={PROBE: marker}, status="ingesting")["id"]
    closed = factory.flow(tags={PROBE: marker}, status="closed_complete")["id"]
    factory.flow(tags={PROBE: marker})
    assert listed(tams, marker, status="ingesting") == {ingesting}
    assert listed(tams, marker, status="closed_complete") == {closed}
    assert listed(tams, marker, status="replication_in_progress") == set()


@check(
    "lists.flows-filter-init-segments",
    MUST,
    "GET /flows init_segments (essence_parameters.init_segments; false when omitted)",
    since="8.2",
    ops=("GET /flows?init_segments&tag.{name}", "PUT /flows/{flowId}"),
)
def test_init_segments_filter_treats_omitted_as_false(tams, factory):
    """MUST (8.2+): init_segments=true lists the flow declaring init segments only;
    init_segments=false lists the flow that omits the property (assumed false)."""
    marker = uuid.uuid4().hex
    body = factory.flow_body("video")
    essence = {**body["essence_parameters"], "init_segments": True}
    with_init = factory.flow(tags={PROBE: marker}, essence_parameters=essence)["id"]
    without = factory.flow(tags={PROBE: marker})["id"]
    assert listed(tams, marker, init_segments="true") == {with_init}
    assert listed(tams, marker, init_segments="false") == {without}


@check(
    "lists.flows-filter-profile-id",
    MUST,
    "GET /flows profile_id",
    since="8.2",
    ops=("GET /flows?profile_id&tag.{name}", "PUT /flows/{flowId}"),
)
def test_profile_id_filter_of_an_unused_profile_lists_none(tams, catalogue):
    """MUST (8.2+): profile_id=<a profile none of the flows uses> lists none of them, while
    the same query without it lists all three."""
    marker = catalogue["marker"]
    assert listed(tams, marker) == ids(catalogue, "V", "A", "D")
    assert listed(tams, marker, profile_id=str(uuid.uuid4())) == set()
