"""Fixtures for the reference server's own tests: a strict mock S3 and servers on 127.0.0.1:0."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tams_reference import ReferenceServer, S3Settings, ServerConfig

SPEC_DIR = os.environ.get("TAMS_SPEC_DIR", "/work/shared/tams-api")


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


class Api:
    """A tiny client: JSON in and out, paths relative to the server root, plus builders."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_flow(self, source_id: str | None = None, **fields: Any) -> dict[str, Any]:
        body = video_flow(source_id=source_id, **fields)
        response = self.put(f"/flows/{body['id']}", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def allocate(self, flow_id: str, count: int = 1) -> list[dict[str, Any]]:
        response = self.post(f"/flows/{flow_id}/storage", json={"limit": count})
        assert response.status_code == 201, response.text
        return response.json()["media_objects"]

    def add_segment(self, flow_id: str, object_id: str, timerange: str) -> None:
        body = {"object_id": object_id, "timerange": timerange}
        response = self.post(f"/flows/{flow_id}/segments", json=body)
        assert response.status_code == 201, response.text

    def flow_with_segments(
        self, count: int, source_id: str | None = None
    ) -> tuple[dict[str, Any], list[str]]:
        """A flow with ``count`` one-second segments, each on its own new object."""
        flow = self.create_flow(source_id=source_id)
        objects = [item["object_id"] for item in self.allocate(flow["id"], count)]
        for second, object_id in enumerate(objects):
            self.add_segment(flow["id"], object_id, f"[{second}:0_{second + 1}:0)")
        return flow, objects


def video_flow(source_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid H.264 video flow body (flow-put.json) with fresh uuid4 ids."""
    return {
        "id": str(uuid.uuid4()),
        "source_id": source_id or str(uuid.uuid4()),
        "format": "urn:x-nmos:format:video",
        "codec": "video/h264",
        "container": "video/mp2t",
        "essence_parameters": {
            "frame_width": 1920,
            "frame_height": 1080,
            "frame_rate": {"numerator": 25, "denominator": 1},
        },
        **fields,
    }
