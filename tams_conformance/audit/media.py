"""Checking a segment's media through its get_urls without downloading it whole.

A strict store signs the method of a presigned GET URL (so HEAD is refused) and refuses an
unsigned `Range` header, so the size is read from a plain GET whose body is never read: the
status line and headers arrive, `Content-Length` gives the size, and the connection is closed
(urllib3 discards it rather than reading on). Only when a store sends no Content-Length is
the body counted, in streaming, under `max_media_mib`. `--verify-media=hash` downloads each
media whole (streamed, hashed, never held) to compare the get_urls of an object by sha256 too.

Every URL goes through the audit's read-only session (egress policy, deadline, rate and
budget); presigned URLs are sent bare, without the target's credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

import requests

from tams_conformance.egress import EgressRefused
from tams_conformance.guarded import Deadline
from tams_conformance.transport import REDIRECTS, BodyTooLarge, send, short_url

SIZE, HASH, NONE = "size", "hash", "none"
MODES = (SIZE, HASH, NONE)
GONE = frozenset({403, 404, 410})
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Probe:
    """What one get_url answered: `status` (None: no answer), size and sha256 when known,
    and `problem`: why it could not be judged (egress refused, timeout, 5xx)."""

    label: str
    status: int | None
    size: int | None = None
    sha256: str | None = None
    problem: str = ""

    @property
    def gone(self) -> bool:
        return self.status in GONE


def probe(
    session: requests.Session, url: str, mode: str, timeout_s: float, max_bytes: int
) -> Probe:
    """GET `url` (following up to 5 redirects) and read its size, or its size and hash."""
    label = short_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        prepared = session.prepare_request(requests.Request("GET", url))
        try:
            response = _get(session, prepared, mode, timeout_s, max_bytes)
        except EgressRefused:
            return Probe(label, None, problem="outside the egress policy (allowed_hosts)")
        except BodyTooLarge:
            return Probe(label, 200, problem=f"larger than the media cap ({max_bytes} bytes)")
        except requests.RequestException as exc:  # its text would carry the signed URL
            return Probe(label, None, problem=f"no answer ({type(exc).__name__})")
        location = response.headers.get("Location")
        if response.status_code in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        if response.status_code != 200:
            return Probe(label, response.status_code)
        digest = getattr(response, "media", None)
        if digest is not None:
            return Probe(label, 200, digest.size, digest.sha256)
        return Probe(label, 200, getattr(response, "audit_size", None))
    return Probe(label, None, problem="too many redirects")


def _get(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    mode: str,
    timeout_s: float,
    max_bytes: int,
) -> requests.Response:
    if mode == HASH:
        return send(
            session,
            prepared,
            timeout_s=timeout_s,
            max_bytes=max_bytes,
            cap_key="max_media_mib",
            media=True,
        )
    with Deadline(timeout_s):
        response = session.send(prepared, stream=True, timeout=timeout_s, allow_redirects=False)
        try:
            declared = response.headers.get("Content-Length", "")
            if response.status_code != 200:
                return response
            if declared.isdigit():
                response.audit_size = int(declared)  # type: ignore[attr-defined]
                return response
            size = 0  # no Content-Length (chunked): count the body, never keep it
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise BodyTooLarge(f"media body of {short_url(prepared.url or '')} too large")
            response.audit_size = size  # type: ignore[attr-defined]
            return response
        finally:
            response.close()  # the body is not read: the connection is dropped, not reused
