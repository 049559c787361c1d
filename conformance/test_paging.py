"""Paging of listings: limit, Link rel="next", X-Paging-* headers, and bad query values."""

from __future__ import annotations

import uuid

import pytest

from tams_conformance.levels import MUST, SHOULD, check, unsupported

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


@check(
    "paging.nextkey-follow-to-the-end",
    MUST,
    "GET /flows X-Paging-NextKey (supplied to page= gives the next page)",
    ops=("GET /flows?limit&page&tag.{name}", "PUT /flows/{flowId}"),
)
def test_following_x_paging_nextkey_lists_every_flow_once(tams, tagged_flows):
    """MUST: where X-Paging-NextKey is sent, passing it as page= from limit=2 on lists every
    flow exactly once and ends; a page with a next link and no NextKey is reported."""
    marker, ids = tagged_flows
    params = {"limit": 2, "tag.paging_probe": marker}
    response = tams.get("/flows", params=params)
    if "X-Paging-NextKey" not in response.headers:
        unsupported("the target sends no X-Paging-NextKey (clients page by the Link header)")
    seen: list[str] = []
    for _ in range(PAGED_FLOWS + 2):
        assert response.status_code == 200
        seen.extend(f["id"] for f in response.json())
        key = response.headers.get("X-Paging-NextKey")
        if not key:
            break
        response = tams.get("/flows", params={**params, "page": key})
    assert len(seen) == len(set(seen)), f"paging by X-Paging-NextKey repeated flows: {seen}"
    assert sorted(seen) == sorted(ids), "paging by X-Paging-NextKey missed flows"


@check(
    "paging.count-header",
    MUST,
    "X-Paging-Count: the number of items in the returned data set",
    since="8.2",
    ops=("GET /flows?limit&page&tag.{name}", "PUT /flows/{flowId}"),
)
def test_x_paging_count_counts_the_page_or_the_whole_set(tams, tagged_flows):
    """MUST (8.2+): where X-Paging-Count is sent with limit=2 over five flows, it is the
    number of items of the page or of the whole filtered set, on every page."""
    marker, _ = tagged_flows
    counted = False
    for page in tams.pages("/flows", {"limit": 2, "tag.paging_probe": marker}):
        raw = page.headers.get("X-Paging-Count")
        if raw is None:
            continue
        counted = True
        assert raw.strip().isdigit(), f"X-Paging-Count {raw!r} is not an integer"
        assert int(raw) in (len(page.json()), PAGED_FLOWS), (
            f"X-Paging-Count {raw} is neither the page's {len(page.json())} items nor the "
            f"set's {PAGED_FLOWS}"
        )
    if not counted:
        unsupported("the target sends no X-Paging-Count (an optional header)")


@check(
    "paging.limit-above-maximum",
    SHOULD,
    "GET /flows limit: services may have their own maximum; X-Paging-Limit reports it",
    ops=("GET /flows?limit&tag.{name}", "PUT /flows/{flowId}"),
)
def test_a_limit_above_the_maximum_is_lowered_not_refused(tams, tagged_flows):
    """SHOULD: limit=1000000 answers 200 with pages no longer than X-Paging-Limit (when
    sent), and following them lists the five flows once each."""
    marker, ids = tagged_flows
    seen: list[str] = []
    for page in tams.pages("/flows", {"limit": 1000000, "tag.paging_probe": marker}):
        assert page.status_code == 200, f"limit=1000000 answered {page.status_code}"
        applied = page.headers.get("X-Paging-Limit")
        if applied is not None:
            assert len(page.json()) <= int(applied) <= 1000000
        seen.extend(f["id"] for f in page.json())
    assert sorted(seen) == sorted(ids)


@pytest.mark.parametrize("path", ["/flow-delete-requests", "/service/storage-backends"])
@check(
    "paging.other-listings",
    MUST,
    "limit and paging of GET /flow-delete-requests and GET /service/storage-backends",
    since="8.2",
    ops=("GET /flow-delete-requests?limit&page", "GET /service/storage-backends?limit&page"),
)
def test_other_listings_honour_limit_and_page_without_repeats(tams, path):
    """MUST (8.2+): with limit=1 every page holds at most one item (or X-Paging-Limit),
    following rel="next" ends, and no item is listed twice (storage backends: the pages hold
    what the unpaged listing holds)."""
    seen: list[str] = []
    for page in tams.pages(path, {"limit": 1}):
        assert page.status_code == 200, tams.origin_note(page.url, "next link")
        applied = int(page.headers.get("X-Paging-Limit", 1))
        assert applied <= 1, f"X-Paging-Limit {applied} exceeds the requested limit 1"
        assert len(page.json()) <= 1
        seen.extend(item["id"] for item in page.json())
    assert len(seen) == len(set(seen)), f"{path}: an item was listed twice: {seen}"
    if path == "/service/storage-backends":
        every = tams.get(path).json()
        assert sorted(seen) == sorted(b["id"] for b in every)
