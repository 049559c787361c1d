"""Deletion in the official spec: DELETE /flows/{id}, its sources, and flow-delete-requests.

Every check builds its own graph through the factory, snapshots it, deletes, and verifies the
state after the call (fixtures/graph.py): what must be gone is gone, what must stay is
unchanged, nothing is orphaned. A 202 is followed to the end of its flow-delete-request.
The segment deletes are in test_deletion_spec_segments.py, the vendor extension in
test_deletion_cascade*.py.
"""

from __future__ import annotations

import time

import pytest

from tams_conformance.fixtures.deleting import await_objects_gone, settle_delete
from tams_conformance.fixtures.factory import await_deletion, new_id
from tams_conformance.fixtures.graph import Snapshot, assert_state, flow_graph, shared_graph
from tams_conformance.levels import MUST, SHOULD, check, unsupported

SPEC_FLOW_DELETE = "DELETE /flows/{flowId} 204, 202 (the Flow and its Segments are deleted)"


@check(
    "deletion.flow-with-segments",
    MUST,
    SPEC_FLOW_DELETE + "; Objects referenced in other Flows will not be deleted (SHALL, 8.2)",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_flow_removes_it_and_its_segments_and_keeps_shared_objects(tams, target, factory):
    """MUST: deleting a flow with segments (one object shared with a flow of another source)
    answers 204, or 202 whose request reaches done; then the flow is 404, its segments list is
    empty, the shared object stays downloadable with referenced_by_flows = the other flow, the
    sibling flow, the other source and their segments are unchanged, and nothing is orphaned."""
    g = shared_graph(factory)
    before = Snapshot.of(tams, g)

    response = settle_delete(tams, target, f"/flows/{g['flow']}")

    assert response.status_code in (204, 202), f"DELETE answered {response.status_code}"
    assert_state(tams, before, g.without(flows=[g["flow"]]), settle=target.timeouts)


@check(
    "deletion.flow-objects-collected",
    SHOULD,
    "DELETE /flows/{flowId} 204: Objects no longer referenced by any Segments will be deleted "
    "(8.0); ADR-0044 (garbage collection should happen immediately)",
    since="8.0",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_flow_garbage_collects_the_objects_only_it_used(tams, target, factory):
    """SHOULD (8.0+): after a flow is deleted, each object only its segments used answers 404
    (within the target's object_gc_s) and its media no longer downloads."""
    g = shared_graph(factory)
    before = Snapshot.of(tams, g)

    settle_delete(tams, target, f"/flows/{g['flow']}")

    garbage = g.without(flows=[g["flow"]]).garbage()
    timeouts = target.timeouts
    await_objects_gone(tams, before, garbage, timeouts.object_gc_s, timeouts.poll_interval_s)


@check(
    "deletion.flow-answers-204-or-202",
    MUST,
    "DELETE /flows/{flowId} 204, 202 + Location; schemas/deletion-request.json; "
    "GET /flow-delete-requests",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_flow_answers_204_or_a_202_whose_request_reaches_done(tams, target, factory):
    """MUST: DELETE of a flow with segments answers 204, or 202 with a deletion-request body
    (flow_id, delete_flow true) and a Location (relative or absolute) that resolves to the same
    request and reaches `done`; then the flow and its segments are gone and nothing else
    changed. (The listing "may not list all" requests, so it is not required to show this one.)"""
    g = flow_graph(factory, segments=2)
    flow_id = g["flow"]
    before = Snapshot.of(tams, g)

    response = tams.delete(f"/flows/{flow_id}")

    assert response.status_code in (204, 202), f"DELETE answered {response.status_code}"
    if response.status_code == 202:
        assert "json" in response.headers.get("Content-Type", ""), "202 without a JSON body"
        accepted = response.json()
        assert (accepted["flow_id"], accepted["delete_flow"]) == (flow_id, True)
        timeouts = target.timeouts
        final = await_deletion(tams, response, timeouts.async_delete_s, timeouts.poll_interval_s)
        assert final["id"] == accepted["id"], "the Location names another request"
        assert final["status"] == "done", f"request ended '{final['status']}': {final.get('error')}"
    assert_state(tams, before, g.without(flows=[flow_id]), settle=target.timeouts)


@check(
    "deletion.delete-requests-listing",
    MUST,
    "GET /flow-delete-requests 200 (array of deletion-request.json); "
    "GET /flow-delete-requests/{request-id} 404",
    ops=("GET /flow-delete-requests?limit", "GET /flow-delete-requests/{request-id}"),
)
def test_flow_delete_requests_list_is_valid_and_unknown_request_is_404(tams):
    """MUST: GET /flow-delete-requests answers 200 with an array of valid deletion requests
    (its first page; the client validates each against the schema), and GET of an unknown
    request id answers 404. Credentials without the admin scope the listing may need (AppNote
    0016) make the check unsupported, not failed."""
    response = tams.get("/flow-delete-requests", params={"limit": 10})
    if response.status_code == 403:
        unsupported("these credentials may not list delete requests (admin scope, AppNote 0016)")
    assert response.status_code == 200, f"listing answered {response.status_code}"
    assert isinstance(response.json(), list), "the listing is not a JSON array"
    assert tams.get(f"/flow-delete-requests/{new_id()}").status_code == 404


@pytest.mark.parametrize("case", ["never-existed", "already-deleted"])
@check(
    "deletion.flow-missing-404",
    MUST,
    "DELETE /flows/{flowId} 404",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_delete_of_a_missing_flow_answers_404(tams, target, factory, case):
    """MUST: DELETE of a flow id that never existed, or of a flow already deleted (the delete
    repeated), answers 404."""
    flow_id = new_id()
    if case == "already-deleted":
        flow_id = flow_graph(factory, segments=1)["flow"]
        settle_delete(tams, target, f"/flows/{flow_id}")

    response = tams.delete(f"/flows/{flow_id}")

    assert response.status_code == 404, f"DELETE of a missing flow answered {response.status_code}"


@check(
    "deletion.flow-read-only-403",
    SHOULD,
    "flow-common.json read_only: services should reject requests to delete the Flow; "
    "DELETE /flows/{flowId} 403",
    ops=(
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/read_only",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_of_a_read_only_flow_is_refused_with_403_and_changes_nothing(tams, factory):
    """SHOULD: DELETE of a read-only flow with segments answers 403, and the flow, its
    segments, its objects and their media are unchanged."""
    g = shared_graph(factory, read_only=True)
    before = Snapshot.of(tams, g)

    response = tams.delete(f"/flows/{g['flow']}")

    assert response.status_code == 403, (
        f"DELETE of a read-only flow answered {response.status_code}"
    )
    assert_state(tams, before, g)


@check(
    "deletion.source-kept-while-used",
    MUST,
    "DELETE /flows/{flowId} 204: the Flow and its Segments are deleted (nothing else); "
    "GET /flows source_id; ADR-0018 (sources go with their last flow, not before)",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "GET /flows?source_id",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_deleting_one_flow_keeps_the_source_its_sibling_still_uses(tams, target, factory):
    """MUST: deleting one of a source's two flows leaves the source (200, unchanged) and
    GET /flows?source_id= lists exactly the remaining flow."""
    g = shared_graph(factory)
    before = Snapshot.of(tams, g)

    settle_delete(tams, target, f"/flows/{g['empty_flow']}")

    assert_state(tams, before, g.without(flows=[g["empty_flow"]]), settle=target.timeouts)
    listed = [
        f["id"] for page in tams.pages("/flows", {"source_id": g["source"]}) for f in page.json()
    ]
    assert listed == [g["flow"]], f"/flows?source_id= lists {listed}, expected [{g['flow']}]"


@check(
    "deletion.source-goes-with-last-flow",
    SHOULD,
    "ADR-0018: sources are deleted implicitly once all their flows are (sources/deleted event)",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /sources/{sourceId}",
    ),
)
def test_deleting_the_last_flow_of_a_source_removes_the_source(tams, target, factory):
    """SHOULD: once the only flow of a source is deleted, the source answers 404 (within the
    target's object_gc_s)."""
    g = flow_graph(factory, segments=1)

    settle_delete(tams, target, f"/flows/{g['flow']}")

    deadline = time.monotonic() + target.timeouts.object_gc_s
    while (status := tams.get(f"/sources/{g['source']}").status_code) != 404:
        if time.monotonic() >= deadline:
            break
        time.sleep(target.timeouts.poll_interval_s)
    assert status == 404, f"the source of a deleted last flow still answers {status}"


@check(
    "deletion.source-delete-not-in-spec",
    MUST,
    "no DELETE operation on /sources/{sourceId} in any version (extension: cascade profile)",
)
def test_delete_source_without_the_extension_is_refused_and_changes_nothing(tams, target, factory):
    """MUST (targets without the cascade extension): DELETE /sources/{id} answers a 4xx and
    the source, its flows, segments and objects are unchanged."""
    if target.claims("cascade"):
        pytest.skip("n/a: the target claims the cascade extension, which defines DELETE /sources")
    g = shared_graph(factory)
    before = Snapshot.of(tams, g)

    response = tams.delete(f"/sources/{g['source']}")

    assert 400 <= response.status_code < 500, f"DELETE /sources answered {response.status_code}"
    assert_state(tams, before, g)
