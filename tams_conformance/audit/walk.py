"""The walk: every flow of the scope, its source, its segments and their objects and media,
then the objects' references, the collections' members and the delete requests.

Flows are listed page by page; the flows of one page are audited concurrently (at most
`concurrency` at a time) and the page's cursor is committed once all of them are done, so a
resumed audit starts at the first page not finished. Objects are found through segments (the
API has no object listing): each distinct object id goes into the state file the first time a
segment names it, and is looked up at /objects/{id} in a second phase.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from mediatimestamp import TimeRange

from tams_conformance.audit import media
from tams_conformance.audit.findings import Finding
from tams_conformance.audit.state import AuditState
from tams_conformance.client import TamsClient, seg

OBJECT_BATCH = 500
ACTIVE = ("created", "started")


class AuditIncomplete(RuntimeError):
    """The walk could not go on (the target stopped answering, a listing broke)."""


@dataclass(frozen=True)
class Scope:
    """What is audited: the whole store, one source's flows, one flow, or flows with a tag."""

    source_id: str | None = None
    flow_id: str | None = None
    tag: tuple[str, str] | None = None

    @property
    def whole(self) -> bool:
        return not (self.source_id or self.flow_id or self.tag)

    def describe(self) -> str:
        if self.flow_id:
            return f"flow {self.flow_id}"
        if self.source_id:
            return f"the flows of source {self.source_id}"
        if self.tag:
            return f"the flows tagged {self.tag[0]}={self.tag[1]}"
        return "the whole store"

    def as_json(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "flow_id": self.flow_id,
            "tag": "=".join(self.tag) if self.tag else None,
        }


@dataclass
class Options:
    scope: Scope = field(default_factory=Scope)
    verify_media: str = media.SIZE
    concurrency: int = 8
    page_limit: int = 500
    stuck_after: dt.timedelta = dt.timedelta(hours=1)
    timeout_s: float = 30.0
    max_media_bytes: int = 256 * 1024 * 1024


