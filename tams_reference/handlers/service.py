"""/, /service and /service/storage-backends."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.httputil import json_response, no_content, read_json
from tams_reference.paging import paginate

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
    backend = api.media.backend()
    page = paginate([((backend["label"], backend["id"]), backend)], limit=1, page=None)
    return api.paged(request, page)
