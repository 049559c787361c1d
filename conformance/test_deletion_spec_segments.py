"""Deletion in the official spec: DELETE /flows/{id}/segments, by timerange and by object.

Only segments completely covered by the timerange go; the flow stays; objects still used by
another segment (of this or another flow) stay downloadable; a refused delete changes nothing.
Each check verifies the state after the call against the model of fixtures/graph.py.
"""

from __future__ import annotations

import pytest

from tams_conformance.fixtures.deleting import settle_delete
from tams_conformance.fixtures.factory import new_id
from tams_conformance.fixtures.graph import Snapshot, assert_state, flow_graph, shared_graph
from tams_conformance.levels import MUST, SHOULD, check

SPEC_SEGMENTS_DELETE = "DELETE /flows/{flowId}/segments 204, 202"

# The flow has segments [0:0_1:0), [1:0_2:0), [2:0_3:0): indexes 0, 1, 2.
COVERAGE = [
    # case                        timerange query         indexes deleted
    ("third-partly-covered",      "[0:0_2:500000000)",    {0, 1}),
    ("first-partly-covered",      "[0:500000000_3:0)",    {1, 2}),
    ("exactly-one",               "[1:0_2:0)",            {1}),
    ("covers-none",               "[5:0_6:0)",            set()),
    ("everything",                "_",                    {0, 1, 2}),
    ("no-timerange-is-everything", None,                  {0, 1, 2}),
]  # fmt: skip


@pytest.mark.parametrize(
    "timerange, deleted", [pytest.param(tr, gone, id=case) for case, tr, gone in COVERAGE]
)
@check(
    "deletion.segments-timerange-coverage",
    MUST,
    SPEC_SEGMENTS_DELETE + "; timerange: only Segments completely covered are deleted "
    "(default _); the Flow remains",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_segments_removes_only_those_the_timerange_completely_covers(
    tams, target, factory, timerange, deleted
):
    """MUST: DELETE /flows/{id}/segments?timerange=T removes exactly the segments T covers
    completely; partly covered ones stay, the flow stays unchanged, the other flow's segments
    and every remaining object are untouched and downloadable."""
    g = flow_graph(factory, segments=3)
    before = Snapshot.of(tams, g)
    params = {} if timerange is None else {"timerange": timerange}

    response = settle_delete(tams, target, f"/flows/{g['flow']}/segments", params)

    assert response.status_code in (204, 202), f"DELETE answered {response.status_code}"
    gone = [s for i, s in enumerate(g.segments[g["flow"]]) if i in deleted]
    assert_state(tams, before, g.without(segments=gone), settle=target.timeouts)


@check(
    "deletion.segments-object-id",
    MUST,
    SPEC_SEGMENTS_DELETE + "; object_id: only Segments referencing the Object are deleted",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?object_id",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_segments_by_object_id_removes_only_that_objects_segments_of_that_flow(
    tams, target, factory
):
    """MUST: DELETE /flows/{id}/segments?object_id=X removes the flow's segment using X and
    nothing else: the flow's other segments stay, and the other flow's segment using X stays
    with X downloadable and referenced_by_flows = the other flow."""
    g = shared_graph(factory)
    before = Snapshot.of(tams, g)
    using_x = [s for s in g.segments[g["flow"]] if s.object_id == g["shared_object"]]

    response = settle_delete(
        tams, target, f"/flows/{g['flow']}/segments", {"object_id": g["shared_object"]}
    )

    assert response.status_code in (204, 202), f"DELETE answered {response.status_code}"
    assert_state(tams, before, g.without(segments=using_x), settle=target.timeouts)


REFUSALS = [
    # case              flow                 query                        status
    ("bad-timerange",   "flow",              {"timerange": "not-a-range"}, 400),
    ("unknown-flow",    None,                {},                           404),
]  # fmt: skip


@pytest.mark.parametrize(
    "flow_role, params, status",
    [pytest.param(role, query, code, id=case) for case, role, query, code in REFUSALS],
)
@check(
    "deletion.segments-refused",
    MUST,
    "DELETE /flows/{flowId}/segments 400, 404",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_refused_segment_delete_answers_its_status_and_changes_nothing(
    tams, factory, flow_role, params, status
):
    """MUST: DELETE /flows/{id}/segments with an invalid timerange answers 400, and on a flow
    that does not exist 404; either way every flow, segment and object stays as it was."""
    g = flow_graph(factory, segments=2)
    before = Snapshot.of(tams, g)
    flow_id = g[flow_role] if flow_role else new_id()

    response = tams.delete(f"/flows/{flow_id}/segments", params=params)

    assert response.status_code == status, f"answered {response.status_code}, not {status}"
    assert_state(tams, before, g)


@check(
    "deletion.segments-read-only-403",
    SHOULD,
    "flow-common.json read_only: services SHOULD reject requests to update Flow Segments; "
    "DELETE /flows/{flowId}/segments 403",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/read_only",
        "DELETE /flows/{flowId}/segments",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_segment_delete_on_a_read_only_flow_is_refused_with_403_and_changes_nothing(tams, factory):
    """SHOULD: DELETE /flows/{id}/segments on a read-only flow answers 403 and its segments,
    objects and media are unchanged."""
    g = shared_graph(factory, read_only=True)
    before = Snapshot.of(tams, g)

    response = tams.delete(f"/flows/{g['flow']}/segments")

    assert response.status_code == 403, f"DELETE answered {response.status_code}, not 403"
    assert_state(tams, before, g)
