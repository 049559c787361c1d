"""Embedded targets in processes of their own, started once per run and shared by its workers.

The reference server and its mock S3 each run in a child process (`tams_reference.child`), so
a serial run already uses two cores and `-n 2` is not held to one by the GIL. The process
that runs pytest first (the controller: the serial session, or xdist's controller) makes a
private folder (0700) and names it in `$TAMS_EMBEDDED_DIR` before any worker starts. The first
process that needs a target takes `<key>.lock` there, starts its two children and writes
`<key>.json` (0600: the made-up S3 keys and credentials are in it); the others read it. The
controller stops every child at the end of the run (`end`), also after Ctrl-C or SIGTERM; the
children also stop on their own once the controller is gone (`tams_reference.child`), so even
a run killed with SIGKILL leaves no server behind. Started in a session of their own, the
children do not get the terminal's Ctrl-C: the workers' cleanup still reaches them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tams_conformance.config import Target
from tams_conformance.errors import HarnessError
from tams_conformance.redact import register_secrets

DIR_ENV = "TAMS_EMBEDDED_DIR"
OWNER_ENV = "TAMS_EMBEDDED_OWNER"
START_TIMEOUT_S = 90  # a loaded CI runner imports moto and compiles the spec slowly
STOP_TIMEOUT_S = 10
_STASH_KEY = "_tams_embedded_previous"
_started: list[subprocess.Popen] = []  # children of this process, reaped when stopped


@dataclass
class Running:
    """What a process needs to use a running embedded target (the content of `<key>.json`)."""

    base_url: str
    s3_endpoint: str
    access_key: str
    secret_key: str
    region: str
    auth: dict[str, Any]  # the reference's AuthSettings fields (the made-up credentials)
    pids: list[int]

    def register(self) -> None:
        """Every secret of it is redacted from this process's outputs."""
        made_up = (self.auth.get(k) for k in ("token", "password", "client_secret"))
        register_secrets(self.secret_key, *[s for s in made_up if s])


class RemoteS3:
    """The embedded mock S3 as checks see it (`runtime.mock_s3`): its endpoint and a client
    signed with its keys; it runs in another process, which the controller stops."""

    def __init__(self, running: Running) -> None:
        self.endpoint = running.s3_endpoint
        self._running = running
        self._client: Any = None

    @property
    def client(self) -> Any:
        """A boto3 S3 client for this endpoint: SigV4 header-signed, path addressing."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=self._running.access_key,
                aws_secret_access_key=self._running.secret_key,
                region_name=self._running.region,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    retries={"max_attempts": 2, "mode": "standard"},
                ),
            )
        return self._client

    def stop(self) -> None:
        """Nothing to do here: the run's controller stops the shared processes."""


class SharedReference:
    """The embedded reference as `runtime.reference`: shared, stopped by the controller."""

    def __init__(self, running: Running) -> None:
        self.base_url = running.base_url
        self.pids = list(running.pids)

    def stop(self) -> None:
        """Nothing to do here: the run's controller stops the shared processes."""


# The run's folder ---------------------------------------------------------------------------
def begin(config: Any) -> None:
    """In the controller: a fresh folder for this run's embedded targets, named in the
    environment before xdist starts its workers (a nested session keeps the outer one's
    folder for its end, and gets one of its own)."""
    if hasattr(config, "workerinput"):
        return
    previous = (os.environ.get(DIR_ENV), os.environ.get(OWNER_ENV))
    setattr(config, _STASH_KEY, previous)
    os.environ[DIR_ENV] = tempfile.mkdtemp(prefix="tams-embedded-")
    os.environ[OWNER_ENV] = str(os.getpid())


def end(config: Any) -> None:
    """In the controller: stop every embedded process of the run and remove its folder."""
    if not hasattr(config, _STASH_KEY):
        return
    folder = os.environ.get(DIR_ENV)
    if folder:
        stop_all(Path(folder))
        shutil.rmtree(folder, ignore_errors=True)
    for name, value in zip((DIR_ENV, OWNER_ENV), getattr(config, _STASH_KEY), strict=True):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    delattr(config, _STASH_KEY)


def shared_dir() -> Path | None:
    """The run's folder of embedded targets, or None (each target then runs in this process)."""
    folder = os.environ.get(DIR_ENV)
    if not folder or not Path(folder).is_dir():
        return None
    try:
        import fcntl  # noqa: F401  (POSIX: the lock that elects the starting process)
    except ImportError:
        return None
    return Path(folder)


