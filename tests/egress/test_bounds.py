"""Bounded work: a total deadline per request, bodies read in streaming under caps, media
hashed while streaming, control characters escaped.

No timed assertions: the trickling servers send for ever, so a request that was not bounded
would never end (the subprocess guards turn that into a failure); the times are printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import requests
import yaml

from tams_conformance import transport
from tams_conformance.client import TamsClient, Transcript
from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.presign import get_bare
from tams_conformance.fixtures.upload import upload
from tams_conformance.safetext import escape_controls
from tams_conformance.transport import BodyTooLarge, DeadlineExceeded, Limits, MiB

REPO = Path(__file__).resolve().parents[2]


def client(url: str, timeout_s: float, **limits) -> TamsClient:
    return TamsClient(
        url, requests.Session(), timeout_s, Transcript(), Limits(timeout_s=timeout_s, **limits)
    )


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_a_trickle_ends_at_the_deadline(trickle, mode):
    server = trickle(mode, 0.25)  # every read waits 0.25 s: a per-read timeout never fires
    api = client(server.url, 1)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        api.get("/flows")
    elapsed = time.monotonic() - started
    print(f"trickled {mode}: ended after {elapsed:.2f} s (timeout_s=1), {server.sent} bytes")
    assert isinstance(caught.value, HarnessError)  # exit 3, not a finding
    assert "GET /flows: no complete answer within timeout_s=1 s" in str(caught.value)
    assert server.sent > 0
    entry = api.transcript.entries[-1]
    assert entry.status is None and entry.method == "GET"


def test_uploads_and_media_downloads_have_the_deadline_too(trickle):
    server = trickle("headers", 0.25)
    transport.activate(Limits(timeout_s=1))
    try:
        with pytest.raises(DeadlineExceeded, match="timeout_s=1"):
            upload({"url": f"{server.url}/media/k?X-Amz-Signature=00"}, b"x")
        with pytest.raises(DeadlineExceeded, match="timeout_s=1") as caught:
            get_bare(f"{server.url}/media/k?X-Amz-Signature={'ab' * 32}", 1)
    finally:
        transport.activate(None)
    assert "ab" * 32 not in str(caught.value)


def test_json_bodies_are_capped_with_their_size(big):
    api = client(big, 30)
    with pytest.raises(BodyTooLarge) as chunked:
        api.get(f"/{64 * MiB}")
    assert str(chunked.value) == (
        f"response body of GET /{64 * MiB} exceeds the 16 MiB cap (max_body_mib) "
        "(at least 16.1 MiB read)"
    )
    assert isinstance(chunked.value, AssertionError)  # a finding, not "unreachable"
    with pytest.raises(BodyTooLarge) as declared:
        api.get(f"/{4096 * MiB}?length")
    assert "(Content-Length 4294967296 bytes, 4096.0 MiB)" in str(declared.value)
    small = client(big, 30, max_body_bytes=1 * MiB)
    with pytest.raises(BodyTooLarge, match="exceeds the 1 MiB cap"):
        small.get(f"/{2 * MiB}")
    head = api.head(f"/{4096 * MiB}?length")  # a HEAD announces a length but has no body
    assert head.status_code == 200 and head.content == b""
    # under the cap everything reads as before, on a connection still usable
    ok = api.get(f"/{MiB}")
    assert ok.status_code == 200 and len(ok.content) == MiB and ok.text == "0" * MiB


def test_media_is_hashed_while_streaming(big):
    api = client(big, 60, max_media_bytes=40 * MiB)
    response = api.get(f"/{20 * MiB}", media=True)  # over MEDIA_KEEP, under the media cap
    assert response.media.size == 20 * MiB
    assert response.media.sha256 == hashlib.sha256(b"0" * (20 * MiB)).hexdigest()
    assert len(response.content) == transport.MEDIA_KEEP  # only a prefix is held
    with pytest.raises(BodyTooLarge, match=r"media body of .* exceeds the 40 MiB cap"):
        api.get(f"/{64 * MiB}", media=True)


RSS_PROBE = textwrap.dedent(
    """
    import json, resource, sys, requests
    from tams_conformance.client import TamsClient, Transcript
    from tams_conformance.transport import BodyTooLarge, Limits, MiB, activate
    from tams_conformance.fixtures.presign import get_bare
    base = sys.argv[1]
    api = TamsClient(base, requests.Session(), 120, Transcript(),
                     Limits(timeout_s=120, max_media_bytes=2048 * MiB))
    out = {}
    try:
        api.get(f"/{4096 * MiB}")  # 4 GiB, chunked: the JSON cap stops it
    except BodyTooLarge as exc:
        out["json"] = str(exc)
    activate(Limits(timeout_s=120))
    try:
        get_bare(f"{base}/{4096 * MiB}", 120)  # the media cap (256 MiB) stops it
    except BodyTooLarge as exc:
        out["media"] = str(exc)
    whole = api.get(f"/{1024 * MiB}", media=True)  # 1 GiB read and hashed in full
    out["hashed"] = whole.media.size
    out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def test_a_4_gib_body_does_not_grow_memory(big):
    proc = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, big],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    print(f"max RSS of the reading process: {out['max_rss_mib']:.0f} MiB")
    assert "exceeds the 16 MiB cap" in out["json"]
    assert "media body of GET" in out["media"] and "exceeds the 256 MiB cap" in out["media"]
    assert out["hashed"] == 1024 * MiB
    assert out["max_rss_mib"] < 300


HOSTILE = "ok \x1b[2J\x1b]0;pwned\x07 \x00 \r\x9b31m tab\tnew\nline \u202eevil"


def test_control_characters_are_escaped_in_transcripts(recording_body):
    api = client(recording_body, 5)
    response = api.get("/flows")
    assert response.text == HOSTILE  # callers still see the bytes the server sent
    text = api.transcript.render()
    assert "\\x1b[2J" in text and "\\x1b]0;pwned\\x07" in text and "\\x00" in text
    assert "\\x9b31m" in text and "\\r" not in text and "\\u202e" in text
    assert not any(c in text for c in "\x1b\x00\x07\r\x9b\u202e")
    assert "tab\tnew\nline" in text


def test_escape_controls() -> None:
    assert escape_controls("a\x1b[31mb\x00c\td\ne\x7f\x85") == "a\\x1b[31mb\\x00c\td\ne\\x7f\\x85"
    assert escape_controls("plain ü €") == "plain ü €"


@pytest.fixture
def recording_body():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = HOSTILE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_a_run_against_a_trickling_server_ends_with_exit_3(trickle, tmp_path, mode):
    server = trickle(mode, 2.0)  # one byte every 2 s
    targets = tmp_path / "targets.yaml"
    entry = {"base_url": server.url, "timeout_s": 3}
    targets.write_text(yaml.safe_dump({"default": "slow", "targets": {"slow": entry}}))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tams_conformance.cli", "run", "--targets-file", str(targets)]
        + ["--reports-dir", str(tmp_path / "reports")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,  # a run that is not bounded never ends: this guard fails it
        check=False,
    )
    elapsed = time.monotonic() - started
    print(f"trickled {mode}: the run ended after {elapsed:.1f} s with exit {proc.returncode}")
    assert proc.returncode == 3, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "timeout_s=3" in lines[0] and "slow" in lines[0], proc.stderr
