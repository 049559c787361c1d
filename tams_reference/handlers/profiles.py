"""/service/profiles and /service/profiles/{profileId} (8.2 Flow Profiles)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from tams_reference.handlers.context import Api
from tams_reference.httputil import json_response, query_limit, read_json


def list_profiles(api: Api, request: Request) -> Response:
    page = api.store.list_profiles(
        fmt=request.args.get("format"),
        codec=request.args.get("codec"),
        label=request.args.get("label"),
        limit=query_limit(request, api.config.default_page_limit, api.config.max_page_limit),
        page=request.args.get("page"),
    )
    return api.paged(request, page)


def profile(api: Api, request: Request, profile_id: str) -> Response:
    """GET/HEAD one profile, or POST it (create-only: 201, or 400 when it exists)."""
    if request.method == "POST":
        return json_response(api.store.create_profile(profile_id, read_json(request)), 201)
    return json_response(api.store.get_profile(profile_id))
