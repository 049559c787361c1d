"""pytest fixtures for mock_s3: a gated S3 endpoint per test session (per xdist worker).

Registered as a pytest11 entry point, so this module is imported by every pytest run in the
environment: it imports nothing heavy until a fixture is actually used.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mock_s3.clock import Clock
    from mock_s3.server import MockS3


def _worker_name(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


@pytest.fixture(scope="session")
def mock_s3(request: pytest.FixtureRequest) -> Iterator[MockS3]:
    """A running strict MockS3 on loopback with one bucket (``mock_s3.bucket``).

    Each xdist worker is its own process and gets its own server, credentials and bucket; the
    bucket name carries the worker id so reports from parallel runs stay readable.
    """
    from mock_s3.server import MockS3

    bucket = f"conformance-{_worker_name(request.config)}-{uuid.uuid4().hex[:8]}"
    with MockS3(profile="strict", buckets=[bucket], host="127.0.0.1", port=0) as s3:
        yield s3


@pytest.fixture
def mock_s3_clock(mock_s3: MockS3) -> Iterator[Clock]:
    """The gate's clock for expiry tests; its offset is reset after the test."""
    yield mock_s3.clock
    mock_s3.clock.reset()
