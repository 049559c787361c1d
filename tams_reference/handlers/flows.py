"""/flows, PUT/GET of one flow and the flow sub-resources."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.errors import BadRequest
from tams_reference.handlers.context import Api
from tams_reference.httputil import (
    json_response,
    no_content,
    query_bool,
    query_int,
    query_limit,
    query_tags,
    query_timerange,
    read_json,
    sub_resource,
)
from tams_reference.store.common import is_uuid


def list_flows(api: Api, request: Request) -> Response:
    tags, tag_exists = query_tags(request)
    reverse = bool(query_bool(request, "reverse_order", False))
    timerange = query_timerange(request)
    if request.args.get("timerange") == "_":
        timerange = None  # the default: every flow, with or without segments
    collected = request.args.get("collected_by_ids")
    collected_ids = None if collected is None else [i for i in collected.split(",") if i]
    if collected_ids and not all(is_uuid(i) for i in collected_ids):
        raise BadRequest("collected_by_ids must be a comma-separated list of uuids")
    page = api.store.list_flows(
        source_id=request.args.get("source_id"),
        fmt=request.args.get("format"),
        codec=request.args.get("codec"),
        label=request.args.get("label"),
        tags=tags,
        tag_exists=tag_exists,
        frame_width=query_int(request, "frame_width"),
        frame_height=query_int(request, "frame_height"),
        timerange=timerange,
        collected_by_ids=collected_ids,
        sort_by=request.args.get("sort_by", "created"),
        reverse=reverse,
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return api.paged(request, page, reverse)


def get_flow(api: Api, request: Request, flow_id: str) -> Response:
    flow = api.store.get_flow(
        flow_id,
        include_timerange=bool(query_bool(request, "include_timerange", False)),
        timerange=query_timerange(request),
    )
    return json_response(flow)


def put_flow(api: Api, request: Request, flow_id: str) -> Response:
    created, flow = api.store.put_flow(flow_id, read_json(request))
    return json_response(flow, status=201) if created else no_content()


def flow_attr(api: Api, request: Request, flow_id: str, attr: str) -> Response:
    store = api.store
    return sub_resource(
        request,
        lambda: store.get_flow_attr(flow_id, attr),
        lambda value: store.set_flow_attr(flow_id, attr, value),
        lambda: store.delete_flow_attr(flow_id, attr),
    )


def flow_tag(api: Api, request: Request, flow_id: str, name: str) -> Response:
    store = api.store
    return sub_resource(
        request,
        lambda: store.get_flow_tag(flow_id, name),
        lambda value: store.set_flow_tag(flow_id, name, value),
        lambda: store.delete_flow_tag(flow_id, name),
    )
