"""`tams-conformance coverage`: which checks exercise each operation and query parameter.

Read from the checks' own metadata (`@check(..., ops=(...))`), never from a hand-kept list:
an operation is exercised when a check that applies to the version declares it. Operations no
check can exercise are listed in `EXCLUDED` with the reason. `--verify RESULTS` compares the
declarations with the operations a run really sent (the `operations` of each check in
results.json), so a declaration cannot claim what the check does not do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tams_conformance.levels import CheckInfo, version_tuple

EXIT_OK, EXIT_GAPS, EXIT_USAGE = 0, 1, 2
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")

# Operations of a supported spec version no check exercises, each with the reason.
EXCLUDED: dict[str, str] = {}
# Operations outside the spec that checks declare: vendor extensions the kit knows.
EXTENSION_OPS: dict[str, str] = {
    "DELETE /sources/{sourceId}": "the cascade extension profile (not in any TAMS version)",
}


@dataclass(frozen=True)
class OpRef:
    """One entry of a check's `ops`: "GET /flows?label&tag.{name}"."""

    method: str
    path: str
    params: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def parse_op(text: str) -> OpRef:
    """Parse "METHOD /path[?param&param]"; ValueError names what is wrong."""
    method, sep, rest = text.strip().partition(" ")
    path, _, query = rest.partition("?")
    if not sep or method not in METHODS or not path.startswith("/"):
        raise ValueError(f"operation {text!r}: write it as 'METHOD /path[?param&param]'")
    params = tuple(p for p in query.split("&") if p)
    return OpRef(method, path, params)


@dataclass
class SpecOperation:
    method: str
    path: str
    params: list[str]
    checks: list[str] = field(default_factory=list)
    param_checks: dict[str, list[str]] = field(default_factory=dict)
    excluded: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "checks": self.checks,
            "excluded": self.excluded,
            "parameters": [
                {"name": p, "checks": self.param_checks.get(p, [])} for p in self.params
            ],
        }


def spec_operations(version: str, spec_dir: str | None = None) -> list[SpecOperation]:
    """Every operation of the version's OpenAPI file, with its query parameters, in file order."""
    import yaml

    from tams_spec import locate_spec
    from tams_spec.fetch import YAML_NAME

    document = yaml.safe_load((locate_spec(version, spec_dir) / YAML_NAME).read_text())

    def resolve(node: Any) -> Any:
        while isinstance(node, Mapping) and str(node.get("$ref", "")).startswith("#/"):
            target: Any = document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    found = []
    for path, item in (document.get("paths") or {}).items():
        item = resolve(item)
        for method in METHODS:
            op = item.get(method.lower())
            if not isinstance(op, Mapping):
                continue
            declared = [
                resolve(p) for p in [*item.get("parameters", []), *op.get("parameters", [])]
            ]
            params = [p["name"] for p in declared if p.get("in") == "query"]
            found.append(SpecOperation(method, path, params))
    return found


def applies(info: CheckInfo, version: str) -> bool:
    return info.since is None or version_tuple(info.since) <= version_tuple(version)


def coverage_of(
    version: str, checks: Iterable[CheckInfo], operations: Sequence[SpecOperation]
) -> list[SpecOperation]:
    """Fill each operation's checks (per parameter too) from the checks that apply to version."""
    by_key = {f"{o.method} {o.path}": o for o in operations}
    for info in checks:
        if not applies(info, version):
            continue
        for ref in map(parse_op, info.ops):
            op = by_key.get(ref.key)
            if op is None:
                continue
            if info.id not in op.checks:
                op.checks.append(info.id)
            for param in ref.params:
                if param in op.params and info.id not in op.param_checks.setdefault(param, []):
                    op.param_checks[param].append(info.id)
    for key, op in by_key.items():
        op.excluded = EXCLUDED.get(key) if not op.checks else None
    return list(operations)


def unknown_ops(checks: Iterable[CheckInfo], known: set[str]) -> list[str]:
    """Declarations naming no operation of any supported version (typos, stale paths)."""
    problems = []
    for info in checks:
        for text in info.ops:
            try:
                ref = parse_op(text)
            except ValueError as exc:
                problems.append(f"{info.id}: {exc}")
                continue
            if ref.key not in known and ref.key not in EXTENSION_OPS:
                problems.append(f"{info.id}: {ref.key} is in no supported spec version")
    return problems


# Verification against a run ------------------------------------------------------------------
def sent_ops(exchanges: Iterable[Any], api_path: Any, operation_for: Any) -> list[str]:
    """The operations a check's exchanges sent to its target, as `ops` spells them: each
    documented operation once, with the query parameters used (`tag.x` as `tag.{name}`).
    `api_path(url)` gives the API path of a URL of the target (None: another host)."""
    from urllib.parse import parse_qsl, urlsplit

    found: dict[str, set[str]] = {}
    for ex in exchanges:
        path = api_path(ex.url)
        op = operation_for(ex.method, path) if path is not None else None
        if op is None:
            continue
        names = {
            name if "." not in name else name.split(".", 1)[0] + ".{name}"
            for name, _ in parse_qsl(urlsplit(ex.url).query, keep_blank_values=True)
        }
        found.setdefault(f"{op.method} {op.template}", set()).update(names)
    return [op + ("?" + "&".join(sorted(q)) if q else "") for op, q in sorted(found.items())]


