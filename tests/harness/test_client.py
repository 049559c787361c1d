"""The TAMS client: auth (incl. OAuth2 client credentials), retries, transcript redaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tams_conformance.client import TamsClient, Transcript, build_session
from tams_conformance.config import Auth
from tams_conformance.errors import TargetUnreachable


class Recorder(BaseHTTPRequestHandler):
    """A loopback server that records requests and answers from a script."""

    script: dict = {}
    seen: list = []
    tokens_issued = 0

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        if self.path == "/token":
            type(self).tokens_issued += 1
            payload = {
                "access_token": f"token-{type(self).tokens_issued}",
                "expires_in": self.script.get("expires_in", 3600),
            }
            return self._send(200, payload)
        status = self.script.get(self.path, 200)
        if callable(status):
            status = status(self)
        self._send(status, {"path": self.path})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def server() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("H", (Recorder,), {"script": {}, "seen": [], "tokens_issued": 0})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", handler
    httpd.shutdown()
    httpd.server_close()


def client_for(base: str, auth: Auth) -> TamsClient:
    transcript = Transcript(secrets=tuple(auth.secrets()))
    return TamsClient(base, build_session(auth, True, 5), 5, transcript)


def test_bearer_token_is_sent_and_redacted_in_the_transcript(server):
    base, handler = server
    client = client_for(base, Auth(type="bearer", token="very-secret-token"))
    client.get("/service")
    assert handler.seen[0][2]["Authorization"] == "Bearer very-secret-token"
    rendered = client.transcript.render()
    assert "very-secret-token" not in rendered
    assert "Authorization: ***" in rendered


def test_oauth2_client_credentials_fetches_then_refreshes_the_token(server):
    base, handler = server
    handler.script = {"expires_in": 0}  # expired at once: every request refreshes
    auth = Auth(
        type="oauth2-client-credentials",
        token_url=f"{base}/token",
        client_id="cid",
        client_secret="csecret",
        scope="tams-api/read",
    )
    client = client_for(base, auth)
    client.get("/service")
    client.get("/flows")
    token_calls = [s for s in handler.seen if s[1] == "/token"]
    api_calls = [s for s in handler.seen if s[1] != "/token"]
    assert len(token_calls) == 2
    assert b"grant_type=client_credentials" in token_calls[0][3]
    assert b"scope=tams-api%2Fread" in token_calls[0][3]
    assert api_calls[0][2]["Authorization"] == "Bearer token-1"
    assert api_calls[1][2]["Authorization"] == "Bearer token-2"


def test_oauth2_refreshes_once_after_a_401(server):
    base, handler = server
    calls = {"n": 0}

    def first_401(_):
        calls["n"] += 1
        return 401 if calls["n"] == 1 else 200

    handler.script = {"/service": first_401}
    auth = Auth(
        type="oauth2-client-credentials",
        token_url=f"{base}/token",
        client_id="cid",
        client_secret="csecret",
    )
    client = client_for(base, auth)
    assert client.get("/service").status_code == 200
    assert handler.tokens_issued == 2


def test_a_5xx_is_returned_not_retried(server):
    base, handler = server
    handler.script = {"/flows": 503}
    client = client_for(base, Auth(type="none"))
    assert client.get("/flows").status_code == 503
    assert len(handler.seen) == 1


def test_connection_errors_are_retried_for_get_and_raise_target_unreachable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}", Auth(type="none"))
    with pytest.raises(TargetUnreachable):
        client.get("/service")
    assert len(client.transcript.entries) == 3  # one try and two retries
    with pytest.raises(TargetUnreachable):
        client.post("/flows/x/segments", {})
    assert len(client.transcript.entries) == 4  # a POST is never retried


def test_presigned_signatures_are_redacted_from_urls_in_the_transcript(server):
    base, _ = server
    client = client_for(base, Auth(type="none"))
    client.get(
        "/thing",
        params={
            "X-Amz-Signature": "abcdef0123",
            "X-Amz-Credential": "AKIA/x",
            "Signature": "sig2",
            "keep": "visible",
        },
    )
    rendered = client.transcript.render()
    for secret in ("abcdef0123", "AKIA", "sig2"):
        assert secret not in rendered
    assert "keep=visible" in rendered


def test_resolve_accepts_absolute_host_relative_and_api_relative_locations():
    client = client_for("http://h:1/tams/v8.2", Auth(type="none"))
    assert client.resolve("http://o:2/x") == "http://o:2/x"
    assert (
        client.resolve("/tams/v8.2/flow-delete-requests/1")
        == "http://h:1/tams/v8.2/flow-delete-requests/1"
    )
    assert (
        client.resolve("/flow-delete-requests/1") == "http://h:1/tams/v8.2/flow-delete-requests/1"
    )
    assert client.api_path("http://h:1/tams/v8.2/flows/a") == "/flows/a"


def test_oauth2_refreshes_once_after_a_401_on_a_post_too(server):
    base, handler = server
    calls = {"n": 0}

    def first_401(_):
        calls["n"] += 1
        return 401 if calls["n"] == 1 else 201

    handler.script = {"/flows/x/segments": first_401}
    auth = Auth(
        type="oauth2-client-credentials",
        token_url=f"{base}/token",
        client_id="cid",
        client_secret="csecret",
    )
    client = client_for(base, auth)
    assert client.post("/flows/x/segments", {"object_id": "o"}).status_code == 201
    assert handler.tokens_issued == 2


def test_a_token_endpoint_without_access_token_is_one_auth_error(server):
    from tams_conformance.client import AuthError

    base, handler = server
    auth = Auth(
        type="oauth2-client-credentials",
        token_url=f"{base}/not-a-token-endpoint",
        client_id="cid",
        client_secret="csecret",
    )
    client = client_for(base, auth)
    with pytest.raises(AuthError, match="without an access_token"):
        client.get("/service")
