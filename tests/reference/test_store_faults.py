"""Each fault's effect on the model: the exact rule it breaks, checked without HTTP."""

from __future__ import annotations

import pytest
from mediatimestamp import TimeRange
from werkzeug.wrappers import Request

from tams_reference import FAULTS, ServerConfig
from tams_reference.errors import BadRequest, Conflict, NotFound
from tams_reference.handlers.deletes import cascade_param
from tams_reference.store import deletes

EVERYTHING = TimeRange.eternity()
MISSING = "9b0d5b4e-3f1c-4d5e-8a7b-1c2d3e4f5a6b"


def shared_pair(w):
    """Flows a and b of one source; a has a lone object and one shared with b."""
    a = w.flow()
    b = w.flow(source_id=w.store.get_flow(a)["source_id"])
    lone, shared = w.segments(a, 2)
    w.share(shared, b, "[5:0_6:0)")
    return a, b, lone, shared


def test_unknown_fault_names_are_refused_with_the_known_ones():
    with pytest.raises(
        ValueError,
        match="unknown fault nope; known faults: auth-any-credential, auth-reads-open, broken-get",
    ):
        ServerConfig(faults=frozenset({"nope"}))
    assert all(description.endswith(".") for description in FAULTS.values())


def test_ignore_cascade_source_delete_orphans_its_flows(world):
    w = world(faults={"ignore-cascade"})
    a, _, _, _ = shared_pair(w)
    w.store.delete_source(w.store.get_flow(a)["source_id"], cascade=False)
    assert len(w.orphans()["flows without source"]) == 2


def test_ignore_cascade_flow_delete_orphans_segments_and_keeps_objects_listing_it(world):
    w = world(faults={"ignore-cascade"})
    a = w.flow()
    [lone] = w.segments(a, 1)
    w.store.delete_flow(a, cascade=False)
    assert w.orphans()["segments without flow"] == [lone]
    assert w.store.get_object(lone)["referenced_by_flows"] == [a]
    assert w.media.deleted == []


def test_ignore_cascade_segments_delete_never_collects_objects(world):
    w = world(faults={"ignore-cascade"})
    a = w.flow()
    [lone] = w.segments(a, 1)
    w.store.delete_segments(a, EVERYTHING)
    assert w.timeranges(a) == []
    assert w.store.get_object(lone)["referenced_by_flows"] == [a]


def test_cascade_rows_only_source_cascade_leaves_segments_and_objects(world):
    w = world(faults={"cascade-rows-only"})
    a, b, lone, shared = shared_pair(w)
    w.store.delete_source(w.store.get_flow(a)["source_id"])
    assert set(w.orphans()["segments without flow"]) == {lone, shared}
    assert w.store.get_object(lone)["referenced_by_flows"] == [a]


def test_cascade_rows_only_flow_delete_keeps_objects_listing_the_deleted_flow(world):
    w = world(faults={"cascade-rows-only"})
    a = w.flow()
    [lone] = w.segments(a, 1)
    w.store.delete_flow(a)
    assert "segments without flow" not in w.orphans()
    assert w.store.get_object(lone)["referenced_by_flows"] == [a]
    assert w.media.deleted == []


@pytest.mark.parametrize("raw", ["false", "FALSE", "maybe"])
def test_cascade_string_truthy_reads_any_value_as_true(raw):
    request = Request.from_values(query_string={"cascade": raw})
    faulty = ServerConfig(faults=frozenset({"cascade-string-truthy"}))
    assert cascade_param(request, faulty) is True


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("False", False), (None, True)])
def test_cascade_parameter_is_a_case_insensitive_boolean(raw, expected):
    request = Request.from_values(query_string={} if raw is None else {"cascade": raw})
    assert cascade_param(request, ServerConfig()) is expected


def test_cascade_parameter_refuses_other_values_and_is_ignored_without_the_extension():
    request = Request.from_values(query_string={"cascade": "maybe"})
    with pytest.raises(BadRequest):
        cascade_param(request, ServerConfig())
    assert cascade_param(request, ServerConfig(cascade_extension=False)) is True