def key_of(target: Target) -> str:
    """One key per embedded configuration: two targets never share a server by name alone."""
    text = json.dumps(
        [target.name, asdict(target.reference), asdict(target.s3)], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def attach(target: Target, folder: Path, spec_root: str, auth: dict[str, Any]) -> Running:
    """The running processes of `target`, started here unless another process already did.

    `auth` is the reference's AuthSettings fields (made-up credentials) used when starting."""
    import fcntl

    key = key_of(target)
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = folder / f"{key}.json"
        if state.exists():
            running = Running(**json.loads(state.read_text()))
        else:
            running = start(target, spec_root, auth, folder / f"{key}.log")
            fd = os.open(state.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(asdict(running), out)
            os.replace(state.with_suffix(".tmp"), state)
    running.register()
    return running


# The processes ------------------------------------------------------------------------------
def start(target: Target, spec_root: str, auth: dict[str, Any], log: Path) -> Running:
    """Start the mock S3 and the reference of `target` as children of this process."""
    import secrets

    from tams_conformance.runtime import EMBEDDED_BUCKET, EMBEDDED_REGION

    access_key = "AKIA" + secrets.token_hex(8).upper()
    secret_key = secrets.token_urlsafe(30)
    register_secrets(secret_key)
    owner = int(os.environ.get(OWNER_ENV) or os.getpid())
    config = {
        "delete_mode": target.reference.delete_mode,
        "cascade_extension": target.reference.cascade_extension,
        "faults": list(target.reference.faults),
        "variants": list(target.reference.variants),
        "spec_dir": spec_root,
        "auth": auth,
    }
    children: list[subprocess.Popen] = []
    try:
        s3 = _spawn(log, children)
        reference = _spawn(log, children)
        _send(
            s3,
            {
                "role": "s3",
                "owner_pid": owner,
                "profile": target.s3.store,
                "access_key": access_key,
                "secret_key": secret_key,
                "region": EMBEDDED_REGION,
                "bucket": EMBEDDED_BUCKET,
                "enforce_region": target.s3.enforce_region,
                "run_dir": str(log.parent),
            },
            close=True,
        )
        run_dir = str(log.parent)
        _send(
            reference,
            {"role": "reference", "owner_pid": owner, "config": config, "run_dir": run_dir},
        )
        endpoint = _ready(target, "mock S3", s3, log)["endpoint"]
        settings = {
            "endpoint": endpoint,
            "access_key": access_key,
            "secret_key": secret_key,
            "bucket": EMBEDDED_BUCKET,
            "region": EMBEDDED_REGION,
        }
        _send(reference, {"s3": settings}, close=True)
        base_url = _ready(target, "reference server", reference, log)["base_url"]
    except BaseException:
        for child in children:
            _terminate(child.pid)
        raise
    return Running(
        base_url=base_url,
        s3_endpoint=endpoint,
        access_key=access_key,
        secret_key=secret_key,
        region=EMBEDDED_REGION,
        auth=auth,
        pids=[c.pid for c in children],
    )


def _spawn(log: Path, children: list[subprocess.Popen]) -> subprocess.Popen:
    with open(log, "ab") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "tams_reference.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,  # the terminal's Ctrl-C is for the run, not its servers
        )
    children.append(child)
    _started.append(child)
    return child


def _send(child: subprocess.Popen, message: dict[str, Any], *, close: bool = False) -> None:
    assert child.stdin is not None
    child.stdin.write(json.dumps(message).encode() + b"\n")
    child.stdin.flush()
    if close:
        child.stdin.close()


def _ready(target: Target, what: str, child: subprocess.Popen, log: Path) -> dict[str, Any]:
    """The child's READY line, or a one-line HarnessError naming what did not start."""
    assert child.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
            raise HarnessError(
                f"target '{target.name}': the embedded {what} did not start within "
                f"{START_TIMEOUT_S} s; is the machine overloaded?"
            )
        chunk = os.read(child.stdout.fileno(), 4096)
        if not chunk:
            break
        line += chunk
    child.stdout.close()
    text = line.decode(errors="replace").strip()
    if text.startswith("READY "):
        return json.loads(text[6:])
    why = text.removeprefix("FAILED ") or _last_line(log) or f"exit {child.poll()}"
    raise HarnessError(f"target '{target.name}': the embedded {what} did not start: {why}")


def _last_line(log: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
        return lines[-1][:300] if lines else ""
    return ""


def stop_all(folder: Path) -> None:
    """Stop every embedded process recorded in `folder` (and any child of this process)."""
    pids: list[int] = []
    for state in folder.glob("*.json"):
        with contextlib.suppress(OSError, ValueError, TypeError):
            pids += json.loads(state.read_text()).get("pids", [])
    pids += [c.pid for c in _started if c.poll() is None]
    for pid in dict.fromkeys(pids):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for pid in dict.fromkeys(pids):
        _wait_gone(pid, deadline)


def _terminate(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    _wait_gone(pid, time.monotonic() + STOP_TIMEOUT_S)


def _wait_gone(pid: int, deadline: float) -> None:
    """Wait until `pid` has exited (reaped when it is a child here), SIGKILL at the deadline."""
    own = next((c for c in _started if c.pid == pid), None)
    while time.monotonic() < deadline:
        if own is not None:
            if own.poll() is not None:
                _started.remove(own)
                return
        elif not _alive(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    if own is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            own.wait(timeout=5)
        _started.remove(own)


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (an exited child of a gone worker may stay a zombie where the
    container's init does not reap it: that one is gone too)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True
