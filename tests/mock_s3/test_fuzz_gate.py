"""Property-based tests of the strict gate: faithful requests pass, tampered ones never do.

hypothesis draws a request (presigned SigV4 URL, header-signed SigV4, or a signed aws-chunked
upload, signed by botocore) and one change to it. Changes that keep the request faithful
(header names re-cased, transport headers added or repeated, query values percent-encoded
differently, a presigned body, which UNSIGNED-PAYLOAD leaves unsigned, clock moves inside the
allowed window) must be answered 2xx and store exactly what was sent; every other change
(headers added, removed, duplicated or altered, query parameters altered, added, removed or
repeated, another path or method, a body other than the signed hash, clock moves past expiry or
skew) must be refused with 4xx and leave the store unchanged.

Requests go over a real HTTP connection, written header by header, so casing and duplicates
reach the server exactly as drawn. The number of generated cases goes to the test report
(``fuzz_cases`` user property; the mock_s3 conftest sums them in the terminal summary).
"""

from __future__ import annotations

import http.client
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_s3 import MockS3

BUCKET = "fuzz"
EXISTING = "fuzz/existing.ts"
EXISTING_BODY = b"existing object"
MARGIN_S = 10  # clock edges are drawn at least this far from a boundary (requests take time)


def fuzz_settings(max_examples: int) -> settings:
    return settings(SETTINGS, max_examples=max_examples)


SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Headers a client or proxy may add on its own; the strict store ignores them.
TRANSPORT = ["User-Agent", "Accept", "Accept-Encoding", "TE", "Keep-Alive", "X-Amzn-Trace-Id"]
# Headers that are not transport headers: unsigned, the strict store refuses them.
NON_TRANSPORT = [
    "Content-Type", "Content-MD5", "Cache-Control", "Content-Disposition", "Range", "Origin",
    "x-amz-acl", "x-amz-meta-extra", "x-amz-storage-class", "x-amz-checksum-crc32",
    "x-amz-server-side-encryption", "x-amz-content-sha256", "If-None-Match", "Authorization2",
]  # fmt: skip

header_value = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
)
token = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
body_bytes = st.binary(min_size=0, max_size=2048)


@dataclass(frozen=True)
class Wire:
    """A request exactly as it goes on the wire."""

    method: str
    path: str  # raw, percent-encoded
    query: tuple[tuple[str, str], ...]  # raw (encoded) name, value pairs
    headers: tuple[tuple[str, str], ...]
    body: bytes
    key: str

    def target(self) -> str:
        if not self.query:
            return self.path
        return self.path + "?" + "&".join(f"{n}={v}" for n, v in self.query)


class Sender:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def send(self, wire: Wire) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.putrequest(
                    wire.method, wire.target(), skip_host=True, skip_accept_encoding=True
                )
                for name, value in wire.headers:
                    self.conn.putheader(name, value)
                self.conn.endheaders(wire.body or None)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def fuzz_store() -> Iterator[tuple[MockS3, Sender]]:
    with MockS3("strict", buckets=[BUCKET]) as s3:
        s3.client.put_object(Bucket=BUCKET, Key=EXISTING, Body=EXISTING_BODY)
        sender = Sender(int(s3.endpoint.rsplit(":", 1)[1]))
        yield s3, sender
        sender.conn.close()


_PRESIGNERS: dict[str, object] = {}


def _presigner(s3: MockS3):
    """One boto3 presigner per store (creating a client costs more than a request)."""
    if s3.endpoint not in _PRESIGNERS:
        _PRESIGNERS[s3.endpoint] = s3.presigner()
    return _PRESIGNERS[s3.endpoint]  # type: ignore[return-value]


def _host(s3: MockS3) -> str:
    return s3.endpoint.split("//", 1)[1]


