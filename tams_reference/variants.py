"""Named variants: other legitimate choices a correct TAMS server may make.

Unlike a fault (:mod:`tams_reference.faults`), a variant breaks no rule of the TAMS spec or of
the cascade extension: it is a different answer the spec allows. The meta-tests run the whole
conformance suite against the reference with every variant on and expect it to pass, so a check
that rejects one of these choices is a check that rejects a correct server.

Choose them with ``ServerConfig(variants=frozenset({...}))``, ``--variants a,b`` on the
reference command line, or ``reference: {variants: [a, b]}`` in targets.yaml.

- ``async-everywhere``: every DELETE of a flow or of a flow's segments answers 202 with a
  ``Location`` to its flow-delete-request, whatever ``delete_mode`` says, also for flows
  without segments and with the cascade parameter; the worker completes the request
  (``Store._deletes_now``). Refusals (404, 403, 409, 400) still answer at once, and a 202'd
  flow reads as gone from the moment it is accepted. DELETE /sources/{id} stays synchronous.
- ``absolute-location``: the 202's ``Location`` is an absolute URL,
  ``http://host:port/flow-delete-requests/<id>``, not a path (``handlers/deletes.py``).
- ``cascade-200-body``: a successful cascade-extension delete -- DELETE /sources/{id}, and a
  synchronous DELETE /flows/{id} carrying the cascade parameter -- answers 200 with
  ``{"message": ..., "deleted": {"sources": n, "flows": n, "segments": n, "objects": n}}``
  instead of 204 (``handlers/deletes.py``; the counts come from ``store/deletes.py: Deleted``).
- ``slash-object-ids``: object ids the store allocates look like ``media/<uuid4>/essence``
  (``store/segments.py``); ``/objects/{id}`` reads the id from the raw path (``%2F``), and
  the S3 key is ``objects/<id>``, slashes and all.
- ``host-only-put-urls``: put_urls are SigV4-presigned without ``ContentType`` in their
  parameters, so they sign only ``host``, and ``put_url`` declares no ``content-type``
  (``media.py``). A client then uploads without a Content-Type (AWS would accept and store an
  unsigned one; a strict store refuses it).
- ``deferred-204``: in sync delete mode, a spec ``DELETE /flows/{id}/segments`` (no cascade
  parameter) is answered 204 at once and carried out by the background worker a moment later
  (``handlers/deletes.py``): its 204 says segments "have been or will be deleted". With
  ``async-everywhere`` chosen too, the 202 wins.
- ``late-gc``: an object no segment references any more is deleted half a second later, in a
  transaction of its own, not with the delete that released it (``store/deletes.py``); its
  ``referenced_by_flows`` is updated at once. The spec's objects "have been or will be deleted".
- ``idempotent-segment-repost``: POSTing a segment identical to one already registered (same
  object, timerange and fields) answers 201 and registers no duplicate, where the reference
  otherwise answers 400 for the overlap (the spec leaves it undefined; ``store/segments.py``).
- ``omit-empty-get-urls``: a segment or object whose get_urls are all filtered out
  (``accept_get_urls=``) carries no ``get_urls`` key instead of ``[]`` ("empty or omitted").
- ``unsigned-put-urls``: storage allocation without ``presigned`` hands out put_urls that are
  not presigned: same-origin URLs of the reference itself, used with the API credentials
  (ADR-0054; ``handlers/objects.py``), without ``presigned: true``.
- ``relative-next-links``: the paging ``Link: <...>; rel="next"`` carries a path relative to
  the host (``</flows?limit=2&page=...>``) instead of an absolute URL (``Api.paged``).
- ``small-pages``: the service's own default and maximum ``limit`` is 3 on every listing
  (``config.py``): a client asking for more gets 3 per page, ``X-Paging-Limit: 3``, and pages on.
- ``minimal-paging-headers``: listings carry only ``Link`` of the paging headers (no
  ``X-Paging-Limit``, ``-Count``, ``-Reverse-Order``, ``-NextKey``; ``paging.shape_headers``).
- ``page-count-per-page``: ``X-Paging-Count`` counts the items of this page, not of the whole
  filtered set ("the number of items in the returned data set"; ``paging.shape_headers``).
- ``label-ties-newest-first``: ``sort_by=label`` orders flows and sources of equal label newest
  first, not by id (the spec leaves ties open; ``store/flows.py``, ``store/sources.py``).
- ``no-webhooks``: no event stream: ``/service`` advertises no ``event_stream_mechanisms`` and
  ``/service/webhooks`` answers 404, the spec's "not supported" (``handlers/webhooks.py``).
- ``head-omits-content-length``: HEAD answers carry the headers GET would send except
  ``Content-Length`` (``app.py: head_headers``).
"""

