"""The embedded reference TAMS server of tams-conformance (the suite's default target).

It is a server, not a fixture: it never imports ``tams_conformance``
(the harness, its checks and fixtures).
"""

from tams_reference.config import S3Settings, ServerConfig
from tams_reference.faults import FAULTS
from tams_reference.server import ReferenceServer

__all__ = ["FAULTS", "ReferenceServer", "S3Settings", "ServerConfig"]
