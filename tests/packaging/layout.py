"""What the distribution installs, computed from pyproject.toml: shared by the packaging tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The only top-level import names the wheel may install: names of our own that no other PyPI
# distribution uses (`fixtures` and `conformance` are taken, so those folders install under
# tams_conformance).
ALLOWED_TOP_LEVEL = {"tams_conformance", "mock_s3", "tams_reference", "tams_spec"}
# Repository folders that are not part of the distribution.
NOT_SHIPPED = {".venv", ".git", "tests", "benchmarks", "build", "dist", "reports", "docs", ".ci"}


def setuptools_table() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def packages() -> list[str]:
    return list(setuptools_table()["packages"])


def folder_of(package: str) -> Path:
    """The repository folder a package is built from, following [tool.setuptools.package-dir]."""
    mapping: dict[str, str] = setuptools_table().get("package-dir", {})
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in mapping:
            return REPO / mapping[prefix] / Path(*parts[cut:])
    return REPO / Path(*parts)


def source_folders() -> set[Path]:
    """Every folder of the repository that holds Python modules meant for the wheel."""
    found: set[Path] = set()
    for top in REPO.iterdir():  # conftest.py and other files at the root are not packages
        if not top.is_dir() or top.name in NOT_SHIPPED or top.name.startswith("."):
            continue
        for path in top.rglob("*.py"):
            if "__pycache__" not in path.parts:
                found.add(path.resolve().parent)
    return found
