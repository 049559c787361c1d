"""Request parsing and response building shared by the handlers (no TAMS rules here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from mediatimestamp import TimeRange
from werkzeug.wrappers import Request, Response

from tams_reference.errors import BadRequest
from tams_reference.paging import Page, parse_limit
from tams_reference.store.db import now_iso
from tams_reference.timeranges import parse_timerange


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def no_content(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, headers=headers)


def error_response(
    status: int, type_name: str, summary: str, headers: dict[str, str] | None = None
) -> Response:
    """An error.json body: the shape the spec uses for errors of flow delete requests."""
    body = {"type": type_name, "summary": summary, "time": now_iso()}
    return json_response(body, status=status, headers=headers)


_ABSENT = object()


def sub_resource(
    request: Request,
    read: Callable[[], Any],
    write: Callable[[Any], None],
    remove: Callable[[], None],
) -> Response:
    """GET/HEAD, PUT (204) and DELETE (204) of one JSON value: a tag, a label, a description."""
    if request.method in ("GET", "HEAD"):
        return json_response(read())
    if request.method == "PUT":
        write(read_json(request))
    else:
        remove()
    return no_content()


def read_json(request: Request, optional: bool = False) -> Any:
    """The decoded JSON body; 400 when it is not JSON (or absent and not ``optional``)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return None
        raise BadRequest("the request needs a JSON body")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not valid JSON") from None


def query_bool(request: Request, name: str, default: bool | None = None) -> bool | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    return parse_bool(raw, name)


def parse_bool(raw: str, name: str) -> bool:
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false, not {raw!r}")
    return lowered == "true"


def query_int(request: Request, name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, not {raw!r}") from None


def query_timerange(request: Request, name: str = "timerange") -> TimeRange | None:
    raw = request.args.get(name)
    return None if raw is None else parse_timerange(raw, name)


def query_tags(request: Request) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """The ``tag.{name}`` (comma list) and ``tag_exists.{name}`` filters of a listing."""
    wanted: dict[str, list[str]] = {}
    exists: dict[str, bool] = {}
    for key, value in request.args.items(multi=True):
        if key.startswith("tag."):
            wanted[key[4:]] = value.split(",")
        elif key.startswith("tag_exists."):
            exists[key[11:]] = parse_bool(value, key)
    return wanted, exists


def query_limit(request: Request, default: int, maximum: int) -> int:
    return parse_limit(request.args.get("limit"), default, maximum)


def lenient(parse: Callable[[], Any], default: Any) -> Any:
    """`parse()`, or `default` for a value it cannot read: for the listings that document no
    400 (storage backends, webhooks, delete requests), where a query the server cannot read
    is taken as absent rather than answered with an undocumented status (found by the sweep)."""
    try:
        return parse()
    except BadRequest:
        return default


def paged_response(
    request: Request,
    page: Page,
    reverse: bool = False,
    extra: dict[str, str] | None = None,
    *,
    relative_link: bool = False,
) -> Response:
    """A listing with the paging headers; ``Link: rel="next"`` only when there is more.

    ``reverse`` is whether the client asked for ``reverse_order`` (X-Paging-Reverse-Order).
    The next link is an absolute URL, or a host-relative one with ``relative_link``.
    """
    headers = {
        "X-Paging-Limit": str(page.limit),
        "X-Paging-Count": str(page.count),
        "X-Paging-Reverse-Order": "true" if reverse else "false",
        **(extra or {}),
    }
    if page.next_key is not None:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "limit")]
        args += [("limit", str(page.limit)), ("page", page.next_key)]
        headers["X-Paging-NextKey"] = page.next_key
        target = request.script_root + request.path if relative_link else request.base_url
        headers["Link"] = f'<{target}?{urlencode(args)}>; rel="next"'
    return json_response(page.items, headers=headers)
