"""The server under the gate: HTTP/1.1 keep-alive, moto's S3 app called directly, disk spill."""

from __future__ import annotations

import http.client
import socket
import uuid
from collections.abc import Iterator

import pytest
import requests

from mock_s3 import MockS3
from mock_s3.server import MockS3Error
from mock_s3.spill import DEFAULT_SPILL_BYTES, parse_size


@pytest.fixture(scope="module")
def s3() -> Iterator[MockS3]:
    with MockS3("strict", buckets=["media"]) as store:
        yield store


def _urls(s3: MockS3, key: str) -> tuple[str, str]:
    presigner = s3.presigner()
    params = {"Bucket": "media", "Key": key}
    put = presigner.generate_presigned_url("put_object", Params=params, ExpiresIn=600)
    get = presigner.generate_presigned_url("get_object", Params=params, ExpiresIn=600)
    return put, get


def _target(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_one_connection_carries_many_requests_refused_ones_included(s3: MockS3) -> None:
    put, get = _urls(s3, f"ka/{uuid.uuid4().hex}")
    conn = http.client.HTTPConnection("127.0.0.1", int(s3.endpoint.rsplit(":", 1)[1]), timeout=30)
    try:
        conn.request("PUT", _target(put), body=b"x" * 1024)
        first = conn.getresponse()
        assert (first.status, first.read(), first.getheader("Connection")) == (200, b"", None)
        sock = conn.sock
        # Refused before the body was read: the gate leaves it unread, the server drains it.
        conn.request("PUT", _target(put) + "0", body=b"y" * 5000)
        refused = conn.getresponse()
        assert refused.status == 403 and b"SignatureDoesNotMatch" in refused.read()
        conn.request("GET", _target(get))
        got = conn.getresponse()
        assert (got.status, got.read()) == (200, b"x" * 1024)
        head_url = s3.presigner().generate_presigned_url(
            "head_object", Params={"Bucket": "media", "Key": get.split("?")[0].split("/media/")[1]}
        )
        conn.request("HEAD", _target(head_url))
        head = conn.getresponse()
        assert (head.status, head.read(), head.getheader("Content-Length")) == (200, b"", "1024")
        assert conn.sock is sock, "the connection was not kept alive"
    finally:
        conn.close()


def test_a_refused_large_upload_closes_its_connection_instead_of_reading_it(s3: MockS3) -> None:
    put, _ = _urls(s3, f"ka/{uuid.uuid4().hex}")
    with requests.Session() as session:
        refused = session.put(put + "0", data=b"z" * (2 * 1024 * 1024), timeout=30)
        assert refused.status_code == 403
        assert refused.headers["Connection"] == "close"
        assert session.put(put, data=b"after", timeout=30).status_code == 200


def test_stop_ends_kept_alive_connections() -> None:
    store = MockS3("strict", buckets=["media"]).start()
    put, _ = _urls(store, "ka/stop")
    conn = http.client.HTTPConnection("127.0.0.1", int(store.endpoint.rsplit(":", 1)[1]), timeout=5)
    try:
        conn.request("PUT", _target(put), body=b"x")
        assert conn.getresponse().read() == b""
        store.stop()
        with pytest.raises((http.client.HTTPException, OSError)):
            conn.request("PUT", _target(put), body=b"x")
            conn.getresponse()
    finally:
        conn.close()
        store.stop()


def test_the_gate_dispatches_to_moto_s3_app_directly(s3: MockS3) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    gate = s3._server._server.app  # type: ignore[union-attr]
    assert not isinstance(gate.app, DomainDispatcherApplication)
    assert getattr(gate.app, "service", None) == "s3"


def _stored_on_disk(s3: MockS3, key: str) -> bool:
    from moto.s3.models import s3_backends

    with s3._server._server.app.namespace.scoped(s3.account_id):  # type: ignore[union-attr]
        stored = s3_backends[s3.account_id]["aws"].get_object("media", key)
    # moto keeps each object in a SpooledTemporaryFile; "rolled" means it went to disk.
    return bool(stored._value_buffer._rolled)


@pytest.mark.parametrize(
    ("spill", "size", "on_disk"),
    [
        (None, 300 * 1024, False),
        (True, 300 * 1024, True),
        (True, 100 * 1024, False),
        (1024, 2048, True),
    ],
)
def test_spill_to_disk_keeps_large_objects_in_temporary_files(spill, size, on_disk) -> None:
    with MockS3("strict", buckets=["media"], spill_to_disk=spill) as store:
        body = uuid.uuid4().bytes * (size // 16)
        store.client.put_object(Bucket="media", Key="k", Body=body)
        assert _stored_on_disk(store, "k") is on_disk
        assert store.client.get_object(Bucket="media", Key="k")["Body"].read() == body


def test_spill_is_per_instance() -> None:
    with (
        MockS3("strict", buckets=["media"], spill_to_disk=1024) as spilling,
        MockS3("strict", buckets=["media"]) as keeping,
    ):
        for store in (spilling, keeping):
            store.client.put_object(Bucket="media", Key="k", Body=b"m" * 4096)
        assert _stored_on_disk(spilling, "k") and not _stored_on_disk(keeping, "k")


@pytest.mark.parametrize("bad", [0, -5, "big"])
def test_spill_to_disk_refuses_a_bad_size(bad) -> None:
    with pytest.raises(MockS3Error, match="spill_to_disk"):
        MockS3(spill_to_disk=bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [("262144", 262144), ("256KiB", 262144), ("1M", 1024**2), ("2 mib", 2 * 1024**2)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size
    assert parse_size("256KiB") == DEFAULT_SPILL_BYTES


def test_cli_spill_to_disk_serves_and_refuses_a_bad_size(serve_cli) -> None:
    server = serve_cli(
        "--access-key", "AKIASPILL00000000001", "--secret-key", "spill-secret",
        "--bucket", "media", "--spill-to-disk", "--quiet",
    )  # fmt: skip
    try:
        assert server.endpoint.startswith("http://127.0.0.1:")
    finally:
        assert server.stop() == 0
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mock_s3", "serve", "--access-key", "K", "--secret-key", "S",
         "--spill-to-disk", "lots"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--spill-to-disk" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_idle_connections_do_not_print(s3: MockS3, capfd) -> None:
    with socket.create_connection(("127.0.0.1", int(s3.endpoint.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"GARBAGE /media?X-Amz-Signature=abc HTTP/1.1\r\n\r\n")
        sock.recv(4096)
    assert "X-Amz-Signature" not in capfd.readouterr().err


def _raw(s3: MockS3, lines: list[str], body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", int(s3.endpoint.rsplit(":", 1)[1]))) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):  # "Connection: close": read to the end
            answer += chunk
        return answer


def test_a_repeated_signed_content_type_is_refused(s3: MockS3) -> None:
    """WSGI keeps one Content-Type of two; the signature covers both (found by the fuzz tests)."""
    url = s3.presigner().generate_presigned_url(
        "put_object", Params={"Bucket": "media", "Key": "dup.ts", "ContentType": "video/mp2t"}
    )
    host = s3.endpoint.split("//")[1]
    head = [
        f"PUT {_target(url)} HTTP/1.1",
        f"Host: {host}",
        "Content-Length: 1",
        "Connection: close",
    ]
    faithful = _raw(s3, [*head, "Content-Type: video/mp2t"], b"x")
    assert faithful.startswith(b"HTTP/1.1 200")
    twice = _raw(s3, [*head, "Content-Type: video/mp2t", "Content-Type: video/mp2t"], b"x")
    assert twice.startswith(b"HTTP/1.1 403") and b"SignatureDoesNotMatch" in twice


@pytest.mark.parametrize("host", ["[", "a b", "[::1"])
def test_a_malformed_host_header_is_refused_not_an_internal_error(s3: MockS3, host: str) -> None:
    url = s3.presigner().generate_presigned_url(
        "get_object", Params={"Bucket": "media", "Key": "k"}
    )
    answer = _raw(s3, [f"GET {_target(url)} HTTP/1.1", f"Host: {host}", "Connection: close"])
    assert answer.startswith(b"HTTP/1.1 403") and b"SignatureDoesNotMatch" in answer
