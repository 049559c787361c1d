"""`tams-conformance cleanup`: remove what earlier runs of the kit left on a target.

A run removes what it made, also when interrupted; only a SIGKILL, a power loss or a lost
connection can leave something behind. Everything the kit makes is found through its run tag
(`tams_conformance_run=<run id>` on flows, the sources of those flows with them): nothing
without that tag is ever listed or touched. Deleting goes the factory's way (flows first, 202s
followed to the end, then their sources with cascade=false where the target has the cascade
extension), and the state afterwards is read back, so the summary says what is really gone.
Each level (the flows, their 202s, the sources, the read-back) is sent together through the
client's bounded pool.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tams_conformance.client import TamsClient, Transcript, basic_secret, build_session, seg
from tams_conformance.config import Target
from tams_conformance.fixtures.factory import RUN_TAG, Remover
from tams_conformance.pool import gather
from tams_conformance.report.folders import started_at
from tams_conformance.webhooks.leftovers import clean_webhooks

EXIT_OK, EXIT_USAGE, EXIT_HARNESS = 0, 2, 3
NOTICE_PAGES = 5  # the start-of-run notice stays cheap: a few tag-filtered pages at most
DURATION_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


@dataclass
class Leftovers:
    """Flows tagged by the kit (grouped by run id) and the kit's sources among them."""

    flows: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # source id -> run id

    def runs(self) -> set[str]:
        return {run_of(f) for f in self.flows} | set(self.sources.values())


def add_parser(sub: Any) -> None:
    """The `cleanup` subcommand of the CLI parser."""
    parser = sub.add_parser(
        "cleanup",
        help="remove what earlier (killed) runs of the kit left on a target",
        description="List and remove the flows and sources earlier runs of the kit created "
        "(found by their run tag); nothing else is touched.",
    )
    parser.add_argument(
        "--target", action="append", default=[], metavar="NAME", help="target (repeatable)"
    )
    parser.add_argument("--targets-file", metavar="PATH", help="default: ./targets.yaml")
    parser.add_argument(
        "--older-than",
        metavar="AGE",
        type=parse_age,
        help="only runs started longer ago than AGE (30m, 2h, 1d, 1h30m)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list, remove nothing")


def parse_age(text: str) -> dt.timedelta:
    match = DURATION_RE.fullmatch(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an age such as 30m, 2h, 1d or 1h30m")
    d, h, m, s = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=d, hours=h, minutes=m, seconds=s)


def client_for(target: Target) -> TamsClient:
    """A plain client of a remote target (its auth, TLS and timeout), secrets redacted."""
    secrets_ = (*target.auth.secrets(), *basic_secret(target.auth))
    session = build_session(target.auth, target.verify_tls, target.timeout_s)
    return TamsClient(target.base_url or "", session, target.timeout_s, Transcript(secrets_))


def run_of(item: dict[str, Any]) -> str:
    tags = item.get("tags") or {}
    value = tags.get(RUN_TAG)
    return str(value[0] if isinstance(value, list) and value else value)


def find(client: TamsClient, max_pages: int = 1000) -> Leftovers:
    """What the kit's tag marks on the target. The tag filter is checked again here: a server
    that ignores `tag_exists` must not make the kit touch a foreign flow."""
    found = Leftovers()
    query = {f"tag_exists.{RUN_TAG}": "true", "limit": 100}
    for page in client.pages("/flows", query, max_pages=max_pages):
        if page.status_code != 200:
            break
        found.flows += [f for f in page.json() if RUN_TAG in (f.get("tags") or {})]
    for flow in found.flows:
        if flow.get("source_id"):
            found.sources.setdefault(str(flow["source_id"]), run_of(flow))
    for page in client.pages("/sources", query, max_pages=max_pages):
        if page.status_code != 200:
            break
        for source in page.json():
            if RUN_TAG in (source.get("tags") or {}):
                found.sources.setdefault(str(source["id"]), run_of(source))
    return found


def age_of(run_id: str, flows: list[dict[str, Any]], now: dt.datetime) -> dt.timedelta | None:
    """How long ago a run started: from a default run id, else from its flows' `created`."""
    start = started_at(run_id)
    if start is None:
        stamps = [_parse_time(f.get("created")) for f in flows if run_of(f) == run_id]
        known = [s for s in stamps if s is not None]
        start = min(known) if known else None
    return None if start is None else now - start


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def notice(targets: list[Target], cleanup_hint: str = "") -> list[str]:
    """One line per remote target holding what earlier runs left (never raises: a notice)."""
    lines = []
    for target in targets:
        if target.embedded or not target.base_url:
            continue
        try:
            found = find(client_for(target), max_pages=NOTICE_PAGES)
        except Exception:  # noqa: BLE001 - the run's own pre-flight reports a broken target
            continue
        if found.flows or found.sources:
            lines.append(
                f"tams-conformance: target '{target.name}' holds {_count(found)} left by "
                f"earlier runs (tams-conformance cleanup --target {target.name}{cleanup_hint})"
            )
    return lines