def _split(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    pairs = tuple(tuple(p.split("=", 1)) for p in parts.query.split("&") if p)  # type: ignore[misc]
    return parts.path, pairs  # type: ignore[return-value]


def _presigned(s3: MockS3, method: str, extra: dict[str, str], expires: int, body: bytes) -> Wire:
    key = EXISTING if method == "GET" else f"fuzz/{uuid.uuid4().hex}.ts"
    params: dict[str, object] = {"Bucket": BUCKET, "Key": key}
    headers = [("Host", _host(s3))]
    if "content-type" in extra:
        params["ContentType"] = extra["content-type"]
    meta = {k[len("x-amz-meta-") :]: v for k, v in extra.items() if k.startswith("x-amz-meta-")}
    if meta:
        params["Metadata"] = meta
    if method == "PUT":
        headers += [(name, value) for name, value in extra.items()]
        headers.append(("Content-Length", str(len(body))))
    operation = "put_object" if method == "PUT" else "get_object"
    url = _presigner(s3).generate_presigned_url(operation, Params=params, ExpiresIn=expires)
    path, query = _split(url)
    return Wire(method, path, query, tuple(headers), body if method == "PUT" else b"", key)


def _header_signed(s3: MockS3, extra: dict[str, str], body: bytes) -> Wire:
    key = f"fuzz/{uuid.uuid4().hex}.ts"
    url = f"{s3.endpoint}/{BUCKET}/{key}"
    request = AWSRequest(method="PUT", url=url, data=body, headers=dict(extra))
    S3SigV4Auth(Credentials(s3.access_key, s3.secret_key), "s3", s3.region).add_auth(request)
    headers = [("Host", _host(s3))] + [(n, str(v)) for n, v in request.headers.items()]
    headers.append(("Content-Length", str(len(body))))
    return Wire("PUT", urlsplit(url).path, (), tuple(headers), body, key)


def _signed_names(wire: Wire) -> list[str]:
    for name, value in wire.query:
        if name == "X-Amz-SignedHeaders":
            return value.replace("%3B", ";").split(";")
    for name, value in wire.headers:
        if name.lower() == "authorization":
            return value.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    return []


def _recase(name: str, flips: list[bool]) -> str:
    flips = (flips + [False] * len(name))[: len(name)]
    out = "".join(c.swapcase() if flip else c for c, flip in zip(name, flips, strict=True))
    return out if out != name else name.upper() if name.upper() != name else name.lower()


# Each mutation: (data, wire, clock) -> (wire, clock offset, faithful?, what it did).
def mutate(data: st.DataObject, wire: Wire, kind: str, expires: int) -> tuple[Wire, int, bool]:
    signed = [n for n in _signed_names(wire)]
    names = [n for n, _ in wire.headers]
    choices = ["none", "recase", "add_transport", "repeat_transport", "add_header",
               "remove_signed", "duplicate_signed", "change_signed_value", "clock"]  # fmt: skip
    if kind == "presigned":
        choices += ["reencode_query", "change_param", "remove_param", "add_param",
                    "duplicate_param", "change_path", "change_method"]  # fmt: skip
        if wire.method == "PUT":
            choices.append("presigned_body")
    else:
        choices += ["change_body", "add_param", "change_path"]
    change = data.draw(st.sampled_from(choices), label="mutation")
    headers = list(wire.headers)
    if change == "none":
        return wire, 0, True
    if change == "recase":
        i = data.draw(st.integers(0, len(headers) - 1), label="header")
        flips = data.draw(st.lists(st.booleans(), min_size=len(headers[i][0])), label="flips")
        headers[i] = (_recase(headers[i][0], flips), headers[i][1])
        return replace(wire, headers=tuple(headers)), 0, True
    if change in ("add_transport", "repeat_transport"):
        name = data.draw(st.sampled_from(TRANSPORT), label="name")
        value = data.draw(header_value, label="value")
        headers.insert(data.draw(st.integers(0, len(headers)), label="at"), (name, value))
        if change == "repeat_transport":
            headers.append((name.lower(), value + "x"))
        return replace(wire, headers=tuple(headers)), 0, True
    if change == "add_header":
        candidates = [n for n in NON_TRANSPORT if n.lower() not in [x.lower() for x in names]]
        name = data.draw(st.sampled_from(candidates) | token.map(lambda t: f"x-fuzz-{t}"))
        headers.append((name, data.draw(header_value, label="value")))
        return replace(wire, headers=tuple(headers)), 0, False
    if change in ("remove_signed", "duplicate_signed", "change_signed_value"):
        # Content-Length frames the body: a duplicated or altered one is an HTTP matter.
        pick = [i for i, (n, _) in enumerate(headers) if n.lower() in signed]
        if change != "remove_signed":
            pick = [i for i in pick if headers[i][0].lower() != "content-length"]
        i = data.draw(st.sampled_from(pick), label="signed header")
        name, value = headers[i]
        if change == "remove_signed":
            del headers[i]
        elif change == "duplicate_signed":
            headers.insert(i + 1, (name, value))
        else:
            other = data.draw(header_value.filter(lambda v: v.strip() != value.strip()))
            headers[i] = (name, other)
        return replace(wire, headers=tuple(headers)), 0, False
    if change == "clock":
        return wire, *_clock_edge(data, kind, expires)
    if change == "presigned_body":
        body = data.draw(body_bytes.filter(lambda b: b != wire.body), label="body")
        headers = [(n, str(len(body)) if n == "Content-Length" else v) for n, v in headers]
        return replace(wire, headers=tuple(headers), body=body), 0, True
    if change == "change_body":
        body = data.draw(body_bytes.filter(lambda b: b != wire.body), label="body")
        headers = [(n, str(len(body)) if n == "Content-Length" else v) for n, v in headers]
        return replace(wire, headers=tuple(headers), body=body), 0, False
    query = list(wire.query)
    if change == "reencode_query":
        # %XX for an unreserved character: the same value once decoded, as S3 reads it.
        i = data.draw(st.integers(0, len(query) - 1), label="param")
        name, value = query[i]
        escaped = {k for j, c in enumerate(value) if c == "%" for k in (j + 1, j + 2)}
        spots = [j for j, c in enumerate(value) if c.isalnum() and j not in escaped]
        if spots:
            j = data.draw(st.sampled_from(spots), label="char")
            value = value[:j] + f"%{ord(value[j]):02X}" + value[j + 1 :]
        query[i] = (name, value)
        return replace(wire, query=tuple(query)), 0, True
    if change == "change_param":
        i = data.draw(st.integers(0, len(query) - 1), label="param")
        name, value = query[i]
        other = data.draw(token.filter(lambda t: t != value) | st.just(value + "0"), label="value")
        query[i] = (name, other)
        return replace(wire, query=tuple(query)), 0, False
    if change == "remove_param":
        del query[data.draw(st.integers(0, len(query) - 1), label="param")]
        return replace(wire, query=tuple(query)), 0, False
    if change == "add_param":
        name = data.draw(
            st.sampled_from(["acl", "tagging", "versionId", "x-id", "uploads"]) | token
        )
        value = data.draw(st.just("") | token, label="value")
        query.insert(data.draw(st.integers(0, len(query)), label="at"), (name, value))
        return replace(wire, query=tuple(query)), 0, False
    if change == "duplicate_param":
        pick = [i for i, (n, _) in enumerate(query) if n != "X-Amz-Signature"]
        i = data.draw(st.sampled_from(pick), label="param")
        query.insert(i + 1, query[i])
        return replace(wire, query=tuple(query)), 0, False
    if change == "change_path":
        suffix = data.draw(token, label="suffix")
        return replace(wire, path=wire.path + suffix, key=wire.key + suffix), 0, False
    if change == "change_method":
        others = [m for m in ("GET", "PUT", "DELETE", "HEAD", "POST") if m != wire.method]
        return replace(wire, method=data.draw(st.sampled_from(others), label="method")), 0, False
    raise AssertionError(change)


def _clock_edge(data: st.DataObject, kind: str, expires: int) -> tuple[int, bool]:
    """A clock offset well inside or well outside the window the store allows."""
    m = MARGIN_S
    if kind == "presigned":
        # Valid from 15 minutes before X-Amz-Date (AWS's tolerance) until it expires.
        inside = st.integers(-900 + m, max(expires - m, -900 + m))
        outside = st.integers(-5000, -900 - m) | st.integers(expires + m, expires + 5000)
    else:
        # Header-signed: 15 minutes of skew either way.
        inside = st.integers(-900 + m, 900 - m)
        outside = st.integers(-5000, -900 - m) | st.integers(900 + m, 5000)
    if data.draw(st.booleans(), label="inside window"):
        return data.draw(inside, label="offset"), True
    return data.draw(outside, label="offset"), False


def _check(s3: MockS3, sender: Sender, wire: Wire, offset: int, faithful: bool) -> None:
    s3.clock.advance(offset)
    try:
        status, body = sender.send(wire)
    finally:
        s3.clock.reset()
    if faithful:
        assert 200 <= status < 300, (status, body[:300], wire.target()[:80])
        if wire.method == "PUT":
            stored = s3.client.get_object(Bucket=BUCKET, Key=wire.key)["Body"].read()
            assert stored == wire.body
        else:
            assert body == EXISTING_BODY
        return
    assert 400 <= status < 500, (status, body[:300])
    if wire.key != EXISTING:
        with pytest.raises(ClientError) as caught:
            s3.client.head_object(Bucket=BUCKET, Key=wire.key)
        assert caught.value.response["Error"]["Code"] == "404"
    assert s3.client.get_object(Bucket=BUCKET, Key=EXISTING)["Body"].read() == EXISTING_BODY


extra_headers = st.fixed_dictionaries(
    {},
    optional={
        "content-type": st.sampled_from(["video/mp2t", "application/json", "image/png"]),
        "x-amz-meta-k": token,
        "x-amz-meta-other": token,
    },
)


@fuzz_settings(300)
@given(
    data=st.data(),
    method=st.sampled_from(["PUT", "GET"]),
    extra=extra_headers,
    expires=st.integers(60, 604800),
    body=body_bytes,
)
def test_presigned_requests(fuzz_store, cases, data, method, extra, expires, body):
    s3, sender = fuzz_store
    wire = _presigned(s3, method, extra if method == "PUT" else {}, expires, body)
    wire, offset, faithful = mutate(data, wire, "presigned", expires)
    _check(s3, sender, wire, offset, faithful)
    cases["faithful" if faithful else "tampered"] += 1


@fuzz_settings(200)
@given(data=st.data(), extra=extra_headers, body=body_bytes)
def test_header_signed_requests(fuzz_store, cases, data, extra, body):
    s3, sender = fuzz_store
    wire = _header_signed(s3, extra, body)
    wire, offset, faithful = mutate(data, wire, "header", 0)
    _check(s3, sender, wire, offset, faithful)
    cases["faithful" if faithful else "tampered"] += 1


@fuzz_settings(100)
@given(
    data=st.data(),
    mode=st.sampled_from(["SIGNED", "SIGNED_TRAILER", "UNSIGNED_TRAILER"]),
    body=st.binary(min_size=1, max_size=3000),
    chunk_size=st.integers(1, 1024),
    flip=st.booleans(),
)
def test_chunked_uploads(fuzz_store, aws_chunked, cases, data, mode, body, chunk_size, flip):
    s3, sender = fuzz_store
    key = f"fuzz/{uuid.uuid4().hex}.ts"
    built = aws_chunked.build(
        s3.endpoint, f"/{BUCKET}/{key}", body, access_key=s3.access_key,
        secret_key=s3.secret_key, mode=getattr(aws_chunked, mode), chunk_size=chunk_size,
    )  # fmt: skip
    encoded = bytearray(built.body)
    faithful = True
    if flip:
        at = data.draw(st.integers(0, len(encoded) - 1), label="byte")
        encoded[at] ^= data.draw(st.integers(1, 255), label="xor")
        # A trailer is a header: its name re-cased is the same trailer (HTTP field names are
        # case-insensitive), so that one kind of flip leaves the upload faithful.
        trailer_at = len(b"".join(built.chunks))
        faithful = at >= trailer_at and (
            _fold_names(encoded[trailer_at:]) == _fold_names(built.trailer)
        )
    headers = [("Host", _host(s3))] + list(built.headers.items())
    wire = Wire("PUT", f"/{BUCKET}/{key}", (), tuple(headers), bytes(encoded), key)
    status, answer = sender.send(wire)
    if faithful:
        assert status == 200, answer[:300]
        assert s3.client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == body
    else:
        assert 400 <= status < 500, (status, answer[:300])
        with pytest.raises(ClientError):
            s3.client.head_object(Bucket=BUCKET, Key=key)
    cases["faithful" if faithful else "tampered"] += 1


def _fold_names(trailer: bytes) -> bytes:
    lines = trailer.split(b"\r\n")
    return b"\r\n".join(n.lower() + sep + v for n, sep, v in (x.partition(b":") for x in lines))


@pytest.fixture
def cases(record_property) -> Iterator[dict[str, int]]:
    """This test's generated cases, faithful and tampered, recorded as ``fuzz_cases``."""
    counts = {"faithful": 0, "tampered": 0}
    yield counts
    record_property("fuzz_cases", counts)
