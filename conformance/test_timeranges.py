"""Timerange edges: exclusive starts, instants, never `()`, negative timestamps, invalid
strings answered 400 on every operation that takes a timerange, the flow's own timerange
(its `timerange` query, and shrinking after deletes), and the 202 body of a segments delete.

Timeranges are compared as mediatimestamp `TimeRange` values, never as strings.
"""

from __future__ import annotations

import time

import pytest
from mediatimestamp import TimeRange

from tams_conformance.fixtures.deleting import settle_delete
from tams_conformance.levels import MUST, check

GET_SEGMENTS = "GET /flows/{flowId}/segments"
DELETE_SEGMENTS = "DELETE /flows/{flowId}/segments"
GET_FLOW = "GET /flows/{flowId}"


def listed(tams, flow_id: str, params: dict | None = None) -> list[TimeRange]:
    response = tams.get(f"/flows/{flow_id}/segments", params=params)
    assert response.status_code == 200, f"GET segments {params} answered {response.status_code}"
    return [TimeRange.from_str(item["timerange"]) for item in response.json()]


def trs(*texts: str) -> list[TimeRange]:
    return [TimeRange.from_str(t) for t in texts]


def flow_timerange(tams, flow_id: str, params: dict | None = None) -> TimeRange | None:
    query = {"include_timerange": "true", **(params or {})}
    response = tams.get(f"/flows/{flow_id}", params=query)
    assert response.status_code == 200, f"GET /flows/{{id}} {query} answered {response.status_code}"
    got = response.json().get("timerange")
    return None if got is None else TimeRange.from_str(got)


# Three segments of a data flow (samples without duration may end inclusively):
# A = [0:0_1:0] ends inclusively at 1:0, B = [2:0_3:0) ends before 3:0, C = [3:0] an instant.
EDGES = ("[0:0_1:0]", "[2:0_3:0)", "[3:0]")
QUERIES = [
    # case                          query            listed
    ("exclusive-start-after-end",   "(1:0_2:0)",     ()),
    ("inclusive-start-at-end",      "[1:0_2:0)",     (0,)),
    ("inclusive-end-at-start",      "(1:0_2:0]",     (1,)),
    ("instant-at-inclusive-end",    "[1:0]",         (0,)),
    ("instant-at-exclusive-end",    "[3:0]",         (2,)),
    ("instant-inside",              "[2:500000000]", (1,)),
    ("exclusive-start-open-end",    "(3:0_",         ()),
    ("never",                       "()",            ()),
]  # fmt: skip


@pytest.fixture
def edges(factory) -> str:
    flow_id = factory.flow("data")["id"]
    for timerange in EDGES:
        factory.segment(flow_id, timerange)
    return flow_id


