"""sort_by and reverse_order of GET /flows and GET /sources (8.2), across pages of limit 2.

Only the kit's own resources are compared (a marker tag), and only by the sorted property:
resources whose values tie may come in any order (the spec leaves ties open)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest

from tams_conformance.levels import MUST, check

PROBE = "sort_probe"


def listing(tams: Any, path: str, marker: str, **params: Any) -> list[dict[str, Any]]:
    """Every marked item of a listing in the order served, pages of 2 followed; checks that
    X-Paging-Reverse-Order, when sent, says what was asked."""
    asked = str(params.get("reverse_order", "false")).lower()
    items: list[dict[str, Any]] = []
    for page in tams.pages(path, {f"tag.{PROBE}": marker, "limit": 2, **params}):
        assert page.status_code == 200, f"GET {path}?{params} answered {page.status_code}"
        said = page.headers.get("X-Paging-Reverse-Order")
        assert said is None or said.lower() == asked, (
            f"X-Paging-Reverse-Order: {said} for reverse_order={asked}"
        )
        items.extend(page.json())
    return items


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_time_order(items: list[dict[str, Any]], key: str, newest_first: bool) -> None:
    stamps = [when(item[key]) for item in items]
    wanted = sorted(stamps, reverse=newest_first)
    order = "most recent first" if newest_first else "oldest first"
    assert stamps == wanted, f"not sorted by {key} {order}: {[i[key] for i in items]}"


def assert_label_order(items: list[dict[str, Any]], reverse: bool) -> None:
    """Alphabetical by label, unlabelled ones (sorted by id) after, or all of it reversed."""
    labels = [(0, item["label"]) if "label" in item else (1, item["id"]) for item in items]
    wanted = sorted(labels, reverse=reverse)
    assert labels == wanted, f"not in {'reverse ' if reverse else ''}label order: {labels}"


@pytest.fixture
def sorted_flows(factory, tams) -> tuple[str, list[str]]:
    """Four flows, created in this order with labels c, a, b and none; the first is updated
    last (so metadata_updated differs from created order)."""
    marker = uuid.uuid4().hex
    made = [
        factory.flow(tags={PROBE: marker}, label=f"{marker} {name}")["id"]
        for name in ("c", "a", "b")
    ]
    made.append(factory.flow(tags={PROBE: marker}, label=None)["id"])
    assert tams.put(f"/flows/{made[0]}/description", "updated last").status_code == 204
    return marker, made


@check(
    "lists.flows-sort-by",
    MUST,
    "GET /flows sort_by (created, metadata_updated: most recent first; label: alphabetical, "
    "unset after) and reverse_order",
    since="8.2",
    ops=(
        "GET /flows?limit&page&reverse_order&sort_by&tag.{name}",
        "PUT /flows/{flowId}",
        "PUT /flows/{flowId}/description",
    ),
)
def test_flows_sort_by_and_reverse_order(tams, sorted_flows):
    """MUST (8.2+): the default order is created, most recent first, and reverse_order=true
    turns it; sort_by=metadata_updated likewise; sort_by=label is alphabetical with the
    unlabelled flow last, and first when reversed. The same flows every time."""
    marker, made = sorted_flows
    for reverse in ("false", "true"):
        newest_first = reverse == "false"
        default = listing(tams, "/flows", marker, reverse_order=reverse)
        assert {f["id"] for f in default} == set(made)
        assert_time_order(default, "created", newest_first)
        updated = listing(tams, "/flows", marker, sort_by="metadata_updated", reverse_order=reverse)
        assert {f["id"] for f in updated} == set(made)
        assert_time_order(updated, "metadata_updated", newest_first)
        by_label = listing(tams, "/flows", marker, sort_by="label", reverse_order=reverse)
        assert {f["id"] for f in by_label} == set(made)
        assert_label_order(by_label, reverse == "true")


@pytest.fixture
def sorted_sources(factory, tams) -> tuple[str, list[str]]:
    """Four sources (of four flows) tagged with a marker, labelled c, a, b and none."""
    marker = uuid.uuid4().hex
    made = [factory.flow()["source_id"] for _ in range(4)]
    for source_id, name in zip(made, ("c", "a", "b", None), strict=True):
        assert tams.put(f"/sources/{source_id}/tags/{PROBE}", marker).status_code == 204
        if name:
            assert tams.put(f"/sources/{source_id}/label", f"{marker} {name}").status_code == 204
    return marker, made


@check(
    "lists.sources-sort-by",
    MUST,
    "GET /sources sort_by (created, updated: most recent first; label: alphabetical, unset "
    "after) and reverse_order",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?limit&page&reverse_order&sort_by&tag.{name}",
        "PUT /sources/{sourceId}/label",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_sources_sort_by_and_reverse_order(tams, sorted_sources):
    """MUST (8.2+): sources sort by created (default) and updated most recent first, by label
    alphabetically with the unlabelled one last; reverse_order=true turns each order."""
    marker, made = sorted_sources
    for reverse in ("false", "true"):
        newest_first = reverse == "false"
        for key in ("created", "updated"):
            items = listing(tams, "/sources", marker, sort_by=key, reverse_order=reverse)
            assert {s["id"] for s in items} == set(made)
            if all(key in item for item in items):  # optional properties of source.json
                assert_time_order(items, key, newest_first)
        by_label = listing(tams, "/sources", marker, sort_by="label", reverse_order=reverse)
        assert {s["id"] for s in by_label} == set(made)
        assert_label_order(by_label, reverse == "true")
