"""Flow collections: flow_collection kept as PUT (members, roles, order), collected_by on the
members maintained by the service, and the collected_by_ids filters (8.2)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tams_conformance.levels import MUST, SHOULD, check

PROBE = "collection_probe"


def members(flow: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(item["id"], item.get("role")) for item in flow.get("flow_collection", [])]


@pytest.fixture
def collection(factory) -> dict[str, Any]:
    """Members V (video) and A (audio), a multi flow C collecting [A as audio, V as video],
    and a lone flow L; all four marked."""
    marker = uuid.uuid4().hex
    tags = {PROBE: marker}
    video = factory.flow("video", tags=tags)["id"]
    audio = factory.flow("audio", tags=tags)["id"]
    items = [{"id": audio, "role": "audio"}, {"id": video, "role": "video"}]
    collector = factory.flow(
        "data",
        tags=tags,
        format="urn:x-nmos:format:multi",
        essence_parameters=None,
        codec=None,
        container=None,
        flow_collection=items,
    )["id"]
    lone = factory.flow("data", tags=tags)["id"]
    return {"marker": marker, "V": video, "A": audio, "C": collector, "L": lone}


@check(
    "collections.flow-collection-round-trip",
    MUST,
    "flow-collection.json (an ordered list of id and role); PUT /flows/{flowId}/flow_collection",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}",
        "GET /flows/{flowId}/flow_collection",
        "PUT /flows/{flowId}/flow_collection",
    ),
)
def test_flow_collection_keeps_members_roles_and_order(tams, collection):
    """MUST: GET shows the flow_collection as PUT (members, roles, in order); replacing it with
    the members reversed through PUT /flows/{id}/flow_collection is kept in the new order."""
    c, v, a = collection["C"], collection["V"], collection["A"]
    assert members(tams.get(f"/flows/{c}").json()) == [(a, "audio"), (v, "video")]
    sub = tams.get(f"/flows/{c}/flow_collection")
    assert sub.status_code == 200
    assert members({"flow_collection": sub.json()}) == [(a, "audio"), (v, "video")]
    swapped = [{"id": v, "role": "picture"}, {"id": a, "role": "sound"}]
    assert tams.put(f"/flows/{c}/flow_collection", swapped).status_code == 204
    assert members(tams.get(f"/flows/{c}").json()) == [(v, "picture"), (a, "sound")]


@check(
    "collections.collected-by-maintained",
    SHOULD,
    "flow-common.json collected_by: read-only, managed by the service (SHOULD ignore a PUT's)",
    ops=(
        "GET /flows?tag.{name}",
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/flow_collection",
    ),
)
def test_members_show_collected_by_as_the_collections_change(tams, factory, collection):
    """SHOULD: V and A show collected_by [C] (in GET and in the listing); after C's collection
    drops V, V no longer lists C; a collected_by sent in a PUT is ignored."""
    marker, c, v, a, lone = (collection[k] for k in ("marker", "C", "V", "A", "L"))
    for member in (v, a):
        assert c in tams.get(f"/flows/{member}").json().get("collected_by", []), (
            f"member {member} does not show collected_by {c}"
        )
    pages = tams.pages("/flows", {f"tag.{PROBE}": marker})
    listing = {f["id"]: f for page in pages for f in page.json()}
    assert c in listing[v].get("collected_by", []), "the listing lacks collected_by"
    assert "collected_by" not in listing[lone] or listing[lone]["collected_by"] == []
    assert tams.put(f"/flows/{c}/flow_collection", [{"id": a}]).status_code == 204
    assert c not in tams.get(f"/flows/{v}").json().get("collected_by", []), (
        "V still shows collected_by C after C's collection dropped it"
    )
    assert c in tams.get(f"/flows/{a}").json().get("collected_by", [])
    body = factory.flow_body("data", flow_id=lone, tags={PROBE: marker})
    body["collected_by"] = [str(uuid.uuid4())]
    assert tams.put(f"/flows/{lone}", body).status_code == 204
    shown = tams.get(f"/flows/{lone}").json().get("collected_by", [])
    assert body["collected_by"][0] not in shown, "a client-supplied collected_by was kept"


def listed(tams: Any, path: str, marker: str | None, **params: Any) -> set[str]:
    query = {**({f"tag.{PROBE}": marker} if marker else {}), **params}
    found: list[str] = []
    for page in tams.pages(path, query):
        assert page.status_code == 200, f"GET {path}?{params} answered {page.status_code}"
        found.extend(item["id"] for item in page.json())
    return set(found)


@check(
    "collections.collected-by-ids-filter",
    MUST,
    "GET /flows collected_by_ids (listed collectors; empty: flows no flow collects)",
    since="8.2",
    ops=("GET /flows?collected_by_ids&tag.{name}", "PUT /flows/{flowId}"),
)
def test_collected_by_ids_filter_lists_members_and_top_level_flows(tams, collection):
    """MUST (8.2+): collected_by_ids=C lists V and A; with an unknown collector too it still
    lists them; an unknown collector alone lists none; the empty value lists C and L, the
    flows no flow collects."""
    marker, c, v, a, lone = (collection[k] for k in ("marker", "C", "V", "A", "L"))
    other = str(uuid.uuid4())
    assert listed(tams, "/flows", marker, collected_by_ids=c) == {v, a}
    assert listed(tams, "/flows", marker, collected_by_ids=f"{other},{c}") == {v, a}
    assert listed(tams, "/flows", marker, collected_by_ids=other) == set()
    assert listed(tams, "/flows", marker, collected_by_ids="") == {c, lone}


@check(
    "collections.sources-collected-by-ids",
    MUST,
    "GET /sources collected_by_ids (sources whose collected_by lists one of the ids)",
    since="8.2",
    ops=(
        "GET /flows/{flowId}",
        "PUT /flows/{flowId}",
        "GET /sources?collected_by_ids&tag.{name}",
        "GET /sources/{sourceId}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_collected_by_ids_agrees_with_collected_by(tams, collection):
    """MUST (8.2+): GET /sources?collected_by_ids=<C's source> lists exactly the kit's sources
    whose collected_by shows C's source (service-managed, possibly inferred from the flow
    collection), an unknown id lists none of them, and the empty value lists those with no
    collected_by."""
    flows = {k: tams.get(f"/flows/{collection[k]}").json() for k in ("C", "V", "A", "L")}
    ours = {f["source_id"] for f in flows.values()}
    parent = flows["C"]["source_id"]
    marker = collection["marker"]
    for sid in ours:
        assert tams.put(f"/sources/{sid}/tags/{PROBE}", marker).status_code == 204
    parents = {sid: tams.get(f"/sources/{sid}").json().get("collected_by", []) for sid in ours}
    shown = {sid for sid in ours if parent in parents[sid]}
    assert listed(tams, "/sources", marker, collected_by_ids=parent) == shown
    assert listed(tams, "/sources", marker, collected_by_ids=str(uuid.uuid4())) == set()
    top_level = {sid for sid in ours if not parents[sid]}
    assert listed(tams, "/sources", marker, collected_by_ids="") == top_level
