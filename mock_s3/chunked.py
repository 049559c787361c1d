"""aws-chunked uploads: chunk signatures, trailer signatures and trailer checksums.

A header-signed upload whose ``x-amz-content-sha256`` is ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``
sends its body as chunks, each ``<hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n``, ending
with an empty chunk. Each chunk's signature is an HMAC, with the request's signing key, over
the previous signature (the seed is the Authorization header's), so a chunk changed, dropped,
reordered or appended breaks the chain: AWS answers ``SignatureDoesNotMatch``. The ``-TRAILER``
variants add trailing headers after the empty chunk (a checksum, which S3 verifies, and for the
signed variant an ``x-amz-trailer-signature`` chained from the last chunk's). moto decodes the
body itself; the gate only verifies it, as S3 does before storing anything.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum

from .errors import SIGNATURE_MISMATCH_MESSAGE, S3Error

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING = frozenset({SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER})
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_MAX_LINE = 4096

# Checksums a trailer may carry that this process can compute (botocore's own classes; CRC32C
# and CRC64NVME need the optional awscrt package, so they are checked only when it is there).
_CHECKSUMS: dict[str, type] = {
    "crc32": Crc32Checksum,
    "sha1": Sha1Checksum,
    "sha256": Sha256Checksum,
}
try:  # pragma: no cover - depends on awscrt being installed
    from botocore.httpchecksum import HAS_CRT, CrtCrc32cChecksum, CrtCrc64NvmeChecksum

    if HAS_CRT:
        _CHECKSUMS.update(crc32c=CrtCrc32cChecksum, crc64nvme=CrtCrc64NvmeChecksum)
except ImportError:  # pragma: no cover
    pass


@dataclass(frozen=True)
class Seed:
    """What chains the chunk signatures: the header signature and the request's signing key."""

    signature: str
    timestamp: str  # the request's x-amz-date
    scope: str  # date/region/s3/aws4_request
    key: bytes  # the derived SigV4 signing key

    def sign(self, kind: str, previous: str, payload_sha256: str) -> str:
        if kind == "PAYLOAD":
            lines = [previous, EMPTY_SHA256, payload_sha256]
        else:  # TRAILER
            lines = [previous, payload_sha256]
        text = "\n".join([f"AWS4-HMAC-SHA256-{kind}", self.timestamp, self.scope, *lines])
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(
    body: bytes,
    mode: str,
    seed: Seed | None,
    decoded_length: str | None,
    declared_trailer: str | None,
) -> None:
    """Raise S3Error unless ``body`` is a faithful aws-chunked body for ``mode``."""
    signed = mode in (SIGNED, SIGNED_TRAILER)
    if signed and seed is None:
        raise ValueError("a signed aws-chunked body needs its seed")
    if decoded_length is None:
        raise S3Error(
            411, "MissingContentLength", "You must provide the Content-Length HTTP header.",
            reason="aws-chunked upload without x-amz-decoded-content-length",
        )  # fmt: skip
    pos, previous, total = 0, seed.signature if seed else "", 0
    data_hash = {}
    for name in (declared_trailer or "").lower().split(","):
        algorithm = name.strip().removeprefix("x-amz-checksum-")
        if name.strip().startswith("x-amz-checksum-") and algorithm in _CHECKSUMS:
            data_hash[algorithm] = _CHECKSUMS[algorithm]()
    while True:
        line, pos = _line(body, pos)
        size_text, _, extension = line.partition(b";")
        size = _size(size_text)
        data = body[pos : pos + size]
        if len(data) < size:
            raise _incomplete("a chunk is shorter than its declared size")
        pos += size
        if signed:
            provided = _chunk_signature(extension)
            expected = seed.sign("PAYLOAD", previous, hashlib.sha256(data).hexdigest())  # type: ignore[union-attr]
            if not hmac.compare_digest(expected.encode(), provided):
                raise _mismatch(f"chunk signature mismatch at decoded byte {total}")
            previous = expected
        for checksum in data_hash.values():
            checksum.update(data)
        total += size
        if size == 0:
            break
        if body[pos : pos + 2] != b"\r\n":
            raise _incomplete("a chunk's data is not followed by CRLF")
        pos += 2
    if mode == SIGNED:
        if body[pos:] not in (b"\r\n", b""):
            raise _incomplete("data after the final chunk")
    else:
        trailers, signature, pos = _trailers(body, pos)
        _check_trailers(trailers, declared_trailer, data_hash)
        if mode == SIGNED_TRAILER:
            canonical = "".join(f"{name}:{value}\n" for name, value in trailers)
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            expected = seed.sign("TRAILER", previous, digest)  # type: ignore[union-attr]
            sent = (signature or "").encode("utf-8", "replace")
            if signature is None or not hmac.compare_digest(expected.encode(), sent):
                raise _mismatch("trailer signature mismatch")
    if str(total) != decoded_length.strip():
        raise _incomplete(
            f"decoded {total} bytes, x-amz-decoded-content-length says {decoded_length.strip()}"
        )


def _line(body: bytes, pos: int) -> tuple[bytes, int]:
    end = body.find(b"\r\n", pos, pos + _MAX_LINE)
    if end < 0:
        raise _incomplete("a chunk header is missing or not terminated by CRLF")
    return body[pos:end], end + 2


def _size(text: bytes) -> int:
    try:
        if not text or text.strip() != text:
            raise ValueError
        return int(text, 16)
    except ValueError:
        raise _incomplete("a chunk size is not a hexadecimal number") from None


def _chunk_signature(extension: bytes) -> bytes:
    name, _, value = extension.partition(b"=")
    if name != b"chunk-signature" or not value:
        raise _mismatch("a chunk carries no chunk-signature")
    return value


def _trailers(body: bytes, pos: int) -> tuple[list[tuple[str, str]], str | None, int]:
    trailers: list[tuple[str, str]] = []
    signature = None
    while pos < len(body):
        line, pos = _line(body, pos)
        if not line:
            break
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if not sep:
            raise _incomplete("a trailer line is not name:value")
        name, value = name.strip().lower(), value.strip()
        if name == "x-amz-trailer-signature":
            signature = value
        else:
            trailers.append((name, value))
    if body[pos:]:
        raise _incomplete("data after the trailer")
    return trailers, signature, pos


def _check_trailers(
    trailers: list[tuple[str, str]], declared: str | None, data_hash: dict[str, object]
) -> None:
    names = [name for name, _ in trailers]
    wanted = [n.strip().lower() for n in (declared or "").split(",") if n.strip()]
    if sorted(names) != sorted(wanted):
        raise S3Error(
            400,
            "MalformedTrailerError",
            "The request contained trailing data that was not well-formed or did not conform "
            "to our published schema.",
            reason=f"trailers sent {names or 'none'}, x-amz-trailer declared {wanted or 'none'}",
        )
    for name, value in trailers:
        algorithm = name.removeprefix("x-amz-checksum-")
        checksum = data_hash.get(algorithm) if name.startswith("x-amz-checksum-") else None
        if checksum is not None and checksum.b64digest() != value:  # type: ignore[attr-defined]
            raise S3Error(
                400,
                "BadDigest",
                f"The {algorithm.upper()} you specified did not match the calculated checksum.",
                reason=f"trailer {name} does not match the body",
            )


def _incomplete(reason: str) -> S3Error:
    return S3Error(
        400,
        "IncompleteBody",
        "The request body terminated unexpectedly",
        reason=f"aws-chunked body: {reason}",
    )


def _mismatch(reason: str) -> S3Error:
    return S3Error(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH_MESSAGE, reason=reason)
