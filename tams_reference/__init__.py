"""The embedded reference TAMS server of tams-conformance (the suite's default target).

It is a server, not a fixture: it never imports ``tams_conformance``
(the harness, its checks and fixtures).

Names are loaded on first use: the kit's client reads only ``tams_reference.faults`` and
``variants`` (to check a target's settings) and should not import the server (boto3,
werkzeug, the spec's validators) for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tams_reference.config import S3Settings, ServerConfig
    from tams_reference.faults import FAULTS
    from tams_reference.server import ReferenceServer

__all__ = ["FAULTS", "ReferenceServer", "S3Settings", "ServerConfig"]
_HOMES = {
    "FAULTS": "tams_reference.faults",
    "ReferenceServer": "tams_reference.server",
    "S3Settings": "tams_reference.config",
    "ServerConfig": "tams_reference.config",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'tams_reference' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
