"""The package boundaries of docs/ARCHITECTURE.md, read from the import statements."""

from __future__ import annotations

import ast

import pytest

from tests.packaging.layout import REPO

OURS = ("tams_conformance", "mock_s3", "tams_reference", "tams_spec")
# folder -> the project packages its modules may import (besides themselves).
MAY_IMPORT = {
    "mock_s3": set(),
    "tams_spec": set(),
    "tams_reference": {"mock_s3", "tams_spec"},
    "fixtures": {"tams_conformance", "mock_s3"},
}


def imported_roots(folder: str) -> dict[str, set[str]]:
    """module path -> the dotted names of project modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = {n for n in names if n.split(".")[0] in OURS}
    return found


@pytest.mark.parametrize("folder", sorted(MAY_IMPORT))
def test_package_imports_stay_inside_its_boundary(folder):
    own = "tams_conformance.fixtures" if folder == "fixtures" else folder
    wrong = {
        module: sorted(
            n for n in names if not n.startswith(own) and n.split(".")[0] not in MAY_IMPORT[folder]
        )
        for module, names in imported_roots(folder).items()
    }
    assert not {m: n for m, n in wrong.items() if n}


def test_fixtures_never_import_the_checks():
    imports = imported_roots("fixtures")
    assert not {m for m, names in imports.items() if any(".checks" in n for n in names)}
