"""Webhook filters and transforms: a registration gets exactly the events its filters match,
and segment events shaped like GET segments with the same options.

A filter or transform the target answers 400 to is unsupported (the spec's SHALL), not a
failure. "Nothing for the others" is judged once an unfiltered control registration has
received the other flow's event, so absence is never a timed wait.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tams_conformance.levels import MUST, check

FILTER_OPS = (
    "POST /service/webhooks",
    "PUT /flows/{flowId}",
    "PUT /flows/{flowId}/label",
    "PUT /flows/{flowId}/flow_collection",
)


def _arrange(factory: Any, tams: Any, hooks: tuple[Any, ...]) -> dict[str, str]:
    """Flows a (collected by p) and b (not collected), each with a source of its own."""
    ids = {name: str(uuid.uuid4()) for name in ("a", "b", "p")}
    sources = {name: factory.source_id() for name in ids}
    for hook in hooks:
        hook.watch(*ids.values(), *sources.values())
    for name in ("a", "b", "p"):
        factory.flow("data", source_id=sources[name], id=ids[name])
    put = tams.put(
        f"/flows/{ids['p']}/flow_collection", [{"id": ids["a"], "role": "member"}], validate=False
    )
    if put.status_code != 204:
        pytest.skip(f"n/a: PUT /flows/{{flowId}}/flow_collection answered {put.status_code}")
    return {**ids, **{f"source_{k}": v for k, v in sources.items()}}


# case -> (options of the filtered registration, flows it must get, flows it must not get)
FILTERS: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "flow-ids": (lambda ids: {"flow_ids": [ids["a"]]}, ("a",), ("b",)),
    "source-ids": (lambda ids: {"source_ids": [ids["source_a"]]}, ("a",), ("b",)),
    "flow-collected-by-ids": (lambda ids: {"flow_collected_by_ids": [ids["p"]]}, ("a",), ("b",)),
    "flow-collected-by-none": (lambda ids: {"flow_collected_by_ids": []}, ("b",), ("a",)),
    "source-collected-by-ids": (
        lambda ids: {"source_collected_by_ids": [str(uuid.uuid4())]},
        (),
        ("a", "b"),
    ),
    "source-collected-by-none": (lambda ids: {"source_collected_by_ids": []}, ("a", "b"), ()),
}


@check(
    "webhooks.filter-matching-events-only",
    MUST,
    "webhook.json flow_ids, source_ids, flow_collected_by_ids, source_collected_by_ids "
    "([] = not collected); POST /service/webhooks 400 when unsupported (SHALL)",
    ops=(
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/flow_collection",
        "PUT /flows/{flowId}/label",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
@pytest.mark.parametrize("case", sorted(FILTERS))
def test_filtered_webhook_gets_matching_events_only(webhooks, factory, tams, case):
    """MUST: a registration with a filter receives flows/updated for the flows it matches and
    none for the others (judged after an unfiltered registration got those)."""
    webhooks.require()
    control = webhooks.register(["flows/updated"])
    ids = _arrange(factory, tams, (control,))
    options, wanted, unwanted = FILTERS[case]
    filtered = webhooks.register(["flows/updated"], watch=tuple(ids.values()), **options(ids))
    labels = {}
    for name in (*unwanted, *wanted):  # the others first: their events would come before
        labels[name] = f"{case} {name} {uuid.uuid4().hex[:6]}"
        put = tams.put(f"/flows/{ids[name]}/label", labels[name], validate=False)
        assert put.status_code == 204, f"precondition: PUT label answered {put.status_code}"

    def labelled(name: str) -> Any:
        return lambda d: d.event.get("flow", {}).get("label") == labels[name]

    for name in wanted:
        filtered.expect("flows/updated", labelled(name), f"for matching flow {name}")
    for name in (*wanted, *unwanted):
        control.expect("flows/updated", labelled(name), f"on the control for flow {name}")
    wrong = [
        name
        for name in unwanted
        if any(labelled(name)(d) for d in filtered.received("flows/updated"))
    ]
    assert not wrong, (
        f"the registration filtered by {options(ids)} received flows/updated of flow(s) "
        f"{', '.join(wrong)}, which its filter excludes"
    )


def _shape(get_urls: Any) -> list[tuple[Any, ...]]:
    """What a transform decides about get_urls: which ones, not their signatures."""
    return sorted(
        (
            str(u.get("label")),
            bool(u.get("presigned")),
            str(u.get("storage_id")),
            u.get("controlled"),
        )
        for u in get_urls or []
    )


TRANSFORMS: dict[str, Any] = {
    "accept-get-urls-empty": lambda urls: ({"accept_get_urls": []}, {"accept_get_urls": ""}),
    "accept-get-urls-label": lambda urls: (
        {"accept_get_urls": [urls[0]["label"]]},
        {"accept_get_urls": urls[0]["label"]},
    ),
    "accept-storage-ids": lambda urls: (
        {"accept_storage_ids": [urls[0]["storage_id"]]},
        {"accept_storage_ids": urls[0]["storage_id"]},
    ),
    "presigned-true": lambda urls: ({"presigned": True}, {"presigned": "true"}),
    "presigned-false": lambda urls: ({"presigned": False}, {"presigned": "false"}),
}


@check(
    "webhooks.segments-added-get-urls-like-get-segments",
    MUST,
    "webhook.json accept_get_urls, accept_storage_ids, presigned: the same as the query "
    "parameters of GET /flows/{flowId}/segments; 400 when unsupported (SHALL)",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?accept_get_urls&presigned&timerange",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /service/webhooks",
        "POST /service/webhooks",
    ),
)
@pytest.mark.parametrize("case", sorted(TRANSFORMS))
def test_segment_events_get_urls_follow_the_transform(webhooks, factory, tams, case):
    """MUST: a registration's get_urls transform shapes the get_urls of its
    flows/segments_added events as the same query parameter shapes GET segments (an empty
    accept_get_urls: no get_urls at all)."""
    webhooks.require()
    flow_id = str(uuid.uuid4())
    factory.flow("data", id=flow_id)
    factory.segment(flow_id, "[0:0_1:0)")
    listed = tams.get(f"/flows/{flow_id}/segments", validate=False).json()
    urls = listed[0].get("get_urls") or [] if listed else []
    if case != "accept-get-urls-empty" and not urls:
        pytest.skip("n/a: the target's segments carry no get_urls to shape")
    if case == "accept-storage-ids" and not urls[0].get("storage_id"):
        pytest.skip("n/a: the target's get_urls name no storage_id")
    options, query = TRANSFORMS[case](urls)
    hook = webhooks.register(["flows/segments_added"], watch=(flow_id,), **options)
    factory.segment(flow_id, "[1:0_2:0)")

    def second(d: Any) -> bool:
        return any(s.get("timerange") == "[1:0_2:0)" for s in d.event.get("segments", []))

    delivery = hook.expect("flows/segments_added", second, "for the segment [1:0_2:0)")
    webhooks.assert_valid(delivery)
    sent = next(s for s in delivery.event["segments"] if s.get("timerange") == "[1:0_2:0)")
    served = tams.get(
        f"/flows/{flow_id}/segments", params={"timerange": "[1:0_2:0)", **query}
    ).json()
    assert served, "GET segments does not list the segment just registered"
    if case == "accept-get-urls-empty":
        assert not sent.get("get_urls"), (
            f"accept_get_urls [] must leave no get_urls, the event has {_shape(sent['get_urls'])}"
        )
    assert _shape(sent.get("get_urls")) == _shape(served[0].get("get_urls")), (
        f"{options}: the event's get_urls {_shape(sent.get('get_urls'))} differ from GET "
        f"segments with {query}: {_shape(served[0].get('get_urls'))}"
    )
