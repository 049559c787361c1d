"""Credentials go to their own origin only: the API credential to base_url's origin, the OAuth2
client secret to token_url. A capture server on another loopback port, named in a `Link`, a
`Location`, a body URL or a redirect, never sees an `Authorization` header."""

from __future__ import annotations

import base64

import pytest

from tams_conformance.client import TamsClient, Transcript, build_session
from tams_conformance.config import Auth
from tams_conformance.fixtures.upload import upload
from tams_conformance.redact import registered_secrets
from tests.security.servers import Answer, Seen, serving, token_answer

TOKEN = "scope-bearer-T0ken-5c0pe"
PASSWORD = "scope-basic-pa55word"
CLIENT_SECRET = "scope-client-s3cret"
ISSUED = "scope-issued-access-t0ken"


def _auth(kind: str, api_url: str) -> Auth:
    if kind == "bearer":
        return Auth("bearer", token=TOKEN)
    if kind == "basic":
        return Auth("basic", username="bob", password=PASSWORD)
    return Auth(
        "oauth2-client-credentials",
        token_url=api_url + "/token",
        client_id="cid",
        client_secret=CLIENT_SECRET,
    )


def _expected(kind: str) -> str:
    if kind == "bearer":
        return f"Bearer {TOKEN}"
    if kind == "basic":
        return "Basic " + base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    return f"Bearer {ISSUED}"


def _api_script(capture_url: str):
    """The API stub: its listing's next link, its redirects and its body URLs point at the
    capture server."""

    def script(seen: Seen) -> Answer:
        path = seen.path.split("?")[0]
        if path == "/token":
            return token_answer(ISSUED)
        if path == "/flows":
            return Answer(200, {"Link": f'<{capture_url}/flows?page=2>; rel="next"'}, b"[]")
        if path == "/redirect":
            return Answer(302, {"Location": f"{capture_url}/landing"}, b"")
        if path == "/redirect-307":
            return Answer(307, {"Location": f"{capture_url}/landing"}, b"")
        if path == "/redirect-here":
            return Answer(302, {"Location": "/service"}, b"")
        return Answer(200, {}, b"{}")

    return script


@pytest.fixture(params=["bearer", "basic", "oauth2"])
def scoped(request):
    """(client, api server, capture server) for one auth type."""
    with serving() as capture, serving(_api_script(capture.url)) as api:
        auth = _auth(request.param, api.url)
        session = build_session(auth, True, 5)
        client = TamsClient(api.url, session, 5, Transcript())
        yield request.param, client, api, capture


def test_a_next_link_to_another_origin_is_followed_without_credentials(scoped):
    kind, client, api, capture = scoped
    pages = list(client.pages("/flows"))
    assert len(pages) == 2 and [s.path for s in capture.seen] == ["/flows?page=2"]
    assert capture.authorizations() == []
    assert _expected(kind) in api.authorizations()
    note = client.origin_note(pages[1].url, "next link")
    assert capture.url in note and "without credentials" in note
    assert client.origin_note(pages[0].url) == ""


@pytest.mark.parametrize("path", ["/redirect", "/redirect-307"])
def test_a_redirect_to_another_origin_drops_the_credential(scoped, path):
    kind, client, api, capture = scoped
    response = client.get(path, allow_redirects=True)
    assert response.status_code == 200 and capture.seen, "the redirect was not followed"
    assert capture.authorizations() == []
    sent = [s.headers.get("Authorization") for s in api.seen if s.path != "/token"]
    assert sent == [_expected(kind)]


def test_a_redirect_within_the_origin_keeps_the_credential(scoped):
    kind, client, api, capture = scoped
    client.get("/redirect-here", allow_redirects=True)
    assert [s.path for s in api.seen if s.path != "/token"] == ["/redirect-here", "/service"]
    assert all(
        s.headers.get("Authorization") == _expected(kind) for s in api.seen if s.path != "/token"
    )


def test_a_location_or_body_url_elsewhere_gets_no_credential(scoped):
    kind, client, api, capture = scoped
    client.get(client.resolve(f"{capture.url}/flow-delete-requests/1"))
    client.put(f"{capture.url}/objects/x", {"a": 1})
    assert len(capture.seen) == 2 and capture.authorizations() == []


def test_a_put_url_elsewhere_gets_no_credential(scoped):
    kind, client, api, capture = scoped
    client.get("/service")  # the session has been used for the API first
    upload({"url": f"{capture.url}/bucket/key?X-Amz-Signature=00", "headers": {}}, b"media")
    assert [s.method for s in capture.seen] == ["PUT"] and capture.authorizations() == []


def test_same_host_on_another_port_or_scheme_is_another_origin():
    with serving() as api:
        client = TamsClient(
            api.url, build_session(Auth("bearer", token=TOKEN), True, 5), 5, Transcript()
        )
        other_port = api.url.rsplit(":", 1)[0] + ":1"
        assert client.same_origin(api.url + "/flows")
        assert client.same_origin("/flows") and client.same_origin("flows?x=1")
        assert not client.same_origin(other_port + "/flows")
        assert not client.same_origin(api.url.replace("http://", "https://") + "/flows")
        assert not client.same_origin("http://localhost:" + api.url.rsplit(":", 1)[1])


def test_the_client_secret_goes_to_token_url_only_and_no_redirect_is_followed():
    with serving() as capture:
        to_capture = Answer(307, {"Location": f"{capture.url}/token"}, b"")
        with serving(lambda seen: to_capture) as token_server:
            auth = Auth(
                "oauth2-client-credentials",
                token_url=token_server.url + "/token",
                client_id="cid",
                client_secret=CLIENT_SECRET,
            )
            client = TamsClient(capture.url, build_session(auth, True, 5), 5, Transcript())
            with pytest.raises(Exception, match="answered 307"):
                client.get("/service")
        assert len(token_server.seen) == 1
        assert capture.seen == [], "the token request was redirected to another host"


def test_issued_tokens_are_registered_for_redaction():
    with serving() as capture, serving(_api_script(capture.url)) as api:
        auth = _auth("oauth2", api.url)
        TamsClient(api.url, build_session(auth, True, 5), 5, Transcript()).get("/service")
    assert ISSUED in registered_secrets()


def test_an_unbound_session_sends_no_credential():
    with serving() as api:
        session = build_session(Auth("bearer", token=TOKEN), True, 5)
        session.get(api.url + "/service", timeout=5)
        assert api.authorizations() == []
