"""Webhook deliveries: one check per event type of the spec's `webhooks:` section.

Each check registers a callback for its event type, acts once, waits for the event (bounded
by timeouts.webhook_s, never a fixed sleep), validates the envelope and payload against that
event's schema in the target's version and compares the payload with the resource as the
target serves it. Only deliveries naming the check's own flows and sources are kept.
"""

from __future__ import annotations

import uuid

import pytest
from mediatimestamp import TimeRange

from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.deleting import settle_delete
from tams_conformance.levels import MUST, SHOULD, check
from tams_conformance.webhooks.receiver import Delivery

SPEC = "webhooks: {event} (envelope event_timestamp, event_type, event; payload schema)"
COMPARED = ("id", "source_id", "format", "label", "tags", "codec", "container")


def _flow_and_source(factory) -> tuple[str, str]:
    return str(uuid.uuid4()), factory.source_id()


def _same(kind: str, sent: dict, served: dict) -> None:
    differing = {k for k in COMPARED if sent.get(k) != served.get(k)}
    assert not differing, (
        f"the event's {kind} differs from GET in {sorted(differing)}: event {sent}, GET {served}"
    )


@check(
    "webhooks.event-flows-created",
    MUST,
    SPEC.format(event="flows/created {flow: flow-get.json}"),
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_flow_created_event(webhooks, factory, tams):
    """MUST: creating a flow delivers flows/created carrying the flow as GET shows it."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/created"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    delivery = hook.expect("flows/created", lambda d: d.event.get("flow", {}).get("id") == flow_id)
    webhooks.assert_valid(delivery)
    _same("flow", delivery.event["flow"], tams.get(f"/flows/{flow_id}").json())


@check(
    "webhooks.event-flows-updated",
    MUST,
    SPEC.format(event="flows/updated {flow: flow-get.json}"),
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/label",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_flow_updated_event(webhooks, factory, tams):
    """MUST: changing a flow's metadata (its label) delivers flows/updated with the flow as it
    is after the change."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/updated"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    label = f"updated {uuid.uuid4().hex[:8]}"
    assert tams.put(f"/flows/{flow_id}/label", label, validate=False).status_code == 204
    delivery = hook.expect(
        "flows/updated", lambda d: d.event.get("flow", {}).get("label") == label, "with the label"
    )
    webhooks.assert_valid(delivery)
    _same("flow", delivery.event["flow"], tams.get(f"/flows/{flow_id}").json())


def _probe_flow(tams):
    """On arrival of a flows/deleted event (before the receiver answers): GET the flow."""

    def probe(body):
        event = body.get("event") if isinstance(body, dict) else None
        flow_id = event.get("flow_id") if isinstance(event, dict) else None
        if body.get("event_type") != "flows/deleted" or not isinstance(flow_id, str):
            return None
        return tams.get(f"/flows/{flow_id}").status_code

    return probe


@check(
    "webhooks.event-flows-deleted",
    MUST,
    SPEC.format(event="flows/deleted {flow_id}") + "; GET /flows/{flowId} 404 once deleted",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_flow_deleted_event_comes_when_the_flow_is_gone(webhooks, factory, tams, target):
    """MUST: deleting a flow delivers flows/deleted with its id, and not before the delete:
    after a 204 the flow is gone when the event arrives (a GET made then, before the receiver
    answers, is 404). After a 202 the event may announce the scheduled deletion ("deleted (or
    scheduled for deletion)"), so the flow may still answer then; the request must end done."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/deleted"], watch=(flow_id, source_id))
    hook.sub.probe = _probe_flow(webhooks.runtime.raw)
    factory.flow("data", source_id=source_id, id=flow_id)
    answer = settle_delete(tams, target, f"/flows/{flow_id}")
    delivery = hook.expect("flows/deleted", lambda d: d.event.get("flow_id") == flow_id)
    webhooks.assert_valid(delivery)
    if isinstance(delivery.probe, Exception):
        raise HarnessError(f"the GET made on the event's arrival failed: {delivery.probe}")
    allowed = (200, 404) if answer.status_code == 202 else (404,)
    assert delivery.probe in allowed, (
        f"flows/deleted arrived while GET /flows/{{flowId}} still answered {delivery.probe} "
        f"(the delete answered {answer.status_code}): the event was sent before the flow was gone"
    )


@check(
    "webhooks.no-flows-deleted-for-refused-delete",
    MUST,
    "webhooks: flows/deleted notifies a deleted Flow; DELETE /flows/{flowId} 403 (read_only)",
    ops=(
        "DELETE /flows/{flowId}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/read_only",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_refused_flow_delete_sends_no_flows_deleted(webhooks, factory, tams):
    """MUST: a delete refused with 403 (read_only flow) deletes nothing, so no flows/deleted
    comes; judged once a later flows/updated of the same flow has arrived."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/deleted", "flows/updated"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    factory.set_read_only(flow_id, True)
    refused = tams.delete(f"/flows/{flow_id}", validate=False)
    if refused.status_code != 403:
        pytest.skip(f"n/a: DELETE of a read_only flow answered {refused.status_code}, not 403")
    factory.set_read_only(flow_id, False)
    hook.expect(
        "flows/updated",
        lambda d: d.event.get("flow", {}).get("read_only") in (False, None),
        "after read_only was set back to false",
    )
    sent = [d for d in hook.received("flows/deleted") if d.event.get("flow_id") == flow_id]
    assert not sent, "a flows/deleted event came for a delete refused with 403"


@check(
    "webhooks.event-flows-segments-added",
    MUST,
    SPEC.format(event="flows/segments_added {flow_id, segments: [flow-segment.json]}")
    + "; webhook.json include_object_timerange (8.2)",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_segments_added_event_carries_the_segments(webhooks, factory):
    """MUST: registering segments delivers flows/segments_added with each segment as
    registered (object_id, timerange) and, from 8.2 when the webhook asks with
    include_object_timerange, the object's timerange."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    asks = webhooks.version >= (8, 2)  # include_object_timerange is in webhook.json from 8.2
    options = {"include_object_timerange": True} if asks else {}
    hook = webhooks.register(["flows/segments_added"], watch=(flow_id, source_id), **options)
    factory.flow("data", source_id=source_id, id=flow_id)
    made = factory.segments(flow_id, 2)
    wanted = {(s.object_id, s.timerange) for s in made}

    def carried() -> dict[tuple[str, str], dict]:
        return {
            (item.get("object_id"), item.get("timerange")): item
            for d in hook.received("flows/segments_added")
            for item in d.event.get("segments", [])
        }

    last = hook.expect(
        "flows/segments_added",
        lambda d: wanted <= set(carried()),
        "carrying both registered segments",
    )
    for delivery in hook.received("flows/segments_added"):
        webhooks.assert_valid(delivery)
        assert delivery.event.get("flow_id") == flow_id
    assert last is not None
    if asks:
        missing = [k for k in wanted if "object_timerange" not in carried()[k]]
        assert not missing, (
            "segments_added segments lack object_timerange although the webhook set "
            f"include_object_timerange: {sorted(missing)}"
        )
        wrong = {k: carried()[k]["object_timerange"] for k in wanted}
        assert all(TimeRange.from_str(v) == TimeRange.from_str(k[1]) for k, v in wrong.items()), (
            f"object_timerange differs from the object's own timerange: {wrong}"
        )


@check(
    "webhooks.event-flows-segments-deleted",
    MUST,
    SPEC.format(event="flows/segments_deleted {flow_id, timerange}")
    + "; its timerange MUST start and end in deleted Segments",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "PUT /flows/{flowId}",
        "DELETE /flows/{flowId}/segments?timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
def test_segments_deleted_event_names_the_timerange_that_went(webhooks, factory, tams, target):
    """MUST: deleting [0:0_2:0) of segments [0-1) [1-2) [2-3) delivers flows/segments_deleted
    whose timerange covers what went, starts and ends inside deleted segments and reaches
    nothing that stayed."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/segments_deleted"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    factory.segments(flow_id, 3)
    settle_delete(tams, target, f"/flows/{flow_id}/segments", {"timerange": "[0:0_2:0)"})
    gone = [TimeRange.from_str("[0:0_1:0)"), TimeRange.from_str("[1:0_2:0)")]
    kept = TimeRange.from_str("[2:0_3:0)")
    went = TimeRange.from_str("[0:0_2:0)")

    def ranges(deliveries: list[Delivery]) -> list[TimeRange]:
        return [TimeRange.from_str(d.event["timerange"]) for d in deliveries]

    def covered(d: Delivery) -> bool:
        seen = hook.received("flows/segments_deleted")
        got = ranges([x for x in seen if isinstance(x.event.get("timerange"), str)])
        return all(any(r.contains_subrange(g) for r in got) for g in gone)

    hook.expect("flows/segments_deleted", covered, "covering the deleted [0:0_2:0)")
    for delivery in hook.received("flows/segments_deleted"):
        webhooks.assert_valid(delivery)
        timerange = TimeRange.from_str(delivery.event["timerange"])
        assert not timerange.overlaps_with_timerange(kept), (
            f"segments_deleted timerange {timerange!s} reaches the kept segment [2:0_3:0)"
        )
        assert went.contains_subrange(timerange), (
            f"segments_deleted timerange {timerange!s} starts or ends where no segment went "
            "(the deleted segments span [0:0_2:0))"
        )


@check(
    "webhooks.event-sources-created",
    MUST,
    SPEC.format(event="sources/created {source: source.json}"),
    ops=(
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
        "GET /sources/{sourceId}",
    ),
)
def test_source_created_event(webhooks, factory, tams):
    """MUST: the first flow of a new source creates it, delivering sources/created with the
    source as GET shows it."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["sources/created"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    delivery = hook.expect(
        "sources/created", lambda d: d.event.get("source", {}).get("id") == source_id
    )
    webhooks.assert_valid(delivery)
    _same("source", delivery.event["source"], tams.get(f"/sources/{source_id}").json())


@check(
    "webhooks.event-sources-updated",
    MUST,
    SPEC.format(event="sources/updated {source: source.json}"),
    ops=(
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
        "GET /sources/{sourceId}",
        "PUT /sources/{sourceId}/label",
    ),
)
def test_source_updated_event(webhooks, factory, tams):
    """MUST: changing a source's label delivers sources/updated with the source after it."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["sources/updated"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    label = f"updated {uuid.uuid4().hex[:8]}"
    assert tams.put(f"/sources/{source_id}/label", label, validate=False).status_code == 204
    delivery = hook.expect(
        "sources/updated", lambda d: d.event.get("source", {}).get("label") == label
    )
    webhooks.assert_valid(delivery)
    _same("source", delivery.event["source"], tams.get(f"/sources/{source_id}").json())


@check(
    "webhooks.event-sources-deleted",
    MUST,
    SPEC.format(event="sources/deleted {source_id}")
    + "; ADR-0018 (a Source goes with its last Flow)",
    ops=(
        "GET /flow-delete-requests/{request-id}",
        "DELETE /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
        "GET /sources/{sourceId}",
    ),
)
def test_source_deleted_event(webhooks, factory, tams, target):
    """MUST: when a source goes (with its last flow, ADR-0018), sources/deleted names it. A
    target that keeps sources has none to send (n/a; deletion.source-goes-with-last-flow
    judges that)."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["sources/deleted", "flows/deleted"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    settle_delete(tams, target, f"/flows/{flow_id}")
    hook.expect("flows/deleted", lambda d: d.event.get("flow_id") == flow_id)
    if tams.get(f"/sources/{source_id}", validate=False).status_code != 404:
        delivery = hook.wait("sources/deleted", timeout_s=0)
        assert delivery is None, "sources/deleted came for a source the target still serves"
        pytest.skip("n/a: the target keeps the source after its last flow went")
    delivery = hook.expect("sources/deleted", lambda d: d.event.get("source_id") == source_id)
    webhooks.assert_valid(delivery)


@check(
    "webhooks.api-key-header-sent",
    SHOULD,
    "POST /service/webhooks: requests SHOULD include the api_key_name header with api_key_value",
    ops=("PUT /flows/{flowId}", "GET /service/webhooks", "POST /service/webhooks"),
)
def test_deliveries_carry_the_api_key_header(webhooks, factory):
    """SHOULD: every delivery carries the header named api_key_name with the api_key_value
    the registration gave."""
    webhooks.require()
    flow_id, source_id = _flow_and_source(factory)
    hook = webhooks.register(["flows/created"], watch=(flow_id, source_id))
    factory.flow("data", source_id=source_id, id=flow_id)
    delivery = hook.expect("flows/created")
    name = hook.body["api_key_name"].lower()
    assert name in delivery.headers, f"the delivery has no {hook.body['api_key_name']} header"
    assert delivery.headers[name] == hook.body["api_key_value"], (
        f"the {hook.body['api_key_name']} header does not carry the registered api_key_value"
    )