def test_partial_conflict_source_delete_removes_empty_flows_then_answers_409(world):
    w = world(faults={"partial-conflict"})
    empty = w.flow()
    source_id = w.store.get_flow(empty)["source_id"]
    full = w.flow(source_id=source_id)
    w.segments(full, 1)
    with pytest.raises(Conflict):
        w.store.delete_source(source_id, cascade=False)
    with pytest.raises(NotFound):
        w.store.get_flow(empty)
    assert w.store.get_flow(full)["id"] == full


def test_partial_conflict_segments_delete_removes_unshared_segments_then_answers_409(world):
    w = world(faults={"partial-conflict"})
    a, _, lone, shared = shared_pair(w)
    with pytest.raises(Conflict):
        w.store.delete_segments(a, EVERYTHING, cascade=False)
    assert w.timeranges(a) == ["[1:0_2:0)"]  # the lone object's segment went first
    assert w.media.deleted == [lone]


def test_gc_shared_objects_deletes_an_object_another_flow_still_uses(world):
    w = world(faults={"gc-shared-objects"})
    a, b, lone, shared = shared_pair(w)
    w.store.delete_flow(a)
    assert sorted(w.media.deleted) == sorted([lone, shared])
    with pytest.raises(NotFound):
        w.store.get_object(shared)
    assert w.orphans()["segments without object"] == [shared]


def test_no_gc_keeps_unreferenced_objects(world):
    w = world(faults={"no-gc"})
    a = w.flow()
    [lone] = w.segments(a, 1)
    w.store.delete_flow(a)
    assert w.store.get_object(lone)["referenced_by_flows"] == []
    assert w.media.deleted == []


def test_read_only_ignored_lets_deletes_through_but_not_other_writes(world):
    w = world(faults={"read-only-ignored"})
    a = w.flow()
    w.segments(a, 1)
    w.store.set_flow_attr(a, "read_only", True)
    w.store.delete_segments(a, EVERYTHING)
    assert w.timeranges(a) == []
    w.store.delete_flow(a)
    with pytest.raises(NotFound):
        w.store.get_flow(a)


def test_check_then_delete_lets_a_segment_land_in_the_window_and_orphans_it(world, monkeypatch):
    w = world(faults={"check-then-delete"})
    a = w.flow()
    [object_id] = [o["object_id"] for o in w.store.allocate_storage(a, {"limit": 1})]
    # The window between the check and the delete is where a concurrent POST lands.
    monkeypatch.setattr(deletes.time, "sleep", lambda _: w.share(object_id, a, "[0:0_1:0)"))
    w.store.delete_flow(a, cascade=False)
    assert w.orphans()["segments without flow"] == [object_id]


def test_without_the_fault_the_check_and_the_delete_are_one_transaction(world):
    w = world()
    a = w.flow()
    w.segments(a, 1)
    with pytest.raises(Conflict):
        w.store.delete_flow(a, cascade=False)
    assert w.orphans() == {}


@pytest.mark.parametrize(
    "delete",
    [
        lambda store: store.delete_flow(MISSING),
        lambda store: store.delete_segments(MISSING, EVERYTHING),
        lambda store: store.delete_source(MISSING),
    ],
    ids=["flow", "segments", "source"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_missing_is_success_answers_success_for_missing_things(world, delete, mode):
    assert delete(world(faults={"missing-is-success"}, delete_mode=mode).store) is None


def test_object_visible_before_registration(world):
    w = world(faults={"object-visible-before-registration"})
    a = w.flow()
    [item] = w.store.allocate_storage(a, {"limit": 1})
    assert w.store.get_object(item["object_id"])["referenced_by_flows"] == []


def test_allocated_objects_are_invisible_without_the_fault(world):
    w = world()
    a = w.flow()
    [item] = w.store.allocate_storage(a, {"limit": 1})
    with pytest.raises(NotFound):
        w.store.get_object(item["object_id"])
