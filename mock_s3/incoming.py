"""The request exactly as the client sent it, read from the WSGI environ.

Signatures cover the raw request target, so the path comes from ``RAW_URI``/``REQUEST_URI``
(werkzeug's ``PATH_INFO`` is already percent-decoded and loses ``%2F`` versus ``/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

# Query parameters whose values are credentials or signatures: never logged.
REDACTED_PARAMS = frozenset(
    {"X-Amz-Signature", "Signature", "X-Amz-Credential", "AWSAccessKeyId", "X-Amz-Security-Token"}
)
# Headers whose values are credentials or signatures.
_SECRET_HEADERS = ("authorization", "x-amz-security-token")
_PRESERVED_NAMES_KEY = "moto.preserved_header_names"
# The server's list of (name, value) header lines as received, when it provides one.
RAW_HEADERS_KEY = "mock_s3.raw_headers"
_SEGMENT_SAFE = "-_.~"


@dataclass(frozen=True)
class Incoming:
    method: str
    raw_path: str  # percent-encoded, as sent
    raw_query: str
    query: tuple[tuple[str, str], ...]  # decoded (name, value) pairs, in order
    headers: dict[str, str]  # lower-case name -> value

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Incoming:
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if target is None:
            target = quote(environ.get("PATH_INFO", "/"), safe="/~")
            if environ.get("QUERY_STRING"):
                target += "?" + environ["QUERY_STRING"]
        # WSGI hands bytes over as latin-1 text; undo that to get what the client sent.
        target = _as_utf8(target)
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        path, _, raw_query = target.partition("?")
        return cls(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            raw_path=path or "/",
            raw_query=raw_query,
            query=tuple(_parse_query(raw_query)),
            headers=_headers(environ),
        )

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def has_any_param(self, names: tuple[str, ...]) -> bool:
        return any(key in names for key, _ in self.query)

    @property
    def host(self) -> str:
        return self.headers.get("host", "")

    def canonical_path(self) -> str:
        """The path URI-encoded the AWS way, segment by segment (an encoded ``%2F`` stays one)."""
        segments = self.raw_path.split("/")
        return "/".join(quote(unquote_to_bytes(s), safe=_SEGMENT_SAFE) for s in segments)

    def redacted_target(self) -> str:
        """Path and query for logs, with credentials and signatures replaced."""
        if not self.raw_query:
            return self.raw_path
        pairs = []
        for pair in self.raw_query.split("&"):
            name = unquote(pair.partition("=")[0])
            pairs.append(f"{name}=REDACTED" if name in REDACTED_PARAMS else pair)
        return self.raw_path + "?" + "&".join(pairs)

    def secret_values(self) -> set[str]:
        """Credentials and signatures this request carries, to scrub them from any logged text."""
        values = {value for name, value in self.query if name in REDACTED_PARAMS and value}
        for name in _SECRET_HEADERS:
            value = self.headers.get(name)
            if value:
                values.add(value)
                # Its parts too (access key, signature), in case a message quotes only one.
                values.update(part for part in re.split(r"[\s,=:/]+", value) if len(part) >= 16)
        return values


def _parse_query(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        # Repeated headers joined with commas, values trimmed, as SigV4 canonicalises them.
        joined: dict[str, str] = {}
        for name, value in raw:
            name, value = name.lower(), _as_utf8(value.replace("\r\n", "")).strip()
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        return joined
    preserved = environ.get(_PRESERVED_NAMES_KEY) or {}
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = preserved.get(key) or key[5:].replace("_", "-")
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-")
        else:
            continue
        headers[name.lower()] = _as_utf8(value)
    return headers


def _as_utf8(value: str) -> str:
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
