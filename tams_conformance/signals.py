"""SIGTERM and SIGHUP stop a run the way Ctrl-C does; a second signal stops it at once.

CI cancels a job, `timeout` ends a command and Kubernetes stops a pod with SIGTERM; the
default action would end the process on the spot and leave the run's flows on the target. So
the first SIGINT, SIGTERM or SIGHUP raises KeyboardInterrupt: pytest stops starting checks,
tears down every fixture (the factories delete what they made), the controller sweeps the run's
tag and the reports are written, marked interrupted. Once the run is finishing (cleanup and
reports), a first signal no longer interrupts anything: cleanup must not be cut in half.
Any further signal ends the process at once with exit 3.

Under xdist the controller forwards the signal to its workers, so they stop together; a worker
ignores later signals (the controller decides when to stop at once, and kills them then).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Any

EXIT_NOW = 3
HANDLED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _State:
    def __init__(self) -> None:
        self.installed: dict[int, Any] = {}
        self.received: str | None = None
        self.finishing = False
        self.worker = False
        self.children: set[int] = set()
        self.stderr: int | None = None
        self.owner: object = None


_state = _State()


def install(owner: object = None, *, worker: bool = False) -> bool:
    """Handle SIGINT, SIGTERM and SIGHUP in this process (the main thread only) for `owner`
    (a pytest config). A nested session (pytester in process) leaves the outer one's alone."""
    if _state.installed or threading.current_thread() is not threading.main_thread():
        return False
    _state.__init__()
    _state.worker = worker
    _state.owner = owner
    # The real stderr, kept now: while a check runs pytest captures fd 2, and a message
    # written there would be lost with the check's output.
    with contextlib.suppress(OSError, ValueError):
        _state.stderr = os.dup(sys.stderr.fileno())
    for signum in HANDLED:
        try:
            _state.installed[signum] = signal.signal(signum, _handle)
        except (OSError, ValueError):  # not allowed here (embedded interpreters)
            continue
    return True


def uninstall(owner: object = None) -> None:
    """Restore the handlers that were there before `install` (`received` stays readable)."""
    if owner is not _state.owner:
        return
    for signum, previous in _state.installed.items():
        try:
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        except (OSError, ValueError):
            continue
    _state.installed.clear()
    _state.children.clear()
    _state.owner = None
    if _state.stderr is not None:
        with contextlib.suppress(OSError):
            os.close(_state.stderr)
        _state.stderr = None


def received(owner: object = None) -> str | None:
    """The name of the first signal that interrupted this run ("SIGTERM"), or None; with an
    `owner`, only when the handlers are that session's."""
    if owner is not None and owner is not _state.owner:
        return None
    return _state.received


def finishing(owner: object = None) -> None:
    """The run is cleaning up and writing reports: a first signal no longer interrupts."""
    if owner is _state.owner:
        _state.finishing = True


def add_children(pids: Iterable[int]) -> None:
    """Worker processes (xdist) that a signal to this controller is forwarded to."""
    _state.children.update(pids)


def _handle(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if _state.received is None:
        _state.received = name
        _forward(signum)
        if _state.finishing:
            _say(f"{name} received while cleaning up; finishing (send it again to stop now)")
            return
        if not _state.worker:
            _say(f"{name} received: stopping, removing what the run made, writing reports")
        raise KeyboardInterrupt(name)
    if _state.worker:
        return  # the controller stops the workers when it stops at once
    _say(f"second signal ({name}): stopping at once; the run may leave resources on the target")
    _forward(signal.SIGKILL if hasattr(signal, "SIGKILL") else signum)
    for signum_ in HANDLED:
        signal.signal(signum_, signal.SIG_DFL)
    os._exit(EXIT_NOW)


def _forward(signum: int) -> None:
    for pid in list(_state.children):
        try:
            os.kill(pid, signum)
        except OSError:
            _state.children.discard(pid)


def _say(text: str) -> None:
    # os.write: a handler may run while sys.stderr is mid-write (print would raise re-entrantly)
    fd = _state.stderr if _state.stderr is not None else 2
    with contextlib.suppress(OSError, ValueError):
        os.write(fd, f"\ntams-conformance: {text}\n".encode())


def xdist_worker_pid(node: Any) -> int | None:
    """The process id of an xdist worker (a popen gateway), if execnet exposes it."""
    popen = getattr(getattr(getattr(node, "gateway", None), "_io", None), "popen", None)
    pid = getattr(popen, "pid", None)
    return pid if isinstance(pid, int) else None
