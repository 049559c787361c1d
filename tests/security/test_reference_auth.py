"""The reference server's optional authentication: bearer, basic, OAuth2 client credentials
with its own token endpoint; 401 with a challenge when the credential is missing or wrong."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from tams_reference import ReferenceServer, ServerConfig
from tams_reference.auth import TOKEN_PATH, AuthSettings

TOKEN = "ref-auth-bearer-t0ken"
PASSWORD = "ref-auth-pa55word"
SECRET = "ref-auth-client-s3cret"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ReferenceServer]]:
    """One server per mode, sharing one mock S3 (each starts its own when given none)."""
    settings = {
        "none": AuthSettings(),
        "bearer": AuthSettings("bearer", token=TOKEN),
        "basic": AuthSettings("basic", username="alice", password=PASSWORD),
        "oauth2": AuthSettings(
            "oauth2-client-credentials", client_id="cid", client_secret=SECRET, token_lifetime_s=60
        ),
        "oauth2-short": AuthSettings(
            "oauth2-client-credentials",
            client_id="cid",
            client_secret=SECRET,
            token_lifetime_s=0.05,
        ),
    }
    started = {k: ReferenceServer(ServerConfig(auth=v)).start() for k, v in settings.items()}
    yield started
    for server in started.values():
        server.stop()


def _get(server: ReferenceServer, auth: str | None = None) -> requests.Response:
    headers = {"Authorization": auth} if auth else {}
    return requests.get(server.base_url + "/service", headers=headers, timeout=10)


def test_off_by_default(servers):
    assert _get(servers["none"]).status_code == 200
    assert requests.post(servers["none"].base_url + TOKEN_PATH, timeout=10).status_code in (
        404,
        405,
    )


@pytest.mark.parametrize(
    ("mode", "good", "bad", "challenge"),
    [
        ("bearer", f"Bearer {TOKEN}", "Bearer wrong-token", "Bearer"),
        ("basic", _basic("alice", PASSWORD), _basic("alice", "wrong"), "Basic"),
        ("oauth2", None, f"Bearer {SECRET}", "Bearer"),
    ],
)
def test_a_missing_or_wrong_credential_is_401_with_a_challenge(servers, mode, good, bad, challenge):
    server = servers[mode]
    for auth in (None, bad, "Negotiate abc", "Basic !!!"):
        response = _get(server, auth)
        assert response.status_code == 401, auth
        assert response.headers["WWW-Authenticate"].startswith(challenge + " realm=")
        assert response.json()["type"] == "Unauthorized"
    if good:
        assert _get(server, good).status_code == 200
    assert _get(server, bad).headers["WWW-Authenticate"].count("invalid_token") == (
        1 if challenge == "Bearer" else 0
    )


def _token(server: ReferenceServer, **kw) -> requests.Response:
    return requests.post(server.base_url + TOKEN_PATH, timeout=10, **kw)


def test_the_token_endpoint_issues_tokens_for_basic_or_form_client_auth(servers):
    server = servers["oauth2"]
    by_basic = _token(server, data={"grant_type": "client_credentials"}, auth=("cid", SECRET))
    by_form = _token(
        server,
        data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": SECRET},
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 60
        assert _get(server, f"Bearer {body['access_token']}").status_code == 200
    assert by_basic.json()["access_token"] != by_form.json()["access_token"]


@pytest.mark.parametrize(
    ("kw", "status", "error"),
    [
        (
            {"data": {"grant_type": "client_credentials"}, "auth": ("cid", "wrong")},
            401,
            "invalid_client",
        ),
        ({"data": {"grant_type": "client_credentials"}}, 401, "invalid_client"),
        (
            {"data": {"grant_type": "password"}, "auth": ("cid", SECRET)},
            400,
            "unsupported_grant_type",
        ),
    ],
    ids=["wrong-secret", "no-client-auth", "other-grant"],
)
def test_the_token_endpoint_refuses_bad_requests_as_rfc_6749_says(servers, kw, status, error):
    response = _token(servers["oauth2"], **kw)
    assert response.status_code == status and response.json() == {"error": error}


def test_a_token_stops_working_when_it_expires(servers):
    server = servers["oauth2-short"]
    token = _token(server, data={"grant_type": "client_credentials"}, auth=("cid", SECRET)).json()
    time.sleep(0.2)  # four lifetimes: an ordering, not a timing assertion
    assert _get(server, f"Bearer {token['access_token']}").status_code == 401


def test_reprs_mask_the_secrets():
    settings = AuthSettings("basic", username="alice", password=PASSWORD)
    assert PASSWORD not in repr(settings) and PASSWORD not in repr(ServerConfig(auth=settings))
    assert "alice" in repr(settings)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auth", "bearer"], "--auth-token"),
        (["--auth", "basic", "--auth-username", "u"], "--auth-password"),
        (["--auth", "oauth2-client-credentials"], "--auth-client-id, --auth-client-secret"),
        (["--auth", "kerberos"], "invalid choice"),
    ],
)
def test_the_cli_names_the_missing_flag_in_one_line(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "tams_reference", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1
