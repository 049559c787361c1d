"""The reports folder of a run: a safe run id, a folder only this run writes, and an atomic
switch of `reports/latest` once the folder is whole.

Two runs sharing one reports dir never write each other's files: each reserves
`reports/<run-id>/` (an exclusive mkdir) and, at the very end, points `latest` at it with one
rename, so a reader of `latest` sees one complete run or the other, never a mix. A failure to
write (disk full, read-only, a path that is a file) is recorded here, not raised through
pytest, so the run can still clean up the target; the command then exits 3 with one line
naming the path.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import secrets
import shutil
from pathlib import Path

LATEST = "latest"
# A file name on every platform: no separators, no leading dot (so neither "." nor ".." nor a
# hidden name), bounded length; "latest" is the name of the pointer.
RUN_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
STAMP = "%Y%m%dT%H%M%SZ"
_RESERVE_ATTEMPTS = 20
_SWAP_ATTEMPTS = 50  # each failed swap means another run's swap succeeded

_failures: list[str] = []


class RunIdError(ValueError):
    """A --run-id that cannot name a reports folder (exit 2)."""


class ReportWriteError(OSError):
    """Writing a report file failed; `str()` is the one line the user sees."""


def validate_run_id(run_id: str) -> str:
    """`run_id` unchanged when it is a safe folder name, else `RunIdError` naming the rule."""
    if not RUN_ID_RE.fullmatch(run_id) or run_id.lower() == LATEST:
        raise RunIdError(
            f"--run-id {run_id!r} is not a valid run id: use letters, digits, '.', '_' and '-' "
            f"(at most 128, starting with a letter or digit), and not {LATEST!r}"
        )
    return run_id


def new_run_id(now: dt.datetime | None = None) -> str:
    """A default run id: the start time (UTC, to the second) and a random suffix. The time
    lets `cleanup --older-than` age what a run left; the suffix (and the exclusive mkdir of
    `reserve`) keeps runs started in the same second apart."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime(STAMP)
    return f"{stamp}-{secrets.token_hex(4)}"


def started_at(run_id: str) -> dt.datetime | None:
    """The start time a default run id encodes, or None for an id chosen by hand."""
    match = re.match(r"(\d{8}T\d{6}Z)(?:-|$)", run_id)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1), STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def reserve(base: Path, run_id: str | None) -> tuple[str, Path]:
    """Create `base/<run-id>/` exclusively and return (run id, folder).

    A chosen id whose folder exists is a usage error (a run id names one run); a default id
    that collides is drawn again. Raises `RunIdError` or `ReportWriteError`."""
    if run_id is not None:
        validate_run_id(run_id)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the folder should be
        raise write_error(base, NotADirectoryError(errno.ENOTDIR, "not a directory")) from None
    except OSError as exc:
        raise write_error(base, exc) from None
    for _ in range(_RESERVE_ATTEMPTS):
        rid = run_id or new_run_id()
        folder = base / rid
        try:
            folder.mkdir()
        except FileExistsError:
            if run_id is not None:
                raise RunIdError(
                    f"{folder} already exists: a run id names one run; choose another "
                    "--run-id or remove that folder"
                ) from None
            continue
        except OSError as exc:
            raise write_error(folder, exc) from None
        return rid, folder
    raise write_error(base, FileExistsError(errno.EEXIST, "no free run id"))


def write_error(path: Path | str, exc: BaseException) -> ReportWriteError:
    """The one-line error of a report that could not be written."""
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return ReportWriteError(
        f"cannot write reports to {path} ({reason}); free space there or choose another "
        "--reports-dir"
    )


def write_text(path: Path, text: str) -> None:
    """Write a report file whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(path, exc) from None


def point_latest(base: Path, run_id: str, name: str = LATEST) -> None:
    """Make `base/latest` (or `base/<name>`: the audit's `latest-audit`) a whole copy of
    `base/<run-id>`, swapped in by rename.

    The copy is made beside it under a hidden name, then renamed to `latest`; a `latest`
    already there (another run's, or a symlink) is first renamed aside and deleted. So
    `latest` is never half written nor a mix of two runs; a concurrent reader may find it
    missing for a moment. A real folder rather than a symlink: CI artefact uploaders, zip
    tools and Windows do not all follow symlinks."""
    latest, staging = base / name, base / f".{name}-{run_id}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(base / run_id, staging, symlinks=True)
        for attempt in range(_SWAP_ATTEMPTS):
            try:
                os.rename(staging, latest)  # fails while a `latest` is there
                return
            except OSError:
                if attempt + 1 == _SWAP_ATTEMPTS:
                    raise
                _move_aside(base, latest, f"{run_id}-{attempt}")
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise write_error(latest, exc) from None


def _move_aside(base: Path, latest: Path, tag: str) -> None:
    old = base / f".{LATEST}-old-{tag}"
    try:
        os.rename(latest, old)
    except FileNotFoundError:  # another run moved it first: try again
        return
    if old.is_symlink() or not old.is_dir():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)


def record_failure(error: BaseException) -> None:
    """Remember a report that could not be written (the command exits 3 naming it)."""
    line = str(error) if isinstance(error, ReportWriteError) else str(write_error_of(error))
    if line not in _failures:
        _failures.append(line)


def write_error_of(exc: BaseException) -> ReportWriteError:
    return write_error(getattr(exc, "filename", None) or "the reports dir", exc)


def failures() -> list[str]:
    """The report write failures of this process (one line each)."""
    return list(_failures)


def clear_failures() -> None:
    _failures.clear()


def is_write_failure(exc: BaseException) -> bool:
    """An error of writing a file (disk full, read-only, permissions), not a harness bug."""
    return isinstance(exc, ReportWriteError) or (
        isinstance(exc, OSError)
        and exc.errno
        in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM)
    )


def write_failures_in(exc: BaseException) -> list[BaseException] | None:
    """The write failures `exc` consists of (itself, or every leaf of an exception group, as
    pytest raises when several teardowns fail), or None when anything else is in it."""
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for inner in exc.exceptions:
            found = write_failures_in(inner)
            if found is None:
                return None
            leaves += found
        return leaves
    return [exc] if is_write_failure(exc) else None
