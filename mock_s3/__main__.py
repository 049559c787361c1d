"""Command line: ``python -m mock_s3 serve ...`` runs a gated S3 endpoint until SIGTERM/SIGINT.

The first stdout line is ``ENDPOINT=http://host:port`` (flushed) so a wrapper can read it; the
request log goes to stderr, redacted. Secrets are read from options or the environment and are
never printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import NoReturn

from .profiles import DEFAULT_PROFILE, PROFILES

PROG = "python -m mock_s3"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see {PROG} serve --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="S3 endpoint that verifies signatures like a store.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="serve a gated S3 endpoint until SIGTERM/SIGINT")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    serve.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE)
    serve.add_argument(
        "--access-key",
        default=os.environ.get("MOCK_S3_ACCESS_KEY"),
        help="access key id (default: $MOCK_S3_ACCESS_KEY)",
    )
    serve.add_argument(
        "--secret-key",
        default=os.environ.get("MOCK_S3_SECRET_KEY"),
        help="secret key (default: $MOCK_S3_SECRET_KEY)",
    )
    serve.add_argument("--region", default="us-east-1")
    serve.add_argument(
        "--enforce-region",
        action="store_true",
        help="refuse SigV4 credential scopes for another region, as AWS does",
    )
    serve.add_argument(
        "--no-sigv2", dest="allow_sigv2", action="store_false", help="refuse SigV2 requests"
    )
    serve.add_argument(
        "--bucket", action="append", default=[], help="create this bucket (repeatable)"
    )
    serve.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    serve.add_argument(
        "--quiet", action="store_true", help="do not print the request log on stderr"
    )
    serve.add_argument(
        "--spill-to-disk",
        metavar="SIZE",
        nargs="?",
        const="256KiB",
        default=None,
        help="keep objects larger than SIZE (default 256KiB) in temporary files, not memory",
    )
    return parser


def serve(args: argparse.Namespace) -> int:
    from .server import MockS3, MockS3Error, is_loopback

    if not args.access_key or not args.secret_key:
        return _fail(
            "--access-key and --secret-key are required "
            "(or set MOCK_S3_ACCESS_KEY and MOCK_S3_SECRET_KEY)"
        )
    if not 0 <= args.port <= 65535:
        return _fail(f"--port {args.port} is out of range 0..65535")
    if not args.allow_remote and not is_loopback(args.host):
        return _fail(f"--host {args.host} is not loopback; add --allow-remote to expose the store")
    spill = None
    if args.spill_to_disk is not None:
        from .spill import parse_size

        try:
            spill = parse_size(args.spill_to_disk)
        except ValueError as err:
            return _fail(f"--spill-to-disk: {err}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        s3 = MockS3(
            profile=args.profile,
            access_key=args.access_key,
            secret_key=args.secret_key,
            region=args.region,
            buckets=args.bucket,
            enforce_region=args.enforce_region,
            allow_sigv2=args.allow_sigv2,
            host=args.host,
            port=args.port,
            allow_remote=args.allow_remote,
            spill_to_disk=spill,
        )
        if not args.quiet:
            s3.requests.subscribe(lambda record: print(record.line(), file=sys.stderr, flush=True))
        s3.start()
    except (MockS3Error, OSError) as err:
        return _fail(f"cannot start on {args.host}:{args.port}: {err}")
    try:
        print(f"ENDPOINT={s3.endpoint}", flush=True)
        print(
            f"mock_s3: profile {s3.profile}, region {s3.region}, buckets "
            f"{', '.join(s3.buckets) or '(none)'}; stop with Ctrl-C or SIGTERM",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        s3.stop()
    return 0


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
