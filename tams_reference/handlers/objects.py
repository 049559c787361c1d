"""/objects/{id} (GET/HEAD, paged referenced_by_flows), /objects/{id}/instances, and the PUT
endpoint behind the reference's non-presigned put_urls."""

from __future__ import annotations

import json
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from tams_reference.errors import NotFound
from tams_reference.handlers.context import Api
from tams_reference.httputil import no_content, parse_bool, query_bool, query_limit, read_json
from tams_reference.store.objects import UrlOptions, check_storage_ids

OBJECTS = "/objects/"
INSTANCES = "/instances"


def get_object(api: Api, request: Request, object_id: str) -> Response:
    """The object; its ``referenced_by_flows`` is the paged listing (X-Paging-*, Link)."""
    flow_tags = _prefixed_tags(request, "flow_")
    body, page = api.store.read_object(
        raw_object_id(request),
        url_options(request),
        flow_tags=flow_tags,
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    response = api.paged(request, page)
    response.set_data(json.dumps(body))
    link = response.headers.get("Link")
    if link:  # the next link names the object as the request did: %2F stays encoded
        raw_path = _raw_path(request)
        origin = "" if link.startswith("</") else request.host_url.rstrip("/")
        response.headers["Link"] = f"<{origin}{raw_path}?{link.split('?', 1)[1]}"
    return response


def instances(api: Api, request: Request, object_id: str) -> Response:
    oid = raw_object_id(request, suffix=INSTANCES)
    if request.method == "POST":
        api.store.add_instance(oid, read_json(request))
        return no_content(201)
    api.store.remove_instance(oid, request.args.get("storage_id"), request.args.get("label"))
    return no_content()


def put_media(api: Api, request: Request, storage_id: str, object_id: str) -> Response:
    """PUT to a non-presigned put_url: the API's own authentication applies (app.py)."""
    api.store.accept_upload(
        storage_id, object_id, request.get_data(), request.headers.get("Content-Type")
    )
    return no_content(200)


def raw_object_id(request: Request, suffix: str = "") -> str:
    """The object id from the undecoded path, so ``%2F`` in an id is not a path separator."""
    path = _raw_path(request)
    if suffix and path.endswith(suffix):
        path = path[: -len(suffix)]
    if not path.startswith(OBJECTS) or "/" in path[len(OBJECTS) :]:
        raise NotFound(f"no such path {path}; encode / in object ids as %2F")
    return unquote(path[len(OBJECTS) :])


def _raw_path(request: Request) -> str:
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.path
    return raw.split("?", 1)[0]


def url_options(request: Request) -> UrlOptions:
    """The get_urls selection: accept_get_urls, presigned, accept_storage_ids,
    verbose_storage, storage_backend_tag.* and storage_backend_tag_exists.*."""
    labels = request.args.get("accept_get_urls")
    wanted, exists = _prefixed_tags(request, "storage_backend_")
    return UrlOptions(
        labels=None if labels is None else tuple(x for x in labels.split(",") if x),
        presigned=query_bool(request, "presigned"),
        storage_ids=check_storage_ids(request.args.get("accept_storage_ids")),
        verbose=bool(query_bool(request, "verbose_storage", False)),
        backend_tags=wanted,
        backend_tag_exists=exists,
    )


def _prefixed_tags(request: Request, prefix: str) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """``{prefix}tag.{name}`` (comma list) and ``{prefix}tag_exists.{name}`` filters."""
    wanted: dict[str, list[str]] = {}
    exists: dict[str, bool] = {}
    for key, value in request.args.items(multi=True):
        if key.startswith(prefix + "tag."):
            wanted[key[len(prefix) + 4 :]] = value.split(",")
        elif key.startswith(prefix + "tag_exists."):
            exists[key[len(prefix) + 11 :]] = parse_bool(value, key)
    return wanted, exists
