"""A client-side aws-chunked encoder for the tests, written from AWS's SigV4 streaming docs.

botocore signs the request (the seed signature) with its own S3SigV4Auth; the chunk and trailer
signatures are computed here, independently of ``mock_s3.chunked``, and checked against AWS's
published example in test_chunked.py, so the gate is not only agreeing with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from dataclasses import dataclass, field

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
EMPTY = hashlib.sha256(b"").hexdigest()


class _StreamingSigner(S3SigV4Auth):
    def __init__(self, credentials: Credentials, region: str, mode: str) -> None:
        super().__init__(credentials, "s3", region)
        self.mode = mode

    def payload(self, request: AWSRequest) -> str:
        return self.mode


@dataclass
class Chunked:
    """One aws-chunked PUT: the headers to send and the body, chunk by chunk."""

    url: str
    headers: dict[str, str]
    chunks: list[bytes]  # each encoded chunk, final empty chunk included
    trailer: bytes = b""
    pieces: list[bytes] = field(default_factory=list)  # the decoded data per chunk

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks) + self.trailer


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def key(secret: str, date: str, region: str) -> bytes:
    k = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def chunk_signature(k: bytes, stamp: str, scope: str, previous: str, data: bytes) -> str:
    text = "\n".join(
        [
            "AWS4-HMAC-SHA256-PAYLOAD",
            stamp,
            scope,
            previous,
            EMPTY,
            hashlib.sha256(data).hexdigest(),
        ]
    )
    return hmac.new(k, text.encode(), hashlib.sha256).hexdigest()


def build(
    endpoint: str,
    path: str,
    data: bytes,
    *,
    access_key: str,
    secret_key: str,
    mode: str = SIGNED,
    chunk_size: int = 65536,
    region: str = "us-east-1",
    trailer_checksum: str | None = None,
) -> Chunked:
    pieces = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    signed = mode != UNSIGNED_TRAILER
    checksum = trailer_checksum if trailer_checksum is not None else crc32_b64(data)
    trailer_lines = b"" if mode == SIGNED else f"x-amz-checksum-crc32:{checksum}\r\n".encode()

    def frame(piece: bytes, signature: str) -> bytes:
        head = f"{len(piece):x}" + (f";chunk-signature={signature}" if signed else "")
        tail = b"" if (not piece and mode != SIGNED) else b"\r\n"
        return head.encode() + b"\r\n" + piece + tail

    # Lengths first: the encoded length is signed (Content-Length) before the chunks are.
    encoded_length = sum(len(frame(p, "0" * 64)) for p in pieces)
    if mode == SIGNED_TRAILER:
        encoded_length += len(trailer_lines) + len(b"x-amz-trailer-signature:") + 64 + 4
    elif mode == UNSIGNED_TRAILER:
        encoded_length += len(trailer_lines) + 2
    headers = {
        "Content-Encoding": "aws-chunked",
        "Content-Length": str(encoded_length),
        "x-amz-decoded-content-length": str(len(data)),
    }
    if mode != SIGNED:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    url = endpoint + path
    request = AWSRequest(method="PUT", url=url, headers=dict(headers))
    _StreamingSigner(Credentials(access_key, secret_key), region, mode).add_auth(request)
    sent = {name: str(value) for name, value in request.headers.items()}
    seed = sent["Authorization"].rsplit("Signature=", 1)[1]
    stamp = sent["X-Amz-Date"]
    scope = f"{stamp[:8]}/{region}/s3/aws4_request"
    k = key(secret_key, stamp[:8], region)
    chunks, previous = [], seed
    for piece in pieces:
        signature = chunk_signature(k, stamp, scope, previous, piece) if signed else ""
        chunks.append(frame(piece, signature))
        previous = signature
    trailer = b""
    if mode == SIGNED_TRAILER:
        text = "\n".join(
            ["AWS4-HMAC-SHA256-TRAILER", stamp, scope, previous,
             hashlib.sha256(trailer_lines.replace(b"\r\n", b"\n")).hexdigest()]
        )  # fmt: skip
        signature = hmac.new(k, text.encode(), hashlib.sha256).hexdigest()
        trailer = trailer_lines + f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    elif mode == UNSIGNED_TRAILER:
        trailer = trailer_lines + b"\r\n"
    result = Chunked(url, sent, chunks, trailer, pieces)
    assert len(result.body) == encoded_length
    return result
