"""Initialisation segments (8.2): content_type on allocation, init_object_id on segments.

A flow with ``essence_parameters.init_segments: true`` (fragmented MP4 here) gets an init object
allocated with its own ``content_type``; its media segments name it as ``init_object_id``, and
segments and objects then show ``init_object``. Init and media objects are not interchangeable.
"""

from __future__ import annotations

from typing import Any

import pytest

from tams_conformance.client import seg
from tams_conformance.errors import HarnessError
from tams_conformance.fixtures.factory import FLOW_TEMPLATES
from tams_conformance.fixtures.presign import describe_answer
from tams_conformance.levels import MUST, SHOULD, blocked, check, note

CONTAINER = "video/mp4"
INIT_TYPE = "application/mp4"  # differs from the container: the case content_type is for
SEGMENTS = "/flows/{flowId}/segments"
STORAGE = "POST /flows/{flowId}/storage"


def init_flow(factory: Any) -> dict[str, Any]:
    essence = {**FLOW_TEMPLATES["video"]["essence_parameters"], "init_segments": True}
    return factory.flow("video", container=CONTAINER, essence_parameters=essence)


def allocate(tams: Any, flow_id: str, content_type: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"limit": 1}
    if content_type is not None:
        body["content_type"] = content_type
    response = tams.post(f"/flows/{flow_id}/storage", body)
    if response.status_code != 201:
        raise blocked(
            "init.allocation-content-type", f"{STORAGE} {body} answered {response.status_code}"
        )
    return response.json()["media_objects"][0]


def uploaded(tams: Any, factory: Any, flow_id: str, content_type: str | None = None) -> str:
    """An object allocated (with ``content_type``) and uploaded; its id."""
    media_object = allocate(tams, flow_id, content_type)
    put = factory.upload(media_object, b"tams-conformance init segment probe")
    if not 200 <= put.status_code < 300:
        raise HarnessError(f"precondition: upload to put_url answered {describe_answer(put)}")
    return media_object["object_id"]


def post_segment(tams: Any, flow_id: str, **body: Any) -> Any:
    return tams.post(f"/flows/{flow_id}/segments", body)


def listed(tams: Any, flow_id: str) -> list[dict[str, Any]]:
    return tams.get(f"/flows/{flow_id}/segments").json()


def media_with_init(tams: Any, factory: Any) -> tuple[str, str, str]:
    """(flow id, media object id, init object id): one segment [0:0_1:0) registered."""
    flow = init_flow(factory)
    init_id = uploaded(tams, factory, flow["id"], INIT_TYPE)
    media_id = uploaded(tams, factory, flow["id"])
    response = post_segment(
        tams, flow["id"], object_id=media_id, init_object_id=init_id, timerange="[0:0_1:0)"
    )
    if response.status_code != 201:
        raise blocked(
            "init.segment-init-object",
            f"POST {SEGMENTS} with init_object_id answered {response.status_code}",
        )
    return flow["id"], media_id, init_id


@check(
    "init.allocation-content-type",
    MUST,
    "flow-storage-post.json content_type: the content_type to use for the Objects; assumed to "
    "be the container of the Flow if not set",
    since="8.2",
    ops=("PUT /flows/{flowId}", "POST /flows/{flowId}/storage"),
)
def test_allocation_content_type_is_the_put_url_content_type(tams, factory):
    """MUST (8.2+): storage allocated with content_type application/mp4 declares that
    content-type on its put_url; storage allocated without one declares the flow's container."""
    flow = init_flow(factory)
    init_object = allocate(tams, flow["id"], INIT_TYPE)
    media_object = allocate(tams, flow["id"])
    declared = init_object["put_url"].get("content-type")
    if declared is None:
        pytest.skip("n/a: the target's put_urls declare no content-type to compare")
    assert declared == INIT_TYPE, (
        f"allocated with content_type {INIT_TYPE}, put_url declares {declared!r}"
    )
    default = media_object["put_url"].get("content-type")
    assert default == CONTAINER, f"allocated without content_type, put_url declares {default!r}"


@check(
    "init.segment-init-object",
    MUST,
    "flow-segment-post.json init_object_id; flow-segment.json init_object; object.json "
    "init_object, timerange MUST NOT be set where the Object contains an init segment",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
    ),
)
def test_segment_with_init_object_id_shows_its_init_object(tams, factory):
    """MUST (8.2+): a segment registered with init_object_id answers 201; GET segments shows
    init_object.object_id; GET /objects of the media object shows init_object.id, and the init
    object has no timerange (when /objects answers)."""
    flow_id, media_id, init_id = media_with_init(tams, factory)
    [segment] = listed(tams, flow_id)
    init = segment.get("init_object") or {}
    assert init.get("object_id") == init_id, f"segment init_object is {init!r}, not {init_id}"
    media = tams.get(f"/objects/{seg(media_id)}")
    if media.status_code != 200:
        note(f"GET /objects/{{id}} answered {media.status_code}: objects not observed")
        return
    assert (media.json().get("init_object") or {}).get("id") == init_id, (
        f"GET /objects/{{media}} init_object is {media.json().get('init_object')!r}"
    )
    init_body = tams.get(f"/objects/{seg(init_id)}").json()
    assert "timerange" not in init_body, f"the init object has a timerange: {init_body}"


def _init_as_media(tams: Any, factory: Any) -> tuple[str, Any]:
    flow_id, _, init_id = media_with_init(tams, factory)
    return flow_id, post_segment(tams, flow_id, object_id=init_id, timerange="[1:0_2:0)")


def _media_as_init(tams: Any, factory: Any) -> tuple[str, Any]:
    flow_id, media_id, _ = media_with_init(tams, factory)
    other = uploaded(tams, factory, flow_id)
    return flow_id, post_segment(
        tams, flow_id, object_id=other, init_object_id=media_id, timerange="[1:0_2:0)"
    )


def _changed_init(tams: Any, factory: Any) -> tuple[str, Any]:
    flow_id, media_id, _ = media_with_init(tams, factory)
    other_init = uploaded(tams, factory, flow_id, INIT_TYPE)
    return flow_id, post_segment(
        tams, flow_id, object_id=media_id, init_object_id=other_init, timerange="[1:0_2:0)"
    )


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(_init_as_media, id="init-object-as-media"),
        pytest.param(_media_as_init, id="media-object-as-init"),
        pytest.param(_changed_init, id="changed-init-object-id"),
    ],
)
@check(
    "init.objects-not-interchangeable",
    SHOULD,
    "flow-segment-post.json: SHOULD reject object_ids previously registered as an "
    "init_object_id, and init_object_ids previously registered as an object_id; "
    "init_object_id SHOULD be omitted where the Object is re-used (object metadata conflict)",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
    ),
)
def test_init_and_media_objects_are_not_interchangeable(tams, factory, attempt):
    """SHOULD (8.2+): registering an init object as a media object, a media object as an init
    object, or a registered media object with a different init_object_id answers 400, and the
    flow keeps its one segment."""
    flow_id, response = attempt(tams, factory)
    assert response.status_code == 400, f"the segment POST answered {response.status_code}"
    ranges = [s["timerange"] for s in listed(tams, flow_id)]
    assert ranges == ["[0:0_1:0)"], f"the refused segment changed the flow's segments: {ranges}"
