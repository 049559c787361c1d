"""`tams-conformance audit`: the read-only integrity audit of a live store.

Exit codes: 0 clean (warnings allowed), 1 integrity errors, 2 usage or configuration error,
3 the audit could not complete (unreachable, interrupted, --max-requests reached, reports not
written); an incomplete audit keeps its checkpoint and resumes with --resume.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tams_conformance import __version__, signals
from tams_conformance.audit import media
from tams_conformance.audit.findings import ERROR, TYPES
from tams_conformance.audit.progress import Progress
from tams_conformance.audit.readonly import (
    Budget,
    BudgetExhausted,
    CountingTranscript,
    RateLimiter,
    ReadOnlyClient,
    make_read_only,
    parse_rate,
)
from tams_conformance.audit.report import write_all
from tams_conformance.audit.state import AuditState, CheckpointMismatch
from tams_conformance.audit.walk import AuditIncomplete, Options, Scope, Walker
from tams_conformance.client import basic_secret, build_session
from tams_conformance.errors import HarnessError, TargetUnreachable
from tams_conformance.report import folders
from tams_conformance.transport import Limits

EXIT_CLEAN, EXIT_ERRORS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
LATEST_AUDIT = "latest-audit"


def add_parser(sub: Any) -> None:
    """The `audit` subcommand of the CLI parser."""
    from tams_conformance.cleanup import parse_age

    p = sub.add_parser(
        "audit",
        help="read-only integrity audit of a live store (orphans, missing media, ...)",
        description="Walk a target's flows, sources, segments, objects and media with GET and "
        "HEAD only and report every broken invariant with its ids.",
    )
    p.add_argument("--target", action="append", default=[], metavar="NAME")
    p.add_argument("--targets-file", metavar="PATH", help="default: ./targets.yaml")
    p.add_argument("--reports-dir", default="reports", metavar="DIR")
    p.add_argument("--audit-id", metavar="ID", help="default: a timestamp and random suffix")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--source-id", metavar="ID", help="only the flows of this source")
    scope.add_argument("--flow-id", metavar="ID", help="only this flow")
    scope.add_argument("--tag", metavar="NAME=VALUE", type=_tag, help="only flows with this tag")
    p.add_argument("--verify-media", choices=media.MODES, default=media.SIZE)
    p.add_argument(
        "--rate",
        default="50/s",
        type=_rate,
        help="requests per second (50/s, 600/m, unlimited); default 50/s",
    )
    p.add_argument("--concurrency", type=_positive, default=8)
    p.add_argument("--max-requests", type=_positive, metavar="N")
    p.add_argument("--page-limit", type=_positive, default=500, metavar="N")
    p.add_argument(
        "--stuck-after",
        type=parse_age,
        default=dt.timedelta(hours=1),
        metavar="AGE",
        help="a delete request created/started longer ago is stuck (default 1h)",
    )
    p.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="default: <reports-dir>/.audit-checkpoints/<target>.sqlite",
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted audit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _tag(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--tag {text!r} is not NAME=VALUE")
    return name, value


def _rate(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


@dataclass
class TargetAudit:
    """The outcome of auditing one target."""

    name: str
    scope: str
    verify_media: str
    state: AuditState | None = None
    complete: bool = False
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    checkpoint: str = ""

    def summary(self) -> dict[str, Any]:
        counters = self.state.counters() if self.state else {}
        by_type: Counter[str] = Counter()
        for finding in self.state.findings() if self.state else ():
            by_type[finding["type"]] += 1
        errors = sum(n for t, n in by_type.items() if TYPES[t].level == ERROR)
        return {
            "flows": self.state.flows_done() if self.state else 0,
            "segments": counters.get("segments", 0),
            "objects": self.state.count_objects() if self.state else 0,
            "media_checked": counters.get("media_checked", 0),
            "media_unverified": counters.get("media_unverified", 0),
            "errors": errors,
            "warnings": sum(by_type.values()) - errors,
            "by_type": dict(sorted(by_type.items())),
            "requests": self.requests,
            "requests_by_method": self.by_method,
        }


def main(args: argparse.Namespace) -> int:
    from tams_conformance.config import (
        ConfigError,
        find_targets_file,
        load_targets_file,
        select_targets,
    )

    try:
        if args.audit_id is not None:
            folders.validate_run_id(args.audit_id)
        targets = select_targets(
            load_targets_file(find_targets_file(args.targets_file)), args.target
        )
    except (ConfigError, folders.RunIdError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    if args.checkpoint and len(targets) > 1:
        return _fail("--checkpoint names one file: audit one target at a time with it", EXIT_USAGE)
    base = Path(args.reports_dir)
    try:
        audit_id, folder = folders.reserve(base, args.audit_id)
    except folders.RunIdError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except folders.ReportWriteError as exc:
        return _fail(str(exc), EXIT_INCOMPLETE)
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    results: list[TargetAudit] = []
    signals.install(main)
    try:
        for target in targets:
            checkpoint = (
                Path(args.checkpoint)
                if args.checkpoint
                else (base / ".audit-checkpoints" / f"{target.name}.sqlite")
            )
            result = audit_target(target, args, checkpoint)
            results.append(result)
            if result.problem.startswith("usage:"):
                _close(results)
                folder.rmdir()
                return _fail(result.problem.removeprefix("usage: "), EXIT_USAGE)
            if signals.received():  # Ctrl-C: no further target is started
                break
        signals.finishing(main)  # writing the reports: a first signal no longer interrupts
        code = _write(base, folder, audit_id, started, time.monotonic() - t0, results)
    finally:
        signals.uninstall(main)
    _close(results, keep=[r for r in results if not r.complete])
    return code


def audit_target(target: Any, args: argparse.Namespace, checkpoint: Path) -> TargetAudit:
    scope = Scope(args.source_id, args.flow_id, args.tag)
    result = TargetAudit(target.name, scope.describe(), args.verify_media)
    server = s3 = None
    try:
        if target.embedded:
            from tams_conformance.runtime import start_embedded

            target, server, s3 = start_embedded(target, None)
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        if not args.resume:
            for suffix in ("", "-wal", "-shm"):
                Path(str(checkpoint) + suffix).unlink(missing_ok=True)
        elif not checkpoint.exists():
            result.problem = f"usage: --resume: no checkpoint at {checkpoint}; run without it"
            return result
        state = result.state = AuditState(checkpoint)
        result.checkpoint = str(checkpoint)
        identity = {
            "target": target.name,
            "base_url": target.base_url,
            **scope.as_json(),
            "verify_media": args.verify_media,
        }
        if target.embedded:
            identity["base_url"] = "embedded"
        state.bind(identity, args.resume)
        budget = Budget(args.max_requests)
        client, bare = _clients(target, RateLimiter(args.rate), budget, args.concurrency)
        progress = Progress(False if args.no_progress else None, budget)
        options = Options(
            scope=scope,
            verify_media=args.verify_media,
            concurrency=args.concurrency,
            page_limit=args.page_limit,
            stuck_after=args.stuck_after,
            timeout_s=target.timeout_s,
            max_media_bytes=client.limits.max_media_bytes,
        )
        walker = Walker(client, bare, state, options, progress)
        try:
            walker.run()
            result.complete = True
        except KeyboardInterrupt:
            result.problem = (
                f"interrupted ({signals.received() or 'Ctrl-C'}); resume with "
                f"--resume" + _same_checkpoint(args, checkpoint)
            )
        except BudgetExhausted as exc:
            result.problem = f"{exc}; resume with --resume" + _same_checkpoint(args, checkpoint)
        except (AuditIncomplete, TargetUnreachable, HarnessError) as exc:
            result.problem = f"target '{target.name}': {exc}"
        except requests.RequestException as exc:
            result.problem = f"target '{target.name}': no answer ({type(exc).__name__})"
        finally:
            progress.close()
            state.commit()
            result.notes = walker.notes
            result.requests = budget.used
            result.by_method = dict(budget.by_method)
    except CheckpointMismatch as exc:
        result.problem = f"usage: {exc}"
    except (HarnessError, OSError) as exc:
        result.problem = f"target '{target.name}': {exc}"
    finally:
        for part in (server, s3):
            if part is not None:
                part.stop()
    return result


def _same_checkpoint(args: argparse.Namespace, checkpoint: Path) -> str:
    return f" --checkpoint {checkpoint}" if args.checkpoint else " and the same options"


def _clients(
    target: Any, limiter: RateLimiter, budget: Budget, concurrency: int
) -> tuple[ReadOnlyClient, requests.Session]:
    """The read-only API client (the target's auth, bound to its origin) and the bare session
    for presigned media URLs; both under the target's egress policy and limits."""
    limits = Limits.of(target)
    session = build_session(target.auth, target.verify_tls, target.timeout_s, target.base_url)
    make_read_only(session, limits.policy, limiter, budget, concurrency + 2)
    secrets_ = (*target.auth.secrets(), *basic_secret(target.auth))
    client = ReadOnlyClient(
        target.base_url or "", session, target.timeout_s, CountingTranscript(secrets_), limits
    )
    bare = requests.Session()
    bare.trust_env = False  # no .netrc credentials or proxy headers on a presigned URL
    bare.verify = target.verify_tls
    make_read_only(bare, limits.policy, limiter, budget, concurrency + 2)
    return client, bare


def _write(
    base: Path,
    folder: Path,
    audit_id: str,
    started: dt.datetime,
    duration: float,
    results: list[TargetAudit],
) -> int:
    targets = []
    for r in results:
        targets.append(
            {
                "name": r.name,
                "scope": r.scope,
                "verify_media": r.verify_media,
                "complete": r.complete,
                "problem": r.problem,
                "notes": r.notes,
                "summary": r.summary(),
            }
        )
    errors = sum(t["summary"]["errors"] for t in targets)
    warnings = sum(t["summary"]["warnings"] for t in targets)
    complete = all(r.complete for r in results)
    verdict = (
        "incomplete"
        if not complete
        else "errors"
        if errors
        else "warnings"
        if warnings
        else "clean"
    )
    code = EXIT_INCOMPLETE if not complete else EXIT_ERRORS if errors else EXIT_CLEAN
    by_type: Counter[str] = Counter()
    for t in targets:
        by_type.update(t["summary"]["by_type"])
    doc = {
        "kind": "tams-conformance-audit",
        "audit_id": audit_id,
        "kit_version": __version__,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 3),
        "complete": complete,
        "verdict": verdict,
        "exit_code": code,
        "summary": {
            "errors": errors,
            "warnings": warnings,
            "by_type": dict(sorted(by_type.items())),
            "requests": sum(t["summary"]["requests"] for t in targets),
            "targets": len(targets),
        },
        "finding_types": {
            n: {"level": t.level, "what": t.what, "cause": t.cause} for n, t in TYPES.items()
        },
        "targets": targets,
    }
    findings = [(r.name, r.state.findings) for r in results if r.state is not None]
    try:
        write_all(folder, doc, findings)
        folders.point_latest(base, audit_id, LATEST_AUDIT)
    except folders.ReportWriteError as exc:
        return _fail(str(exc), EXIT_INCOMPLETE)
    for r, t in zip(results, targets, strict=True):
        if r.problem:
            sys.stderr.write(f"tams-conformance: audit of '{r.name}': {r.problem}\n")
        s = t["summary"]
        counts = ", ".join(f"{n} {k}" for k, n in s["by_type"].items()) or "no findings"
        print(
            f"tams-conformance audit: {r.name}: {s['flows']} flows, {s['segments']} segments, "
            f"{s['objects']} objects, {s['requests']} requests: {counts}"
        )
    print(
        f"tams-conformance audit: {verdict}: {errors} integrity errors, {warnings} warnings; "
        f"{folder / 'audit.html'} (exit {code})",
        flush=True,
    )
    return code


def _close(results: list[TargetAudit], keep: list[TargetAudit] | None = None) -> None:
    """Close the state files; a finished audit's checkpoint is removed (nothing to resume)."""
    for r in results:
        if r.state is None:
            continue
        r.state.close()
        if keep is not None and r not in keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(r.state.path) + suffix).unlink(missing_ok=True)


def _fail(line: str, code: int) -> int:
    sys.stderr.write(f"tams-conformance: {line}\n")
    return code
