"""/, /service and /service/storage-backends."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.httputil import (
    json_response,
    lenient,
    no_content,
    query_bool,
    query_limit,
    query_tags,
    read_json,
)
from tams_reference.paging import paginate
from tams_reference.store.common import tags_match

ROOT = ["service", "flows", "sources", "flow-delete-requests"]


def get_root(api: Api, request: Request) -> Response:
    """Every top-level path served: /objects/{id} too, unless a fault left it out."""
    served = [*ROOT, *([] if api.config.has("no-objects-endpoint") else ["objects"])]
    if api.config.has("root-omits-paths"):
        served.remove("flow-delete-requests")
    return json_response(served)


def get_service(api: Api, request: Request) -> Response:
    return json_response(api.store.service_info())


def post_service(api: Api, request: Request) -> Response:
    api.store.update_service(read_json(request))
    return no_content(200)


def get_storage_backends(api: Api, request: Request) -> Response:
    """Label order, unlabelled backends after by id (before with reverse_order), filtered on
    tags, paged like every listing (8.2)."""
    # GET /service/storage-backends documents no 400: what cannot be read is taken as absent
    tags, tag_exists = lenient(lambda: query_tags(request), ({}, {}))
    reverse = bool(lenient(lambda: query_bool(request, "reverse_order", False), False))
    known = api.store.storage_backends()
    backends = [b for b in known if tags_match(b.get("tags", {}), tags, tag_exists)]
    keyed = [(_label_key(b), b) for b in backends]
    config = api.config
    limit = lenient(
        lambda: query_limit(request, config.default_page_limit, config.max_page_limit),
        config.default_page_limit,
    )

    def paged(key: str | None) -> Any:
        return paginate(keyed, limit=limit, page=key, descending=reverse)

    page = lenient(lambda: paged(request.args.get("page")), None) or paged(None)
    return api.paged(request, page, reverse)


def _label_key(backend: dict) -> tuple[int, str, str]:
    if "label" in backend:
        return (0, backend["label"], backend["id"])
    return (1, backend["id"], backend["id"])
