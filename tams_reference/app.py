"""The WSGI application: the routing table and the one place errors become responses.

Every route is a row of :func:`build_rules`; werkzeug answers HEAD for every GET, 404 for an
unknown path and 405 (with Allow) for a wrong method. Handlers raise the store's
:class:`~tams_reference.errors.TamsError` and this module renders it as error.json.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tams_reference.auth import TOKEN_PATH, Authenticator
from tams_reference.errors import TamsError
from tams_reference.handlers import (
    deletes,
    flows,
    objects,
    profiles,
    segments,
    service,
    sources,
    webhooks,
)
from tams_reference.handlers.context import Api
from tams_reference.httputil import error_response
from tams_reference.variants import HEAD_OMITS_CONTENT_LENGTH

log = logging.getLogger(__name__)

Handler = Callable[..., Response]

SOURCE_ATTRS = ("label", "description")
FLOW_ATTRS = ("label", "description", "max_bit_rate", "avg_bit_rate", "flow_collection")


def build_rules(api: Api) -> list[tuple[str, list[str], Handler]]:
    """(path, methods, handler): the whole HTTP surface of the reference server."""
    rules: list[tuple[str, list[str], Handler]] = [
        ("/", ["GET"], service.get_root),
        (
            "/service",
            ["GET", "POST"],
            _by_method(GET=service.get_service, POST=service.post_service),
        ),
        ("/service/storage-backends", ["GET"], service.get_storage_backends),
        ("/service/profiles", ["GET"], profiles.list_profiles),
        ("/service/profiles/<profile_id>", ["GET", "POST"], profiles.profile),
        ("/service/webhooks", ["GET", "POST"], webhooks.webhooks),
        ("/service/webhooks/<webhook_id>", ["GET", "PUT", "DELETE"], webhooks.webhook),
        ("/sources", ["GET"], sources.list_sources),
        ("/sources/<source_id>", *_source_methods(api)),
        ("/sources/<source_id>/tags", ["GET"], partial(sources.source_attr, attr="tags")),
        ("/sources/<source_id>/tags/<path:name>", ["GET", "PUT", "DELETE"], sources.source_tag),
        ("/flows", ["GET"], flows.list_flows),
        (
            "/flows/<flow_id>",
            ["GET", "PUT", "DELETE"],
            _by_method(GET=flows.get_flow, PUT=flows.put_flow, DELETE=deletes.delete_flow),
        ),
        ("/flows/<flow_id>/tags", ["GET"], partial(flows.flow_attr, attr="tags")),
        ("/flows/<flow_id>/tags/<path:name>", ["GET", "PUT", "DELETE"], flows.flow_tag),
        ("/flows/<flow_id>/read_only", ["GET", "PUT"], partial(flows.flow_attr, attr="read_only")),
        ("/flows/<flow_id>/storage", ["POST"], segments.post_storage),
        (
            "/flows/<flow_id>/segments",
            ["GET", "POST", "DELETE"],
            _by_method(
                GET=segments.get_segments,
                POST=segments.post_segments,
                DELETE=deletes.delete_segments,
            ),
        ),
        ("/flow-delete-requests", ["GET"], deletes.list_delete_requests),
        ("/flow-delete-requests/<request_id>", ["GET"], deletes.get_delete_request),
    ]
    if not api.config.has("no-objects-endpoint"):
        rules += [
            ("/objects/<path:object_id>/instances", ["POST", "DELETE"], objects.instances),
            ("/objects/<path:object_id>", ["GET"], objects.get_object),
        ]
    rules.append(("/_media/<storage_id>/<path:object_id>", ["PUT"], objects.put_media))
    rules += [
        (
            f"/sources/<source_id>/{attr}",
            ["GET", "PUT", "DELETE"],
            partial(sources.source_attr, attr=attr),
        )
        for attr in SOURCE_ATTRS
    ]
    rules += [
        (f"/flows/<flow_id>/{attr}", ["GET", "PUT", "DELETE"], partial(flows.flow_attr, attr=attr))
        for attr in FLOW_ATTRS
    ]
    return rules


def head_headers(api: Api, request: Request, response: Response) -> Response:
    """HEAD answers with GET's headers (werkzeug drops the body). The ``head-omits-content-
    length`` variant leaves out Content-Length (RFC 9110 lets a HEAD omit headers known only
    while generating the content); the ``head-drops-paging-headers`` fault drops X-Paging-*
    and Link."""
    if request.method != "HEAD":
        return response
    if api.config.chose(HEAD_OMITS_CONTENT_LENGTH):
        response.headers.pop("Content-Length", None)
        response.automatically_set_content_length = False  # werkzeug would compute it again
    if api.config.has("head-drops-paging-headers"):
        for name in [n for n, _ in response.headers.items() if n.lower().startswith("x-paging-")]:
            response.headers.pop(name, None)
        response.headers.pop("Link", None)
    return response


def _source_methods(api: Api) -> tuple[list[str], Handler]:
    """DELETE /sources/{id} exists only with the cascade extension (405 otherwise)."""
    if api.config.cascade_extension:
        return ["GET", "DELETE"], _by_method(GET=sources.get_source, DELETE=deletes.delete_source)
    return ["GET"], sources.get_source


def _by_method(**handlers: Handler) -> Handler:
    """One handler per method on a path; HEAD goes to GET."""

    def dispatch(api: Api, request: Request, **values: Any) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return handlers[method](api, request, **values)

    return dispatch


class TamsApp:
    """WSGI callable serving the TAMS API at the root of the server."""

    def __init__(self, api: Api, rules: Iterable[tuple[str, list[str], Handler]] | None = None):
        self.api = api
        self.handlers: dict[str, Handler] = {}
        werkzeug_rules = []
        for path, methods, handler in rules if rules is not None else build_rules(api):
            self.handlers[path] = handler
            werkzeug_rules.append(Rule(path, methods=methods, endpoint=path))
        self.url_map = Map(werkzeug_rules, strict_slashes=False, merge_slashes=False)
        settings = api.config.auth
        self.auth = Authenticator(settings) if settings.enabled else None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def _auth_fault_lets_in(self, request: Request) -> bool:
        """The authentication faults (faults.py): reads served to anyone, or any credential
        of the right scheme taken as valid (only its presence checked)."""
        faults = self.api.config.faults
        if "auth-reads-open" in faults and request.method in ("GET", "HEAD"):
            return True
        return "auth-any-credential" in faults and bool(request.headers.get("Authorization"))

    def respond(self, request: Request) -> Response:
        if self.auth is not None:  # optional authentication (tams_reference/auth.py)
            if (
                self.auth.settings.mode == "oauth2-client-credentials"
                and request.path == TOKEN_PATH
            ):
                return self.auth.token_endpoint(request)
            refused = self.auth.refuse(request)
            if refused is not None and not self._auth_fault_lets_in(request):
                return refused
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
            response = self.handlers[endpoint](self.api, request, **values)
            return head_headers(self.api, request, response)
        except TamsError as exc:
            return error_response(exc.status, exc.type_name, exc.summary)
        except MethodNotAllowed as exc:
            allow = ", ".join(sorted(exc.valid_methods or []))
            summary = f"{request.method} is not allowed on {request.path}; use {allow}"
            return error_response(405, "MethodNotAllowed", summary, {"Allow": allow})
        except HTTPException as exc:
            name = type(exc).__name__
            return error_response(exc.code or 500, name, exc.description or name)
        except Exception:
            log.exception("internal error on %s %s", request.method, request.path)
            return error_response(500, "InternalError", "the reference server failed; see its log")
