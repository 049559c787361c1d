"""DELETE of sources (extension), flows and segments, and /flow-delete-requests."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from tams_reference.config import ServerConfig
from tams_reference.errors import BadRequest
from tams_reference.handlers.context import Api
from tams_reference.httputil import (
    json_response,
    no_content,
    paged_response,
    query_bool,
    query_limit,
)
from tams_reference.timeranges import parse_timerange

CASCADE = "cascade"


def cascade_param(request: Request, config: ServerConfig) -> bool:
    """The extension's ``cascade`` (true/false, any case; default true).

    With the extension off the parameter is an unknown one and ignored, which leaves the
    spec's own behaviour: flow deletes always take their segments.
    """
    raw = request.args.get(CASCADE)
    if raw is None or not config.cascade_extension:
        return True
    if config.has("cascade-string-truthy"):
        return True
    if raw.lower() not in ("true", "false"):
        raise BadRequest(f"cascade must be true or false, not {raw!r}")
    return raw.lower() == "true"


def delete_source(api: Api, request: Request, source_id: str) -> Response:
    api.store.delete_source(source_id, cascade_param(request, api.config))
    return no_content()


def delete_flow(api: Api, request: Request, flow_id: str) -> Response:
    return _accepted_or_done(api.store.delete_flow(flow_id, cascade_param(request, api.config)))


def delete_segments(api: Api, request: Request, flow_id: str) -> Response:
    cascade = cascade_param(request, api.config)
    timerange = parse_timerange(request.args.get("timerange", "_"))
    object_id = request.args.get("object_id")
    return _accepted_or_done(api.store.delete_segments(flow_id, timerange, object_id, cascade))


def list_delete_requests(api: Api, request: Request) -> Response:
    reverse = bool(query_bool(request, "reverse_order", False))
    sort_by = request.args.get("sort_by", "created")
    if sort_by not in ("created", "expiry"):
        raise BadRequest(f"sort_by {sort_by!r} is not one of created, expiry")
    page = api.store.list_delete_requests(
        reverse=reverse,
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return paged_response(request, page, reverse)


def get_delete_request(api: Api, request: Request, request_id: str) -> Response:
    return json_response(api.store.get_delete_request(request_id))


def _accepted_or_done(accepted: dict[str, Any] | None) -> Response:
    if accepted is None:
        return no_content()
    location = f"/flow-delete-requests/{accepted['id']}"
    return json_response(accepted, status=202, headers={"Location": location})
