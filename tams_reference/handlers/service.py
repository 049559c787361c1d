"""/, /service and /service/storage-backends."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.httputil import json_response, no_content, read_json
from tams_reference.paging import paginate

ROOT = ["service", "flows", "sources", "flow-delete-requests"]


def get_root(api: Api, request: Request) -> Response:
    return json_response(ROOT)


def get_service(api: Api, request: Request) -> Response:
    return json_response(api.store.service_info())


def post_service(api: Api, request: Request) -> Response:
    api.store.update_service(read_json(request))
    return no_content(200)


def get_storage_backends(api: Api, request: Request) -> Response:
    backends = api.store.storage_backends()
    keyed = [((b["label"], b["id"]), b) for b in backends]
    page = paginate(keyed, limit=len(keyed), page=None)
    return api.paged(request, page)
