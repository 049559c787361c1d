"""Named faults: each one reproduces a real deletion or upload bug on purpose.

The meta-tests run the conformance suite against the reference with one fault switched on and
expect the checks guarding that rule to fail (and nothing else). A fault the suite cannot detect
is a hole in the suite, so every entry here says exactly which rule it breaks.

Faults that leave orphans run their statements with foreign keys off, as servers without
foreign keys do; the correct code paths always run with ``PRAGMA foreign_keys=ON``.

Where each one acts:

- ``ignore-cascade``, ``cascade-rows-only``, ``gc-shared-objects``, ``no-gc``: the apply step
  of a delete (``store/deletes.py``: ``apply_plan``, ``_release``). ``ignore-cascade`` also
  skips the 409 checks of the plans; its flow delete keeps the source, as the flow row is the
  only thing it removes. It reproduces vasttams main; ``cascade-rows-only`` reproduces vasttams
  dev (segment rows go, ``flow_object_references`` and S3 media stay).
- ``partial-conflict``: ``_partial_source`` / ``_partial_segments``, always synchronous, one
  transaction per dependent. A flow delete with ``cascade=false`` removes the segments of
  unshared objects one by one, answers 409 at the first shared one, and deletes the flow when
  none is shared.
- ``read-only-ignored``: ``_check_writable`` of the delete plans only.
- ``check-then-delete``: ``_execute`` of synchronous source and flow and segments deletes (the
  asynchronous mode marks the flow in its accepting transaction, so it has no window).
- ``missing-is-success``: ``_ignore_missing`` and ``Store._accept``.
- ``cascade-string-truthy``: ``handlers/deletes.py: cascade_param``.
- ``object-visible-before-registration``: ``store/objects.py: get_object``.
- ``sigv2-put-urls``, ``content-type-signed-not-declared``, ``short-expiry``, ``wrong-region``,
  ``broken-get-urls``, ``put-url-unsigned-content-type``: ``media.py``.
- ``no-objects-endpoint``: ``app.py: build_rules`` (the /objects row is left out).
- ``sources-never-removed``: ``store/deletes.py: apply_plan`` (no source row is deleted).
- ``put-merges``: ``store/flows.py: put_flow``.
- ``segments-for-missing-flow``: ``store/segments.py: post_segments`` (foreign keys off, as a
  server without them; the object's allocation flow is not checked either).
- ``timerange-not-updated``: ``store/flows.py: _segments_extent`` (the audit's
  flow-timerange-not-spanning-segments; tests/meta/test_audit.py).
"""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    "ignore-cascade": (
        "Every delete succeeds and removes only the entity itself: sources leave their flows, "
        "flows leave their segments, segment deletes never garbage-collect objects; "
        "cascade=false never gives 409."
    ),
    "cascade-rows-only": (
        "Cascades delete the rows one level down and stop there: a source cascade leaves the "
        "segments and objects of its flows, a flow delete never garbage-collects objects (they "
        "keep listing the deleted flow)."
    ),
    "cascade-string-truthy": (
        "Any non-empty cascade value counts as true, so cascade=false and cascade=maybe cascade."
    ),
    "partial-conflict": (
        "A cascade=false delete removes the dependents it may one by one and answers 409 at the "
        "first it cannot, leaving the work half done."
    ),
    "gc-shared-objects": (
        "Deleting segments or flows also deletes objects (rows and media) that another flow "
        "still references."
    ),
    "no-gc": "Objects no longer referenced by any segment are never deleted (rows and media stay).",
    "read-only-ignored": "DELETE of a read_only flow or of its segments succeeds instead of 403.",
    "check-then-delete": (
        "The dependency check and the delete run in separate transactions with a 30 ms window "
        "between them, so a segment POST landing in the window is orphaned."
    ),
    "missing-is-success": (
        "Deleting a missing source, flow, or the segments of a missing flow answers 204, not 404."
    ),
    "sigv2-put-urls": (
        "put_urls are presigned with SigV2 and no ContentType in the signature, while "
        "put_url.content-type is still declared (the bug report's upload failure)."
    ),
    "content-type-signed-not-declared": (
        "put_urls sign Content-Type (SigV4) but put_url carries no content-type to send."
    ),
    "short-expiry": "put_urls expire after 10 s, below min_presigned_url_timeout.",
    "wrong-region": "put_urls are signed for region eu-west-2 instead of the store's region.",
    "object-visible-before-registration": (
        "GET /objects/{id} answers 200 for an object that was allocated but never registered."
    ),
    "broken-get-urls": "Segment and object get_urls are signed with a wrong secret key.",
    "no-objects-endpoint": (
        "No /objects routes at all: GET and HEAD /objects/{id} answer 404 for every object, "
        "registered or not (a server that never implemented the 7.0 endpoint)."
    ),
    "put-url-unsigned-content-type": (
        "put_urls are SigV4 presigned signing only host, yet declare put_url.content-type: a "
        "strict store refuses the declared Content-Type as an unsigned header."
    ),
    "sources-never-removed": (
        "Sources never go away: deleting a source's last flow leaves it, and DELETE "
        "/sources/{id} (cascade extension) answers success but keeps the source."
    ),
    "put-merges": (
        "PUT /flows/{id} of an existing flow merges the body into the stored flow instead of "
        "replacing it: properties the body omits (tags, description, ...) stay."
    ),
    "segments-for-missing-flow": (
        "POST /flows/{id}/segments for a flow that does not exist answers 201 and stores the "
        "segments under the missing flow id."
    ),
    "timerange-not-updated": (
        "A flow's timerange (GET /flows/{id}?include_timerange=true) is the extent of its first "
        "segment only, as a cached timerange that later segment POSTs never update."
    ),
}


def check_faults(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset, or raise ValueError naming the unknown ones."""
    chosen = frozenset(name.strip() for name in names if name.strip())
    unknown = sorted(chosen - FAULTS.keys())
    if unknown:
        raise ValueError(
            f"unknown fault {', '.join(unknown)}; known faults: {', '.join(sorted(FAULTS))}"
        )
    return chosen
