"""/flows/{id}/storage and /flows/{id}/segments (GET, POST); /objects is handlers/objects.py."""

from __future__ import annotations

from mediatimestamp import TimeRange
from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.handlers.objects import url_options
from tams_reference.httputil import (
    json_response,
    no_content,
    query_bool,
    query_limit,
    query_timerange,
    read_json,
)


def post_storage(api: Api, request: Request, flow_id: str) -> Response:
    media_objects = api.store.allocate_storage(flow_id, read_json(request, optional=True))
    origin = request.host_url.rstrip("/") + request.script_root
    for item in media_objects:  # a non-presigned put_url is a path of this server: absolute
        if item["put_url"]["url"].startswith("/"):
            item["put_url"]["url"] = origin + item["put_url"]["url"]
    return json_response({"media_objects": media_objects}, status=201)


def post_segments(api: Api, request: Request, flow_id: str) -> Response:
    failures = api.store.post_segments(flow_id, read_json(request))
    if failures:
        return json_response({"failed_segments": failures}, status=200)
    return no_content(201)


def get_segments(api: Api, request: Request, flow_id: str) -> Response:
    reverse = bool(query_bool(request, "reverse_order", False))
    timerange = query_timerange(request)
    if timerange is not None and api.config.has("exclusive-start-ignored"):
        timerange = TimeRange(timerange.start, timerange.end, timerange.inclusivity | 1)
    page, covered = api.store.list_segments(
        flow_id,
        timerange=timerange,
        object_id=request.args.get("object_id"),
        reverse=reverse,
        include_object_timerange=bool(query_bool(request, "include_object_timerange", False)),
        urls=url_options(request),
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return api.paged(request, page, reverse, {"X-Paging-Timerange": covered})
