"""The checks of the suite as declared data: collected without running any of them."""

from __future__ import annotations

import contextlib
import io

from tams_conformance.levels import CheckInfo


class CollectionFailed(Exception):
    """pytest could not collect the checks (an import error in a check module)."""


def collect_checks() -> list[CheckInfo]:
    """Every check's declaration (once per check id, parametrised rows folded), sorted by id."""
    import pytest

    from tams_conformance.cli import CHECKS_DIR, _pytest_base
    from tams_conformance.levels import info_of

    found: dict[str, CheckInfo] = {}

    class _Grab:
        def pytest_collection_modifyitems(self, items: list) -> None:
            for item in items:
                info = info_of(item)
                if info and info.id not in found:
                    found[info.id] = info

    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(
            [
                str(CHECKS_DIR),
                *_pytest_base(),
                "-p",
                "tams_conformance.plugin",
                "-p",
                "no:cacheprovider",  # collecting only: nothing to remember
                "--collect-only",
                "-q",
                "--no-reports",
            ],
            plugins=[_Grab()],
        )
    if code not in (0, 5):
        raise CollectionFailed(f"pytest could not collect the checks in {CHECKS_DIR} (exit {code})")
    return [found[k] for k in sorted(found)]
