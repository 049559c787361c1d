"""The WSGI layer in front of moto that judges every request like the chosen store would.

Allowed requests go to moto unchanged, except for ``x-moto-account-id``, which routes them to the
instance's own account. Refusals are answered here with S3's ``<Error>`` XML, and so is any failure
of the gate or of moto (``InternalError``), never with werkzeug's HTML page.

Sibling modules are imported by name (``from .sigv4 import ...``), never as ``from . import
sigv4``: that form returns the package attribute, which goes stale when a test harness drops
modules from ``sys.modules`` (pytester does), and mixing a stale ``sigv4`` with a fresh ``errors``
gives two ``S3Error`` classes, so refusals escaped ``except S3Error``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from http import HTTPStatus
from typing import Any, Protocol

from .chunked import STREAMING
from .chunked import verify as verify_chunked
from .clock import Clock
from .errors import S3Error, access_denied, internal_error, new_request_id
from .incoming import Incoming
from .profiles import StoreSettings
from .requestlog import RequestLog, RequestRecord
from .sigv2 import verify_header as verify_sigv2_header
from .sigv2 import verify_query as verify_sigv2_query
from .sigv4 import ALGORITHM as SIGV4_ALGORITHM
from .sigv4 import QUERY_PARAMS as SIGV4_QUERY_PARAMS
from .sigv4 import verify_header as verify_sigv4_header
from .sigv4 import verify_query as verify_sigv4_query

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")
_log = logging.getLogger(__name__)


class Namespace(Protocol):
    """The bucket namespace of ``isolation`` (scopes moto's bucket names per instance)."""

    def scoped(self, name: str) -> AbstractContextManager[None]: ...


class Spill(Protocol):
    """The disk-spill threshold of ``spill`` (objects over it are stored in temporary files)."""

    def scoped(self, size: int | None) -> AbstractContextManager[None]: ...


def classify(req: Incoming) -> str:
    """Which authentication the request uses (AWS allows only one per request)."""
    kinds = []
    if req.has_any_param(SIGV4_QUERY_PARAMS):
        kinds.append("sigv4-query")
    if req.has_any_param(("Signature", "AWSAccessKeyId")):
        kinds.append("sigv2-query")
    authorization = req.headers.get("authorization")
    if authorization is not None:
        if authorization.startswith(SIGV4_ALGORITHM + " "):
            kinds.append("sigv4-header")
        elif authorization.startswith("AWS "):
            kinds.append("sigv2-header")
        else:
            kinds.append("unsupported-header")
    if len(kinds) > 1:
        raise S3Error(
            400,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    return kinds[0] if kinds else "anonymous"


class Gate:
    """WSGI middleware: verify, then forward to the object store or refuse."""

    def __init__(
        self,
        app: WSGIApp,
        settings: StoreSettings,
        clock: Clock,
        log: RequestLog,
        account_id: str,
        namespace: Namespace | None = None,
        spill: Spill | None = None,
        spill_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.clock = clock
        self.log = log
        self.account_id = account_id
        self.namespace = namespace
        self.spill = spill
        self.spill_bytes = spill_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        req = Incoming.from_environ(environ)
        auth = "anonymous"
        scope = nullcontext() if self.namespace is None else self.namespace.scoped(self.account_id)
        spill = nullcontext() if self.spill is None else self.spill.scoped(self.spill_bytes)
        with scope, spill:
            try:
                auth = classify(req)
                self._judge(auth, req, environ)
            except S3Error as err:
                return self._refuse(req, auth, err, start_response, "refused")
            except Exception as err:
                return self._fail(req, auth, "gate", err, start_response)
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
            return self._forward(req, auth, environ, start_response)

    def judge(self, environ: dict[str, Any]) -> str:
        """Judge a request without serving it: its auth kind, or S3Error (the benchmark's probe)."""
        req = Incoming.from_environ(environ)
        auth = classify(req)
        self._judge(auth, req, environ)
        return auth

    def _judge(self, auth: str, req: Incoming, environ: dict[str, Any]) -> None:
        if not self.settings.profile.verify:
            return
        if auth == "sigv4-query":
            verify_sigv4_query(req, self.settings, self.clock.now())
        elif auth == "sigv2-query":
            verify_sigv2_query(req, self.settings, self.clock.now())
        elif auth == "sigv4-header":
            signed = verify_sigv4_header(req, self.settings, self.clock.now())
            if _SHA256_HEX.match(signed.payload_hash):
                _verify_payload(environ, signed.payload_hash)
            elif signed.payload_hash in STREAMING:
                verify_chunked(
                    _read_body(environ),
                    signed.payload_hash,
                    signed.seed,
                    req.headers.get("x-amz-decoded-content-length"),
                    req.headers.get("x-amz-trailer"),
                )
        elif auth == "sigv2-header":
            verify_sigv2_header(req, self.settings, self.clock.now())
        elif auth == "unsupported-header":
            raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type")
        else:
            raise access_denied(reason="anonymous request: no signature at all")

    def _refuse(
        self,
        req: Incoming,
        auth: str,
        err: S3Error,
        start_response: StartResponse,
        verdict: str,
        exc_info: Any = None,
    ) -> list[bytes]:
        request_id = new_request_id()
        body = err.to_xml(request_id)
        headers = [
            ("Content-Type", "application/xml"),
            ("x-amz-request-id", request_id),
            ("Content-Length", "0" if req.method == "HEAD" else str(len(body))),
        ]
        start_response(f"{err.status} {HTTPStatus(err.status).phrase}", headers, exc_info)
        self._record(req, auth, verdict, err.status, err.code, err.reason)
        return [] if req.method == "HEAD" else [body]

    def _fail(
        self,
        req: Incoming,
        auth: str,
        where: str,
        err: Exception,
        start_response: StartResponse,
        exc_info: Any = None,
    ) -> list[bytes]:
        """An unexpected failure (a gate bug, moto raising): S3's InternalError, logged.

        ``where`` ("gate" or "object store") starts the logged reason. ``exc_info`` (when moto
        had already started its response) lets this answer replace that response.
        """
        _log.error("%s error on %s %s", where, req.method, req.redacted_target(), exc_info=err)
        error = internal_error(f"{where} error: {self._scrubbed(req, err)}")
        return self._refuse(req, auth, error, start_response, "error", exc_info)

    def _scrubbed(self, req: Incoming, err: Exception) -> str:
        """The error in one line for the request log, minus any credential or signature."""
        lines = f"{type(err).__name__}: {err}".splitlines()
        text = lines[0] if lines else type(err).__name__
        secrets = req.secret_values()
        for access_key, secret_key in self.settings.credentials.items():
            secrets.update((access_key, secret_key))
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, "REDACTED")
        return text[:300]

    def _forward(
        self,
        req: Incoming,
        auth: str,
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        seen: list[int] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(int(status.split(None, 1)[0]))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, capture)
            status = seen[-1] if seen else 500
            code = None
            if status >= 400:
                # Error bodies are small: read it to log the store's own error code.
                chunks = list(body)
                if hasattr(body, "close"):
                    body.close()
                body = chunks
                match = _ERROR_CODE.search(b"".join(chunks))
                code = match.group(1).decode("utf-8", "replace") if match else None
        except Exception as err:
            exc_info = sys.exc_info() if seen else None
            return self._fail(req, auth, "object store", err, start_response, exc_info)
        self._record(req, auth, "allowed", status, code, None)
        return body

    def _record(
        self,
        req: Incoming,
        auth: str,
        verdict: str,
        status: int,
        code: str | None,
        reason: str | None,
    ) -> None:
        self.log.append(
            RequestRecord(
                method=req.method,
                path=req.redacted_target(),
                profile=self.settings.profile.name,
                auth=auth,
                verdict=verdict,
                status=status,
                code=code,
                reason=reason,
            )
        )


def _verify_payload(environ: dict[str, Any], declared: str) -> None:
    """Hash the body against the signed x-amz-content-sha256, as S3 does before storing it."""
    body = _read_body(environ)
    computed = hashlib.sha256(body).hexdigest()
    if not hmac.compare_digest(computed, declared):
        raise S3Error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            details={"ClientComputedContentSHA256": declared, "S3ComputedContentSHA256": computed},
        )


def _read_body(environ: dict[str, Any]) -> bytes:
    """The whole request body, put back for moto to read again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
