"""Fixtures for the reference server's own tests: a strict mock S3 and servers on 127.0.0.1:0."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tams_reference import ReferenceServer, S3Settings, ServerConfig
from tests.reference.refkit import SPEC_DIR, Api, World


@pytest.fixture(scope="session")
def s3_settings(mock_s3: Any) -> S3Settings:
    return S3Settings(
        mock_s3.endpoint, mock_s3.access_key, mock_s3.secret_key, mock_s3.bucket, mock_s3.region
    )


@pytest.fixture
def make_server(s3_settings: S3Settings) -> Iterator[Callable[..., ReferenceServer]]:
    """Start a reference server with ServerConfig overrides; every one is stopped after the test."""
    started: list[ReferenceServer] = []

    def make(**overrides: Any) -> ReferenceServer:
        config = ServerConfig(s3=s3_settings, spec_dir=SPEC_DIR, **overrides)
        server = ReferenceServer(config, host="127.0.0.1", port=0).start()
        started.append(server)
        return server

    yield make
    for server in reversed(started):
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., ReferenceServer]) -> ReferenceServer:
    return make_server()


@pytest.fixture
def api(server: ReferenceServer) -> Api:
    return Api(server.base_url)


@pytest.fixture
def make_api(make_server: Callable[..., ReferenceServer]) -> Callable[..., Api]:
    """``make_api(**config)`` -> a client of a new server with those ServerConfig overrides."""
    return lambda **config: Api(make_server(**config).base_url)


@pytest.fixture
def world() -> Callable[..., World]:
    """``world(faults=..., delete_mode=...)`` -> a fresh in-memory store."""
    made: list[World] = []

    def make(**config: Any) -> World:
        made.append(World(**config))
        return made[-1]

    yield make
    for each in made:
        each.store.close()
