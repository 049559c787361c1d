"""Paging of listings: limit, Link rel="next", X-Paging-* headers, and bad query values."""

from __future__ import annotations

import uuid

import pytest

from tams_conformance.levels import MUST, SHOULD, check

PAGED_FLOWS = 5


@pytest.fixture
def tagged_flows(factory) -> tuple[str, list[str]]:
    """Five flows sharing a tag value no other flow has, so listings can be compared exactly."""
    marker = uuid.uuid4().hex
    ids = [factory.flow(tags={"paging_probe": marker})["id"] for _ in range(PAGED_FLOWS)]
    return marker, ids


@check(
    "paging.limit-honoured",
    MUST,
    "GET /flows limit; X-Paging-Limit header",
    ops=("GET /flows?limit&tag.{name}", "PUT /flows/{flowId}"),
)
def test_flows_limit_is_honoured_or_reported_lower(tams, tagged_flows):
    """MUST: with limit=2 a page holds at most 2 flows, or at most X-Paging-Limit when the
    service applies a lower limit (which it then reports)."""
    marker, _ = tagged_flows
    response = tams.get("/flows", params={"limit": 2, "tag.paging_probe": marker})
    assert response.status_code == 200
    applied = int(response.headers.get("X-Paging-Limit", 2))
    assert applied <= 2, f"X-Paging-Limit {applied} exceeds the requested limit 2"
    assert 1 <= len(response.json()) <= applied


@check(
    "paging.follow-next-to-the-end",
    MUST,
    'Link rel="next" (ADR-0010; trait_resource_paged_key)',
    ops=("GET /flows?limit&page&tag.{name}", "PUT /flows/{flowId}"),
)
def test_following_next_links_lists_every_flow_once(tams, tagged_flows):
    """MUST: following rel="next" from limit=2 yields every flow exactly once, no gap, no
    duplicate, and the last page has no next link."""
    marker, ids = tagged_flows
    seen: list[str] = []
    pages = list(tams.pages("/flows", {"limit": 2, "tag.paging_probe": marker}))
    for page in pages:
        # a next link to another origin is followed without credentials: say so
        assert page.status_code == 200, tams.origin_note(page.url, "next link")
        seen.extend(f["id"] for f in page.json())
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    elsewhere = " ".join(tams.origin_note(p.url, "next link") for p in pages)
    assert sorted(seen) == sorted(ids), f"pages missed flows or listed foreign ones {elsewhere}"
    assert len(pages) >= 3, f"{PAGED_FLOWS} flows at limit 2 came in {len(pages)} page(s)"
    assert "next" not in pages[-1].links, "the last page still has a next link"


@check(
    "paging.sources-follow-next",
    MUST,
    'GET /sources paging (Link rel="next")',
    ops=(
        "PUT /flows/{flowId}",
        "GET /sources?limit&page&tag.{name}",
        "PUT /sources/{sourceId}/tags/{name}",
    ),
)
def test_following_next_links_on_sources_lists_every_source_once(tams, factory):
    """MUST: paging /sources with limit=1 through rel="next" lists the (tagged) sources made
    here exactly once each."""
    marker = uuid.uuid4().hex
    made = [factory.flow()["source_id"] for _ in range(3)]
    for source_id in made:
        assert tams.put(f"/sources/{source_id}/tags/paging_probe", marker).status_code == 204
    seen: list[str] = []
    for page in tams.pages("/sources", {"limit": 1, "tag.paging_probe": marker}):
        assert page.status_code == 200, tams.origin_note(page.url, "next link")
        assert len(page.json()) <= 1
        seen.extend(s["id"] for s in page.json())
    assert len(seen) == len(set(seen)), f"a source was listed twice across pages: {seen}"
    assert sorted(seen) == sorted(made), "paging missed sources or listed foreign ones"


@check(
    "paging.head-same-headers",
    SHOULD,
    "HEAD /flows (trait_resource_listing_head_200)",
    ops=("GET /flows?limit&tag.{name}", "HEAD /flows?limit&tag.{name}", "PUT /flows/{flowId}"),
)
def test_head_on_a_listing_gives_the_paging_headers_without_a_body(tams, tagged_flows):
    """SHOULD: HEAD /flows?limit=2 answers 200 with the paging headers GET gives (a next link
    when GET has one, the same X-Paging-Limit; page keys are opaque and may differ), and no
    body."""
    marker, _ = tagged_flows
    params = {"limit": 2, "tag.paging_probe": marker}
    get, head = tams.get("/flows", params=params), tams.head("/flows", params=params)
    assert head.status_code == 200
    assert head.content == b""
    assert ("next" in head.links) == ("next" in get.links), "HEAD and GET disagree on rel=next"
    assert head.headers.get("X-Paging-Limit") == get.headers.get("X-Paging-Limit")


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": "abc"}, id="limit-not-a-number"),
        pytest.param({"timerange": "[0:0__1:0)"}, id="timerange-malformed"),
    ],
)
@check("paging.bad-query-400", MUST, "GET /flows 400", ops=("GET /flows?limit&timerange",))
def test_bad_query_values_on_flows_answer_400(tams, params):
    """MUST: a malformed limit or timerange on GET /flows answers 400."""
    assert tams.get("/flows", params=params).status_code == 400
