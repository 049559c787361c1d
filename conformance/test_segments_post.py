"""Segment registration (POST /flows/{id}/segments): what is accepted, what is refused, and
that a refusal registers nothing.

Each check arranges an object that is allocated and uploaded but not yet registered, posts
once, and then reads the state back: the flow's segments, the object (GET /objects/{id}
answers 404 until a segment registers it) and, for refusals, the flow itself.
"""

from __future__ import annotations

import pytest
from mediatimestamp import TimeRange, Timestamp

from tams_conformance.client import seg
from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.factory import new_id
from tams_conformance.fixtures.presign import describe_answer
from tams_conformance.levels import MUST, SHOULD, check, note

POST_SEGMENTS = "POST /flows/{flowId}/segments"
# State reads of a flow: its schema is the flows checks' business, only noted here.
WITH_TIMERANGE = {"include_timerange": "true"}


def unregistered_object(factory, flow_id: str) -> str:
    """An object allocated for `flow_id` with bytes uploaded, not yet on any segment."""
    [media] = factory.allocate(flow_id, 1)
    put = factory.upload(media, f"tams-conformance {factory.run_id} {new_id()}".encode())
    if not 200 <= put.status_code < 300:
        raise HarnessError(f"precondition: upload to put_url answered {describe_answer(put)}")
    return media["object_id"]


def segment_ranges(tams, flow_id: str) -> list[TimeRange]:
    response = tams.get(f"/flows/{flow_id}/segments")
    assert response.status_code == 200, f"GET segments answered {response.status_code}"
    return [TimeRange.from_str(item["timerange"]) for item in response.json()]


def assert_unregistered(runtime, object_id: str) -> None:
    """No segment references the object: GET /objects/{id} answers 404, or (a server that
    shows unregistered objects breaks upload.unregistered-object-404, not this rule) lists no
    referencing flow. Read without schema validation: this is a probe of state only."""
    response = runtime.raw.get(f"/objects/{seg(object_id)}")
    if response.status_code == 404:
        return
    assert response.status_code == 200, f"GET /objects/{{id}} answered {response.status_code}"
    referenced_by = response.json().get("referenced_by_flows")
    assert not referenced_by, f"object {object_id} was registered: referenced by {referenced_by}"


