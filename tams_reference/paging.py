"""Keyset paging shared by every listing.

A page key is the opaque (base64 JSON) sort key of the last item returned, not an offset, so a
resource created or deleted between two page requests never shifts the next page: the listing
resumes strictly after the key in the listing's order (ADR-0010, "consistent sort order").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tams_reference.errors import BadRequest

SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class Page:
    """One page of a listing, with what the paging headers need."""

    items: list[Any]
    limit: int
    next_key: str | None
    count: int
    first_key: str | None = None  # what the `paging-nextkey-wrong` fault reports instead


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """The limit to apply: the default when absent, capped at ``maximum``; 400 when invalid."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"limit {raw!r} is not an integer") from None
    if value < 1:
        raise BadRequest(f"limit {raw!r} must be 1 or more")
    return min(value, maximum)


def encode_key(key: SortKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_key(raw: str) -> SortKey:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest(f"page {raw!r} is not a page key this service issued") from None
    if not isinstance(value, list):
        raise BadRequest(f"page {raw!r} is not a page key this service issued")
    return tuple(value)


def paginate(
    keyed: Sequence[tuple[SortKey, Any]],
    limit: int,
    page: str | None,
    descending: bool = False,
) -> Page:
    """Cut one page out of ``keyed`` (pairs of unique sort key and item, in any order).

    The listing order is ascending by key, or descending when ``descending``.
    """
    ordered = sorted(keyed, key=lambda pair: pair[0], reverse=descending)
    if page:
        marker = decode_key(page)
        try:
            if descending:
                ordered = [pair for pair in ordered if pair[0] < marker]
            else:
                ordered = [pair for pair in ordered if pair[0] > marker]
        except TypeError:
            raise BadRequest(f"page {page!r} does not belong to this listing") from None
    chosen = ordered[:limit]
    next_key = encode_key(chosen[-1][0]) if len(ordered) > limit else None
    return Page(
        items=[item for _, item in chosen],
        limit=limit,
        next_key=next_key,
        count=len(keyed),
        first_key=encode_key(chosen[0][0]) if chosen else None,
    )


# Paging headers a server may leave out: only Link is needed to page (the `minimal-paging-headers`
# variant); X-Paging-Count is "the number of items in the returned data set", which a server may
# read as this page's items (the `page-count-per-page` variant).
OPTIONAL_HEADERS = (
    "X-Paging-Limit",
    "X-Paging-Count",
    "X-Paging-Reverse-Order",
    "X-Paging-NextKey",
)


def shape_headers(
    headers: Any, page: Page, faults: frozenset[str], variants: frozenset[str]
) -> None:
    """Apply the paging variants and faults to a listing's response headers (in place)."""
    if "page-count-per-page" in variants:
        headers["X-Paging-Count"] = str(len(page.items))
    if "paging-nextkey-wrong" in faults and page.next_key is not None and page.first_key:
        headers["X-Paging-NextKey"] = page.first_key  # the page's first item, not its last
    if "minimal-paging-headers" in variants:
        for name in OPTIONAL_HEADERS:
            headers.pop(name, None)
