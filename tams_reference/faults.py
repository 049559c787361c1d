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
- ``auth-reads-open``, ``auth-any-credential``: ``app.py: TamsApp._auth_fault_lets_in``.
- ``put-merges``: ``store/flows.py: put_flow``.
- ``get-urls-unfiltered``, ``instances-not-listed``, ``last-instance-deletable``:
  ``store/objects.py`` (``render_get_urls``, ``add_instance``, ``remove_instance``).
- ``segment-fields-dropped``: ``store/segments.py: _register``.
- ``exclusive-start-ignored``: ``handlers/segments.py: get_segments`` (the query's ``(``
  read as ``[``).
- ``webhook-*``: ``store/webhooks.py`` (api key header, filters, the early announcement
  wrapped around ``Store.delete_flow``) and ``store/webhook_events.py`` (events of a batch,
  segment shapes).
- ``segments-for-missing-flow``: ``store/segments.py: post_segments`` (foreign keys off, as a
  server without them; the object's allocation flow is not checked either).
- ``flow-filters-ignored``: ``store/flows.py: list_flows`` (``FILTERS_IGNORED``).
- ``reverse-order-ignored``: ``list_flows`` and ``store/sources.py: list_sources``.
- ``collected-by-not-maintained``: ``store/flows.py`` (``list_flows``, ``_render``).
- ``paging-nextkey-wrong``: ``paging.shape_headers``.
- ``lax-list-queries``: ``handlers/listing.py: ListQuery``.
- ``head-drops-paging-headers``: ``app.py: head_headers``.
- ``profile-overwrite``: ``store/profiles.py: create_profile``.
- ``init-objects-unchecked``: ``store/init_segments.py: check_init`` / ``record_init``.
- ``rate-delete-ignored``: ``store/flows.py: delete_flow_attr``.
- ``root-omits-paths``: ``handlers/service.py: get_root``.
- ``timerange-not-updated``: ``store/flows.py: _segments_extent`` (the audit's
  flow-timerange-not-spanning-segments; tests/meta/test_audit.py).
"""

from __future__ import annotations

from collections.abc import Iterable

FAULTS: dict[str, str] = {
    "flow-filters-ignored": (
        "GET /flows ignores the codec, label, frame_width and frame_height filters (every flow "
        "matches them)."
    ),
    "reverse-order-ignored": (
        "GET /flows and GET /sources ignore reverse_order (the default order comes back, while "
        "X-Paging-Reverse-Order still says true)."
    ),
    "collected-by-not-maintained": (
        "Flows never show collected_by, though other flows' flow_collection lists them (the "
        "collected_by_ids filter still works)."
    ),
    "lax-list-queries": (
        "GET /flows and GET /sources drop an invalid format, codec, status, source_id, "
        "profile_id or collected_by_ids value (no filter) instead of answering 400."
    ),
    "paging-nextkey-wrong": (
        "X-Paging-NextKey names the first item of the page instead of its last, so paging by "
        "it repeats items (the Link header is right)."
    ),
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
    "auth-reads-open": (
        "With authentication on, GET and HEAD requests are served without checking the "
        "credential (authentication applied to writes only)."
    ),
    "auth-any-credential": (
        "With authentication on, any Authorization header is accepted: only its presence is "
        "checked, not the token or password."
    ),
    "segments-for-missing-flow": (
        "POST /flows/{id}/segments for a flow that does not exist answers 201 and stores the "
        "segments under the missing flow id."
    ),
    "get-urls-unfiltered": (
        "GET segments and GET /objects/{id} ignore accept_get_urls, accept_storage_ids, "
        "presigned and storage_backend_tag.*: every get_url is always listed."
    ),
    "instances-not-listed": (
        "POST /objects/{id}/instances of an uncontrolled URL answers 201 but never adds it to "
        "get_urls."
    ),
    "last-instance-deletable": (
        "DELETE /objects/{id}/instances removes the last instance of an object, leaving a "
        "registered object nobody can read."
    ),
    "segment-fields-dropped": (
        "Segment registration keeps only object_id, timerange and ts_offset: last_duration, "
        "key_frame_count, sample_offset and sample_count are dropped."
    ),
    "exclusive-start-ignored": (
        "The timerange filter of GET segments reads an exclusive start '(' as inclusive, so "
        "(1:0_2:0) also lists a segment that ends at [1:0]."
    ),
    "head-drops-paging-headers": (
        "HEAD of a listing answers 200 without the X-Paging-* and Link headers GET sends."
    ),
    "profile-overwrite": (
        "POST /service/profiles/{id} of an existing profile replaces it (201) instead of 400."
    ),
    "init-objects-unchecked": (
        "Init and media objects are not told apart: an init object registers as media, a media "
        "object as an init object, and a re-registered object may change its init_object_id."
    ),
    "rate-delete-ignored": (
        "DELETE /flows/{id}/max_bit_rate and /avg_bit_rate answer 204 but keep the value."
    ),
    "root-omits-paths": "GET / leaves flow-delete-requests out, though the server serves it.",
    "webhook-no-segment-delete-events": (
        "No flows/segments_deleted event is ever sent (segment deletes, and the segments a flow "
        "delete removes, go unannounced)."
    ),
    "webhook-early-flow-deleted": (
        "flows/deleted is POSTed when DELETE /flows/{id} arrives, before the delete runs: the "
        "flow still exists when the receiver hears of it, and a refused (403) delete is "
        "announced too."
    ),
    "webhook-filters-ignored": (
        "Webhook filters (flow_ids, source_ids, flow_collected_by_ids, source_collected_by_ids) "
        "are accepted and ignored: every registration gets every event of its types."
    ),
    "webhook-no-api-key-header": (
        "Webhook deliveries never carry the api_key_name header with the api_key_value."
    ),
    "webhook-v7-payload": (
        "flows/segments_added events carry 7.0-shaped segments (sample_offset/sample_count, "
        "never object_timerange even when include_object_timerange asks for it)."
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
