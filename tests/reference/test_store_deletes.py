"""The deletion rules of the model, without HTTP: what goes, what stays, what a refusal keeps."""

from __future__ import annotations

import pytest
from mediatimestamp import TimeRange

from tams_reference import S3Settings, ServerConfig
from tams_reference.errors import Conflict, Forbidden, NotFound
from tams_reference.store import Store
from tests.reference.refkit import FakeMedia, video_flow

EVERYTHING = TimeRange.eternity()


def test_flow_delete_takes_segments_and_lone_objects_and_keeps_shared_ones(world):
    w = world()
    a = w.flow()
    b = w.flow(source_id=w.store.get_flow(a)["source_id"])
    lone, shared = w.segments(a, 2)
    w.share(shared, b, "[5:0_6:0)")

    w.store.delete_flow(a)

    with pytest.raises(NotFound):
        w.store.get_flow(a)
    with pytest.raises(NotFound):
        w.store.get_object(lone)
    assert w.media.deleted == [lone]
    assert w.store.get_object(shared)["referenced_by_flows"] == [b]
    assert "first_referenced_by_flow" not in w.store.get_object(shared)
    assert w.store.get_source(w.store.get_flow(b)["source_id"])  # b still holds the source
    assert w.orphans() == {}


def test_the_source_goes_with_its_last_flow(world):
    w = world()
    a = w.flow()
    source_id = w.store.get_flow(a)["source_id"]
    w.segments(a, 1)
    w.store.delete_flow(a)
    with pytest.raises(NotFound):
        w.store.get_source(source_id)


def test_flow_delete_without_cascade_is_refused_when_it_has_segments_and_changes_nothing(world):
    w = world()
    a = w.flow()
    w.segments(a, 2)
    before = w.snapshot()
    with pytest.raises(Conflict):
        w.store.delete_flow(a, cascade=False)
    assert w.snapshot() == before


def test_flow_delete_without_cascade_succeeds_when_it_has_no_segments(world):
    w = world()
    a = w.flow()
    w.store.delete_flow(a, cascade=False)
    with pytest.raises(NotFound):
        w.store.get_flow(a)


def test_segments_delete_removes_only_completely_covered_segments(world):
    w = world()
    a = w.flow()
    w.segments(a, 3)
    w.store.delete_segments(a, TimeRange.from_str("[0:0_2:500000000)"))
    assert w.timeranges(a) == ["[2:0_3:0)"]
    assert w.store.get_flow(a)["id"] == a


def test_segments_delete_by_object_id_and_timerange_combines_both(world):
    w = world()
    a = w.flow()
    first, second, _ = w.segments(a, 3)
    w.store.delete_segments(a, TimeRange.from_str("[1:0_3:0)"), object_id=first)
    assert len(w.timeranges(a)) == 3  # first is outside the timerange: nothing matches both
    w.store.delete_segments(a, EVERYTHING, object_id=second)
    assert w.timeranges(a) == ["[0:0_1:0)", "[2:0_3:0)"]


def test_segments_delete_without_cascade_is_refused_for_a_shared_object(world):
    w = world()
    a, b = w.flow(), w.flow()
    [shared] = w.segments(a, 1)
    w.share(shared, b, "[0:0_1:0)")
    before = w.snapshot()
    with pytest.raises(Conflict):
        w.store.delete_segments(a, EVERYTHING, cascade=False)
    assert w.snapshot() == before


def test_segments_delete_without_cascade_succeeds_for_unshared_objects(world):
    w = world()
    a = w.flow()
    [lone] = w.segments(a, 1)
    w.store.delete_segments(a, EVERYTHING, cascade=False)
    assert w.timeranges(a) == []
    assert w.media.deleted == [lone]


def test_source_delete_matrix(world):
    w = world()
    a = w.flow()
    source_id = w.store.get_flow(a)["source_id"]
    b = w.flow(source_id=source_id)
    other = w.flow()
    lone_a = w.segments(a, 1)[0]
    shared = w.segments(b, 1)[0]
    w.share(shared, other, "[0:0_1:0)")
    before = w.snapshot()

    with pytest.raises(Conflict):
        w.store.delete_source(source_id, cascade=False)
    assert w.snapshot() == before

    w.store.delete_source(source_id, cascade=True)
    for gone in (lambda: w.store.get_source(source_id), lambda: w.store.get_flow(a)):
        with pytest.raises(NotFound):
            gone()
    with pytest.raises(NotFound):
        w.store.get_object(lone_a)
    assert w.store.get_object(shared)["referenced_by_flows"] == [other]
    assert w.orphans() == {}
    with pytest.raises(NotFound):
        w.store.delete_source(source_id)


