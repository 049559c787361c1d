"""`python -m tams_reference.child`: a reference server or its mock S3 in a process of its own.

The kit's embedded targets run here, so the client, the reference and the S3 store each get
a core (in one process they shared one, under one GIL). The settings come as JSON lines on
stdin, never on the command line (other local users can read a process's arguments):

1. `{"role": "s3", "owner_pid": N, "profile": ..., "access_key": ..., "secret_key": ...,
   "region": ..., "bucket": ..., "enforce_region": ...}`, or `{"role": "reference",
   "owner_pid": N, "config": {...ServerConfig fields, "auth": {...}}}`;
2. for the reference only, a second line `{"s3": {...S3Settings fields}}`: the reference
   loads and compiles the spec while its S3 store starts, then waits for that line.

The child prints one line, `READY <json>` (`endpoint` or `base_url`) or `FAILED <one line>`,
and serves until SIGTERM/SIGINT, or until its owner process is gone (a run killed with
SIGKILL leaves no server behind, and `run_dir`, the run's folder of embedded targets, is
removed then).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import threading
from typing import Any

# How often the child looks whether its owner still runs.
OWNER_POLL_S = 0.5


def owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user took the id: ours is gone
        return False
    return True


def _start_s3(spec: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    from mock_s3 import MockS3

    s3 = MockS3(
        profile=spec["profile"],
        access_key=spec["access_key"],
        secret_key=spec["secret_key"],
        region=spec["region"],
        buckets=[spec["bucket"]],
        enforce_region=spec["enforce_region"],
    )
    s3.start()
    return s3, {"endpoint": s3.endpoint}


def _start_reference(spec: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    from tams_reference.auth import AuthSettings
    from tams_reference.config import S3Settings, ServerConfig
    from tams_reference.server import ReferenceServer, load_validator

    fields = dict(spec["config"])
    fields["auth"] = AuthSettings(**fields.get("auth", {}))
    fields["faults"] = frozenset(fields.get("faults", ()))
    fields["variants"] = frozenset(fields.get("variants", ()))
    config = ServerConfig(**fields)
    load_validator(config)  # compiled (and cached) while the S3 store starts
    line = sys.stdin.readline()
    if not line:
        raise RuntimeError("no S3 settings were given")
    s3 = S3Settings(**json.loads(line)["s3"])
    server = ReferenceServer(ServerConfig(**{**fields, "s3": s3}), host="127.0.0.1", port=0)
    server.start()
    if server.warnings:
        server.stop()
        raise RuntimeError("; ".join(server.warnings))
    return server, {"base_url": server.base_url}


def main() -> int:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        spec = json.loads(sys.stdin.readline())
        owner = int(spec["owner_pid"])
        start = _start_s3 if spec["role"] == "s3" else _start_reference
        part, ready = start(spec)
    except Exception as exc:  # one line for the parent, never a traceback
        print("FAILED " + (str(exc).splitlines() or [type(exc).__name__])[0], flush=True)
        return 3
    try:
        print("READY " + json.dumps(ready), flush=True)
        orphaned = False
        while not stop.wait(OWNER_POLL_S):
            if not owner_alive(owner):
                orphaned = True
                break
    finally:
        part.stop()
    if orphaned and spec.get("run_dir"):  # the owner could not remove the run's folder
        shutil.rmtree(spec["run_dir"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
