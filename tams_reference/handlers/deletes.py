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
    query_bool,
    query_limit,
)
from tams_reference.store import Deleted
from tams_reference.timeranges import parse_timerange
from tams_reference.variants import (
    ABSOLUTE_LOCATION,
    ASYNC_EVERYWHERE,
    CASCADE_200_BODY,
    DEFERRED_204,
)

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
    deleted = api.store.delete_source(source_id, cascade_param(request, api.config))
    if deleted is not None and api.config.chose(CASCADE_200_BODY):
        return _deleted_body(f"deleted source {source_id}", deleted)
    return no_content()


def _deferred(api: Api, request: Request) -> bool:
    """The `deferred-204` variant: a spec segments delete (no cascade parameter) in sync mode
    is handed to the background worker and answered 204 at once ("Segments have been or will
    be deleted")."""
    config = api.config
    return (
        config.chose(DEFERRED_204)
        and CASCADE not in request.args
        and config.delete_mode == "sync"
        and not config.chose(ASYNC_EVERYWHERE)
    )


def delete_flow(api: Api, request: Request, flow_id: str) -> Response:
    result = api.store.delete_flow(flow_id, cascade_param(request, api.config))
    if isinstance(result, dict):
        return _accepted(api, request, result)
    cascade_delete = CASCADE in request.args and api.config.cascade_extension
    if result is not None and cascade_delete and api.config.chose(CASCADE_200_BODY):
        return _deleted_body(f"deleted flow {flow_id}", result)
    return no_content()


def delete_segments(api: Api, request: Request, flow_id: str) -> Response:
    cascade = cascade_param(request, api.config)
    timerange = parse_timerange(request.args.get("timerange", "_"))
    object_id = request.args.get("object_id")
    deferred = _deferred(api, request)
    accepted = api.store.delete_segments(flow_id, timerange, object_id, cascade, deferred)
    return no_content() if accepted is None or deferred else _accepted(api, request, accepted)


def list_delete_requests(api: Api, request: Request) -> Response:
    reverse = bool(query_bool(request, "reverse_order", False))
    sort_by = request.args.get("sort_by", "created")
    if sort_by not in ("created", "expiry"):
        sort_by = "created"  # no 400 is documented here: an unknown sort is the default one
    try:
        limit = query_limit(request, api.config.default_page_limit, api.config.max_page_limit)
    except BadRequest:
        # GET /flow-delete-requests documents no 400 (only 200), and its limit is any integer:
        # a limit below 1 gets the default page, as "implementations may specify their own
        # default" allows (found by the sweep: a 400 here is an undocumented status).
        limit = api.config.default_page_limit
    try:
        page = api.store.list_delete_requests(
            reverse=reverse, sort_by=sort_by, limit=limit, page=request.args.get("page")
        )
    except BadRequest:  # an unreadable page key: no 400 is documented, so the first page
        page = api.store.list_delete_requests(
            reverse=reverse, sort_by=sort_by, limit=limit, page=None
        )
    return api.paged(request, page, reverse)


def get_delete_request(api: Api, request: Request, request_id: str) -> Response:
    return json_response(api.store.get_delete_request(request_id))


def _accepted(api: Api, request: Request, accepted: dict[str, Any]) -> Response:
    """202 with the flow-delete-request and its Location (absolute with that variant)."""
    location = f"{request.script_root}/flow-delete-requests/{accepted['id']}"
    if api.config.chose(ABSOLUTE_LOCATION):
        location = request.host_url.rstrip("/") + location
    return json_response(accepted, status=202, headers={"Location": location})


def _deleted_body(message: str, deleted: Deleted) -> Response:
    """The ``cascade-200-body`` variant's answer to a finished cascade delete."""
    return json_response({"message": message, "deleted": deleted.counts()})
