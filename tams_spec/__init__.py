"""The official TAMS API spec (OpenAPI yaml + JSON schemas): locating it and validating with it.

Neutral: used by the conformance harness and by the reference server alike, so it imports
nothing from either. The validator (and jsonschema, ~80 ms to import) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tams_spec.errors import SpecUnavailable
from tams_spec.locate import PINNED_COMMITS, SUPPORTED_VERSIONS, locate_spec, supported_version

if TYPE_CHECKING:
    from tams_spec.validate import SpecValidator, get_validator

__all__ = [
    "PINNED_COMMITS",
    "SUPPORTED_VERSIONS",
    "SpecUnavailable",
    "SpecValidator",
    "get_validator",
    "locate_spec",
    "supported_version",
]

_LAZY = frozenset({"SpecValidator", "get_validator"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from tams_spec import validate

        return getattr(validate, name)
    raise AttributeError(f"module 'tams_spec' has no attribute {name!r}")
