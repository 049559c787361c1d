"""pytest side of the sweep (loaded by `tams-conformance run --sweep`): its options, and one
parameter row of `sweep.operation` per operation of the spec versions the kit can read."""

from __future__ import annotations

import pytest

DEFAULT_EXAMPLES = 10
DEFAULT_SECONDS = 30.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tams-conformance")
    group.addoption(
        "--tams-sweep",
        dest="tams_sweep",
        default=None,
        choices=("read", "write"),
        help="sweep every operation with Schemathesis: read-only operations, or writes too",
    )
    group.addoption(
        "--tams-sweep-examples",
        dest="tams_sweep_examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        help=f"generated requests per operation (default {DEFAULT_EXAMPLES})",
    )
    group.addoption(
        "--tams-sweep-seconds",
        dest="tams_sweep_seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"wall-time budget per operation (default {DEFAULT_SECONDS:.0f} s)",
    )


def all_operations(spec_dir: str | None) -> list[str]:
    """ "METHOD /path" of every operation of every supported version found locally (the
    8.2 one at least, downloaded once if need be); a row not in a target's version skips."""
    from tams_conformance.sweep.engine import operations_of, spec_yaml
    from tams_spec import SUPPORTED_VERSIONS, SpecUnavailable

    found: dict[str, None] = {}
    for n, version in enumerate(reversed(SUPPORTED_VERSIONS)):
        try:
            path = spec_yaml(version, spec_dir, download=n == 0)
        except SpecUnavailable:
            continue
        for method, op_path in operations_of(path):
            found.setdefault(f"{method} {op_path}")
    return list(found)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sweep_op" in metafunc.fixturenames:
        ops = all_operations(metafunc.config.getoption("tams_spec_dir", None))
        metafunc.parametrize("sweep_op", ops, ids=ops)