from __future__ import annotations

from collections.abc import Iterable

ASYNC_EVERYWHERE = "async-everywhere"
ABSOLUTE_LOCATION = "absolute-location"
CASCADE_200_BODY = "cascade-200-body"
SLASH_OBJECT_IDS = "slash-object-ids"
HOST_ONLY_PUT_URLS = "host-only-put-urls"
RELATIVE_NEXT_LINKS = "relative-next-links"
LATE_GC = "late-gc"
DEFERRED_204 = "deferred-204"
SMALL_PAGES = "small-pages"
SMALL_PAGE_LIMIT = 3
MINIMAL_PAGING_HEADERS = "minimal-paging-headers"
PAGE_COUNT_PER_PAGE = "page-count-per-page"
LABEL_TIES_NEWEST_FIRST = "label-ties-newest-first"
IDEMPOTENT_REPOST = "idempotent-segment-repost"
OMIT_EMPTY_GET_URLS = "omit-empty-get-urls"
UNSIGNED_PUT_URLS = "unsigned-put-urls"
HEAD_OMITS_CONTENT_LENGTH = "head-omits-content-length"
NO_WEBHOOKS = "no-webhooks"

VARIANTS: dict[str, str] = {
    ASYNC_EVERYWHERE: (
        "Every DELETE of a flow or of its segments answers 202 + Location to a "
        "flow-delete-request (also without segments, also with cascade), whatever the delete "
        "mode; source deletes stay synchronous."
    ),
    ABSOLUTE_LOCATION: "The 202's Location is an absolute URL (http://host:port/...).",
    CASCADE_200_BODY: (
        "Successful DELETE /sources/{id}, and flow deletes carrying the cascade parameter, "
        'answer 200 with {"message", "deleted": {sources, flows, segments, objects}} '
        "instead of 204."
    ),
    SLASH_OBJECT_IDS: "Allocated object ids contain '/' (media/<uuid4>/essence).",
    HOST_ONLY_PUT_URLS: (
        "put_urls are SigV4-presigned signing only host, and declare no content-type."
    ),
    DEFERRED_204: (
        "Spec segment deletes answer 204 at once and are carried out by the background "
        "worker a moment later (sync mode; async-everywhere wins)."
    ),
    LATE_GC: (
        "Objects no longer referenced are deleted half a second later, not with the delete "
        "that released them (eventual garbage collection)."
    ),
    IDEMPOTENT_REPOST: (
        "An identical re-POST of a registered segment answers 201 and adds no duplicate."
    ),
    OMIT_EMPTY_GET_URLS: "get_urls filtered down to nothing are omitted, not [].",
    UNSIGNED_PUT_URLS: (
        "put_urls are not presigned unless asked (presigned: true): same-origin URLs of the "
        "server, used with the API credentials."
    ),
    NO_WEBHOOKS: (
        "No event stream: /service advertises no event_stream_mechanisms and "
        '/service/webhooks answers 404 (the spec\'s "not supported").'
    ),
    RELATIVE_NEXT_LINKS: (
        'Paging Link headers carry a host-relative URL (</flows?page=...>; rel="next").'
    ),
    SMALL_PAGES: f"Every listing's default and maximum limit is {SMALL_PAGE_LIMIT}.",
    MINIMAL_PAGING_HEADERS: "Listings send Link but none of the optional X-Paging-* headers.",
    PAGE_COUNT_PER_PAGE: "X-Paging-Count is the number of items on this page.",
    LABEL_TIES_NEWEST_FIRST: "sort_by=label orders equal labels newest first, not by id.",
    HEAD_OMITS_CONTENT_LENGTH: (
        "HEAD answers carry GET's headers but no Content-Length (RFC 9110 9.3.2 lets a HEAD "
        "omit headers whose value is known only while generating the content)."
    ),
}


def check_variants(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise ValueError naming the unknown ones."""
    chosen = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(chosen - VARIANTS.keys())
    if unknown:
        raise ValueError(
            f"unknown variant {', '.join(unknown)}; known variants: {', '.join(sorted(VARIANTS))}"
        )
    return chosen
