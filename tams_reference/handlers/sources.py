"""/sources and the source sub-resources (tags, label, description)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.handlers.listing import FORMATS, ListQuery
from tams_reference.httputil import (
    json_response,
    query_bool,
    query_limit,
    query_tags,
    sub_resource,
)


def list_sources(api: Api, request: Request) -> Response:
    tags, tag_exists = query_tags(request)
    reverse = bool(query_bool(request, "reverse_order", False))
    query = ListQuery(request, lax=api.config.has("lax-list-queries"))
    page = api.store.list_sources(
        label=request.args.get("label"),
        fmt=query.enum("format", FORMATS),
        tags=tags,
        tag_exists=tag_exists,
        collected_by_ids=query.uuid_list(),
        sort_by=request.args.get("sort_by", "created"),
        reverse=reverse,
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return api.paged(request, page, reverse)


def get_source(api: Api, request: Request, source_id: str) -> Response:
    return json_response(api.store.get_source(source_id))


def source_attr(api: Api, request: Request, source_id: str, attr: str) -> Response:
    store = api.store
    return sub_resource(
        request,
        lambda: store.get_source_attr(source_id, attr),
        lambda value: store.set_source_attr(source_id, attr, value),
        lambda: store.delete_source_attr(source_id, attr),
    )


def source_tag(api: Api, request: Request, source_id: str, name: str) -> Response:
    store = api.store
    return sub_resource(
        request,
        lambda: store.get_source_tag(source_id, name),
        lambda value: store.set_source_tag(source_id, name, value),
        lambda: store.delete_source_tag(source_id, name),
    )
