"""/flows, PUT/GET of one flow and the flow sub-resources."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.handlers.listing import FLOW_STATUSES, FORMATS, ListQuery
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


def list_flows(api: Api, request: Request) -> Response:
    tags, tag_exists = query_tags(request)
    reverse = bool(query_bool(request, "reverse_order", False))
    query = ListQuery(request, lax=api.config.has("lax-list-queries"))
    timerange = query_timerange(request)
    if request.args.get("timerange") == "_":
        timerange = None  # the default: every flow, with or without segments
    page = api.store.list_flows(
        source_id=query.uuid("source_id"),
        fmt=query.enum("format", FORMATS),
        codec=query.mime("codec"),
        label=request.args.get("label"),
        tags=tags,
        tag_exists=tag_exists,
        frame_width=query_int(request, "frame_width"),
        frame_height=query_int(request, "frame_height"),
        timerange=timerange,
        collected_by_ids=query.uuid_list(),
        status=query.enum("status", FLOW_STATUSES),
        profile_id=query.uuid("profile_id"),
        init_segments=query_bool(request, "init_segments"),
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
