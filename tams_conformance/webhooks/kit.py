"""What webhook checks use: registering callbacks, waiting for events, judging their bodies.

`WebhookKit` (the `webhooks` fixture) registers callbacks on `webhooks.public_url` +
`/hooks/<random>`, within the target's egress policy, tagged with the run id where the version
has webhook tags; it removes every registration it made when the check ends (the fixture's
teardown also runs after Ctrl-C, SIGTERM and SIGHUP: tams_conformance.signals). A target that
does not offer webhooks (404 on /service/webhooks) makes the check `unsupported:`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tams_conformance.egress import EgressPolicy, EgressRefused
from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.factory import RUN_TAG
from tams_conformance.levels import unsupported, version_tuple
from tams_conformance.redact import register_secrets
from tams_conformance.webhooks.receiver import Delivery, Receiver, Subscription, ids_named

API_KEY_NAME = "X-Tams-Conformance-Key"
SERVICE_CHECK = "service.webhooks-advertised-consistently"


@dataclass
class Hook:
    """One registration the kit made, and the deliveries its callback path received."""

    kit: WebhookKit
    body: dict[str, Any]  # what was POSTed (api_key_value included)
    answer: Any  # the 201 body (8.0+: webhook-get.json), or None
    sub: Subscription
    id: str | None = None

    @property
    def url(self) -> str:
        return self.body["url"]

    def watch(self, *ids: str) -> None:
        """Keep deliveries that name these flow or source ids (nothing else is kept)."""
        self.sub.watch(*ids)

    def wait(
        self,
        event_type: str,
        match: Callable[[Delivery], bool] | None = None,
        timeout_s: float | None = None,
    ) -> Delivery | None:
        """The first delivery of `event_type` that `match` accepts, within timeouts.webhook_s."""
        timeout = self.kit.timeout_s if timeout_s is None else timeout_s
        return self.sub.wait_for(
            lambda d: d.event_type == event_type and (match is None or match(d)), timeout
        )

    def expect(
        self, event_type: str, match: Callable[[Delivery], bool] | None = None, what: str = ""
    ) -> Delivery:
        delivery = self.wait(event_type, match)
        assert delivery is not None, (
            f"no {event_type} event{' ' + what if what else ''} reached the webhook within "
            f"{self.kit.timeout_s:g}s (timeouts.webhook_s); received: {self.summary()}"
        )
        return delivery

    def received(self, event_type: str | None = None) -> list[Delivery]:
        return [d for d in self.sub.snapshot() if event_type in (None, d.event_type)]

    def summary(self) -> str:
        kept = self.sub.snapshot()
        if not kept:
            return "nothing"
        return ", ".join(f"{d.event_type} {sorted(_ids(d))}" for d in kept[:8])


def _ids(delivery: Delivery) -> set[str]:
    return ids_named(delivery.body)


@dataclass
class WebhookKit:
    """The webhook helper of one check (the `webhooks` fixture)."""

    runtime: Any
    receiver: Receiver
    hooks: list[Hook] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def tams(self) -> Any:
        return self.runtime.tams

    @property
    def version(self) -> tuple[int, int]:
        return version_tuple(self.runtime.api_version)

    @property
    def has_ids(self) -> bool:
        """8.0 gave webhooks an id and /service/webhooks/{webhookId} (ADR-0037)."""
        return self.version >= (8, 0)

    @property
    def timeout_s(self) -> float:
        return self.runtime.target.timeouts.webhook_s

    def require(self) -> None:
        """Skip as unsupported unless the target offers webhooks (GET /service/webhooks 200)."""
        response = self.tams.get("/service/webhooks", validate=False)
        if response.status_code == 404:
            unsupported("GET /service/webhooks answered 404: the target offers no webhooks")
        if response.status_code == 403:
            unsupported("these credentials may not use /service/webhooks (403)")
        if response.status_code != 200:
            raise HarnessError(
                f"blocked: {SERVICE_CHECK} (GET /service/webhooks answered {response.status_code})"
            )

    def body(self, events: list[str], **options: Any) -> tuple[dict[str, Any], Subscription]:
        """A registration body on a new callback path, with an api key of its own."""
        url, sub = self.receiver.subscribe()
        try:
            EgressPolicy.of(self.runtime.target).check_url(url, "webhook callback")
        except EgressRefused as exc:
            self.receiver.forget(sub)
            raise HarnessError(
                f"{exc}; set webhooks.public_url in targets.yaml to a URL the target reaches "
                "(docs/webhooks.md)"
            ) from None
        key_value = "tams-conformance-" + secrets.token_hex(12)
        register_secrets(key_value)  # masked in transcripts and reports like any credential
        body: dict[str, Any] = {
            "url": url,
            "events": list(events),
            "api_key_name": API_KEY_NAME,
            "api_key_value": key_value,
        }
        if self.has_ids:
            body["tags"] = {RUN_TAG: self.runtime.run_id}
        body.update(options)
        return body, sub

    def post(self, body: dict[str, Any], sub: Subscription, *, validate: bool = True) -> Any:
        """POST /service/webhooks; a created registration is remembered for cleanup."""
        response = self.tams.post("/service/webhooks", body, validate=validate)
        if response.status_code in (200, 201, 204):
            answer = _json(response)
            hook = Hook(self, body, answer, sub)
            if isinstance(answer, dict) and isinstance(answer.get("id"), str):
                hook.id = answer["id"]
            self.hooks.append(hook)
        return response

    def register(self, events: list[str], *, watch: tuple[str, ...] = (), **options: Any) -> Hook:
        """Register a callback (a precondition: anything but success is a harness error;
        a 400 for a filter or transform means the target does not support it)."""
        body, sub = self.body(events, **options)
        sub.watch(*watch)
        response = self.post(body, sub, validate=False)
        if response.status_code == 400 and set(options) - {"status"}:
            unsupported(
                f"POST /service/webhooks with {', '.join(sorted(options))} answered 400 "
                "(the spec's answer for an unsupported filter or transform)"
            )
        if response.status_code not in (200, 201, 204):
            raise HarnessError(
                f"blocked: webhooks.register-then-list (POST /service/webhooks answered "
                f"{response.status_code})"
            )
        hook = self.hooks[-1]
        if self.has_ids and hook.id is None:
            raise HarnessError("blocked: webhooks.register-then-list (the 201 carries no id)")
        return hook

    def validate(self, delivery: Delivery) -> list[str]:
        """Schema errors of a delivery against its event's schema in the target's version."""
        validator = self.runtime.validator
        event_type = delivery.event_type
        if validator is None or event_type not in validator.event_types():
            return [] if validator is None else [f"unknown event_type {event_type!r}"]
        errors = validator.validate_event(event_type, delivery.body)
        if self.version == (7, 0) and event_type == "flows/segments_deleted":
            # 7.0's schema pins this event's event_type to flows/segments_added (fixed in 8.0)
            errors = [e for e in errors if not e.startswith("$.event_type:")]
        return errors

    def assert_valid(self, delivery: Delivery) -> None:
        errors = self.validate(delivery)
        assert not errors, (
            f"the {delivery.event_type} event does not match the TAMS {self.runtime.api_version} "
            "event schema: " + "; ".join(errors)
        )

    def cleanup(self) -> list[str]:
        """Remove every registration this check made; what could not be removed is listed."""
        problems = []
        for hook in reversed(self.hooks):
            try:
                if hook.id is not None:
                    answer = self.runtime.raw.delete(f"/service/webhooks/{hook.id}")
                    gone = answer.status_code in (204, 404)
                else:  # 7.0: POSTing an empty list of events SHOULD remove the registration
                    empty = {k: v for k, v in hook.body.items() if k != "events"}
                    answer = self.runtime.raw.post("/service/webhooks", {**empty, "events": []})
                    gone = answer.status_code in (200, 201, 204)
                if not gone:
                    problems.append(
                        f"webhook {hook.id or hook.url}: removing it answered {answer.status_code}"
                    )
            except Exception as exc:  # noqa: BLE001 - cleanup reports, never raises
                problems.append(f"webhook {hook.id or hook.url}: {type(exc).__name__}: {exc}")
            self.receiver.forget(hook.sub)
        self.hooks.clear()
        return problems


def _json(response: Any) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None
