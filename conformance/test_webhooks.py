"""Webhook registration: /service/webhooks and, from 8.0, /service/webhooks/{webhookId}.

Every check registers callbacks on the kit's own receiver (webhooks.public_url) and removes
them again; a target that offers no webhooks (404) makes them `unsupported:`.
"""

from __future__ import annotations

import uuid

import pytest

from tams_conformance.levels import MUST, SHOULD, check

EVENTS = ["flows/created", "flows/updated"]


def _listed(tams, url: str) -> list[dict]:
    found = []
    for page in tams.pages("/service/webhooks", {"limit": 100}):
        assert page.status_code == 200, f"GET /service/webhooks answered {page.status_code}"
        found += [hook for hook in page.json() if hook.get("url") == url]
    return found


@check(
    "webhooks.register-then-list",
    MUST,
    "POST /service/webhooks 201 (webhook-get.json, with an id from 8.0); GET /service/webhooks",
    ops=("GET /service/webhooks?limit", "POST /service/webhooks"),
)
def test_registered_webhook_is_created_and_listed(webhooks, tams):
    """MUST: a registration answers 201 (7.0 also documents 204) and the listing then shows
    it with the url and events it was given; from 8.0 the answer is the registration with the
    id the service assigned and a status (created unless disabled was asked for)."""
    webhooks.require()
    body, sub = webhooks.body(EVENTS)
    response = webhooks.post(body, sub)
    allowed = (201,) if webhooks.has_ids else (201, 204)
    assert response.status_code in allowed, (
        f"POST /service/webhooks answered {response.status_code}, not {allowed}"
    )
    if webhooks.has_ids:
        answer = response.json()
        assert answer.get("url") == body["url"] and sorted(answer.get("events", [])) == sorted(
            EVENTS
        ), f"the 201 body does not describe the registration: {answer}"
        assert answer.get("status") in ("created", "started"), (
            f"a new registration has status {answer.get('status')!r}, not created (or started)"
        )
    listed = _listed(tams, body["url"])
    assert len(listed) == 1, f"GET /service/webhooks lists the new url {len(listed)} times"
    assert sorted(listed[0].get("events", [])) == sorted(EVENTS)
    if webhooks.has_ids:
        assert listed[0].get("id") == response.json()["id"], "the listing shows another id"


@check(
    "webhooks.by-id-round-trip",
    MUST,
    "GET/PUT/DELETE /service/webhooks/{webhookId}: 200, 201 (PUT), 204, then 404",
    since="8.0",
    ops=(
        "GET /service/webhooks?limit",
        "POST /service/webhooks",
        "DELETE /service/webhooks/{webhookId}",
        "GET /service/webhooks/{webhookId}",
        "PUT /service/webhooks/{webhookId}",
    ),
)
def test_webhook_by_id_reads_updates_and_deletes(webhooks, tams):
    """MUST (8.0+): GET by id shows the registration; PUT replaces it (201 with the new
    registration) and a GET shows the change; DELETE answers 204, after which GET is 404 and
    the listing no longer has it."""
    webhooks.require()
    hook = webhooks.register(EVENTS)
    path = f"/service/webhooks/{hook.id}"
    got = tams.get(path)
    assert got.status_code == 200, f"GET {path} answered {got.status_code}"
    assert got.json().get("url") == hook.url and got.json().get("id") == hook.id

    changed = {k: v for k, v in hook.body.items() if k != "api_key_value"}
    changed.update(id=hook.id, events=["sources/created"], status="created")
    put = tams.put(path, changed)
    assert put.status_code == 201, f"PUT {path} answered {put.status_code}, not 201"
    assert put.json().get("events") == ["sources/created"], f"PUT answered {put.json()}"
    after = tams.get(path).json()
    assert after.get("events") == ["sources/created"], f"GET after PUT shows {after}"

    deleted = tams.delete(path)
    assert deleted.status_code == 204, f"DELETE {path} answered {deleted.status_code}"
    assert tams.get(path).status_code == 404, "the deleted webhook still answers GET"
    assert not _listed(tams, hook.url), "the deleted webhook is still listed"