def _count(found: Leftovers) -> str:
    flows, sources = len(found.flows), len(found.sources)
    return f"{flows} flow{'s' * (flows != 1)} and {sources} source{'s' * (sources != 1)}"


def main(args: argparse.Namespace) -> int:
    from tams_conformance.config import (
        ConfigError,
        find_targets_file,
        load_targets_file,
        select_targets,
    )

    try:
        path = find_targets_file(args.targets_file)
        targets = select_targets(load_targets_file(path), args.target)
    except ConfigError as exc:
        sys.stderr.write(f"tams-conformance: {exc}\n")
        return EXIT_USAGE
    code = EXIT_OK
    for target in targets:
        code = max(code, clean(target, args.older_than, args.dry_run))
    return code


def clean(target: Target, older_than: dt.timedelta | None, dry_run: bool) -> int:
    """List (and unless `dry_run` remove) the kit's leftovers on one target; an exit code."""
    name = target.name
    if target.embedded or not target.base_url:
        print(f"tams-conformance: target '{name}' is embedded: it lives only for a run")
        return EXIT_OK
    client = client_for(target)
    try:
        found = find(client)
    except Exception as exc:  # noqa: BLE001 - one line, exit 3
        sys.stderr.write(
            f"tams-conformance: target '{name}': listing its flows failed "
            f"({type(exc).__name__}: {exc}); check base_url and auth in targets.yaml\n"
        )
        return EXIT_HARNESS
    now = dt.datetime.now(dt.UTC)
    if clean_webhooks(client, name, older_than, dry_run, now):  # registrations of killed runs
        return EXIT_HARNESS
    by_run: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for flow in found.flows:
        by_run[run_of(flow)].append(flow)
    chosen, kept = set(), set()
    for rid in sorted(found.runs()):
        age = age_of(rid, found.flows, now)
        old = older_than is None or (age is not None and age > older_than)
        (chosen if old else kept).add(rid)
        for flow in by_run.get(rid, []):
            print(_line(dry_run, old, "flow", str(flow["id"]), rid, age))
        for sid in sorted(s for s, r in found.sources.items() if r == rid):
            print(_line(dry_run, old, "source", sid, rid, age))
    flows = [str(f["id"]) for f in found.flows if run_of(f) in chosen]
    sources = [s for s, r in found.sources.items() if r in chosen]
    if not flows and not sources:
        print(f"tams-conformance: target '{name}': nothing to remove" + _kept(kept))
        return EXIT_OK
    if dry_run:
        print(
            f"tams-conformance: target '{name}': would remove {len(flows)} flows and "
            f"{len(sources)} sources of {len(chosen)} runs (dry run)" + _kept(kept)
        )
        return EXIT_OK
    problems = Remover(client, target).remove(flows, sources)
    paths = [f"/flows/{seg(f)}" for f in flows] + [f"/sources/{seg(s)}" for s in sources]
    there = gather(client.transcript, [lambda p=p: _still_there(client, p) for p in paths])
    left_flows = [f for f, t in zip(flows, there[: len(flows)], strict=True) if t]
    left_sources = [s for s, t in zip(sources, there[len(flows) :], strict=True) if t]
    print(
        f"tams-conformance: target '{name}': removed {len(flows) - len(left_flows)} flows and "
        f"{len(sources) - len(left_sources)} sources of {len(chosen)} earlier runs" + _kept(kept)
    )
    if left_sources and not target.claims("cascade"):
        # Without the extension a source cannot be deleted: it goes with its last flow (a
        # SHOULD of the spec), so one still there is the server's to remove, not a failure.
        print(f"  {len(left_sources)} sources stay: the target has no DELETE /sources (cascade)")
        left_sources = []
    if left_flows or left_sources:
        for problem in problems[:10]:
            print(f"  {_printable(problem)}")
        sys.stderr.write(
            f"tams-conformance: target '{name}' still holds {len(left_flows)} flows and "
            f"{len(left_sources)} sources of earlier runs; see the lines above\n"
        )
        return EXIT_HARNESS
    return EXIT_OK


def _still_there(client: TamsClient, path: str) -> bool:
    try:
        return client.get(path).status_code != 404
    except Exception:  # noqa: BLE001 - unknown counts as still there
        return True


def _line(dry_run: bool, old: bool, kind: str, ident: str, rid: str, age: Any) -> str:
    verb = ("would remove" if dry_run else "removing") if old else "keeping"
    when = "age unknown" if age is None else f"started {_human(age)} ago"
    return f"  {verb} {kind} {_printable(ident)} (run {_printable(rid)}, {when})"


def _human(age: dt.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours < 48 else f"{hours // 24}d"


def _kept(kept: set[str]) -> str:
    if not kept:
        return ""
    return f"; kept what {len(kept)} other runs made (not older than --older-than, or age unknown)"


def _printable(text: str) -> str:
    """Ids come from the server: no control characters reach the terminal."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:200]
