"""/service/webhooks and /service/webhooks/{webhookId}: parsing only (store/webhooks.py)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from tams_reference.errors import NotFound
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


def _offered(api: Api) -> None:
    if not api.store.webhooks_offered():
        raise NotFound("webhooks are not supported by this service")


def webhooks(api: Api, request: Request) -> Response:
    _offered(api)
    if request.method == "POST":
        return json_response(api.store.create_webhook(read_json(request)), status=201)
    # GET /service/webhooks documents no 400: what cannot be read is taken as absent
    tags, exists = lenient(lambda: query_tags(request), ({}, {}))
    reverse = bool(lenient(lambda: query_bool(request, "reverse_order", False), False))
    config = api.config
    limit = lenient(
        lambda: query_limit(request, config.default_page_limit, config.max_page_limit),
        config.default_page_limit,
    )

    def listed(page: str | None) -> Any:
        return api.store.list_webhooks(
            tags=tags, tag_exists=exists, reverse=reverse, limit=limit, page=page
        )

    page = lenient(lambda: listed(request.args.get("page")), None) or listed(None)
    return api.paged(request, page, reverse)


def webhook(api: Api, request: Request, webhook_id: str, **_: Any) -> Response:
    _offered(api)
    if request.method == "PUT":
        return json_response(api.store.put_webhook(webhook_id, read_json(request)), status=201)
    if request.method == "DELETE":
        api.store.delete_webhook(webhook_id)
        return no_content()
    return json_response(api.store.get_webhook(webhook_id))
