"""The `cascade` extension of vendor servers: DELETE /sources/{id} and `?cascade=` on sources,
flows and segments (vasttams-facts.md section 3; the bug report's Bug #1).

The matrix below is the bug report's table. Each check takes the rows of one expected outcome,
builds the row's graph, deletes once, and verifies the state after the call (fixtures/graph.py):
a refused delete changed nothing, a cascade removed everything below and only that, and no
orphan is left either way. The parameter's name, default and status codes come from the
target's cascade profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tams_conformance.fixtures.deleting import await_objects_gone, cascade_params, settle_delete
from tams_conformance.fixtures.factory import new_id
from tams_conformance.fixtures.graph import Graph, Snapshot, assert_state, flow_graph, shared_graph
from tams_conformance.levels import EXT, check

REFUSED = "conflict; source, flows, segments, objects unchanged"
CASCADED = "success; it and everything below gone, objects only they used gone, shared kept"
DELETED = "success; gone"
EMPTIED = "success; gone (404 on a target that removes a source with its last flow)"
MISSING = "404"
FORBIDDEN = "403; unchanged"
SHARED_SAFE = "conflict and unchanged, or success with the shared object intact"
INVALID = "the profile's invalid status; unchanged"
DEFAULT = "as the profile's default: cascades if true, conflict and unchanged if false"

CASCADE_MATRIX = [
    # entity     state                cascade   expected
    ("source",   "has-flows",         False,    REFUSED),
    ("source",   "has-flows",         True,     CASCADED),
    ("source",   "no-flows",          False,    EMPTIED),
    ("source",   "missing",           False,    MISSING),
    ("source",   "missing",           True,     MISSING),
    ("flow",     "has-segments",      False,    REFUSED),
    ("flow",     "has-segments",      True,     CASCADED),
    ("flow",     "no-segments",       False,    DELETED),
    ("flow",     "missing",           False,    MISSING),
    ("flow",     "missing",           True,     MISSING),
    ("flow",     "read-only",         False,    FORBIDDEN),
    ("flow",     "read-only",         True,     FORBIDDEN),
    ("segments", "object-shared",     False,    SHARED_SAFE),
    ("segments", "objects-unshared",  None,     CASCADED),
    ("segments", "flow-missing",      False,    MISSING),
    ("segments", "flow-missing",      True,     MISSING),
    ("source",   "has-flows",         "maybe",  INVALID),
    ("flow",     "has-segments",      "maybe",  INVALID),
    ("segments", "object-shared",     "maybe",  INVALID),
    ("source",   "has-flows",         None,     DEFAULT),
    ("flow",     "has-segments",      None,     DEFAULT),
]  # fmt: skip

MISSING_PATHS = {"source": "/sources/{}", "flow": "/flows/{}", "segments": "/flows/{}/segments"}
SPEC = "cascade profile (vasttams DELETE /sources, /flows, /flows/{id}/segments ?cascade=)"


def rows(expected: str) -> list:
    """The matrix rows with this expected outcome, as parameters with readable ids."""
    return [
        pytest.param(entity, state, cascade, id=f"{entity}-{state}-cascade-{str(cascade).lower()}")
        for entity, state, cascade, outcome in CASCADE_MATRIX
        if outcome == expected
    ]


@dataclass
class Scene:
    """A row's graph, the path its DELETE goes to, and the graph expected if it succeeds."""

    graph: Graph
    path: str
    if_deleted: Graph


def arrange(factory, entity: str, state: str) -> Scene:
    """Build the graph of a matrix row (see shared_graph and flow_graph for the shapes)."""
    if state == "objects-unshared":
        g = flow_graph(factory, segments=3)
    else:
        g = shared_graph(factory, read_only=state == "read-only")
    if entity == "source":
        return Scene(g, f"/sources/{g['source']}", g.without(sources=[g["source"]]))
    if entity == "flow":
        victim = g["empty_flow"] if state == "no-segments" else g["flow"]
        return Scene(g, f"/flows/{victim}", g.without(flows=[victim]))
    return Scene(g, f"/flows/{g['flow']}/segments", g.without(segments=g.segments[g["flow"]]))


def succeeded(target, status: int) -> bool:
    """A cascade delete succeeds with the profile's codes, or with the spec's 202."""
    return status in target.cascade.success or status == 202


