"""The pytest fixtures of webhook checks (imported into tams_conformance.plugin).

`webhook_receiver`: one receiver per target and pytest process (xdist workers each have their
own, on their own port unless webhooks.listen fixes one). `webhooks`: the check's WebhookKit,
whose registrations are removed at teardown; at the end of the session any registration still
pointing at this receiver (a check interrupted between POST and bookkeeping) is removed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tams_conformance.webhooks.kit import WebhookKit
from tams_conformance.webhooks.receiver import Receiver


@pytest.fixture(scope="session")
def webhook_receiver(runtime: Any) -> Iterator[Receiver]:
    settings = runtime.target.webhooks
    receiver = Receiver(settings.listen, settings.public_url).start()
    try:
        yield receiver
    finally:
        sweep_webhooks(runtime, receiver)
        receiver.stop()


@pytest.fixture
def webhooks(
    runtime: Any, webhook_receiver: Receiver, request: pytest.FixtureRequest
) -> Iterator[WebhookKit]:
    kit = WebhookKit(runtime, webhook_receiver)
    yield kit
    problems = kit.cleanup()
    if problems:
        request.node.user_properties.append(("tams_cleanup", problems))


def sweep_webhooks(runtime: Any, receiver: Receiver) -> list[str]:
    """Remove registrations on the target whose callback is this receiver's (8.0+ ids)."""
    prefix = receiver.public_url + "/hooks/"
    problems: list[str] = []
    try:
        for page in runtime.raw.pages("/service/webhooks", {"limit": 100}):
            if page.status_code != 200:
                return problems
            for hook in page.json():
                if str(hook.get("url", "")).startswith(prefix) and hook.get("id"):
                    answer = runtime.raw.delete(f"/service/webhooks/{hook['id']}")
                    if answer.status_code not in (204, 404):
                        problems.append(
                            f"webhook {hook['id']}: DELETE answered {answer.status_code}"
                        )
    except Exception as exc:  # noqa: BLE001 - a sweep reports, never raises
        problems.append(f"webhook sweep: {type(exc).__name__}: {exc}")
    return problems
