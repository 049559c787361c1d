"""Webhook registrations earlier runs left on a target (`tams-conformance cleanup`).

The kit tags every registration it makes with its run id (8.0+, where webhooks have tags and
ids); a killed run can leave some behind. Only registrations carrying that tag are listed or
removed: nothing else on the target is touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tams_conformance.fixtures.factory import RUN_TAG
from tams_conformance.report.folders import started_at


def _run_of(hook: dict[str, Any]) -> str:
    value = (hook.get("tags") or {}).get(RUN_TAG)
    return str(value[0] if isinstance(value, list) and value else value)


def clean_webhooks(
    client: Any, name: str, older_than: dt.timedelta | None, dry_run: bool, now: dt.datetime
) -> int:
    """List (and unless `dry_run` remove) the kit's webhooks; returns how many stay."""
    found: list[dict[str, Any]] = []
    try:
        for page in client.pages("/service/webhooks", {f"tag_exists.{RUN_TAG}": "true"}):
            if page.status_code != 200:
                return 0  # no webhooks on this target (404) or not for these credentials
            found += [h for h in page.json() if RUN_TAG in (h.get("tags") or {}) and h.get("id")]
    except Exception:  # noqa: BLE001 - a target without the endpoint has nothing to clean
        return 0
    left = 0
    for hook in found:
        rid = _run_of(hook)
        start = started_at(rid)
        age = None if start is None else now - start
        if older_than is not None and (age is None or age <= older_than):
            continue
        verb = "would remove" if dry_run else "removing"
        print(f"  {verb} webhook {hook['id']} of run {rid}")
        if dry_run:
            continue
        answer = client.delete(f"/service/webhooks/{hook['id']}")
        if answer.status_code not in (204, 404):
            left += 1
            print(f"  webhook {hook['id']}: DELETE answered {answer.status_code}")
    if left:
        print(f"tams-conformance: target '{name}' still holds {left} webhooks of earlier runs")
    return left
