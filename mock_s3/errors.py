"""S3-shaped error responses.

Real S3 answers every refusal with an ``<Error>`` document whose ``Code`` a client (and a
conformance report) keys on; moto wraps some of its errors differently, so the gate builds its own.
"""

from __future__ import annotations

import secrets
from xml.sax.saxutils import escape

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'

SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


class S3Error(Exception):
    """A refusal the gate answers itself, before the request reaches the object store.

    ``details`` become extra XML elements (``HeadersNotSigned``, ``StringToSign``...), in order.
    ``reason`` is a short explanation for the request log; it never holds secrets or signatures.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason or message
        self.details = details or {}

    def to_xml(self, request_id: str) -> bytes:
        parts = [XML_HEADER, "<Error>"]
        parts.append(f"<Code>{escape(self.code)}</Code>")
        parts.append(f"<Message>{escape(self.message)}</Message>")
        for name, value in self.details.items():
            parts.append(f"<{name}>{escape(value)}</{name}>")
        parts.append(f"<RequestId>{request_id}</RequestId>")
        parts.append(f"<HostId>{escape(request_id)}</HostId>")
        parts.append("</Error>")
        return "".join(parts).encode("utf-8")


def new_request_id() -> str:
    return secrets.token_hex(8).upper()


def access_denied(message: str = "Access Denied", **kw: object) -> S3Error:
    return S3Error(403, "AccessDenied", message, **kw)  # type: ignore[arg-type]


def headers_not_signed(names: list[str]) -> S3Error:
    listed = ",".join(names)
    return S3Error(
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
        reason=f"headers not signed: {listed}",
        details={"HeadersNotSigned": listed},
    )


def query_params_error(message: str, status: int = 400) -> S3Error:
    return S3Error(status, "AuthorizationQueryParametersError", message)


def invalid_access_key() -> S3Error:
    return S3Error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        reason="unknown access key",
    )


def expired(details: dict[str, str]) -> S3Error:
    return S3Error(
        403,
        "AccessDenied",
        "Request has expired",
        reason=f"request has expired (expires {details.get('Expires')}, "
        f"server time {details.get('ServerTime')})",
        details=details,
    )


def request_time_too_skewed(request_time: str, server_time: str, max_skew_s: int) -> S3Error:
    return S3Error(
        403,
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        reason=f"request time {request_time} is more than {max_skew_s // 60} minutes off the "
        f"store's clock ({server_time})",
        details={
            "RequestTime": request_time,
            "ServerTime": server_time,
            "MaxAllowedSkewMilliseconds": str(max_skew_s * 1000),
        },
    )


def internal_error(reason: str) -> S3Error:
    """What S3 answers when it fails; ``reason`` (for the request log only) says what broke."""
    return S3Error(
        500,
        "InternalError",
        "We encountered an internal error. Please try again.",
        reason=reason,
    )


def sigv2_refused() -> S3Error:
    return S3Error(
        400,
        "InvalidRequest",
        "The authorization mechanism you have provided is not supported. "
        "Please use AWS4-HMAC-SHA256.",
        reason="SigV2 is disabled on this store",
    )
