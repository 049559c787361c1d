"""Authentication: with credentials configured, no operation is served without them.

Every operation of the target's spec version declares the global security requirement
(bearer_token_auth, url_token_auth or basic_auth: one of them must be satisfied), and ADR-0028
rejected unauthenticated access. The spec documents no 401 response, so the MUST is that the
request is refused (a 4xx) and changes nothing; that the refusal is a 401 with a challenge is
the HTTP norm (RFC 9110 section 15.5.2, RFC 6750 section 3), a SHOULD.

Each operation gets one request: path parameters name the check's own flow and source, or
fresh uuids; bodies are harmless if wrongly accepted (the flow's own body, an empty update).
Operations that would create something the kit could not remove (a flow profile is
create-only) are sent bodies that are invalid as well, so even a server that ignores
credentials creates nothing.

These checks send one request to every operation but judge only its refusal: they declare no
`ops`, so `tams-conformance coverage` does not count an operation as exercised because of them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tams_conformance.auth import credential_of
from tams_conformance.client import TamsClient, build_session
from tams_conformance.config.model import Auth
from tams_conformance.levels import MUST, SHOULD, check

SPEC = "security (every operation): bearer_token_auth | url_token_auth | basic_auth; ADR-0028"
PROBE_NAME = "tams-conformance-auth-probe"


def _bodies(flow: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """What each write operation is sent: valid where a wrongly accepted request is harmless
    to the check's own flow, invalid where it would create what the kit cannot remove."""
    return {
        ("POST", "/service"): {},
        ("POST", "/service/profiles/{profileId}"): {"not-a-profile": True},
        ("POST", "/service/webhooks"): {"url": "not a url", "events": []},
        ("PUT", "/service/webhooks/{webhookId}"): {"url": "not a url", "events": []},
        ("PUT", "/flows/{flowId}"): flow,
        ("PUT", "/flows/{flowId}/tags/{name}"): "probe",
        ("PUT", "/sources/{sourceId}/tags/{name}"): "probe",
        ("PUT", "/flows/{flowId}/description"): "auth probe",
        ("PUT", "/sources/{sourceId}/description"): "auth probe",
        ("PUT", "/flows/{flowId}/label"): "auth probe",
        ("PUT", "/sources/{sourceId}/label"): "auth probe",
        ("PUT", "/flows/{flowId}/read_only"): True,
        ("PUT", "/flows/{flowId}/flow_collection"): [],
        ("PUT", "/flows/{flowId}/max_bit_rate"): 1000,
        ("PUT", "/flows/{flowId}/avg_bit_rate"): 1000,
        ("POST", "/flows/{flowId}/segments"): {
            "object_id": str(uuid.uuid4()),
            "timerange": "[0:0_1:0)",
        },
        ("POST", "/flows/{flowId}/storage"): {"limit": 1},
        ("POST", "/objects/{objectId}/instances"): {"storage_id": str(uuid.uuid4())},
    }


def _operations(spec: Any) -> list[tuple[str, str]]:
    """The version's operations, reads first and DELETEs last (a wrongly accepted delete of
    the check's flow must not hide what the other operations answer)."""
    ops = [(o.method, o.template) for o in spec.operations() if o.method != "OPTIONS"]
    order = {"HEAD": 0, "GET": 0, "PUT": 1, "POST": 1, "DELETE": 2}
    return sorted(ops, key=lambda op: order.get(op[0], 1))


def _path(template: str, flow: dict[str, Any]) -> str:
    values = {
        "flowId": flow["id"],
        "sourceId": flow["source_id"],
        "name": PROBE_NAME,
        "objectId": str(uuid.uuid4()),
        "webhookId": str(uuid.uuid4()),
        "profileId": str(uuid.uuid4()),
        "request-id": str(uuid.uuid4()),
    }
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    if template == "/objects/{objectId}/instances":
        path += f"?storage_id={uuid.uuid4()}"
    return path


def _wrong(credential: str) -> str:
    """A credential of the same scheme that is not the configured one."""
    # No local holds the configured secret in the clear (a --showlocals frame prints locals).
    scheme = credential.partition(" ")[0]
    if scheme.lower() == "basic":
        raw = base64.b64decode(credential.partition(" ")[2])
        user = raw.decode(errors="replace").partition(":")[0]
        del raw
        wrong = f"{user}:wrong-{uuid.uuid4().hex}".encode()
        return "Basic " + base64.b64encode(wrong).decode()
    return f"{scheme} wrong-{uuid.uuid4().hex}"