@pytest.mark.parametrize("query, indexes", [pytest.param(q, i, id=case) for case, q, i in QUERIES])
@check(
    "timeranges.clusivity-filter",
    MUST,
    "GET /flows/{flowId}/segments timerange (partially or wholly overlap); timerange.json: "
    "( ) exclusive, [ ] inclusive, [t] instantaneous, () never",
    since="8.1",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_timerange_filter_honours_exclusive_inclusive_and_instant_bounds(
    tams, edges, query, indexes
):
    """MUST (8.1+): on segments [0:0_1:0], [2:0_3:0), [3:0] each query lists exactly the
    segments it overlaps: an exclusive start `(1:0` does not touch an end `1:0]`, an
    instant `[3:0]` does not touch an exclusive end `3:0)`, and `()` lists nothing."""
    got = listed(tams, edges, {"timerange": query})

    assert got == [TimeRange.from_str(EDGES[i]) for i in indexes], (
        f"timerange={query} listed {[str(t) for t in got]}"
    )


@check(
    "timeranges.negative-timestamps",
    MUST,
    "timestamp.json: -?seconds:nanoseconds (negative timestamps are valid)",
    ops=(
        "GET /flows/{flowId}?include_timerange",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_segments_before_the_epoch_register_list_filter_and_span(tams, factory):
    """MUST: segments [-2:0_-1:0) and [-1:0_0:0) register, list in that order, filter with
    negative timeranges (-0:500000000 is -0.5 s, -1:500000000 is -1.5 s), and the flow spans
    [-2:0_0:0)."""
    flow_id = factory.flow()["id"]
    for timerange in ("[-1:0_0:0)", "[-2:0_-1:0)"):
        factory.segment(flow_id, timerange)

    assert listed(tams, flow_id) == trs("[-2:0_-1:0)", "[-1:0_0:0)")
    # The sign applies to the whole timestamp: -0:500000000 is half a second before 0:0.
    assert listed(tams, flow_id, {"timerange": "[-0:500000000_0:0)"}) == trs("[-1:0_0:0)")
    assert listed(tams, flow_id, {"timerange": "[-1:500000000_-1:0)"}) == trs("[-2:0_-1:0)")
    assert flow_timerange(tams, flow_id) == TimeRange.from_str("[-2:0_0:0)")


INVALID = [
    ("nanoseconds-over-999999999", "[0:0_1:1000000000)"),
    ("double-separator",           "[0:0__1:0)"),
    ("invalid-instant",            "1:1000000000"),
]  # fmt: skip
OPERATIONS = [
    ("get-flows", "GET", "/flows"),
    ("get-flow", "GET", "/flows/{id}"),
    ("get-segments", "GET", "/flows/{id}/segments"),
    ("head-segments", "HEAD", "/flows/{id}/segments"),
    ("delete-segments", "DELETE", "/flows/{id}/segments"),
]


@pytest.mark.parametrize(
    "method, path, value",
    [pytest.param(m, p, v, id=f"{op}-{case}") for op, m, p in OPERATIONS for case, v in INVALID],
)
@check(
    "timeranges.invalid-400",
    MUST,
    "400 Bad request. Invalid query options; timerange.json pattern (nanoseconds 0-999999999)",
    ops=(
        "GET /flows?timerange",
        "GET /flows/{flowId}?timerange",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "GET /flows/{flowId}/segments?timerange",
        "HEAD /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_an_invalid_timerange_is_400_everywhere(tams, factory, method, path, value):
    """MUST: a timerange the spec's pattern rejects (nanoseconds above 999999999, two
    separators) answers 400 on every operation taking one; a DELETE so refused deletes
    nothing."""
    flow_id = factory.flow()["id"]
    factory.segment(flow_id, "[0:0_1:0)")

    response = tams.request(method, path.format(id=flow_id), params={"timerange": value})

    assert response.status_code == 400, (
        f"{method} {path}?timerange={value} answered {response.status_code}"
    )
    assert listed(tams, flow_id) == trs("[0:0_1:0)"), "the refused request changed the segments"


@check(
    "timeranges.flow-timerange-query",
    MUST,
    "GET /flows/{flowId} timerange: limit the response's timerange to the Segments that "
    "overlap it (8.1)",
    since="8.1",
    ops=(
        "GET /flows/{flowId}?include_timerange&timerange",
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_flow_timerange_query_limits_it_to_the_overlapping_segments(tams, factory):
    """MUST (8.1+): on segments [0:0_1:0), [1:0_2:0), [2:0_3:0), GET /flows/{id} with
    include_timerange and timerange=[1:0_2:0) gives [1:0_2:0), and without it [0:0_3:0)."""
    flow_id = factory.flow()["id"]
    factory.segments(flow_id, 3)

    assert flow_timerange(tams, flow_id, {"timerange": "[1:0_2:0)"}) == TimeRange.from_str(
        "[1:0_2:0)"
    )
    assert flow_timerange(tams, flow_id) == TimeRange.from_str("[0:0_3:0)")


def settled_timerange(tams, target, flow_id: str, expected: TimeRange) -> TimeRange | None:
    """The flow's timerange, re-read until it is `expected` or settle_s has passed (a 204 may
    mean "will be deleted")."""
    deadline = time.monotonic() + target.timeouts.settle_s
    while True:
        got = flow_timerange(tams, flow_id)
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(target.timeouts.poll_interval_s)


@check(
    "timeranges.flow-timerange-shrinks",
    MUST,
    "flow-common.json timerange (managed by the service); DELETE /flows/{flowId}/segments",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "GET /flows/{flowId}?include_timerange",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_flow_timerange_shrinks_when_segments_are_deleted(tams, factory, target):
    """MUST: the flow's timerange follows its segments: [0:0_3:0) with three, [0:0_2:0)
    after deleting [2:0_3:0), [1:0_2:0) after deleting [0:0_1:0)."""
    flow_id = factory.flow()["id"]
    factory.segments(flow_id, 3)
    path = f"/flows/{flow_id}/segments"
    for deleted, left in (("[2:0_3:0)", "[0:0_2:0)"), ("[0:0_1:0)", "[1:0_2:0)")):
        settle_delete(tams, target, path, {"timerange": deleted})
        got = settled_timerange(tams, target, flow_id, TimeRange.from_str(left))
        assert got == TimeRange.from_str(left), (
            f"after deleting {deleted} the flow's timerange is {got}, not {left}"
        )


@check(
    "timeranges.delete-202-body",
    MUST,
    "DELETE /flows/{flowId}/segments 202: deletion-request.json (delete_flow false, "
    "timerange_to_delete)",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_accepted_segments_delete_describes_a_segments_request(tams, factory, target):
    """MUST: a segments DELETE answered 202 carries a flow-delete-request for this flow with
    delete_flow false and timerange_to_delete the range asked for, and its Location reads
    the same request. (A 204 has no body to judge: n/a.)"""
    flow_id = factory.flow()["id"]
    factory.segments(flow_id, 2)

    response = tams.delete(f"/flows/{flow_id}/segments", params={"timerange": "[1:0_2:0)"})

    if response.status_code == 204:
        pytest.skip("n/a: the target deleted at once (204)")
    assert response.status_code == 202, f"answered {response.status_code}, not 202 or 204"
    body = response.json()
    assert body.get("flow_id") == flow_id, f"the request names flow {body.get('flow_id')}"
    assert body.get("delete_flow") is False, f"delete_flow is {body.get('delete_flow')!r}"
    asked = TimeRange.from_str("[1:0_2:0)")
    assert TimeRange.from_str(body["timerange_to_delete"]) == asked, (
        f"timerange_to_delete {body['timerange_to_delete']}, not {asked}"
    )
    polled = tams.get(tams.resolve(response.headers["Location"]))
    assert polled.status_code == 200 and polled.json().get("id") == body.get("id")
