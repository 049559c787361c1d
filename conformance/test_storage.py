"""Storage allocation: POST /flows/{flowId}/storage, its limits and its refusals.

Every refusal is checked for its state after: a refused request allocated nothing (the object
id it named can still be allocated) and left the flow as it was.
"""

from __future__ import annotations

from tams_conformance.fixtures.factory import new_id
from tams_conformance.levels import MUST, SHOULD, check


def storage(tams, flow_id, body=None):
    return tams.post(f"/flows/{flow_id}/storage", {} if body is None else body)


def assert_still_free(tams, flow_id, object_id):
    """The refused request allocated nothing: the id it named is still new to the service."""
    again = storage(tams, flow_id, {"object_ids": [object_id]})
    assert again.status_code == 201, (
        f"after the refusal, allocating {object_id} answered {again.status_code}: the refused "
        "request allocated it anyway"
    )


@check(
    "storage.allocate-limit",
    MUST,
    "POST /flows/{flowId}/storage 201; flow-storage-post.json limit; flow-storage.json",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_allocation_answers_201_with_at_most_limit_distinct_objects(tams, factory):
    """MUST: POST storage {"limit": 3} answers 201 with a body valid against flow-storage.json
    (the client validates it) holding 1 to 3 media objects with distinct object ids."""
    flow = factory.flow()
    response = storage(tams, flow["id"], {"limit": 3})
    assert response.status_code == 201, f"allocation answered {response.status_code}, not 201"
    ids = [item["object_id"] for item in response.json()["media_objects"]]
    assert 1 <= len(ids) <= 3, f"limit 3 gave {len(ids)} objects"
    assert len(set(ids)) == len(ids), f"duplicate object ids in one allocation: {ids}"


@check(
    "storage.new-ids-per-request",
    MUST,
    "flow-storage.json object_id; ADR-0011",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_two_allocations_never_share_an_object_id(tams, factory):
    """MUST: object ids identify objects in the store, so two allocations (on two flows) give
    disjoint sets of ids."""
    first = storage(tams, factory.flow()["id"], {"limit": 2})
    second = storage(tams, factory.flow()["id"], {"limit": 2})
    assert (first.status_code, second.status_code) == (201, 201)
    ids_a = {item["object_id"] for item in first.json()["media_objects"]}
    ids_b = {item["object_id"] for item in second.json()["media_objects"]}
    assert not ids_a & ids_b, f"object ids handed out twice: {sorted(ids_a & ids_b)}"


@check(
    "storage.object-ids-honoured",
    MUST,
    "flow-storage-post.json object_ids",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_requested_object_ids_are_allocated_exactly(tams, factory):
    """MUST: POST storage {"object_ids": [a, b]} with new ids answers 201 with exactly a and b."""
    flow = factory.flow()
    wanted = [new_id(), new_id()]
    response = storage(tams, flow["id"], {"object_ids": wanted})
    assert response.status_code == 201, f"allocation answered {response.status_code}, not 201"
    got = [item["object_id"] for item in response.json()["media_objects"]]
    assert sorted(got) == sorted(wanted), f"asked for {wanted}, got {got}"


@check(
    "storage.limit-with-object-ids-400",
    MUST,
    "flow-storage-post.json not allOf(limit, ids)",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_limit_together_with_object_ids_is_refused_with_400(tams, factory):
    """MUST: `limit` and `object_ids` together break the request schema: 400, and the named id
    is not allocated."""
    flow = factory.flow()
    object_id = new_id()
    response = storage(tams, flow["id"], {"limit": 1, "object_ids": [object_id]})
    assert response.status_code == 400, f"limit + object_ids answered {response.status_code}"
    assert_still_free(tams, flow["id"], object_id)


@check(
    "storage.existing-object-id-400",
    MUST,
    "flow-storage-post.json object_ids (must be new, else 400); POST storage 400",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/segments", "POST /flows/{flowId}/storage"),
)
def test_object_id_already_in_use_is_refused_with_400(tams, factory):
    """MUST: asking for an object id the service already holds (registered on a segment)
    answers 400, and the new id asked for alongside it is not allocated."""
    flow = factory.flow()
    existing = factory.segment(flow["id"], "[0:0_1:0)").object_id
    fresh = new_id()
    response = storage(tams, flow["id"], {"object_ids": [fresh, existing]})
    assert response.status_code == 400, f"an existing object id answered {response.status_code}"
    assert_still_free(tams, flow["id"], fresh)


@check(
    "storage.unknown-storage-id-400",
    MUST,
    "flow-storage-post.json storage_id (invalid: 400)",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage", "GET /service/storage-backends"),
)
def test_unknown_storage_id_is_refused_with_400(tams, factory):
    """MUST: a storage_id that /service/storage-backends does not list answers 400, and
    nothing is allocated."""
    flow = factory.flow()
    # The backend list's schema is service.storage-backends' business: only noted here.
    listed = tams.get("/service/storage-backends", validate=False).json()
    backends = {b.get("id") for b in listed if isinstance(b, dict)}
    storage_id = new_id()
    assert storage_id not in backends
    object_id = new_id()
    response = storage(tams, flow["id"], {"storage_id": storage_id, "object_ids": [object_id]})
    assert response.status_code == 400, f"unknown storage_id answered {response.status_code}"
    assert_still_free(tams, flow["id"], object_id)


@check(
    "storage.flow-without-container-400",
    MUST,
    "POST /flows/{flowId}/storage 400 (the Flow 'container' is not set)",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_flow_without_container_is_refused_with_400(tams, factory):
    """MUST: a flow with no `container` cannot say what to store: 400, the flow is unchanged
    and nothing is allocated."""
    flow = factory.flow(container=None)
    before = tams.get(f"/flows/{flow['id']}", validate=False).json()
    object_id = new_id()
    response = storage(tams, flow["id"], {"object_ids": [object_id]})
    assert response.status_code == 400, f"flow without container answered {response.status_code}"
    assert tams.get(f"/flows/{flow['id']}", validate=False).json() == before, (
        "the refused request changed it"
    )
    assert_still_free(tams, factory.flow()["id"], object_id)


@check(
    "storage.read-only-flow-403",
    SHOULD,
    "POST /flows/{flowId}/storage 403; flow-common.json read_only (services should reject)",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/read_only",
        "PUT /flows/{flowId}/read_only",
        "POST /flows/{flowId}/storage",
    ),
)
def test_read_only_flow_refuses_allocation_with_403(tams, factory):
    """SHOULD: allocating on a read_only flow answers 403 (the spec says services should reject
    it); the flow stays read_only and nothing is allocated."""
    flow = factory.flow()
    factory.set_read_only(flow["id"])
    object_id = new_id()
    response = storage(tams, flow["id"], {"object_ids": [object_id]})
    assert response.status_code == 403, f"read_only flow answered {response.status_code}"
    assert tams.get(f"/flows/{flow['id']}/read_only").json() is True
    assert_still_free(tams, factory.flow()["id"], object_id)


@check(
    "storage.unknown-flow-404",
    MUST,
    "POST /flows/{flowId}/storage 404",
    ops=("GET /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_unknown_flow_refuses_allocation_with_404(tams, factory):
    """MUST: allocating on a flow that does not exist answers 404 and creates no flow. The
    request is the plainest valid one ({"limit": 1}), so nothing but the missing flow can be
    the reason for a refusal."""
    flow_id = new_id()
    factory.flows.append(flow_id)
    response = storage(tams, flow_id, {"limit": 1})
    assert response.status_code == 404, (
        f"POST /flows/{{id}}/storage of a flow that does not exist answered "
        f"{response.status_code}, not 404"
    )
    assert tams.get(f"/flows/{flow_id}").status_code == 404, "the request created the flow"