@pytest.fixture
def credentialed(runtime: Any) -> Iterator[tuple[TamsClient, str]]:
    """A client of the target with no credentials (same transcript and limits), and the
    configured credential; n/a for targets without one."""
    raw = runtime.raw
    credential = credential_of(raw.session)
    if not credential:
        pytest.skip(f"n/a: target '{runtime.name}' has no credentials configured (auth type none)")
    session = build_session(Auth("none"), runtime.target.verify_tls, runtime.target.timeout_s)
    bare = TamsClient(raw.base_url, session, raw.timeout_s, raw.transcript, raw.limits)
    yield bare, credential
    session.close()


def _probe(
    bare: TamsClient, spec: Any, flow: dict[str, Any], authorization: str | None
) -> list[tuple[str, int | None, str]]:
    """(operation, status, WWW-Authenticate) of one request per operation."""
    bodies = _bodies(flow)
    headers = {"Authorization": authorization} if authorization else {}
    answers = []
    for method, template in _operations(spec):
        kwargs: dict[str, Any] = {"headers": headers}
        if (method, template) in bodies:
            kwargs["json_body"] = bodies[(method, template)]
        response = bare.request(method, _path(template, flow), **kwargs)
        challenge = response.headers.get("WWW-Authenticate", "")
        answers.append((f"{method} {template}", response.status_code, challenge))
    return answers


def _unchanged(tams: Any, flow: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """What the probes changed on the check's flow and source, read with credentials."""
    problems = []
    now = tams.get(f"/flows/{flow['id']}", validate=False)
    if now.status_code != 200:
        return [f"GET /flows/{flow['id']} answers {now.status_code} after the probes"]
    body = now.json()
    for key in ("label", "description", "tags", "read_only", "max_bit_rate", "avg_bit_rate"):
        if body.get(key) != before.get(key):
            problems.append(f"the flow's {key} changed to {body.get(key)!r}")
    segments = tams.get(f"/flows/{flow['id']}/segments", validate=False)
    if segments.status_code == 200 and segments.json():
        problems.append("a segment was registered on the flow")
    source = tams.get(f"/sources/{flow['source_id']}", validate=False)
    if source.status_code != 200:
        problems.append(f"GET /sources/{flow['source_id']} answers {source.status_code}")
    elif source.json().get("label") == "auth probe" or PROBE_NAME in (
        source.json().get("tags") or {}
    ):
        problems.append("the flow's source was changed")
    return problems


def _refused_and_unchanged(tams, factory, spec, credentialed, wrong: bool) -> None:
    bare, credential = credentialed
    flow = factory.flow("video")
    before = tams.get(f"/flows/{flow['id']}", validate=False).json()
    answers = _probe(bare, spec, flow, _wrong(credential) if wrong else None)
    served = [
        f"{op} answered {status}" for op, status, _ in answers if not 400 <= (status or 0) < 500
    ]
    changed = _unchanged(tams, flow, before)
    how = "with a wrong credential" if wrong else "without credentials"
    assert not served, (
        f"{len(served)} of {len(answers)} operations were not refused {how}: "
        + "; ".join(served[:12])
    )
    assert not changed, f"requests {how} changed the check's own resources: " + "; ".join(changed)


@check(
    "auth.no-credentials-refused",
    MUST,
    SPEC + ": a request without credentials is refused (4xx) and changes nothing",
)
def test_every_operation_refuses_a_request_without_credentials(tams, factory, spec, credentialed):
    """MUST: with credentials configured, every operation of the version answers a 4xx to a
    request without them, and the check's flow and source are unchanged afterwards."""
    _refused_and_unchanged(tams, factory, spec, credentialed, wrong=False)


@check(
    "auth.wrong-credentials-refused",
    MUST,
    SPEC + ": a request with a wrong credential is refused (4xx) and changes nothing",
)
def test_every_operation_refuses_a_wrong_credential(tams, factory, spec, credentialed):
    """MUST: every operation answers a 4xx to a credential of the configured scheme that is
    not the configured one (a wrong token or password), and changes nothing."""
    _refused_and_unchanged(tams, factory, spec, credentialed, wrong=True)


@check(
    "auth.refusal-is-401",
    SHOULD,
    "RFC 9110 15.5.2 and RFC 6750 3 (the spec documents no 401): a request without "
    "credentials is answered 401 with a WWW-Authenticate challenge",
)
def test_refusals_are_401_with_a_challenge(factory, spec, credentialed):
    """SHOULD: the refusal of a request without credentials is a 401 carrying a
    `WWW-Authenticate` challenge, so that a client knows to authenticate."""
    bare, _ = credentialed
    flow = factory.flow("video")
    answers = _probe(bare, spec, flow, None)
    off = [
        f"{op} answered {status}" + ("" if challenge else " without WWW-Authenticate")
        for op, status, challenge in answers
        if status != 401 or not challenge
    ]
    assert not off, f"{len(off)} of {len(answers)} refusals are not a 401 with a challenge: " + (
        "; ".join(off[:12])
    )