class Walker:
    """Runs the phases of one audit against one client, recording into `state`."""

    def __init__(
        self,
        client: TamsClient,
        bare: requests.Session,
        state: AuditState,
        options: Options,
        progress: Any,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.client = client
        self.bare = bare  # presigned media URLs go out without the target's credentials
        self.state = state
        self.options = options
        self.progress = progress
        self.stop = stop
        self.notes: list[str] = []

    def run(self) -> None:
        phases = (
            ("flows", self.walk_flows),
            ("objects", self.check_objects),
            ("collections", self.check_members),
            ("delete-requests", self.check_delete_requests),
        )
        done = set(self.state.get("phases_done", []))
        for name, phase in phases:
            if name in done:
                continue
            phase()
            if self.stop():
                return
            done.add(name)
            self.state.put("phases_done", sorted(done))
            self.state.commit()

    def found(self, finding: Finding) -> None:
        if self.state.report(finding):
            self.progress.finding(finding)

    # phase 1: flows -------------------------------------------------------------------------
    def walk_flows(self) -> None:
        scope = self.options.scope
        if scope.flow_id:
            response = self._get(f"/flows/{seg(scope.flow_id)}")
            if response.status_code != 200:
                raise AuditIncomplete(
                    f"GET /flows/{scope.flow_id} answered {response.status_code}; check --flow-id"
                )
            pages: Iterator[list[dict[str, Any]]] = iter([[response.json()]])
            self.progress.total_flows(1)
        else:
            params: dict[str, Any] = {"limit": self.options.page_limit}
            if scope.source_id:
                params["source_id"] = scope.source_id
            if scope.tag:
                params[f"tag.{scope.tag[0]}"] = scope.tag[1]
            pages = self._pages("/flows", params, cursor="flows_next")
        for flows in pages:
            self._run_all(self.audit_flow, [f for f in flows if self._fresh(f)])
            if self.stop():
                return
            self.state.commit()  # the page is done: a resume starts after it

    def _fresh(self, flow: Any) -> bool:
        return (
            isinstance(flow, dict)
            and isinstance(flow.get("id"), str)
            and (self.state.see_flow(flow["id"]))
        )

    def audit_flow(self, flow: dict[str, Any]) -> None:
        flow_id = flow["id"]
        self._check_source(flow)
        full = self._get(f"/flows/{seg(flow_id)}", params={"include_timerange": "true"})
        if full.status_code == 404:  # deleted while the audit ran: nothing to judge
            self.state.flow_done(flow_id)
            return
        body = full.json() if full.status_code == 200 else flow
        for item in body.get("flow_collection") or []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self.state.add_member(flow_id, item["id"])
        self._walk_segments(flow_id, body.get("timerange"), body.get("source_id"))
        self.state.flow_done(flow_id)
        self.progress.flow_done()

    def _check_source(self, flow: dict[str, Any]) -> None:
        source_id = flow.get("source_id")
        if not isinstance(source_id, str):
            return
        found = self.state.lookup("source", source_id)
        if found is None:
            found = self._get(f"/sources/{seg(source_id)}").status_code != 404
            self.state.remember("source", source_id, found)
        if not found:
            self.found(
                Finding(
                    "flow-source-missing",
                    f"flow {flow['id']} names source {source_id}, which answers 404",
                    source_id=source_id,
                    flow_id=flow["id"],
                )
            )

    def _walk_segments(self, flow_id: str, flow_range: Any, source_id: Any) -> None:
        declared = _parse(flow_range)
        extent: TimeRange | None = None
        latest: TimeRange | None = None  # the segment reaching furthest so far
        params: dict[str, Any] = {"limit": self.options.page_limit}
        if self.options.verify_media == media.NONE:
            params["accept_get_urls"] = ""  # no URLs to presign: a faster answer (the spec)
        for segments in self._pages(f"/flows/{seg(flow_id)}/segments", params):
            for segment in segments:
                span = _parse(segment.get("timerange")) if isinstance(segment, dict) else None
                if span is None:
                    continue
                self.state.add("segments")
                if latest is not None and span.overlaps_with_timerange(latest):
                    self.found(
                        Finding(
                            "segments-overlap",
                            f"segments {latest!s} and {span!s} of flow {flow_id} overlap",
                            flow_id=flow_id,
                            object_id=segment.get("object_id"),
                            timerange=str(span),
                        )
                    )
                if latest is None or _end(span) > _end(latest):
                    latest = span
                extent = span if extent is None else extent.extend_to_encompass_timerange(span)
                object_id = segment.get("object_id")
                if isinstance(object_id, str) and self.state.see_object(
                    object_id, flow_id, str(span)
                ):
                    self._check_media(flow_id, object_id, str(span), segment.get("get_urls"))
        if extent is not None and (declared is None or not declared.contains_subrange(extent)):
            shown = "none" if declared is None else str(declared)
            self.found(
                Finding(
                    "flow-timerange-not-spanning-segments",
                    f"flow {flow_id} has timerange {shown} but its segments span {extent!s}",
                    source_id=source_id if isinstance(source_id, str) else None,
                    flow_id=flow_id,
                    timerange=str(extent),
                    extra={"flow_timerange": shown},
                )
            )

    def _check_media(self, flow_id: str, object_id: str, span: str, urls: Any) -> None:
        mode = self.options.verify_media
        if mode == media.NONE or not isinstance(urls, list):
            return
        probes = []
        for entry in urls:
            url = entry.get("url") if isinstance(entry, dict) else None
            if not isinstance(url, str):
                continue
            presigned = entry.get("presigned", True) is not False
            bare = presigned or not self.client.same_origin(url)
            session = self.bare if bare else self.client.session
            probes.append(
                media.probe(
                    session, url, mode, self.options.timeout_s, self.options.max_media_bytes
                )
            )
        self.state.add("media_checked", len(probes))
        ids = {"flow_id": flow_id, "object_id": object_id, "timerange": span}
        for p in probes:
            if p.problem or p.status is None or (p.status != 200 and not p.gone):
                self.state.add("media_unverified")
                self._note(f"media not verified: {p.label}: {p.problem or p.status}")
        gone = [p for p in probes if p.gone]
        if gone:
            answers = ", ".join(f"{p.label} -> {p.status}" for p in gone)
            self.found(
                Finding(
                    "segment-media-missing",
                    f"object {object_id} (flow {flow_id}, segment {span}): get_urls answer "
                    f"{answers}",
                    **ids,
                )
            )
        sizes = {p.size for p in probes if p.status == 200 and p.size is not None}
        hashes = {p.sha256 for p in probes if p.status == 200 and p.sha256}
        if len(sizes) > 1 or len(hashes) > 1:
            shown = ", ".join(f"{p.label}: {p.size} bytes" for p in probes if p.status == 200)
            self.found(
                Finding(
                    "segment-media-size-mismatch",
                    f"object {object_id} (flow {flow_id}): its get_urls differ ({shown})",
                    extra={"sizes": sorted(sizes)},
                    **ids,
                )
            )

    # phase 2: objects -----------------------------------------------------------------------
    def check_objects(self) -> None:
        self.progress.phase("objects", self.state.count_objects(checked=False))
        while not self.stop():
            batch = self.state.unchecked_objects(OBJECT_BATCH)
            if not batch:
                return
            self._run_all(self.check_object, batch)
            self.state.commit()

    def check_object(self, row: tuple[str, str, str]) -> None:
        object_id, flow_id, span = row
        # Its get_urls are not needed (the segments' were checked): spare the store presigning.
        response = self._get(f"/objects/{seg(object_id)}", params={"accept_get_urls": ""})
        if response.status_code == 400:  # a 7.0 server may not know the filter: ask plainly
            response = self._get(f"/objects/{seg(object_id)}")
        if response.status_code == 404:
            self.found(
                Finding(
                    "segment-object-missing",
                    f"a segment of flow {flow_id} at {span} names object {object_id}, which "
                    "answers 404",
                    flow_id=flow_id,
                    object_id=object_id,
                    timerange=span,
                )
            )
        elif response.status_code == 200:
            refs = response.json().get("referenced_by_flows") or []
            for ref in refs:
                if isinstance(ref, str) and not self._flow_exists(ref):
                    self.found(
                        Finding(
                            "object-referenced-by-missing-flow",
                            f"object {object_id} lists flow {ref} in referenced_by_flows; the "
                            "flow answers 404",
                            flow_id=ref,
                            object_id=object_id,
                        )
                    )
        else:
            self._note(f"GET /objects/{{id}} answered {response.status_code}: not judged")
        self.state.object_checked(object_id)
        self.progress.item_done()

    def _flow_exists(self, flow_id: str) -> bool:
        if self.state.walked(flow_id):
            return True
        found = self.state.lookup("flow", flow_id)
        if found is None:
            found = self._get(f"/flows/{seg(flow_id)}").status_code != 404
            self.state.remember("flow", flow_id, found)
        return found

    # phase 3: collections -------------------------------------------------------------------
    def check_members(self) -> None:
        while not self.stop():
            batch = self.state.unchecked_members(OBJECT_BATCH)
            if not batch:
                return
            self._run_all(self.check_member, batch)
            self.state.commit()

    def check_member(self, row: tuple[str, str]) -> None:
        flow_id, member_id = row
        if not self._flow_exists(member_id):
            self.found(
                Finding(
                    "collection-member-missing",
                    f"flow {flow_id} lists flow {member_id} in its flow_collection; that flow "
                    "answers 404",
                    flow_id=flow_id,
                    extra={"member_id": member_id},
                )
            )
        self.state.member_checked(flow_id, member_id)

    # phase 4: delete requests ---------------------------------------------------------------
    def check_delete_requests(self) -> None:
        now = dt.datetime.now(dt.UTC)
        limit = self.options.stuck_after
        scoped = not self.options.scope.whole
        pages = self._pages("/flow-delete-requests", {"limit": self.options.page_limit})
        try:
            for requests_ in pages:
                for req in requests_:
                    if not isinstance(req, dict) or req.get("status") not in ACTIVE:
                        continue
                    flow_id = req.get("flow_id")
                    if scoped and not (isinstance(flow_id, str) and self.state.walked(flow_id)):
                        continue
                    since = _when(req.get("updated") or req.get("created"))
                    if since is None or now - since <= limit:
                        continue
                    self.found(
                        Finding(
                            "delete-request-stuck",
                            f"flow-delete-request {req.get('id')} of flow {flow_id} is "
                            f"'{req['status']}' since {since:%Y-%m-%d %H:%M:%S}Z "
                            f"(over {limit})",
                            flow_id=flow_id if isinstance(flow_id, str) else None,
                            timerange=req.get("timerange_to_delete"),
                            extra={"request_id": req.get("id"), "status": req["status"]},
                        )
                    )
        except _NotOffered:
            self._note("GET /flow-delete-requests is not offered: delete requests not audited")

    # plumbing -------------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return self.client.get(path, params=params)

    def _pages(
        self, path: str, params: dict[str, Any], cursor: str | None = None
    ) -> Iterator[list[Any]]:
        """The items of each page of a listing, following Link rel=next (or, without a
        Link, X-Paging-NextKey as ?page=); `cursor` keeps the next page in the checkpoint."""
        url = self.state.get(cursor) if cursor else None
        if url == "":  # the listing was finished before the audit stopped
            return
        response = self.client.get(url) if url else self.client.get(path, params=params)
        first = url is None
        while True:
            if response.status_code in (404, 405, 501) and path == "/flow-delete-requests":
                raise _NotOffered
            if response.status_code != 200:
                raise AuditIncomplete(
                    f"GET {path} answered {response.status_code}; the listing cannot be walked"
                )
            if first and cursor:
                total = response.headers.get("X-Paging-Count", "")
                if total.isdigit():
                    self.progress.total_flows(int(total))
            first = False
            items = response.json()
            if not isinstance(items, list):
                raise AuditIncomplete(f"GET {path} did not answer a JSON array")
            nxt = response.links.get("next", {}).get("url")
            key = response.headers.get("X-Paging-NextKey")
            if not nxt and key:
                nxt = self.client.url(path) + "?" + urlencode({**params, "page": key})
            yield items
            if self.stop():
                return
            if cursor:
                self.state.put(cursor, self.client.resolve(nxt) if nxt else "")
            if not nxt:
                return
            response = self.client.get(self.client.resolve(nxt))

    def _run_all(self, job: Callable[[Any], None], items: list[Any]) -> None:
        """Run `job` over `items`, at most `concurrency` at once; a failing job ends the
        audit (after the jobs in flight finish), Ctrl-C stops submitting new ones."""
        if self.options.concurrency <= 1:
            for item in items:
                if self.stop():
                    return
                job(item)
            return
        pending: set[Future] = set()
        error: BaseException | None = None
        with ThreadPoolExecutor(self.options.concurrency) as pool:
            for item in items:
                if self.stop() or error is not None:
                    break
                if len(pending) >= self.options.concurrency * 2:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    error = error or _first_error(done)
                pending.add(pool.submit(job, item))
            done, _ = wait(pending)
            error = error or _first_error(done)
        if error is not None:
            raise error

    def _note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 50:
            self.notes.append(text)


class _NotOffered(Exception):
    pass


def _first_error(done: set[Future]) -> BaseException | None:
    for future in done:
        if future.exception() is not None:
            return future.exception()
    return None


def _parse(text: Any) -> TimeRange | None:
    if not isinstance(text, str):
        return None
    try:
        return TimeRange.from_str(text)
    except ValueError:
        return None


def _end(span: TimeRange) -> tuple[Any, int]:
    if span.end is None:
        return (float("inf"), 1)
    return (span.end, int(span.includes_end()))


def _when(text: Any) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
