"""SigV4 verification (presigned query auth and Authorization-header auth).

The signature is recomputed with botocore's own signer classes, fed with the request as received:
the raw path, the query minus the signature, and only the headers the client declared as signed.
"""

from __future__ import annotations

import hmac
import re
from calendar import timegm
from dataclasses import dataclass
from email.utils import parsedate_tz
from time import gmtime, strftime, strptime

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .chunked import SIGNED, SIGNED_TRAILER, Seed, signing_key
from .clock import iso_utc
from .errors import (
    SIGNATURE_MISMATCH_MESSAGE,
    S3Error,
    access_denied,
    expired,
    headers_not_signed,
    invalid_access_key,
    query_params_error,
    request_time_too_skewed,
)
from .incoming import Incoming
from .profiles import StoreSettings

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES = 604800
QUERY_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
_FUTURE_TOLERANCE = 900  # AWS refuses a request dated more than 15 minutes ahead
MAX_SKEW_S = 900  # header-signed: 15 minutes either way


@dataclass(frozen=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str


class _QuerySigner(S3SigV4QueryAuth):
    """botocore's presigned-URL signer, told exactly which headers the client signed."""

    def __init__(self, credentials: Credentials, region: str, expires: int, signed: HTTPHeaders):
        super().__init__(credentials, "s3", region, expires)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


class _HeaderSigner(S3SigV4Auth):
    def __init__(self, credentials: Credentials, region: str, signed: HTTPHeaders):
        super().__init__(credentials, "s3", region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


def verify_query(req: Incoming, settings: StoreSettings, now: float) -> None:
    """Judge a presigned SigV4 request; raise S3Error with the code AWS would answer."""
    if any(req.param(name) is None for name in QUERY_PARAMS):
        raise query_params_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, "
            "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
            "and X-Amz-Expires parameters."
        )
    if req.param("X-Amz-Algorithm") != ALGORITHM:
        raise query_params_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    cred = _parse_credential(str(req.param("X-Amz-Credential")), query=True)
    amz_date = str(req.param("X-Amz-Date"))
    _check_date(amz_date, cred, query=True)
    expires = _parse_expires(str(req.param("X-Amz-Expires")))
    secret = _secret_for(cred, settings, query=True)
    signed_names = _signed_names(str(req.param("X-Amz-SignedHeaders")))
    _check_unsigned(req, settings, signed_names)

    params = [(k, v) for k, v in req.query if k != "X-Amz-Signature"]
    signed = _signed_headers(req, signed_names)
    request = _aws_request(req, params, signed)
    request.context["timestamp"] = amz_date
    signer = _QuerySigner(Credentials(cred.access_key, secret), cred.region, expires, signed)
    _compare(signer, request, str(req.param("X-Amz-Signature")), signed_names)

    issued = _epoch(amz_date)
    if now > issued + expires:
        raise expired(
            {
                "X-Amz-Expires": str(expires),
                "Expires": iso_utc(issued + expires),
                "ServerTime": iso_utc(now),
            }
        )
    if issued > now + _FUTURE_TOLERANCE:
        raise access_denied("Request is not yet valid", reason="X-Amz-Date is in the future")


@dataclass(frozen=True)
class HeaderAuth:
    """A verified header-signed request: its declared payload hash, and for signed aws-chunked
    bodies what chains the chunk signatures."""

    payload_hash: str
    seed: Seed | None


def verify_header(req: Incoming, settings: StoreSettings, now: float | None = None) -> HeaderAuth:
    """Judge an Authorization-header SigV4 request (``now``: the store's clock, for skew)."""
    fields = _parse_authorization(req.headers.get("authorization", ""))
    cred = _parse_credential(fields["Credential"], query=False)
    payload_hash = req.headers.get("x-amz-content-sha256")
    if payload_hash is None:
        raise S3Error(
            400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    amz_date = req.headers.get("x-amz-date") or _date_header_as_amz(req.headers.get("date"))
    if not amz_date:
        raise access_denied("AWS authentication requires a valid Date or x-amz-date header")
    _check_date(amz_date, cred, query=False)
    secret = _secret_for(cred, settings, query=False)
    signed_names = _signed_names(fields["SignedHeaders"])
    _check_unsigned(req, settings, signed_names)

    signed = _signed_headers(req, signed_names)
    request = _aws_request(req, list(req.query), signed)
    request.context["timestamp"] = amz_date
    signer = _HeaderSigner(Credentials(cred.access_key, secret), cred.region, signed)
    _compare(signer, request, fields["Signature"], signed_names)
    if now is not None:
        check_skew(amz_date, now)
    seed = None
    if payload_hash in (SIGNED, SIGNED_TRAILER):
        seed = Seed(
            fields["Signature"],
            amz_date,
            f"{cred.date}/{cred.region}/{cred.service}/aws4_request",
            signing_key(secret, cred.date, cred.region, cred.service),
        )
    return HeaderAuth(payload_hash, seed)


def check_skew(amz_date: str, now: float) -> None:
    """AWS refuses a header-signed request dated more than 15 minutes off its own clock."""
    if abs(now - _epoch(amz_date)) > MAX_SKEW_S:
        raise request_time_too_skewed(amz_date, iso_utc(now), MAX_SKEW_S)


def _parse_authorization(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in value[len(ALGORITHM) :].split(","):
        name, sep, field = part.strip().partition("=")
        if sep:
            fields[name] = field
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in fields]
    if missing:
        raise S3Error(
            400,
            "AuthorizationHeaderMalformed",
            f"The authorization header is malformed; missing {', '.join(missing)}.",
        )
    return fields


def _parse_credential(value: str, *, query: bool) -> Credential:
    parts = value.split("/")
    if len(parts) != 5:
        raise _credential_error(
            'the Credential is mal-formed; expecting "<AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"',
            query,
        )
    access_key, date, region, service, terminal = parts
    if service != "s3":
        raise _credential_error(
            f'incorrect service "{service}". This endpoint belongs to "s3".', query
        )
    if terminal != "aws4_request":
        raise _credential_error(
            f'incorrect terminal "{terminal}". This endpoint uses "aws4_request".', query
        )
    return Credential(access_key, date, region, service)


def _credential_error(problem: str, query: bool, details: dict[str, str] | None = None) -> S3Error:
    if query:
        message = f"Error parsing the X-Amz-Credential parameter; {problem}"
        return S3Error(400, "AuthorizationQueryParametersError", message, details=details)
    message = f"The authorization header is malformed; {problem}"
    return S3Error(400, "AuthorizationHeaderMalformed", message, details=details)


def _check_date(amz_date: str, cred: Credential, *, query: bool) -> None:
    if not _AMZ_DATE.match(amz_date):
        raise _credential_error("X-Amz-Date must be in the ISO8601 Long Format", query)
    if cred.date != amz_date[:8]:
        raise _credential_error(
            "Invalid credential date. Date is not the same as X-Amz-Date.", query
        )


def _parse_expires(value: str) -> int:
    try:
        expires = int(value)
    except ValueError:
        raise query_params_error("X-Amz-Expires should be a number") from None
    if expires < 1:
        raise query_params_error("X-Amz-Expires must be non-negative and not zero", status=403)
    if expires > MAX_EXPIRES:
        raise query_params_error(
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds",
            status=403,
        )
    return expires


def _secret_for(cred: Credential, settings: StoreSettings, *, query: bool) -> str:
    secret = settings.credentials.get(cred.access_key)
    if secret is None:
        raise invalid_access_key()
    if settings.enforce_region and cred.region != settings.region:
        raise _credential_error(
            f"the region '{cred.region}' is wrong; expecting '{settings.region}'",
            query,
            {"Region": settings.region},
        )
    return secret


def _signed_names(value: str) -> list[str]:
    return [name.strip().lower() for name in value.split(";") if name.strip()]


def _check_unsigned(req: Incoming, settings: StoreSettings, signed_names: list[str]) -> None:
    present = [name for name in req.headers if name != "authorization"]
    refused = settings.profile.unsigned_refused(present, signed_names)
    if refused:
        raise headers_not_signed(refused)


def _signed_headers(req: Incoming, names: list[str]) -> HTTPHeaders:
    signed = HTTPHeaders()
    for name in names:
        signed[name] = req.headers.get(name, "")
    return signed


def _aws_request(req: Incoming, params: list[tuple[str, str]], signed: HTTPHeaders) -> AWSRequest:
    # The Host header is signed like any other (headers_to_sign is overridden); the URL's host is
    # unused, and a hostile Host header must not break the URL parser (that was an InternalError).
    request = AWSRequest(method=req.method, url=f"http://mock-s3.invalid{req.canonical_path()}")
    request.params = params
    for name, value in signed.items():
        request.headers[name] = value
    # The payload hash a client sends is part of the canonical request even when not signed.
    sha = req.headers.get("x-amz-content-sha256")
    if sha is not None and "x-amz-content-sha256" not in signed:
        request.headers["X-Amz-Content-SHA256"] = sha
    return request


def _compare(signer: S3SigV4Auth, request: AWSRequest, provided: str, names: list[str]) -> None:
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace")):
        return
    raise S3Error(
        403,
        "SignatureDoesNotMatch",
        SIGNATURE_MISMATCH_MESSAGE,
        reason=f"SigV4 signature mismatch (signed headers: {';'.join(names)})",
        details={
            "StringToSign": string_to_sign,
            "SignatureProvided": provided,
            "StringToSignBytes": _hex_bytes(string_to_sign),
            "CanonicalRequest": canonical,
            "CanonicalRequestBytes": _hex_bytes(canonical),
        },
    )


def _hex_bytes(text: str) -> str:
    return " ".join(f"{b:02x}" for b in text.encode("utf-8"))


def _epoch(amz_date: str) -> int:
    return timegm(strptime(amz_date, "%Y%m%dT%H%M%SZ"))


def _date_header_as_amz(value: str | None) -> str | None:
    parsed = parsedate_tz(value) if value else None
    if parsed is None:
        return None
    return strftime("%Y%m%dT%H%M%SZ", gmtime(timegm(parsed[:9]) - (parsed[9] or 0)))
