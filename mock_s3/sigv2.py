"""SigV2 verification (presigned ``AWSAccessKeyId``/``Signature``/``Expires`` and ``AWS key:sig``).

SigV2 has no list of signed headers: its string to sign always holds the request's Content-MD5,
Content-Type and every ``x-amz-*`` header. So a client that adds a Content-Type the signer did not
use gets SignatureDoesNotMatch on every store that checks - the presigned-upload bug.
"""

from __future__ import annotations

import hmac
from email.utils import mktime_tz, parsedate_tz
from urllib.parse import urlsplit

from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .clock import iso_utc
from .errors import (
    SIGNATURE_MISMATCH_MESSAGE,
    S3Error,
    access_denied,
    expired,
    headers_not_signed,
    invalid_access_key,
    request_time_too_skewed,
    sigv2_refused,
)
from .incoming import Incoming
from .profiles import StoreSettings

QUERY_PARAMS = ("AWSAccessKeyId", "Signature", "Expires")
_STANDARD = ("content-md5", "content-type")
_PLACEHOLDER_HOST = "mock-s3.invalid"
MAX_SKEW_S = 900  # as SigV4: 15 minutes either way


class _ExpiresQueryAuth(HmacV1QueryAuth):
    """botocore's V2 presigner, with the URL's own Expires in place of "now + expires"."""

    def __init__(self, credentials: Credentials, expires_at: str):
        super().__init__(credentials)
        self._expires_at = expires_at

    def _get_date(self) -> str:
        return self._expires_at


class _DateHeaderAuth(HmacV1Auth):
    """botocore's V2 header signer, with the request's own Date (empty when x-amz-date is sent)."""

    def __init__(self, credentials: Credentials, date: str):
        super().__init__(credentials)
        self._date = date

    def _get_date(self) -> str:
        return self._date


def verify_query(req: Incoming, settings: StoreSettings, now: float) -> None:
    """Judge a presigned SigV2 request; raise S3Error with the code AWS would answer."""
    if not settings.allow_sigv2:
        raise sigv2_refused()
    if any(req.param(name) is None for name in QUERY_PARAMS):
        raise access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
            "parameters"
        )
    expires_at = str(req.param("Expires"))
    try:
        expires_epoch = int(expires_at)
    except ValueError:
        raise access_denied(f"Invalid date (should be seconds since epoch): {expires_at}") from None
    access_key = str(req.param("AWSAccessKeyId"))
    secret = _secret_for(access_key, settings)
    _check_unsigned(req, settings)
    signer = _ExpiresQueryAuth(Credentials(access_key, secret), expires_at)
    _compare(req, signer, _covered_headers(req, hoisted=True), str(req.param("Signature")))
    if now > expires_epoch:
        raise expired({"Expires": iso_utc(expires_epoch), "ServerTime": iso_utc(now)})


def verify_header(req: Incoming, settings: StoreSettings, now: float | None = None) -> None:
    """Judge an ``Authorization: AWS key:signature`` request (``now``: the store's clock)."""
    if not settings.allow_sigv2:
        raise sigv2_refused()
    access_key, sep, provided = req.headers.get("authorization", "")[4:].rpartition(":")
    if not sep:
        raise S3Error(400, "InvalidArgument", "Authorization header is invalid")
    secret = _secret_for(access_key.strip(), settings)
    _check_unsigned(req, settings, ignore="authorization")
    date = "" if "x-amz-date" in req.headers else req.headers.get("date", "")
    signer = _DateHeaderAuth(Credentials(access_key.strip(), secret), date)
    _compare(req, signer, _covered_headers(req, hoisted=False), provided)
    sent = req.headers.get("x-amz-date") or req.headers.get("date")
    parsed = parsedate_tz(sent) if sent else None
    if parsed is None:
        raise access_denied("AWS authentication requires a valid Date or x-amz-date header")
    if now is not None and abs(now - mktime_tz(parsed)) > MAX_SKEW_S:
        raise request_time_too_skewed(str(sent), iso_utc(now), MAX_SKEW_S)


def _secret_for(access_key: str, settings: StoreSettings) -> str:
    secret = settings.credentials.get(access_key)
    if secret is None:
        raise invalid_access_key()
    return secret


def _check_unsigned(req: Incoming, settings: StoreSettings, ignore: str = "") -> None:
    present = [name for name in req.headers if name != ignore]
    covered = [n for n in present if n in _STANDARD or n == "date" or n.startswith("x-amz-")]
    refused = settings.profile.unsigned_refused(present, covered)
    if refused:
        raise headers_not_signed(refused)


def _covered_headers(req: Incoming, *, hoisted: bool) -> HTTPHeaders:
    """The headers SigV2 signs; a presigned URL may carry ``x-amz-*`` as query parameters."""
    headers = HTTPHeaders()
    for name, value in req.headers.items():
        if name in _STANDARD or name.startswith("x-amz-"):
            headers[name] = value
    if hoisted:
        for name, value in req.query:
            lname = name.lower()
            if lname.startswith("x-amz-") and lname not in headers:
                headers[lname] = value
    return headers


def _compare(req: Incoming, signer: HmacV1Auth, headers: HTTPHeaders, provided: str) -> None:
    # Path-style only: the host is not part of SigV2's string to sign, and a hostile Host header
    # must not break the URL parser (that was an InternalError).
    target = f"http://{_PLACEHOLDER_HOST}{req.canonical_path()}"
    if req.raw_query:
        target += "?" + req.raw_query
    string_to_sign = signer.canonical_string(req.method, urlsplit(target), headers)
    expected = signer.sign_string(string_to_sign)
    if hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace")):
        return
    sent = [n for n in _STANDARD if n in req.headers and req.param(n) is None]
    hint = f"; sent but not presigned: {', '.join(sent)}" if sent else ""
    raise S3Error(
        403,
        "SignatureDoesNotMatch",
        SIGNATURE_MISMATCH_MESSAGE,
        reason=f"SigV2 signature mismatch (SigV2 signs Content-Type, Content-MD5, x-amz-*{hint})",
        details={
            "StringToSign": string_to_sign,
            "SignatureProvided": provided,
            "StringToSignBytes": " ".join(f"{b:02x}" for b in string_to_sign.encode("utf-8")),
        },
    )