@check(
    "webhooks.status-disabled",
    SHOULD,
    "webhook-put.json status: disabled (not sending events), created re-enables it",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /service/webhooks",
        "POST /service/webhooks",
        "GET /service/webhooks/{webhookId}",
        "PUT /service/webhooks/{webhookId}",
    ),
)
def test_disabled_webhook_sends_nothing_until_enabled(webhooks, tams, factory):
    """SHOULD (8.0+): PUT status disabled shows as disabled and stops deliveries (judged when
    an enabled registration has received the same event); PUT status created brings them
    back."""
    webhooks.require()
    quiet = webhooks.register(["flows/created"])
    control = webhooks.register(["flows/created"])
    path = f"/service/webhooks/{quiet.id}"
    body = {k: v for k, v in quiet.body.items()}
    put = tams.put(path, {**body, "id": quiet.id, "status": "disabled"})
    assert put.status_code == 201, f"PUT {path} status disabled answered {put.status_code}"
    assert tams.get(path).json().get("status") == "disabled"

    first = str(uuid.uuid4())
    for hook in (quiet, control):
        hook.watch(first)
    factory.flow("data", id=first)
    control.expect("flows/created", what="on the enabled control registration")
    assert not quiet.received(), f"a disabled webhook received {quiet.summary()}"

    put = tams.put(path, {**body, "id": quiet.id, "status": "created"})
    assert put.status_code == 201, f"PUT {path} status created answered {put.status_code}"
    second = str(uuid.uuid4())
    quiet.watch(second)
    factory.flow("data", id=second)
    quiet.expect("flows/created", what="after re-enabling")


INVALID = {
    "unknown-event-type": {"events": ["flows/exploded"]},
    "flow-ids-not-uuids": {"flow_ids": ["not-a-uuid"]},
    "no-url": {"url": None},
}


@check(
    "webhooks.invalid-registration-400",
    MUST,
    "POST /service/webhooks 400: invalid, or unsupported filtering (SHALL); webhook-post.json",
    ops=("GET /service/webhooks?limit", "POST /service/webhooks"),
)
@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_registration_is_refused(webhooks, tams, case):
    """MUST: a registration that breaks webhook-post.json (an event type the spec does not
    have, a filter of non-uuids, no url) answers 400 and registers nothing."""
    webhooks.require()
    body, sub = webhooks.body(["flows/created"])
    for key, value in INVALID[case].items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    response = webhooks.post(body, sub, validate=False)
    assert response.status_code == 400, (
        f"POST /service/webhooks ({case}) answered {response.status_code}, not 400"
    )
    if "url" in body:
        assert not _listed(tams, body["url"]), "the refused registration is listed anyway"


@check(
    "webhooks.api-key-value-not-shown",
    SHOULD,
    "webhook-get.json has no api_key_value (only webhook-post/put.json carry it)",
    since="8.0",
    ops=(
        "GET /service/webhooks?limit",
        "POST /service/webhooks",
        "GET /service/webhooks/{webhookId}",
    ),
)
def test_api_key_value_is_never_echoed(webhooks, tams):
    """SHOULD (8.0+): the secret a client gives as api_key_value is not in the 201 answer,
    the listing or GET by id (webhook-get.json has no such property)."""
    webhooks.require()
    hook = webhooks.register(EVENTS)
    secret = hook.body["api_key_value"]
    answers = {
        "POST /service/webhooks": hook.answer,
        "GET /service/webhooks": _listed(tams, hook.url),
        "GET /service/webhooks/{webhookId}": tams.get(f"/service/webhooks/{hook.id}").json(),
    }
    shown = [op for op, answer in answers.items() if secret in repr(answer)]
    assert not shown, f"api_key_value is shown by {', '.join(shown)}"


@check(
    "webhooks.unknown-id-404",
    MUST,
    "GET/PUT/DELETE /service/webhooks/{webhookId} 404",
    since="8.0",
    ops=(
        "GET /service/webhooks",
        "DELETE /service/webhooks/{webhookId}",
        "GET /service/webhooks/{webhookId}",
        "PUT /service/webhooks/{webhookId}",
    ),
)
def test_unknown_webhook_id_is_404(webhooks, tams):
    """MUST (8.0+): an id that was never registered answers 404 to GET, PUT and DELETE (and
    the PUT creates nothing)."""
    webhooks.require()
    unknown = str(uuid.uuid4())
    path = f"/service/webhooks/{unknown}"
    body, _sub = webhooks.body(EVENTS)
    answers = {
        "GET": tams.get(path).status_code,
        "PUT": tams.put(path, {**body, "id": unknown, "status": "created"}).status_code,
        "DELETE": tams.delete(path).status_code,
    }
    wrong = {method: status for method, status in answers.items() if status != 404}
    assert not wrong, f"{path} of a webhook never registered answered {wrong}, not 404"
    assert tams.get(path).status_code == 404, "the PUT of an unknown id created it"
