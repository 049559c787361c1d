"""Deletes racing writes: a segment POST sent around a DELETE of the same flow, 20 rounds.

A delete must be atomic: a write racing it lands wholly before it (and the delete then sees,
refuses or removes the new segment) or wholly after it (and is refused: the flow is gone).
A server that checks for dependents and deletes in two steps lets a write slip between them
and leaves an orphan. The rounds sweep the POST from well before the DELETE to well after it,
so both orders and the moment in between are all tried; each round then checks the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tams_conformance.fixtures.deleting import cascade_params
from tams_conformance.fixtures.factory import await_deletion
from tams_conformance.fixtures.observe import flows_referencing
from tams_conformance.levels import EXT, MUST, check

# When the segment POST starts, in ms after the DELETE (negative: before it). One per round.
OFFSETS_MS = (-40, -20, -10, -5, -2, 0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 22, 27, 35, 50)
SHOWN = 3


def race(first: Callable[[], Any], second: Callable[[], Any], offset_s: float) -> tuple[Any, Any]:
    """Run both on their own thread, `second` starting `offset_s` after `first`."""
    start = time.perf_counter() + 0.005

    def at(delay: float, action: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            pause = start + delay - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            return action()

        return run

    with ThreadPoolExecutor(max_workers=2) as pool:
        a = pool.submit(at(max(0.0, -offset_s), first))
        b = pool.submit(at(max(0.0, offset_s), second))
        return a.result(), b.result()


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

    deleted, posted = race(
        lambda: tams.delete(f"/flows/{flow_id}", params=params),
        lambda: tams.post(f"/flows/{flow_id}/segments", body),
        offset_ms / 1000,
    )

    if deleted.status_code == 202:
        timeouts = target.timeouts
        await_deletion(tams, deleted, timeouts.async_delete_s, timeouts.poll_interval_s)
    listing = tams.get(f"/flows/{flow_id}/segments")
    listed = [s["object_id"] for s in listing.json()] if listing.status_code == 200 else []
    return Outcome(
        offset_ms,
        deleted.status_code,
        posted.status_code,
        tams.get(f"/flows/{flow_id}").status_code,
        listed,
        [o for o in objects if flows_referencing(tams, o, [flow_id])],
        media["object_id"],
    )


def assert_every_round(broken: list[Outcome]) -> None:
    if broken:
        shown = "; ".join(str(o) for o in broken[:SHOWN])
        pytest.fail(f"{len(broken)} of {len(OFFSETS_MS)} rounds broke the rule: {shown}")


@check(
    "deletion.race-cascade-false",
    EXT,
    "cascade profile: a cascade=false delete and a segment POST are serialised (409 or 404)",
    profile="cascade",
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

    outcomes = [race_round(tams, target, factory, ms, params, False) for ms in OFFSETS_MS]

    assert_every_round([o for o in outcomes if not allowed(o)])


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

    outcomes = [race_round(tams, target, factory, ms, {}, True) for ms in OFFSETS_MS]

    assert_every_round([o for o in outcomes if not allowed(o)])