@check(
    "segments.bulk-partial-failure",
    SHOULD,
    POST_SEGMENTS + " 200 (partial success; 'processing should continue', 'a 200 response "
    "should be returned'); a service SHOULD reject a newly created Object not intended for the "
    "Flow; schemas/flow-segment-bulk-failure.json",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_array_with_one_bad_item_answers_200_naming_it_and_registers_the_other(
    tams, factory, runtime
):
    """SHOULD: an array whose first item names an object allocated (and uploaded) for another
    flow and never registered -- the failure the spec itself names: a service SHOULD reject
    it -- and whose second is valid answers 200 with failed_segments naming the first object
    id; processing continued, so the second is registered and the first is not. (A never
    allocated id would prove nothing: external objects are a MAY.)"""
    owner = factory.flow()["id"]
    flow_id = factory.flow()["id"]
    foreign = unregistered_object(factory, owner)
    good = unregistered_object(factory, flow_id)
    body = [
        {"object_id": foreign, "timerange": "[0:0_1:0)"},
        {"object_id": good, "timerange": "[1:0_2:0)"},
    ]

    response = tams.post(f"/flows/{flow_id}/segments", body)

    assert response.status_code == 200, (
        f"POST /flows/{{id}}/segments of [an object allocated for another flow, a valid one] "
        f"answered {response.status_code}, not 200 with failed_segments"
    )
    failed = [item.get("object_id") for item in response.json().get("failed_segments", [])]
    assert failed == [foreign], f"failed_segments names {failed}, not only {foreign}"
    listed = [item["object_id"] for item in tams.get(f"/flows/{flow_id}/segments").json()]
    assert listed == [good], f"after the partial failure the flow lists {listed}, not [{good}]"
    assert segment_ranges(tams, owner) == [], "the foreign object was registered on its owner"
    assert_unregistered(runtime, foreign)


MALFORMED = [
    # case                   segment body (None: the uploaded object's id)
    ("malformed-timerange",  {"object_id": None, "timerange": "[0:0__1:0)"}),
    ("missing-object-id",    {"timerange": "[0:0_1:0)"}),
    ("missing-timerange",    {"object_id": None}),
]  # fmt: skip


@pytest.mark.parametrize("body", [pytest.param(body, id=case) for case, body in MALFORMED])
@check(
    "segments.malformed-400",
    MUST,
    POST_SEGMENTS + " 400; schemas/flow-segment-post.json (object_id, timerange required)",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_malformed_segment_is_refused_with_400_and_registers_nothing(tams, factory, runtime, body):
    """MUST: a segment with a malformed timerange, or without object_id or timerange, answers
    400; the flow has no segment after it and the uploaded object stays unregistered."""
    flow_id = factory.flow()["id"]
    object_id = unregistered_object(factory, flow_id)
    body = {k: (object_id if v is None else v) for k, v in body.items()}

    response = tams.post(f"/flows/{flow_id}/segments", body)

    assert response.status_code == 400, f"answered {response.status_code}, not 400"
    assert segment_ranges(tams, flow_id) == [], "the refused segment was registered"
    assert_unregistered(runtime, object_id)


@check(
    "segments.post-unknown-flow-404",
    MUST,
    POST_SEGMENTS + " 404: the Flow does not exist",
    ops=(
        "GET /flows/{flowId}?include_timerange",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_segment_post_to_an_unknown_flow_is_404_and_creates_nothing(tams, factory, runtime):
    """MUST: registering an uploaded object on a flow id that does not exist answers 404; the
    flow is not created, and the flow the object was allocated for is unchanged (no segment,
    object unregistered)."""
    owner = factory.flow()["id"]
    object_id = unregistered_object(factory, owner)
    before = tams.get(f"/flows/{owner}", params=WITH_TIMERANGE, validate=False).json()
    missing = new_id()

    response = tams.post(
        f"/flows/{missing}/segments", {"object_id": object_id, "timerange": "[0:0_1:0)"}
    )

    assert response.status_code == 404, (
        f"POST /flows/{{id}}/segments for a flow that does not exist answered "
        f"{response.status_code}, not 404"
    )
    assert tams.get(f"/flows/{missing}").status_code == 404, "the POST created the flow"
    assert tams.get(f"/flows/{owner}", params=WITH_TIMERANGE, validate=False).json() == before
    assert segment_ranges(tams, owner) == []
    assert_unregistered(runtime, object_id)


@check(
    "segments.post-read-only-403",
    SHOULD,
    "flow-common.json read_only: services SHOULD reject updates to Segments; "
    + POST_SEGMENTS
    + " 403",
    ops=(
        "GET /flows/{flowId}?include_timerange",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/read_only",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_segment_post_to_a_read_only_flow_is_403_and_changes_nothing(tams, factory, runtime):
    """SHOULD (read_only is a SHOULD rule): registering a segment on a read-only flow answers
    403; the flow reads the same as before, has no segment, and the object (uploaded before
    the flow was made read-only) stays unregistered."""
    flow_id = factory.flow()["id"]
    object_id = unregistered_object(factory, flow_id)
    factory.set_read_only(flow_id)
    before = tams.get(f"/flows/{flow_id}", params=WITH_TIMERANGE, validate=False).json()

    response = tams.post(
        f"/flows/{flow_id}/segments", {"object_id": object_id, "timerange": "[0:0_1:0)"}
    )

    assert response.status_code == 403, f"answered {response.status_code}, not 403"
    assert tams.get(f"/flows/{flow_id}", params=WITH_TIMERANGE, validate=False).json() == before
    assert segment_ranges(tams, flow_id) == []
    assert_unregistered(runtime, object_id)


@check(
    "segments.negative-ts-offset-accepted",
    MUST,
    "flow-segment-post.json ts_offset (timestamp.json: signed since 8.0)",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?include_object_timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_negative_ts_offset_is_accepted_and_returned(tams, factory):
    """MUST (8.0+): a segment [0:0_1:0) with ts_offset -10:0 (media stamped 10 s later than
    its place in the flow) answers 201 and is listed with that ts_offset; its object
    timerange, when given, is timerange - ts_offset = [10:0_11:0)."""
    flow_id = factory.flow()["id"]
    object_id = unregistered_object(factory, flow_id)
    body = {"object_id": object_id, "timerange": "[0:0_1:0)", "ts_offset": "-10:0"}

    response = tams.post(f"/flows/{flow_id}/segments", body)

    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    listed = tams.get(
        f"/flows/{flow_id}/segments", params={"include_object_timerange": "true"}
    ).json()
    assert [item["object_id"] for item in listed] == [object_id]
    [item] = listed
    assert Timestamp.from_str(item.get("ts_offset", "0:0")) == Timestamp.from_str("-10:0"), (
        f"ts_offset listed as {item.get('ts_offset')!r}, not -10:0"
    )
    object_timerange = item.get("object_timerange")
    if object_timerange is not None:
        assert TimeRange.from_str(object_timerange) == TimeRange.from_str("[10:0_11:0)"), (
            f"object_timerange {object_timerange}, not timerange - ts_offset [10:0_11:0)"
        )


@check(
    "segments.overlap",
    SHOULD,
    POST_SEGMENTS + ": Segments MUST NOT overlap; the behaviour on overlap is undefined and "
    "a service may return 400",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_overlapping_segment_is_refused_with_400_and_the_first_is_kept(tams, factory, runtime):
    """SHOULD, a warning only: overlapping segments are forbidden to clients, but what the
    service does then is undefined ("may return a 400"). Refusing [1:0_3:0) over [0:0_2:0)
    with 400 and keeping the listing as it was is the answer clients can rely on; accepting
    it is allowed by the spec, so it is reported as a warning, never a failure."""
    flow_id = factory.flow()["id"]
    first = factory.segment(flow_id, "[0:0_2:0)")
    object_id = unregistered_object(factory, flow_id)

    response = tams.post(
        f"/flows/{flow_id}/segments", {"object_id": object_id, "timerange": "[1:0_3:0)"}
    )

    assert response.status_code == 400, (
        f"an overlapping segment answered {response.status_code}, not 400 (allowed: the "
        "spec leaves overlap undefined)"
    )
    assert segment_ranges(tams, flow_id) == [TimeRange.from_str(first.timerange)]
    assert_unregistered(runtime, object_id)


def listed_items(tams, flow_id: str, params: dict | None = None) -> list[dict]:
    response = tams.get(f"/flows/{flow_id}/segments", params=params)
    assert response.status_code == 200, f"GET segments answered {response.status_code}"
    return response.json()


def object_timerange(tams, object_id: str) -> TimeRange | None:
    """The object record's timerange; None, noted, where GET /objects/{id} does not answer
    200 (the objects checks judge that; the segment listing is still judged here)."""
    response = tams.get(f"/objects/{seg(object_id)}", validate=False)
    if response.status_code != 200:
        note(f"GET /objects/{{id}} answered {response.status_code}: object record not observed")
        return None
    return TimeRange.from_str(response.json()["timerange"])


def no_overlaps(ranges: list[TimeRange]) -> list[tuple[str, str]]:
    return [
        (str(a), str(b))
        for i, a in enumerate(ranges)
        for b in ranges[i + 1 :]
        if a.overlaps_with_timerange(b)
    ]


@check(
    "segments.bulk-overlap-refused",
    SHOULD,
    POST_SEGMENTS + ": the timerange of the Segment MUST NOT overlap any other Segment; "
    "undefined behaviour, a service may return 400",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_overlap_inside_one_bulk_post_leaves_no_overlapping_segments(tams, factory, runtime):
    """SHOULD, a warning only: an array [0:0_2:0), [1:0_3:0) overlaps itself; whatever the
    answer (200 naming the second, or 400), the flow must not end with two overlapping
    segments, and an object reported failed stays unregistered."""
    flow_id = factory.flow()["id"]
    first, second = (unregistered_object(factory, flow_id) for _ in range(2))
    body = [
        {"object_id": first, "timerange": "[0:0_2:0)"},
        {"object_id": second, "timerange": "[1:0_3:0)"},
    ]

    response = tams.post(f"/flows/{flow_id}/segments", body)

    ranges = segment_ranges(tams, flow_id)
    assert not no_overlaps(ranges), f"answered {response.status_code}; overlaps {ranges}"
    assert response.status_code in (200, 400), f"answered {response.status_code}"
    if response.status_code == 200:
        failed = [f.get("object_id") for f in response.json().get("failed_segments", [])]
        assert failed == [second], f"failed_segments names {failed}, not the overlapping one"
        assert_unregistered(runtime, second)


@check(
    "segments.identical-repost",
    SHOULD,
    POST_SEGMENTS + ": the behaviour is undefined if the Segment exists and the service may "
    "return a 400",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_identical_repost_never_duplicates_a_segment(tams, factory):
    """SHOULD, a warning only: POSTing a registered segment again, unchanged, answers 201
    (idempotent) or 400; either way the flow lists it once."""
    flow_id = factory.flow()["id"]
    made = factory.segment(flow_id, "[0:0_1:0)")

    response = tams.post(
        f"/flows/{flow_id}/segments", {"object_id": made.object_id, "timerange": made.timerange}
    )

    assert response.status_code in (201, 400), f"answered {response.status_code}"
    items = listed_items(tams, flow_id)
    assert [i["object_id"] for i in items] == [made.object_id], f"the flow lists {items}"


@check(
    "segments.reuse-positive-ts-offset",
    MUST,
    "flow-segment.json ts_offset = segment ts - media object ts; object.json timerange (the "
    "object's own timeline)",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?include_object_timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_reused_object_at_a_positive_offset_keeps_its_own_timerange(tams, factory):
    """MUST (8.0+): an object registered at [0:0_10:0) reused in another flow at
    [102:0_104:0) with ts_offset 100:0 (samples 2 s to 4 s of the object) answers 201 and
    lists that ts_offset; its object_timerange, when listed, and GET /objects/{id} keep the
    object's own [0:0_10:0)."""
    first = factory.flow()["id"]
    object_id = factory.segment(first, "[0:0_10:0)").object_id
    second = factory.flow()["id"]
    body = {"object_id": object_id, "timerange": "[102:0_104:0)", "ts_offset": "100:0"}

    response = tams.post(f"/flows/{second}/segments", body)

    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    [item] = listed_items(tams, second, {"include_object_timerange": "true"})
    assert TimeRange.from_str(item["timerange"]) == TimeRange.from_str("[102:0_104:0)")
    assert Timestamp.from_str(item.get("ts_offset", "0:0")) == Timestamp.from_str("100:0"), (
        f"ts_offset listed as {item.get('ts_offset')!r}, not 100:0"
    )
    own = TimeRange.from_str("[0:0_10:0)")
    if item.get("object_timerange") is not None:
        assert TimeRange.from_str(item["object_timerange"]) == own
    record = object_timerange(tams, object_id)
    assert record in (None, own), f"the object record's timerange is {record}, not {own}"


@check(
    "segments.object-timerange-kept",
    MUST,
    "flow-segment-post.json object_timerange: the timerange of media in the object, on its "
    "own timeline (8.0)",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?include_object_timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_segment_using_part_of_a_new_object_keeps_the_object_timerange(tams, factory):
    """MUST (8.0+): a new object registered with object_timerange [0:0_10:0) by a segment
    [2:0_4:0) using part of it: the object reads [0:0_10:0), and include_object_timerange
    lists [0:0_10:0) for the segment."""
    flow_id = factory.flow()["id"]
    object_id = unregistered_object(factory, flow_id)
    body = {"object_id": object_id, "timerange": "[2:0_4:0)", "object_timerange": "[0:0_10:0)"}

    response = tams.post(f"/flows/{flow_id}/segments", body)

    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    own = TimeRange.from_str("[0:0_10:0)")
    record = object_timerange(tams, object_id)
    assert record in (None, own), f"the object record's timerange is {record}, not {own}"
    [item] = listed_items(tams, flow_id, {"include_object_timerange": "true"})
    assert TimeRange.from_str(item.get("object_timerange", "()")) == own, (
        f"object_timerange listed as {item.get('object_timerange')!r}"
    )


KEPT_FIELDS = [
    # case                fields posted with a segment [0:0_1:0)
    ("sample-offset-count", {"sample_offset": 5, "sample_count": 20}),
    ("last-duration",       {"last_duration": "0:40000000"}),
    ("key-frame-count",     {"key_frame_count": 2}),
]  # fmt: skip


@pytest.mark.parametrize("fields", [pytest.param(f, id=case) for case, f in KEPT_FIELDS])
@check(
    "segments.fields-kept",
    SHOULD,
    "flow-segment.json sample_offset/sample_count (deprecated: services SHOULD continue to "
    "store and return them), last_duration, key_frame_count",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_optional_segment_fields_are_returned_as_posted(tams, factory, fields):
    """SHOULD: sample_offset and sample_count (deprecated, still stored and returned),
    last_duration and key_frame_count posted with a segment are listed with it unchanged."""
    flow_id = factory.flow()["id"]
    made = factory.segment(flow_id, "[0:0_1:0)", **fields)

    [item] = listed_items(tams, flow_id)

    assert item["object_id"] == made.object_id
    for name, value in fields.items():
        got = item.get(name)
        if isinstance(value, str):
            same = got is not None and Timestamp.from_str(got) == Timestamp.from_str(value)
        else:
            same = got == value
        assert same, f"{name} posted as {value!r} is listed as {got!r}"


BULK = 500


@check(
    "segments.bulk-500",
    SHOULD,
    POST_SEGMENTS + ": an array of Segments; for successful creation of all a 201 response "
    "should be provided",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?limit&page",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_a_bulk_post_of_500_segments_registers_every_one(tams, factory):
    """SHOULD: one POST of 500 one-second segments (one object reused at 500 offsets)
    answers 201, and paging through the flow lists all 500, in order."""
    flow_id = factory.flow()["id"]
    object_id = factory.segment(flow_id, "[0:0_1:0)").object_id
    body = [
        {"object_id": object_id, "timerange": f"[{i}:0_{i + 1}:0)", "ts_offset": f"{i}:0"}
        for i in range(1, BULK + 1)
    ]

    response = tams.post(f"/flows/{flow_id}/segments", body)

    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    seen = [
        TimeRange.from_str(item["timerange"])
        for page in tams.pages(f"/flows/{flow_id}/segments", {"limit": 200})
        for item in page.json()
    ]
    assert seen == [TimeRange.from_str(f"[{i}:0_{i + 1}:0)") for i in range(BULK + 1)], (
        f"listed {len(seen)} segments, not {BULK + 1} in order"
    )
