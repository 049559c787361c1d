"""Pre-flight: once per target, before any check, make sure the run can judge it.

A remote target must answer `GET /service` with its credentials, with a TAMS service object
whose `api_version` (or the configured one) is a version the kit supports; the official spec
of that version must be found and compile. An embedded target needs the spec its reference
server validates requests with. Each problem is one line naming the thing and the fix, with
the exit code it deserves: 2 for the configuration (unsupported version, no spec), 3 for the
target (unreachable, credentials refused, 5xx, not JSON, not a TAMS service root). A target
that fails pre-flight is reported once, as a target-level error, and none of its checks run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tams_conformance.client import AuthError, build_session
from tams_conformance.config import Target
from tams_conformance.redact import redact_url

EXIT_CONFIG, EXIT_TARGET = 2, 3
SERVICE_TIMEOUT_S = 15.0
NO_SCHEMAS_HINT = "or run with --no-schemas to check without response validation"


@dataclass(frozen=True)
class Verdict:
    """What pre-flight learnt of one target: its version, or the one-line problem."""

    target: Target
    api_version: str | None = None
    problem: str | None = None
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        """The verdict as results.json and the plugin read it (secrets redacted)."""
        return {
            "target": self.target.name,
            "api_version": self.api_version,
            "problem": self.problem,
            "exit_code": self.exit_code,
            "info": self.target.redacted(),
        }


def check_targets(
    targets: list[Target], spec_dir: str | None, schemas: bool = True
) -> list[Verdict]:
    """The pre-flight verdict of every target, in order (each one independent of the others)."""
    return [check_target(t, spec_dir, schemas) for t in targets]


def check_target(target: Target, spec_dir: str | None, schemas: bool = True) -> Verdict:
    if target.embedded:
        from tams_reference import ServerConfig

        version = ServerConfig().api_version
        # The reference server validates request bodies with the spec: without one it would
        # quietly accept less, so it needs the spec even when responses are not validated.
        problem = _spec_problem(target, version, spec_dir, for_reference=True)
        return _verdict(target, version, problem)
    try:
        service = _read_service(target)
    except _TargetProblem as bad:
        return Verdict(target, problem=str(bad), exit_code=EXIT_TARGET)
    version = target.api_version
    if version == "auto":
        version = str(service.get("api_version") or "")
        if not version:
            return Verdict(
                target,
                problem=f"target '{target.name}': GET /service has no api_version "
                '(set api_version: "8.2", say, in targets.yaml)',
                exit_code=EXIT_TARGET,
            )
    problem = _version_problem(target, version)
    if problem is None and schemas:
        problem = _spec_problem(target, version, spec_dir, for_reference=False)
    return _verdict(target, version, problem)


def _verdict(target: Target, version: str, problem: str | None) -> Verdict:
    if problem is None:
        return Verdict(target, api_version=version)
    return Verdict(target, api_version=version, problem=problem, exit_code=EXIT_CONFIG)


class _TargetProblem(Exception):
    """The target cannot be checked; str() is the one line for the user."""


def _read_service(target: Target) -> dict[str, Any]:
    base = (target.base_url or "").rstrip("/")
    url = base + "/service"
    where = f"target '{target.name}' at {redact_url(base)}"
    from tams_conformance.transport import (
        DEFAULT_BODY_MIB,
        BodyTooLarge,
        DeadlineExceeded,
        MiB,
        install,
        send,
    )

    session = build_session(target.auth, target.verify_tls, target.timeout_s, base)
    install(session, None)
    try:
        # bounded as a whole: a server trickling bytes cannot hold pre-flight past timeout_s
        response = send(
            session,
            session.prepare_request(requests.Request("GET", url)),
            timeout_s=min(SERVICE_TIMEOUT_S, target.timeout_s),
            max_bytes=DEFAULT_BODY_MIB * MiB,
        )
    except DeadlineExceeded as exc:
        raise _TargetProblem(f"{where}: {exc}") from None
    except BodyTooLarge:
        raise _TargetProblem(
            f"{where}: GET /service answered a body over {DEFAULT_BODY_MIB} MiB; is base_url "
            "the root of the TAMS API?"
        ) from None
    except AuthError as exc:
        raise _TargetProblem(f"{where}: credentials refused: {exc}") from None
    except requests.exceptions.SSLError:
        raise _TargetProblem(
            f"{where}: TLS verification failed (set verify_tls to a CA bundle path, "
            "or false for a test server)"
        ) from None
    except requests.RequestException as exc:
        raise _TargetProblem(
            f"{where} is unreachable ({type(exc).__name__}); check base_url in "
            "targets.yaml or start the server"
        ) from None
    finally:
        session.close()
    status = response.status_code
    if status in (401, 403):
        raise _TargetProblem(
            f"{where}: GET /service answered {status}: credentials refused (check the "
            "target's auth in targets.yaml and its secrets in the environment)"
        )
    if status >= 500:
        raise _TargetProblem(
            f"{where}: GET /service answered {status} (a server error; check the server's "
            "logs and run again)"
        )
    if status != 200:
        raise _TargetProblem(
            f"{where}: GET /service answered {status}, not 200 (is base_url the root of the "
            "TAMS API, the URL GET /service answers at?)"
        )
    try:
        body = response.json()
    except ValueError:
        ctype = response.headers.get("Content-Type") or "no Content-Type"
        raise _TargetProblem(
            f"{where}: GET /service is not JSON ({ctype}); is base_url the root of the TAMS "
            "API, not a web page or a proxy's login?"
        ) from None
    if not isinstance(body, dict) or not ({"type", "api_version"} & body.keys()):
        raise _TargetProblem(
            f"{where}: GET /service is JSON but not a TAMS service object (no type or "
            "api_version); is base_url the root of the TAMS API?"
        )
    return body


def _version_problem(target: Target, version: str) -> str | None:
    from tams_spec import SUPPORTED_VERSIONS, SpecUnavailable, supported_version

    try:
        supported_version(version)
    except SpecUnavailable:
        source = "GET /service says" if target.api_version == "auto" else "targets.yaml sets"
        return (
            f"target '{target.name}': {source} api_version {version!r}, which the kit does not "
            f"support (supported: {', '.join(SUPPORTED_VERSIONS)}; set api_version to one of "
            "them to check the target against it)"
        )
    return None


def _spec_problem(
    target: Target, version: str, spec_dir: str | None, for_reference: bool
) -> str | None:
    """None when the spec of `version` is found and compiles, else the one line with the fix."""
    from tams_spec import SpecUnavailable, get_validator, supported_version

    try:
        get_validator(supported_version(version), spec_dir)
    except SpecUnavailable as exc:
        detail = " ".join(str(exc).split())
        if for_reference:
            return (
                f"target '{target.name}': the embedded reference server needs the TAMS "
                f"{version} spec to validate requests: {detail}"
            )
        return f"target '{target.name}': {detail}, {NO_SCHEMAS_HINT}"
    except Exception as exc:  # noqa: BLE001 - a spec that does not compile is a config problem
        return (
            f"target '{target.name}': the TAMS {version} spec does not load "
            f"({type(exc).__name__}: {exc}); point TAMS_SPEC_DIR or --spec-dir at an intact "
            "copy of bbc/tams api/"
        )
    return None