@pytest.mark.parametrize(
    "delete",
    [
        lambda store, flow_id: store.delete_flow(flow_id),
        lambda store, flow_id: store.delete_segments(flow_id, EVERYTHING),
        lambda store, flow_id: store.delete_source(store.get_flow(flow_id)["source_id"]),
    ],
    ids=["flow", "segments", "source-cascade"],
)
def test_read_only_flows_refuse_deletes(world, delete):
    w = world()
    a = w.flow()
    w.segments(a, 1)
    w.store.set_flow_attr(a, "read_only", True)
    before = w.snapshot()
    with pytest.raises(Forbidden):
        delete(w.store, a)
    assert w.snapshot() == before


@pytest.mark.parametrize(
    "delete",
    [
        lambda store, some_id: store.delete_flow(some_id),
        lambda store, some_id: store.delete_segments(some_id, EVERYTHING),
        lambda store, some_id: store.delete_source(some_id),
    ],
    ids=["flow", "segments", "source"],
)
def test_deleting_something_missing_is_not_found(world, delete):
    with pytest.raises(NotFound):
        delete(world().store, "9b0d5b4e-3f1c-4d5e-8a7b-1c2d3e4f5a6b")


def test_segment_post_to_a_deleted_flow_is_refused(world):
    w = world()
    a = w.flow()
    [object_id] = [o["object_id"] for o in w.store.allocate_storage(a, {"limit": 1})]
    w.store.delete_flow(a)
    with pytest.raises(NotFound):
        w.share(object_id, a, "[0:0_1:0)")


# -- asynchronous mode ------------------------------------------------------------------------


def test_async_flow_delete_hides_the_flow_and_refuses_segments_until_the_worker_runs(world):
    w = world(delete_mode="async")
    a = w.flow()
    objects = w.segments(a, 2)
    spare = w.store.allocate_storage(a, {"limit": 1})[0]["object_id"]
    request = w.store.delete_flow(a)
    assert request["status"] == "created" and request["delete_flow"] is True

    with pytest.raises(NotFound):
        w.store.get_flow(a)
    with pytest.raises(NotFound):
        w.share(spare, a, "[9:0_10:0)")
    with pytest.raises(NotFound):
        w.store.delete_flow(a)

    w.store.run_delete_request(request["id"])
    assert w.store.get_delete_request(request["id"])["status"] == "done"
    assert sorted(w.media.deleted) == sorted(objects)
    assert w.orphans() == {}


def test_async_segments_delete_ends_in_error_when_its_object_became_shared(world):
    w = world(delete_mode="async")
    a, b = w.flow(), w.flow()
    [object_id] = w.segments(a, 1)
    request = w.store.delete_segments(a, EVERYTHING, cascade=False)
    w.share(object_id, b, "[0:0_1:0)")
    w.store.run_delete_request(request["id"])
    finished = w.store.get_delete_request(request["id"])
    assert finished["status"] == "error"
    assert finished["error"]["type"] == "Conflict"
    assert w.timeranges(a) == ["[0:0_1:0)"]


def test_async_refusals_answer_at_once_and_change_nothing(world):
    w = world(delete_mode="async")
    a = w.flow()
    w.segments(a, 1)
    before = w.snapshot()
    with pytest.raises(Conflict):
        w.store.delete_flow(a, cascade=False)
    assert w.snapshot() == before
    assert w.store.list_delete_requests(limit=10, page=None).items == []


def test_pending_requests_survive_a_restart_on_a_database_file(tmp_path):

    config = ServerConfig(
        s3=S3Settings("http://s3.invalid", "K", "S"),
        delete_mode="async",
        db_path=str(tmp_path / "db"),
    )
    first = Store(config, FakeMedia())
    body = video_flow()
    first.put_flow(body["id"], body)
    request = first.delete_flow(body["id"])
    first.close()

    second = Store(config, FakeMedia())
    assert second.pending_delete_requests() == [request["id"]]
    second.run_delete_request(request["id"])
    assert second.get_delete_request(request["id"])["status"] == "done"
    assert second.list_flows(limit=10).items == []
    second.close()
