"""mock_s3: an S3 endpoint that verifies presigned and signed requests like a real store.

moto stores the objects; a WSGI gate in front checks SigV4/SigV2 signatures, expiry and unsigned
headers per store profile (lenient, aws, strict). Names are loaded lazily so that importing the
pytest plugin stays cheap.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import Clock
    from .profiles import PROFILES
    from .server import MockS3

__all__ = ["PROFILES", "Clock", "MockS3"]

# A library's logger: silent unless the application (or pytest's log capture) listens. The gate
# logs the traceback of its internal errors there; the request log has the one-line reason.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name == "MockS3":
        from .server import MockS3

        return MockS3
    if name == "Clock":
        from .clock import Clock

        return Clock
    if name == "PROFILES":
        from .profiles import PROFILES

        return PROFILES
    raise AttributeError(f"module 'mock_s3' has no attribute {name!r}")
