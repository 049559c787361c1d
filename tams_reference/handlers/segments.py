"""/flows/{id}/storage, /flows/{id}/segments (GET, POST) and /objects/{id}."""

from __future__ import annotations

from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from tams_reference.errors import NotFound
from tams_reference.handlers.context import Api
from tams_reference.httputil import (
    json_response,
    no_content,
    query_bool,
    query_limit,
    query_timerange,
    read_json,
)
from tams_reference.store import UrlOptions


def post_storage(api: Api, request: Request, flow_id: str) -> Response:
    media_objects = api.store.allocate_storage(flow_id, read_json(request, optional=True))
    return json_response({"media_objects": media_objects}, status=201)


def post_segments(api: Api, request: Request, flow_id: str) -> Response:
    failures = api.store.post_segments(flow_id, read_json(request))
    if failures:
        return json_response({"failed_segments": failures}, status=200)
    return no_content(201)


def get_segments(api: Api, request: Request, flow_id: str) -> Response:
    reverse = bool(query_bool(request, "reverse_order", False))
    page, covered = api.store.list_segments(
        flow_id,
        timerange=query_timerange(request),
        object_id=request.args.get("object_id"),
        reverse=reverse,
        include_object_timerange=bool(query_bool(request, "include_object_timerange", False)),
        urls=url_options(request),
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return api.paged(request, page, reverse, {"X-Paging-Timerange": covered})


def get_object(api: Api, request: Request, object_id: str) -> Response:
    return json_response(api.store.get_object(raw_object_id(request), url_options(request)))


def raw_object_id(request: Request) -> str:
    """The object id from the undecoded path, so ``%2F`` in an id is not a path separator."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.path
    path = raw.split("?", 1)[0]
    prefix = "/objects/"
    if not path.startswith(prefix) or "/" in path[len(prefix) :]:
        raise NotFound(f"no such path {path}; encode / in object ids as %2F")
    return unquote(path[len(prefix) :])


def url_options(request: Request) -> UrlOptions:
    """get_urls filters: accept_get_urls, presigned, accept_storage_ids, verbose_storage."""
    labels = request.args.get("accept_get_urls")
    storage_ids = request.args.get("accept_storage_ids")
    return UrlOptions(
        labels=None if labels is None else tuple(x for x in labels.split(",") if x),
        presigned=query_bool(request, "presigned"),
        storage_ids=None if storage_ids is None else tuple(storage_ids.split(",")),
        verbose=bool(query_bool(request, "verbose_storage", False)),
    )
