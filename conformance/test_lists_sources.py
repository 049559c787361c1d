"""GET /sources filters, and the filters, order and paging of /service/storage-backends.

Source queries carry the check's marker tag so other data never enters a comparison; storage
backends are the target's own (the kit cannot make any), so their listings are compared with
the unfiltered listing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tams_conformance.levels import MUST, check

PROBE = "list_probe"
BACKENDS = "/service/storage-backends"


def listed(tams: Any, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in tams.pages(path, params):
        assert page.status_code == 200, f"GET {path}?{params} answered {page.status_code}"
        items.extend(page.json())
    found = [item["id"] for item in items]
    assert len(found) == len(set(found)), f"GET {path}?{params} listed an item twice: {found}"
    return items


def sources(tams: Any, marker: str, **params: Any) -> set[str]:
    return {s["id"] for s in listed(tams, "/sources", {f"tag.{PROBE}": marker, **params})}


@pytest.fixture
def source_set(factory, tams) -> dict[str, Any]:
    """Three marked sources: R (label, colour=red), B (colour=blue), N (neither)."""
    marker = uuid.uuid4().hex
    made = {name: factory.flow()["source_id"] for name in ("R", "B", "N")}
    for source_id in made.values():
        assert tams.put(f"/sources/{source_id}/tags/{PROBE}", marker).status_code == 204
    assert tams.put(f"/sources/{made['R']}/tags/colour", "red").status_code == 204
    assert tams.put(f"/sources/{made['B']}/tags/colour", "blue").status_code == 204
    assert tams.put(f"/sources/{made['R']}/label", f"lists {marker} r").status_code == 204
    return {"marker": marker, **made}


@check(
    "lists.sources-filter-label",
    MUST,
    "GET /sources label",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?label&tag.{name}",
        "PUT /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_label_filter_keeps_only_that_label(tams, source_set):
    """MUST: label=<R's label> lists R only; a label no source has lists none."""
    marker = source_set["marker"]
    assert sources(tams, marker, label=f"lists {marker} r") == {source_set["R"]}
    assert sources(tams, marker, label=f"lists {marker} none") == set()


@check(
    "lists.sources-filter-tags",
    MUST,
    "GET /sources tag.{name}, tag_exists.{name}",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?tag.{name}&tag_exists.{name}",
        "PUT /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_tag_filters_match_values_and_presence(tams, source_set):
    """MUST: tag.colour=red lists R, tag.colour=red,blue lists R and B, tag.colour=green none;
    tag_exists.colour=true lists R and B, tag_exists.colour=false lists N."""
    marker, r, b, n = (source_set[k] for k in ("marker", "R", "B", "N"))
    assert sources(tams, marker, **{"tag.colour": "red"}) == {r}
    assert sources(tams, marker, **{"tag.colour": "red,blue"}) == {r, b}
    assert sources(tams, marker, **{"tag.colour": "green"}) == set()
    assert sources(tams, marker, **{"tag_exists.colour": "true"}) == {r, b}
    assert sources(tams, marker, **{"tag_exists.colour": "false"}) == {n}


@check(
    "lists.sources-filter-format-none",
    MUST,
    "GET /sources format",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?format&tag.{name}",
        "PUT /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_format_filter_of_another_format_lists_none(tams, source_set):
    """MUST: the marked sources are all video: format=video lists the three, format=audio
    none of them."""
    marker = source_set["marker"]
    three = {source_set[k] for k in ("R", "B", "N")}
    assert sources(tams, marker, format="urn:x-nmos:format:video") == three
    assert sources(tams, marker, format="urn:x-nmos:format:audio") == set()


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"tag_exists.colour": "maybe"}, id="tag-exists-not-boolean"),
        pytest.param({"format": "urn:x-nmos:format:smell"}, id="format-unknown"),
        pytest.param({"limit": "many"}, id="limit-not-integer"),
    ],
)
@check(
    "lists.sources-bad-query-400",
    MUST,
    "GET /sources 400",
    ops=("GET /sources?format&limit&tag_exists.{name}",),
)
def test_invalid_filter_values_on_sources_answer_400(tams, params):
    """MUST: a query value its schema refuses answers 400."""
    response = tams.get("/sources", params=params)
    assert response.status_code == 400, f"GET /sources?{params} answered {response.status_code}"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"reverse_order": "sideways"}, id="reverse-order-not-boolean"),
        pytest.param({"sort_by": "size"}, id="sort-by-unknown"),
        pytest.param({"collected_by_ids": "not-a-uuid"}, id="collected-by-ids-not-uuids"),
    ],
)
@check(
    "lists.sources-bad-query-400-8.2",
    MUST,
    "GET /sources 400 (reverse_order, sort_by, collected_by_ids)",
    since="8.2",
    ops=("GET /sources?collected_by_ids&reverse_order&sort_by",),
)
def test_invalid_8_2_values_on_sources_answer_400(tams, params):
    """MUST (8.2+): a value the 8.2 parameter schemas refuse answers 400."""
    response = tams.get("/sources", params=params)
    assert response.status_code == 400, f"GET /sources?{params} answered {response.status_code}"


def label_key(backend: dict[str, Any]) -> tuple[int, str]:
    return (0, backend["label"]) if "label" in backend else (1, backend["id"])


@check(
    "lists.storage-backends-filters-order",
    MUST,
    "GET /service/storage-backends tag.{name}, tag_exists.{name}, reverse_order; sorted by label",
    since="8.2",
    ops=("GET /service/storage-backends?reverse_order&tag.{name}&tag_exists.{name}",),
)
def test_storage_backends_filter_on_tags_and_sort_by_label(tams):
    """MUST (8.2+): a tag no backend has selects none (tag.x, tag_exists.x=true) and its
    absence selects all (tag_exists.x=false); a backend's own tag selects it; the list is in
    label order (unlabelled after) and reverse_order=true turns it."""
    every = listed(tams, BACKENDS, {})
    name = f"tams_conformance_{uuid.uuid4().hex}"
    assert listed(tams, BACKENDS, {f"tag.{name}": "x"}) == []
    assert listed(tams, BACKENDS, {f"tag_exists.{name}": "true"}) == []
    assert {b["id"] for b in listed(tams, BACKENDS, {f"tag_exists.{name}": "false"})} == {
        b["id"] for b in every
    }
    for backend in every:
        for tag, value in backend.get("tags", {}).items():
            value = value[0] if isinstance(value, list) and value else value
            if isinstance(value, str) and value and "," not in value:
                chosen = listed(tams, BACKENDS, {f"tag.{tag}": value})
                assert backend["id"] in {b["id"] for b in chosen}, f"tag.{tag}={value} missed it"
    keys = [label_key(b) for b in every]
    assert keys == sorted(keys), f"backends not in label order: {keys}"
    reverse = [label_key(b) for b in listed(tams, BACKENDS, {"reverse_order": "true"})]
    assert reverse == sorted(keys, reverse=True), f"reverse_order=true gave {reverse}"
