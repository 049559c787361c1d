"""Wiring: moto's server app, the gate in front, a quiet threaded werkzeug server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from . import isolation
from .gate import Gate

if TYPE_CHECKING:
    from .server import MockS3


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler (keeps underscores in x-amz-meta-* names) minus the access log.

    werkzeug's access log prints the full request target, signatures included; the gate keeps
    its own redacted log instead.
    """

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


def moto_app() -> DomainDispatcherApplication:
    return DomainDispatcherApplication(create_backend_app)


def serve(app: Any, host: str, port: int) -> BaseWSGIServer:
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)


def build_server(s3: MockS3) -> BaseWSGIServer:
    isolation.install()
    gate = Gate(moto_app(), s3.settings, s3.clock, s3.requests, s3.account_id)
    return serve(gate, s3.host, s3.port)