@pytest.mark.parametrize("entity, state, cascade", rows(REFUSED))
@check(
    "deletion.cascade-refused",
    EXT,
    SPEC + ": dependents and cascade=false -> conflict",
    profile="cascade",
    ops=(
        "DELETE /flows/{flowId}?cascade",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_with_dependents_and_cascade_false_is_refused_and_changes_nothing(
    tams, target, factory, entity, state, cascade
):
    """EXT: a source with flows, or a flow with segments, deleted with cascade=false answers
    the profile's conflict status (409), and the source, its flows (also the one without
    segments), segments, objects and media are all unchanged."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = tams.delete(scene.path, params=cascade_params(target, cascade))

    assert response.status_code == target.cascade.conflict, (
        f"DELETE {entity} with dependents and cascade=false answered {response.status_code}, "
        f"not {target.cascade.conflict}"
    )
    assert_state(tams, before, scene.graph)


@pytest.mark.parametrize("entity, state, cascade", rows(CASCADED))
@check(
    "deletion.cascade-removes-below",
    EXT,
    SPEC + ": cascade -> everything below gone",
    profile="cascade",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}?cascade",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_cascading_delete_removes_everything_below_and_only_that(
    tams, target, factory, entity, state, cascade
):
    """EXT: cascade=true on a source (or on a flow), and the default on segments, succeeds;
    the entity and everything below it are gone, the objects only they used answer 404
    (within object_gc_s) with their media gone, and the object shared with another source's
    flow stays downloadable with referenced_by_flows updated; nothing else changes."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = settle_delete(tams, target, scene.path, cascade_params(target, cascade))

    assert succeeded(target, response.status_code), (
        f"cascade delete answered {response.status_code}"
    )
    assert_state(tams, before, scene.if_deleted, settle=target.timeouts)
    timeouts = target.timeouts
    garbage = scene.if_deleted.garbage()
    await_objects_gone(tams, before, garbage, timeouts.object_gc_s, timeouts.poll_interval_s)


@pytest.mark.parametrize("entity, state, cascade", rows(DELETED))
@check(
    "deletion.cascade-no-dependents",
    EXT,
    SPEC + ": no dependents -> success",
    profile="cascade",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}?cascade",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_without_dependents_and_cascade_false_succeeds_and_removes_it(
    tams, target, factory, entity, state, cascade
):
    """EXT: a flow without segments deleted with cascade=false succeeds and is gone; its
    source, sibling flow and everything else are untouched."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = settle_delete(tams, target, scene.path, cascade_params(target, cascade))

    assert succeeded(target, response.status_code), f"DELETE answered {response.status_code}"
    assert_state(tams, before, scene.if_deleted, settle=target.timeouts)


@pytest.mark.parametrize("entity, state, cascade", rows(EMPTIED))
@check(
    "deletion.cascade-source-without-flows",
    EXT,
    SPEC + ": source without flows -> success",
    profile="cascade",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_of_a_source_without_flows_succeeds_or_finds_it_already_gone(
    tams, target, factory, entity, state, cascade
):
    """EXT: a source whose only flow was deleted, deleted with cascade=false, succeeds and then
    answers 404. A target that removes a source with its last flow (the spec's SHOULD) has no
    such source: there the delete must answer 404."""
    flow = factory.flow()
    settle_delete(tams, target, f"/flows/{flow['id']}")
    path = f"/sources/{flow['source_id']}"
    still_there = tams.get(path).status_code == 200

    response = settle_delete(tams, target, path, cascade_params(target, cascade))

    if still_there:
        assert succeeded(target, response.status_code), f"DELETE answered {response.status_code}"
        after = tams.get(path).status_code
        assert after == 404, (
            f"DELETE {path} answered {response.status_code} but the source then answers {after}, "
            "not 404: the source outlived its delete"
        )
    else:
        assert response.status_code == 404, f"a gone source answered {response.status_code}"


@pytest.mark.parametrize("entity, state, cascade", rows(MISSING))
@check(
    "deletion.cascade-missing-404",
    EXT,
    SPEC + ": missing -> 404",
    profile="cascade",
    ops=("DELETE /flows/{flowId}?cascade", "DELETE /flows/{flowId}/segments?cascade"),
)
def test_delete_of_a_missing_entity_answers_404_whatever_the_cascade(
    tams, target, entity, state, cascade
):
    """EXT: DELETE of a source or flow that does not exist, or of the segments of a flow that
    does not exist, answers 404 with cascade true or false."""
    path = MISSING_PATHS[entity].format(new_id())

    response = tams.delete(path, params=cascade_params(target, cascade))

    assert response.status_code == 404, (
        f"DELETE of a missing {entity} answered {response.status_code}"
    )


@pytest.mark.parametrize("entity, state, cascade", rows(FORBIDDEN))
@check(
    "deletion.cascade-read-only-403",
    EXT,
    SPEC + ": read_only flow -> 403",
    profile="cascade",
    ops=(
        "DELETE /flows/{flowId}?cascade",
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
def test_delete_of_a_read_only_flow_is_forbidden_and_changes_nothing(
    tams, target, factory, entity, state, cascade
):
    """EXT: deleting a read-only flow with segments answers 403 with cascade true or false,
    and nothing changes."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = tams.delete(scene.path, params=cascade_params(target, cascade))

    assert response.status_code == 403, (
        f"DELETE of a read-only flow answered {response.status_code}"
    )
    assert_state(tams, before, scene.graph)


@pytest.mark.parametrize("entity, state, cascade", rows(SHARED_SAFE))
@check(
    "deletion.cascade-shared-object-safe",
    EXT,
    SPEC + ": segments whose object another flow uses -> conflict, or deleted sparing the object",
    profile="cascade",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?cascade",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_delete_segments_sharing_an_object_never_removes_another_flows_media(
    tams, target, factory, entity, state, cascade
):
    """EXT: deleting with cascade=false the segments of a flow, one of whose objects another
    flow also uses, either answers the conflict status and changes nothing, or succeeds and
    leaves the other flow's segment and the shared object intact and downloadable."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = settle_delete(tams, target, scene.path, cascade_params(target, cascade))

    if response.status_code == target.cascade.conflict:
        assert_state(tams, before, scene.graph)
    else:
        assert succeeded(target, response.status_code), f"DELETE answered {response.status_code}"
        assert_state(tams, before, scene.if_deleted, settle=target.timeouts)


@pytest.mark.parametrize("entity, state, cascade", rows(INVALID))
@check(
    "deletion.cascade-invalid-value",
    EXT,
    SPEC + ": cascade=maybe -> invalid",
    profile="cascade",
    ops=(
        "DELETE /flows/{flowId}?cascade",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?cascade",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "GET /sources/{sourceId}",
    ),
)
def test_invalid_cascade_value_is_refused_and_changes_nothing(
    tams, target, factory, entity, state, cascade
):
    """EXT: a cascade value that is not a boolean (`maybe`) answers one of the profile's
    invalid statuses (400, or 422 for FastAPI servers) and nothing changes."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = tams.delete(scene.path, params=cascade_params(target, cascade))

    assert response.status_code in target.cascade.invalid, (
        f"cascade={cascade} answered {response.status_code}, not {list(target.cascade.invalid)}"
    )
    assert_state(tams, before, scene.graph)


@pytest.mark.parametrize("entity, state, cascade", rows(DEFAULT))
@check(
    "deletion.cascade-default",
    EXT,
    SPEC + ": no cascade parameter -> the profile's default",
    profile="cascade",
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
def test_delete_without_the_cascade_parameter_behaves_as_the_profile_default(
    tams, target, factory, entity, state, cascade
):
    """EXT: a source with flows, or a flow with segments, deleted without the parameter
    behaves as the profile's `cascade.default` says: true (vasttams) removes everything below
    like cascade=true, false refuses like cascade=false and changes nothing."""
    scene = arrange(factory, entity, state)
    before = Snapshot.of(tams, scene.graph)

    response = settle_delete(tams, target, scene.path)

    if target.cascade.default:
        assert succeeded(target, response.status_code), f"DELETE answered {response.status_code}"
        assert_state(tams, before, scene.if_deleted, settle=target.timeouts)
    else:
        assert response.status_code == target.cascade.conflict, (
            f"DELETE answered {response.status_code}, not {target.cascade.conflict}"
        )
        assert_state(tams, before, scene.graph)
