"""Find the TAMS spec files of a version: explicit folder, TAMS_SPEC_DIR, user cache, download.

The project never ships a copy of the spec. Users point at one (a folder holding ``<version>/``
subfolders, each a copy of bbc/tams ``api/``), or the kit downloads bbc/tams at a pinned commit
once into a per-user cache, verified against a pinned tree digest (see ``tams_spec.fetch``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from tams_spec.errors import SpecUnavailable
from tams_spec.fetch import YAML_NAME, DownloadFailed, fetch_into_cache, verify_tree

SUPPORTED_VERSIONS: tuple[str, ...] = ("7.0", "8.0", "8.1", "8.2")

PINNED_COMMITS: Mapping[str, str] = MappingProxyType(
    {
        "7.0": "b831a151564ecb6518f454933878895c62cff457",
        "8.0": "b386c43f97f05274d838066c62eb1d9dad351ea6",
        "8.1": "98d307b09b5ebf79278aa7d3aad53295154e2c17",
        "8.2": "34fb31b80cb8afb3194f28c8b787301379caacf8",
    }
)

# sha256 of the SHA256SUMS-style manifest of each pinned commit's api/ folder (fetch.manifest).
TREE_DIGESTS: Mapping[str, str] = MappingProxyType(
    {
        "7.0": "bd58c318253577cddaee0cfcff9cfc5209b3521b6ecf38c288299a8f4e6e4b4a",
        "8.0": "7eac78eec8e8a39bc97f304ab93fba0ab327b34d3e0a8a66c599bd0f63091edc",
        "8.1": "7fd392832278964c8ea0653a8ecee7b6e048a8e7f26df7322c0975d43fe57557",
        "8.2": "308172b223b7146c6bc531e4a4162296e415324ebf5359ebf8603d1b78be410b",
    }
)

DEFAULT_URL_TEMPLATE = "https://codeload.github.com/bbc/tams/tar.gz/{commit}"

_VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def _parse(version: str) -> tuple[int, int]:
    match = _VERSION_RE.match(version)
    if not match:
        raise SpecUnavailable(f"TAMS spec version {version!r} is not of the form major.minor")
    return int(match[1]), int(match[2])


def supported_version(version: str) -> str:
    """The newest supported version with the same major that is not newer than version.

    Minor versions only add features, so a server reporting 8.3 is checked against 8.2.
    """
    major, minor = _parse(version)
    same_major = [v for v in SUPPORTED_VERSIONS if _parse(v)[0] == major]
    candidates = [v for v in same_major if _parse(v) <= (major, minor)]
    if not candidates:
        raise SpecUnavailable(
            f"TAMS spec {version} is not supported: supported versions are "
            f"{', '.join(SUPPORTED_VERSIONS)} (a folder holding {version}/{YAML_NAME} "
            "given with TAMS_SPEC_DIR or --spec-dir is used as is)"
        )
    return max(candidates, key=_parse)


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The per-user spec cache; its layout is ``<cache>/<commit>/<version>/``."""
    if environ.get("TAMS_SPEC_CACHE"):
        return Path(environ["TAMS_SPEC_CACHE"])
    if environ.get("XDG_CACHE_HOME"):
        base = Path(environ["XDG_CACHE_HOME"])
    else:
        base = Path(environ["HOME"]) / ".cache" if environ.get("HOME") else Path.home() / ".cache"
    return base / "tams-conformance" / "spec"


def _in_explicit_root(root: Path, version: str, label: str) -> Path | None:
    """``root/<version>`` (else ``root/<supported version>``) if it holds the yaml, else None."""
    if not root.is_dir():
        raise SpecUnavailable(
            f"{label} {root}: no such folder (it should hold <version>/{YAML_NAME} folders)"
        )
    if (root / YAML_NAME).is_file():
        raise SpecUnavailable(
            f"{label} {root} holds {YAML_NAME} itself: point it at the folder above, "
            "which holds one <version>/ folder per version"
        )
    names = [version]
    with contextlib.suppress(SpecUnavailable):  # an unknown version may still be in root
        names.append(supported_version(version))
    for name in names:
        if (root / name / YAML_NAME).is_file():
            return root / name
    return None


def locate_spec(
    version: str,
    spec_dir: str | Path | None = None,
    environ: Mapping[str, str] = os.environ,
    allow_download: bool = True,
) -> Path:
    """Return the folder holding the yaml, ``schemas/`` and ``examples/`` of a TAMS version.

    Order: spec_dir, then $TAMS_SPEC_DIR (both used as is, not digest-verified, so a dev copy
    works), then the verified user cache, then a verified download into that cache.
    """
    _parse(version)
    searched = []
    for root, label in ((spec_dir, "--spec-dir"), (environ.get("TAMS_SPEC_DIR"), "TAMS_SPEC_DIR")):
        if root:
            found = _in_explicit_root(Path(root), version, label)
            if found is not None:
                return found
            searched.append(f"{label} {root}")
    known = supported_version(version)
    commit = PINNED_COMMITS[known]
    commit_dir = cache_root(environ) / commit
    if (commit_dir / known / YAML_NAME).is_file():
        verify_tree(commit_dir / known, TREE_DIGESTS[known], f"TAMS spec {known} cache")
        return commit_dir / known
    if not allow_download:
        reason = "download disabled"
    else:
        template = environ.get("TAMS_SPEC_URL_TEMPLATE") or DEFAULT_URL_TEMPLATE
        url = template.replace("{commit}", commit)
        try:
            return fetch_into_cache(url, commit_dir, known, TREE_DIGESTS[known])
        except DownloadFailed as exc:
            reason = f"network error: {exc}"
        except OSError as exc:
            reason = f"cannot write the cache {commit_dir}: {exc}; set TAMS_SPEC_CACHE"
    reason = " ".join(reason.split())  # keep the message on one line
    where = f" in {' or '.join(searched)}" if searched else ""
    raise SpecUnavailable(
        f"TAMS spec {version} not found{where}: set TAMS_SPEC_DIR to a folder holding "
        f"{known}/{YAML_NAME} (a checkout of bbc/tams api/ per version), pass --spec-dir, "
        f"or allow the download of bbc/tams@{commit[:7]} ({reason})"
    )