def observed_ops(results: Mapping[str, Any]) -> dict[str, dict[str, set[str]]]:
    """check id (parameter row folded) -> operation -> query parameters the run sent."""
    seen: dict[str, dict[str, set[str]]] = {}
    for entry in results.get("checks", []):
        if "operations" not in entry:
            continue
        base = entry["id"].split("[", 1)[0]
        ops = seen.setdefault(base, {})
        for text in entry["operations"]:
            ref = parse_op(text)
            ops.setdefault(ref.key, set()).update(ref.params)
    return seen


def verify(checks: Iterable[CheckInfo], results: Mapping[str, Any]) -> list[str]:
    """Each declared operation (and parameter) of a check that ran was sent by it in the run."""
    seen = observed_ops(results)
    problems = []
    for info in checks:
        sent = seen.get(info.id)
        if sent is None:
            continue  # not run on this target (n/a, skipped): nothing to compare
        for ref in map(parse_op, info.ops):
            if ref.key not in sent:
                problems.append(f"{info.id}: declares {ref.key} but sent no such request")
                continue
            missing = sorted(set(ref.params) - sent[ref.key])
            if missing:
                problems.append(f"{info.id}: declares {ref.key}?{'&'.join(missing)} unsent")
    return problems


# Command line --------------------------------------------------------------------------------
def add_parser(sub: Any) -> None:
    """The `coverage` subcommand of the CLI parser."""
    parser = sub.add_parser(
        "coverage",
        help="list, for every operation of a spec version, the checks that exercise it",
        description="For every operation and query parameter of the TAMS spec file, the checks "
        "that exercise it (from their declarations), and the operations excluded with a reason.",
    )
    parser.add_argument("--version", default="8.2", help="spec version (default 8.2)")
    parser.add_argument("--spec-dir", metavar="DIR", help="folder with <version>/ TAMS api copies")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="text: list the checks of each operation"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="text: only the summary line and problems"
    )
    parser.add_argument(
        "--fail-on-gaps",
        action="store_true",
        help="exit 1 when an operation is neither exercised nor excluded",
    )
    parser.add_argument(
        "--verify",
        metavar="RESULTS",
        help="a results.json (or run folder): exit 1 when a check declares an operation or "
        "parameter it did not send in that run",
    )


def main(args: argparse.Namespace) -> int:
    from tams_conformance.catalog import CollectionFailed, collect_checks
    from tams_spec import SUPPORTED_VERSIONS, SpecUnavailable, supported_version

    try:
        version = supported_version(args.version)
        checks = collect_checks()
        operations = spec_operations(version, args.spec_dir)
        known = {f"{o.method} {o.path}" for v in SUPPORTED_VERSIONS for o in _ops(v, args)}
        results = _read_results(args.verify) if args.verify else None
    except (SpecUnavailable, CollectionFailed, ValueError, OSError) as exc:
        sys.stderr.write(f"tams-conformance coverage: {' '.join(str(exc).split())}\n")
        return EXIT_USAGE
    problems = unknown_ops(checks, known)
    if results is not None:
        problems += verify(checks, results)
    filled = coverage_of(version, checks, operations)
    gaps = [o for o in filled if not o.checks and not o.excluded]
    try:
        _write(args, version, filled, problems)
    except BrokenPipeError:  # `coverage | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if problems or (args.fail_on_gaps and gaps):
        return EXIT_GAPS
    return EXIT_OK


def _write(
    args: argparse.Namespace, version: str, filled: list[SpecOperation], problems: list[str]
) -> None:
    if args.format == "json":
        doc = {
            "version": version,
            "summary": _summary(filled),
            "operations": [o.as_json() for o in filled],
            "problems": problems,
        }
        print(json.dumps(doc, indent=2))
    else:
        _print_text(version, filled, args.verbose, args.quiet)
        for problem in problems:
            print(f"problem: {problem}")


def _ops(version: str, args: argparse.Namespace) -> list[SpecOperation]:
    return spec_operations(version, args.spec_dir)


def _read_results(where: str) -> Mapping[str, Any]:
    from pathlib import Path

    path = Path(where)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise ValueError(f"--verify {where}: no results.json there; give a run folder or file")
    return json.loads(path.read_text())


def _summary(ops: Sequence[SpecOperation]) -> dict[str, int]:
    params = [(o, p) for o in ops for p in o.params]
    return {
        "operations": len(ops),
        "exercised": sum(1 for o in ops if o.checks),
        "excluded": sum(1 for o in ops if o.excluded),
        "not_exercised": sum(1 for o in ops if not o.checks and not o.excluded),
        "parameters": len(params),
        "parameters_exercised": sum(1 for o, p in params if o.param_checks.get(p)),
    }


def _print_text(
    version: str, ops: Sequence[SpecOperation], verbose: bool, quiet: bool = False
) -> None:
    s = _summary(ops)
    print(
        f"TAMS {version}: {s['exercised']} of {s['operations']} operations exercised, "
        f"{s['excluded']} excluded, {s['not_exercised']} not exercised; "
        f"{s['parameters_exercised']} of {s['parameters']} query parameters exercised"
    )
    for op in [] if quiet else ops:
        if op.checks:
            state = f"{len(op.checks):>3} checks"
        else:
            state = "excluded" if op.excluded else "NOT EXERCISED"
        line = f"{op.method:<6} {op.path:<44} {state}"
        unexercised = [p for p in op.params if not op.param_checks.get(p)]
        if op.params:
            line += f"  params {len(op.params) - len(unexercised)}/{len(op.params)}"
            if unexercised:
                line += f" (not: {', '.join(unexercised)})"
        if op.excluded:
            line += f"  ({op.excluded})"
        print(line)
        if verbose:
            for check_id in op.checks:
                print(f"         {check_id}")
