"""Deletes racing writes: a segment POST sent around a DELETE of the same flow, 20 rounds.

A delete must be atomic: a write racing it lands wholly before it (and the delete then sees,
refuses or removes the new segment) or wholly after it (and is refused: the flow is gone).
A server that checks for dependents and deletes in two steps lets a write slip between them
and leaves an orphan. The rounds sweep the POST from well before the DELETE to well after it,
so both orders and the moment in between are all tried; each round then checks the state.

Each round has a flow of its own, so the rounds run concurrently (a few at a time): a round's
DELETE and POST still start their planned offset apart, lined up on a barrier. A round whose
second request was planned to start while the first was in flight, and did not (its thread
started late), did not race as designed: it is run again, up to `ATTEMPTS` times. Every round
run is judged, retried or not; the check notes how many rounds had both requests in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tams_conformance.fixtures.deleting import cascade_params
from tams_conformance.fixtures.factory import await_deletion
from tams_conformance.fixtures.observe import flows_referencing
from tams_conformance.levels import EXT, MUST, check, note
from tams_conformance.pool import gather

# When the segment POST starts, in ms after the DELETE (negative: before it). One per round.
OFFSETS_MS = (-40, -20, -10, -5, -2, 0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 22, 27, 35, 50)
SHOWN = 3
# What a round sends: its flow and objects, the racing pair, the delete request, the state.
RACE_OPS = (
    "PUT /flows/{flowId}",
    "POST /flows/{flowId}/storage",
    "POST /flows/{flowId}/segments",
    "DELETE /flows/{flowId}",
    "GET /flow-delete-requests/{request-id}",
    "GET /flows/{flowId}",
    "GET /flows/{flowId}/segments",
    "GET /objects/{objectId}",
)
ROUNDS_AT_ONCE = 4  # rounds in flight together (each sends two requests at its race)
ATTEMPTS = 3  # runs of a round planned to overlap that did not


@dataclass
class Timed:
    """A response and when its request was in flight (perf_counter seconds, on the client)."""

    response: Any
    started: float
    ended: float


def race(
    first: Callable[[], Any], second: Callable[[], Any], offset_s: float, transcript: Any = None
) -> tuple[Timed, Timed]:
    """Run both on their own thread, `second` starting `offset_s` after `first` (negative:
    before it), both timed from the moment the two threads are lined up. The transcript keeps
    the one that starts first first."""
    starts: list[float] = []
    lined_up = threading.Barrier(2, action=lambda: starts.append(time.perf_counter()))

    def at(delay: float, action: Callable[[], Any]) -> Callable[[], Timed]:
        def run() -> Timed:
            lined_up.wait(timeout=30)
            pause = starts[0] + delay - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            started = time.perf_counter()
            response = action()
            return Timed(response, started, time.perf_counter())

        return run

    a, b = at(max(0.0, -offset_s), first), at(max(0.0, offset_s), second)
    if offset_s < 0:
        b_done, a_done = gather(transcript, [b, a], workers=2)
    else:
        a_done, b_done = gather(transcript, [a, b], workers=2)
    return a_done, b_done


def overlapped(a: Timed, b: Timed) -> bool:
    """Both requests were in flight at the same moment."""
    return a.started < b.ended and b.started < a.ended


def planned_to_overlap(a: Timed, b: Timed, offset_s: float) -> bool:
    """The second request was meant to start while the first was still in flight (judged by
    how long the first took): such a round races by design."""
    lead = a if offset_s >= 0 else b
    return abs(offset_s) < lead.ended - lead.started


@dataclass
class Outcome:
    """One round: the statuses both requests got and what the flow looked like afterwards."""

    offset_ms: int
    deleted: int
    posted: int
    flow: int
    segments: list[str]  # object ids the flow's segments list
    listing: list[str]  # objects of the round whose referenced_by_flows holds the flow
    object_id: str  # the object the racing POST registers
    raced: bool = False  # the DELETE and the POST were in flight together
    as_planned: bool = True  # they overlapped if and only if the offset meant them to

    @property
    def gone_cleanly(self) -> bool:
        return self.flow == 404 and not self.segments and not self.listing

    def __str__(self) -> str:
        return (
            f"POST at {self.offset_ms:+} ms: DELETE {self.deleted}, POST {self.posted}; then "
            f"flow {self.flow} with {len(self.segments)} segments, "
            f"{len(self.listing)} of its objects still listing it"
        )


def race_round(
    tams, target, factory, offset_ms: int, params: dict[str, str], with_segment: bool
) -> Outcome:
    """A new flow (with one segment if asked), an uploaded object, then DELETE of the flow
    and a segment POST of the object on it, `offset_ms` apart; then the state."""
    flow_id = factory.flow()["id"]
    objects = [factory.segment(flow_id, "[0:0_1:0)").object_id] if with_segment else []
    media = factory.allocate(flow_id)[0]
    factory.upload(media, b"tams-conformance race " + media["object_id"].encode())
    objects.append(media["object_id"])
    body = {"object_id": media["object_id"], "timerange": "[1:0_2:0)"}

    offset_s = offset_ms / 1000
    deleting, posting = race(
        lambda: tams.delete(f"/flows/{flow_id}", params=params),
        lambda: tams.post(f"/flows/{flow_id}/segments", body),
        offset_s,
        tams.transcript,
    )
    deleted, posted = deleting.response, posting.response

    if deleted.status_code == 202:
        timeouts = target.timeouts
        await_deletion(tams, deleted, timeouts.async_delete_s, timeouts.poll_interval_s)
    listing = tams.get(f"/flows/{flow_id}/segments")
    listed = [s["object_id"] for s in listing.json()] if listing.status_code == 200 else []
    raced = overlapped(deleting, posting)
    return Outcome(
        offset_ms,
        deleted.status_code,
        posted.status_code,
        tams.get(f"/flows/{flow_id}").status_code,
        listed,
        [o for o in objects if flows_referencing(tams, o, [flow_id])],
        media["object_id"],
        raced,
        raced or not planned_to_overlap(deleting, posting, offset_s),
    )


def race_rounds(tams, target, factory, params: dict[str, str], with_segment: bool) -> list[Outcome]:
    """Every round of OFFSETS_MS, `ROUNDS_AT_ONCE` at a time; a round that did not overlap as
    planned is run again (each run is kept: every one is judged). Notes how many raced."""

    def rounds_at(offset_ms: int) -> list[Outcome]:
        runs = [race_round(tams, target, factory, offset_ms, params, with_segment)]
        while not runs[-1].as_planned and len(runs) < ATTEMPTS:
            runs.append(race_round(tams, target, factory, offset_ms, params, with_segment))
        return runs

    calls = [lambda ms=ms: rounds_at(ms) for ms in OFFSETS_MS]
    per_offset = gather(tams.transcript, calls, workers=ROUNDS_AT_ONCE)
    outcomes = [o for runs in per_offset for o in runs]
    raced = sum(any(o.raced for o in runs) for runs in per_offset)
    again = len(outcomes) - len(OFFSETS_MS)
    others = "; the others tried the orders before and after" if raced < len(OFFSETS_MS) else ""
    repeated = f"; {again} runs repeated a round that did not overlap as planned" if again else ""
    note(
        f"{raced} of {len(OFFSETS_MS)} rounds raced (the DELETE and the POST in flight "
        f"together){others}{repeated}"
    )
    return outcomes


def assert_every_round(broken: list[Outcome], runs: int) -> None:
    if broken:
        shown = "; ".join(str(o) for o in broken[:SHOWN])
        pytest.fail(f"{len(broken)} of {runs} rounds broke the rule: {shown}")


@check(
    "deletion.race-cascade-false",
    EXT,
    "cascade profile: a cascade=false delete and a segment POST are serialised (409 or 404)",
    profile="cascade",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}?cascade",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?object_id",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_cascade_false_delete_racing_a_segment_post_leaves_one_consistent_outcome(
    tams, target, factory
):
    """EXT: a DELETE ?cascade=false of a flow without segments races a segment POST on it.
    Allowed: the POST first (201) and the delete refused (conflict), the flow keeping exactly
    that segment, listed by its object; or the delete first (success) and the POST refused
    (4xx), leaving no flow, no segment and no object that lists the flow. Anything else -- in
    particular both succeeding -- fails."""
    params = cascade_params(target, False)
    conflict, success = target.cascade.conflict, set(target.cascade.success) | {202}

    def allowed(o: Outcome) -> bool:
        if (o.deleted, o.posted) == (conflict, 201):
            return (o.flow, o.segments, o.listing) == (200, [o.object_id], [o.object_id])
        return o.deleted in success and 400 <= o.posted < 500 and o.gone_cleanly

    outcomes = race_rounds(tams, target, factory, params, False)

    assert_every_round([o for o in outcomes if not allowed(o)], len(outcomes))


@check(
    "deletion.race-flow-delete",
    MUST,
    "DELETE /flows/{flowId} 204, 202: the Flow and its Segments are deleted",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?object_id",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_flow_delete_racing_a_segment_post_leaves_no_segment_behind(tams, target, factory):
    """MUST: the spec's DELETE of a flow with one segment races a segment POST on it. The
    delete succeeds (204, or 202 reaching done); the POST lands before it (201, and the delete
    removes that segment too) or after it (4xx); afterwards the flow is 404, lists no segment,
    and neither object lists it."""

    def allowed(o: Outcome) -> bool:
        posted_ok = o.posted == 201 or 400 <= o.posted < 500
        return o.deleted in (204, 202) and posted_ok and o.gone_cleanly

    outcomes = race_rounds(tams, target, factory, {}, True)

    assert_every_round([o for o in outcomes if not allowed(o)], len(outcomes))
