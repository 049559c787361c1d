"""Builders for the reference server's tests: an HTTP client, flow bodies, a store world."""

from __future__ import annotations

import os
import uuid
from typing import Any

import requests

from tams_reference import S3Settings, ServerConfig
from tams_reference.media import STORAGE_ID
from tams_reference.store import Store
from tams_spec import get_validator

SPEC_DIR = os.environ.get("TAMS_SPEC_DIR", "/work/shared/tams-api")


class Api:
    """A tiny client: paths relative to the server root, builders for flows and segments.

    Every 2xx JSON answer is checked against the TAMS 8.2 schemas of its operation.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.spec = get_validator("8.2", SPEC_DIR)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, self.base_url + path, timeout=10, **kwargs)
        if response.ok and response.content and method != "HEAD":
            route = path.split("?", 1)[0]
            errors = self.spec.validate_response(
                method, route, response.status_code, response.json()
            )
            assert not errors, f"{method} {route} {response.status_code}: {errors}"
        return response

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


# -- store-level (no HTTP) --------------------------------------------------------------------


class FakeMedia:
    """Stands in for S3: fixed URLs, and a record of the media deletes."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def backend(self) -> dict[str, Any]:
        return {"id": STORAGE_ID, "label": "default", "store_type": "http_object_store"}

    def backends(self) -> list[dict[str, Any]]:
        return [self.backend()]

    def put_url(self, object_id: str, content_type: str) -> dict[str, Any]:
        return {"url": f"http://s3.invalid/{object_id}", "content-type": content_type}

    def get_url(self, object_id: str, storage_id: str = STORAGE_ID) -> dict[str, Any]:
        return {"url": f"http://s3.invalid/{object_id}", "label": "default", "presigned": True}

    def delete(self, object_ids: Any) -> list[str]:
        self.deleted.extend(object_ids)
        return []


class World:
    """A store with builders, a snapshot of every table, and an orphan finder."""

    def __init__(self, **config: Any) -> None:
        self.media = FakeMedia()
        s3 = S3Settings("http://s3.invalid", "K", "S")
        self.store = Store(ServerConfig(s3=s3, **config), self.media)

    def flow(self, source_id: str | None = None, **fields: Any) -> str:
        body = video_flow(source_id=source_id, **fields)
        self.store.put_flow(body["id"], body)
        return body["id"]

    def segments(self, flow_id: str, count: int, first_second: int = 0) -> list[str]:
        """``count`` one-second segments from ``first_second`` on new objects; their ids."""
        objects = [o["object_id"] for o in self.store.allocate_storage(flow_id, {"limit": count})]
        for i, object_id in enumerate(objects):
            self.share(object_id, flow_id, f"[{first_second + i}:0_{first_second + i + 1}:0)")
        return objects

    def share(self, object_id: str, flow_id: str, timerange: str) -> None:
        self.store.post_segments(flow_id, {"object_id": object_id, "timerange": timerange})

    def timeranges(self, flow_id: str) -> list[str]:
        page, _ = self.store.list_segments(flow_id, limit=1000)
        return [segment["timerange"] for segment in page.items]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.store.db.read() as conn:
            return {
                table: sorted(tuple(row) for row in conn.execute(f"SELECT * FROM {table}"))
                for table in ("sources", "flows", "segments", "objects", "object_refs")
            }

    def orphans(self) -> dict[str, list[str]]:
        return orphans(self.store)


ORPHAN_QUERIES = {
    "flows without source": "SELECT id FROM flows WHERE source_id NOT IN (SELECT id FROM sources)",
    "segments without flow": "SELECT object_id FROM segments WHERE flow_id NOT IN "
    "(SELECT id FROM flows)",
    "segments without object": "SELECT object_id FROM segments WHERE object_id NOT IN "
    "(SELECT id FROM objects)",
    "objects listing a deleted flow": "SELECT object_id FROM object_refs WHERE flow_id NOT IN "
    "(SELECT id FROM flows)",
}


def orphans(store: Store) -> dict[str, list[str]]:
    """Rows whose parent is gone: what a conformant server never leaves behind."""
    with store.db.read() as conn:
        found = {name: [r[0] for r in conn.execute(sql)] for name, sql in ORPHAN_QUERIES.items()}
    return {name: ids for name, ids in found.items() if ids}
