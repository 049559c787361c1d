"""Command line: serve the reference server until SIGTERM/SIGINT.

``tams-conformance reference ...`` and ``python -m tams_reference ...`` both land in
:func:`main`. The first stdout line is ``BASE_URL=...`` so a parent process can read it; when
the server started its own mock S3 the second line is ``S3_ENDPOINT=...``.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import textwrap
import threading
from typing import NoReturn

from tams_reference.auth import AUTH_MODES, AuthSettings
from tams_reference.config import DELETE_MODES, S3Settings, ServerConfig
from tams_reference.faults import FAULTS, check_faults
from tams_reference.server import ReferenceServer
from tams_reference.variants import VARIANTS, check_variants

PROG = "tams-reference"
S3_PROFILES = ("strict", "aws", "lenient")
EXIT_USAGE = 2
EXIT_START_FAILED = 3


class UsageError(Exception):
    """A bad command line; the message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _variants_help() -> str:
    """The --help epilog: every variant with what it changes (tams_reference/variants.py)."""
    lines = ["variants (other correct choices a TAMS server may make; --variants a,b):"]
    for name, text in VARIANTS.items():
        lines.append(f"  {name}")
        lines += textwrap.wrap(text, width=76, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Serve the reference TAMS server.",
        epilog=_variants_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback host")
    parser.add_argument("--delete-mode", choices=DELETE_MODES, default="sync")
    parser.add_argument("--faults", default="", help=f"comma list of: {', '.join(FAULTS)}")
    parser.add_argument(
        "--variants", default="", help="comma list of legitimate variants (listed below)"
    )
    parser.add_argument("--no-cascade", action="store_true", help="switch the extension off")
    parser.add_argument("--s3-endpoint")
    parser.add_argument("--s3-access-key")
    parser.add_argument("--s3-secret-key")
    parser.add_argument("--s3-bucket", default="media")
    parser.add_argument("--s3-region", default="us-east-1")
    parser.add_argument("--s3-profile", choices=S3_PROFILES, default="strict")
    parser.add_argument("--s3-enforce-region", action="store_true")
    parser.add_argument(
        "--webhook-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host webhook callbacks may go to besides loopback (repeatable)",
    )
    parser.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    parser.add_argument("--spec-dir", help="TAMS spec folder (default: $TAMS_SPEC_DIR)")
    seeding = parser.add_argument_group("seeding (a store of a given size, written in bulk)")
    seeding.add_argument("--seed-flows", type=int, default=0, metavar="N", help="add N flows")
    seeding.add_argument(
        "--seed-segments", type=int, default=0, metavar="M", help="M segments across them"
    )
    seeding.add_argument("--seed-media", action="store_true", help="also PUT each object's media")
    auth = parser.add_argument_group(
        "authentication (off by default; secrets may also come from $TAMS_REFERENCE_AUTH_TOKEN, "
        "$TAMS_REFERENCE_AUTH_PASSWORD, $TAMS_REFERENCE_AUTH_CLIENT_SECRET)"
    )
    auth.add_argument("--auth", choices=AUTH_MODES, default="none")
    auth.add_argument("--auth-token", help="bearer: the token clients must send")
    auth.add_argument("--auth-username", help="basic: the user name")
    auth.add_argument("--auth-password", help="basic: the password")
    auth.add_argument("--auth-client-id", help="oauth2-client-credentials: the client id")
    auth.add_argument("--auth-client-secret", help="oauth2-client-credentials: its secret")
    auth.add_argument(
        "--auth-token-lifetime",
        type=float,
        default=300,
        metavar="S",
        help="oauth2-client-credentials: seconds an access token from /oauth2/token is valid",
    )
    return parser


def _auth(args: argparse.Namespace) -> AuthSettings:
    """The auth settings of the command line, secrets from the environment when not given."""
    env = os.environ.get
    return AuthSettings(
        mode=args.auth,
        token=args.auth_token or env("TAMS_REFERENCE_AUTH_TOKEN"),
        username=args.auth_username,
        password=args.auth_password or env("TAMS_REFERENCE_AUTH_PASSWORD"),
        client_id=args.auth_client_id,
        client_secret=args.auth_client_secret or env("TAMS_REFERENCE_AUTH_CLIENT_SECRET"),
        token_lifetime_s=args.auth_token_lifetime,
    )


def _config(args: argparse.Namespace) -> ServerConfig:
    try:
        loopback = args.host == "localhost" or ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not args.allow_remote:
        raise UsageError(f"--host {args.host} is not a loopback address; add --allow-remote")
    s3 = None
    if args.s3_endpoint:
        if not (args.s3_access_key and args.s3_secret_key):
            raise UsageError("--s3-endpoint needs --s3-access-key and --s3-secret-key")
        s3 = S3Settings(
            args.s3_endpoint, args.s3_access_key, args.s3_secret_key, args.s3_bucket, args.s3_region
        )
    try:
        faults = check_faults(args.faults.split(","))
        variants = check_variants(args.variants.split(","))
        return ServerConfig(
            s3=s3,
            delete_mode=args.delete_mode,
            cascade_extension=not args.no_cascade,
            faults=faults,
            variants=variants,
            spec_dir=args.spec_dir,
            db_path=args.db,
            auth=_auth(args),
            webhook_hosts=tuple(args.webhook_host),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        config = _config(args)
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return EXIT_USAGE
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = ReferenceServer(
        config,
        host=args.host,
        port=args.port,
        s3_profile=args.s3_profile,
        s3_enforce_region=args.s3_enforce_region,
    )
    try:
        server.start()
    except Exception as exc:  # one line for the user, never a traceback
        sys.stderr.write(f"{PROG}: could not start: {exc}\n")
        return EXIT_START_FAILED
    try:
        if args.seed_flows or args.seed_segments:
            from tams_reference.seed import seed

            seed(
                server.store,
                args.seed_flows,
                args.seed_segments,
                media=args.seed_media,
                keep_ids=False,
            )
        print(f"BASE_URL={server.base_url}", flush=True)
        if server.own_s3_endpoint:
            print(f"S3_ENDPOINT={server.own_s3_endpoint}", flush=True)
        for warning in server.warnings:
            sys.stderr.write(f"{PROG}: warning: {warning}\n")
        stop.wait()
    finally:
        server.stop()
    return 0
