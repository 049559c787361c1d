"""The operation-coverage gate: every operation of every supported spec version is exercised
by a check that applies to that version, or excluded in `coverage.EXCLUDED` with a reason;
every declared operation exists; no exclusion is stale. Read from the checks' declarations."""

from __future__ import annotations

import pytest

from tams_conformance.catalog import collect_checks
from tams_conformance.coverage import EXCLUDED, coverage_of, spec_operations, unknown_ops
from tests.unit.test_gates import needs_spec

VERSIONS = ("7.0", "8.0", "8.1", "8.2")


@pytest.fixture(scope="module")
def checks():
    return collect_checks()


@needs_spec
@pytest.mark.parametrize("version", VERSIONS)
def test_every_operation_is_exercised_or_excluded_with_a_reason(checks, version):
    filled = coverage_of(version, checks, spec_operations(version))
    gaps = [f"{o.method} {o.path}" for o in filled if not o.checks and not o.excluded]
    assert gaps == [], f"TAMS {version}: no check exercises {gaps}; add one or an EXCLUDED entry"


@needs_spec
def test_declared_operations_exist_and_exclusions_are_needed(checks):
    known: dict[str, set[str]] = {}
    for version in VERSIONS:
        for op in coverage_of(version, checks, spec_operations(version)):
            known.setdefault(f"{op.method} {op.path}", set()).update(op.checks)
    assert unknown_ops(checks, set(known)) == []
    for key, reason in EXCLUDED.items():
        assert key in known, f"EXCLUDED names {key}, which no supported version has"
        assert not known[key], f"EXCLUDED {key} is exercised by {sorted(known[key])}: remove it"
        assert len(reason) > 20, f"EXCLUDED {key}: say why no check exercises it"


@needs_spec
def test_at_least_82_of_the_85_operations_of_8_2_are_exercised(checks):
    filled = coverage_of("8.2", checks, spec_operations("8.2"))
    assert len(filled) == 85
    assert sum(1 for o in filled if o.checks) >= 82
