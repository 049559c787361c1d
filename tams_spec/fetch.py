"""Fetch, extract and verify the bbc/tams ``api/`` folder (the spec files of one version).

Only the files validation needs are ever read or written: the OpenAPI yaml and the JSON files
directly under ``schemas/`` and ``examples/``. A version folder is identified by its "tree
digest": the sha256 of its manifest, the ``sha256sum``-style listing of those files sorted by
relative path. A verified copy keeps its manifest as ``SHA256SUMS`` so that a later mismatch can
name the file that changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO

from tams_spec.errors import SpecIntegrityError


class DownloadFailed(Exception):
    """The archive could not be fetched (network, HTTP or URL error); the message says why."""


YAML_NAME = "TimeAddressableMediaStore.yaml"
MANIFEST_NAME = "SHA256SUMS"
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 60.0


def spec_files(version_dir: Path) -> list[str]:
    """Relative paths (posix, sorted) of the files that make up a spec version folder."""
    names = [YAML_NAME] if (version_dir / YAML_NAME).is_file() else []
    for sub in ("schemas", "examples"):
        folder = version_dir / sub
        if folder.is_dir():
            names += [f"{sub}/{p.name}" for p in folder.glob("*.json") if p.is_file()]
    return sorted(names)


def manifest(version_dir: Path) -> str:
    """The ``sha256sum``-style listing of the spec files of a version folder."""
    lines = []
    for rel in spec_files(version_dir):
        digest = hashlib.sha256((version_dir / rel).read_bytes()).hexdigest()
        lines.append(f"{digest}  {rel}\n")
    return "".join(lines)


def tree_digest(manifest_text: str) -> str:
    return hashlib.sha256(manifest_text.encode()).hexdigest()


def verify_tree(version_dir: Path, expected: str, what: str) -> None:
    """Raise SpecIntegrityError naming the changed file if the folder's digest is not expected."""
    current = manifest(version_dir)
    if tree_digest(current) == expected:
        return
    detail = _manifest_difference(version_dir / MANIFEST_NAME, current, expected)
    raise SpecIntegrityError(
        f"{what} {version_dir} does not match its pinned digest ({detail}): "
        f"delete {version_dir} to fetch it again"
    )


def _manifest_difference(recorded_path: Path, current: str, expected: str) -> str:
    """Name the first file that differs from the manifest recorded when the copy was verified."""
    try:
        recorded = recorded_path.read_text()
    except OSError:
        return f"no {MANIFEST_NAME} to compare with"
    if tree_digest(recorded) != expected:
        return f"{MANIFEST_NAME} itself was changed"
    want = _parse_manifest(recorded)
    have = _parse_manifest(current)
    for rel in sorted(want.keys() | have.keys()):
        if rel not in have:
            return f"{rel} is missing"
        if rel not in want:
            return f"{rel} is unexpected"
        if want[rel] != have[rel]:
            return f"{rel} was changed"
    return "unknown difference"


def _parse_manifest(text: str) -> dict[str, str]:
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in text.splitlines())}


def download(url: str, dest: IO[bytes]) -> None:
    """Copy the archive at url into dest; DownloadFailed on any network, HTTP or URL error.

    Errors writing dest (a full disk) are not network errors and propagate as OSError.
    """
    import http.client  # imported here: costly and only needed on a cache miss
    import urllib.request

    network_errors = (OSError, ValueError, http.client.HTTPException)
    try:
        response = urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S)
    except network_errors as exc:
        raise DownloadFailed(f"{url}: {exc}") from exc
    with response:
        total = 0
        while True:
            try:
                chunk = response.read(1 << 16)
            except network_errors as exc:
                raise DownloadFailed(f"{url}: {exc}") from exc
            if not chunk:
                return
            total += len(chunk)
            if total > MAX_ARCHIVE_BYTES:
                raise DownloadFailed(f"{url} is larger than {MAX_ARCHIVE_BYTES} bytes")
            dest.write(chunk)


def _api_relpath(member_name: str) -> str | None:
    """``<top>/api/<spec file>`` -> ``<spec file>``; None for members we do not extract."""
    parts = PurePosixPath(member_name).parts
    if len(parts) == 3 and parts[1:] == ("api", YAML_NAME):
        return YAML_NAME
    if len(parts) == 4 and parts[1] == "api" and parts[2] in ("schemas", "examples"):
        return f"{parts[2]}/{parts[3]}" if parts[3].endswith(".json") else None
    return None


def extract_api(archive: IO[bytes], dest: Path, url: str) -> None:
    """Write the spec files of a bbc/tams tarball into dest, refusing anything unsafe.

    Files are written by our own code (never ``TarFile.extract``) to paths we build, so a
    hostile member name cannot escape dest; links and absolute or ``..`` names are refused.
    """
    with tarfile.open(fileobj=archive, mode="r:gz") as tar:
        for member in tar:
            rel = _api_relpath(member.name)
            if rel is None:
                continue
            top = PurePosixPath(member.name).parts[0]
            if member.name.startswith("/") or top in (".", "..") or ".." in rel.split("/"):
                raise SpecIntegrityError(f"archive {url} has an unsafe member {member.name!r}")
            if not member.isfile():
                raise SpecIntegrityError(f"archive {url} has a link or special file {member.name}")
            source = tar.extractfile(member)
            if source is None:
                raise SpecIntegrityError(f"archive {url}: cannot read {member.name}")
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with source, open(target, "xb") as out:
                shutil.copyfileobj(source, out)
    if not (dest / YAML_NAME).is_file():
        raise SpecIntegrityError(f"archive {url} has no */api/{YAML_NAME}")


def fetch_into_cache(url: str, commit_dir: Path, version: str, expected: str) -> Path:
    """Download, verify and publish ``commit_dir/version`` atomically; return that folder.

    Concurrent processes (xdist workers) may all download: each builds its copy in a private
    temporary folder and renames it into place; a rename onto an existing copy fails and the
    loser keeps the winner's copy.
    """
    commit_dir.mkdir(parents=True, exist_ok=True)
    final = commit_dir / version
    scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=commit_dir))
    try:
        staged = scratch / version
        staged.mkdir()
        with tempfile.TemporaryFile(dir=scratch) as archive:
            download(url, archive)
            archive.seek(0)
            try:
                extract_api(archive, staged, url)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise SpecIntegrityError(f"archive {url} is not a readable tar.gz ({exc})") from exc
        listing = manifest(staged)
        if tree_digest(listing) != expected:
            raise SpecIntegrityError(
                f"archive {url} does not match the pinned digest of TAMS spec {version}: "
                "check TAMS_SPEC_URL_TEMPLATE or provide the spec with TAMS_SPEC_DIR"
            )
        (staged / MANIFEST_NAME).write_text(listing)
        try:
            os.rename(staged, final)
        except OSError:
            if not (final / YAML_NAME).is_file():
                raise
        return final
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
