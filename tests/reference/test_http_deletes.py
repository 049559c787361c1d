"""The delete matrix over HTTP, in both delete modes: status, then the state after it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest

from tams_reference import ReferenceServer, ServerConfig
from tests.reference.refkit import SPEC_DIR, Api

DONE = "done"  # 204 in sync mode, 202 + a request that reaches done in async mode


@dataclass
class Scene:
    """Source S with flow A (lone objects L1, L2 and object X) and empty flow B; flow O
    (another source) also uses X."""

    source: str
    a: str
    b: str
    other: str
    lone: list[str]
    shared: str


def build_scene(api) -> Scene:
    a, objects = api.flow_with_segments(3)
    b = api.create_flow(source_id=a["source_id"])
    other = api.create_flow()
    api.add_segment(other["id"], objects[2], "[0:0_1:0)")
    return Scene(a["source_id"], a["id"], b["id"], other["id"], objects[:2], objects[2])


def snapshot(api, scene: Scene) -> dict:
    """Everything a delete could touch, as the API shows it."""
    state = {}
    for flow_id in (scene.a, scene.b, scene.other):
        response = api.get(f"/flows/{flow_id}")
        segments = api.get(f"/flows/{flow_id}/segments").json()
        state[flow_id] = response.status_code, [s["timerange"] for s in segments]
    for object_id in (*scene.lone, scene.shared):
        response = api.get(f"/objects/{object_id}")
        refs = sorted(response.json()["referenced_by_flows"]) if response.ok else None
        state[object_id] = response.status_code, refs
    state[scene.source] = api.get(f"/sources/{scene.source}").status_code
    return state


def gone_flow(state, flow_id):
    state[flow_id] = 404, []


def gone_object(state, object_id):
    state[object_id] = 404, None


def after_flow_a_goes(s: Scene, state: dict) -> None:
    gone_flow(state, s.a)
    for object_id in s.lone:
        gone_object(state, object_id)
    state[s.shared] = 200, [s.other]


def after_source_goes(s: Scene, state: dict) -> None:
    after_flow_a_goes(s, state)
    gone_flow(state, s.b)
    state[s.source] = 404


def after_segments_of_a_go(s: Scene, state: dict) -> None:
    state[s.a] = 200, []
    for object_id in s.lone:
        gone_object(state, object_id)
    state[s.shared] = 200, [s.other]


def after_lone_segments_of_a_go(s: Scene, state: dict) -> None:
    state[s.a] = 200, ["[2:0_3:0)"]
    for object_id in s.lone:
        gone_object(state, object_id)


def unchanged(s: Scene, state: dict) -> None:
    pass


MISSING = str(uuid.uuid4())

# (target, cascade, expected status, expected state change)
MATRIX = [
    ("/sources/{source}", None, 204, after_source_goes),
    ("/sources/{source}", "true", 204, after_source_goes),
    ("/sources/{source}", "false", 409, unchanged),
    ("/sources/{source}", "maybe", 400, unchanged),
    ("/sources/{missing}", "true", 404, unchanged),
    ("/flows/{a}", None, DONE, after_flow_a_goes),
    ("/flows/{a}", "TRUE", DONE, after_flow_a_goes),
    ("/flows/{a}", "false", 409, unchanged),
    ("/flows/{a}", "maybe", 400, unchanged),
    ("/flows/{b}", "false", DONE, lambda s, state: gone_flow(state, s.b)),
    ("/flows/{missing}", None, 404, unchanged),
    ("/flows/{a}/segments", None, DONE, after_segments_of_a_go),
    ("/flows/{a}/segments", "false", 409, unchanged),
    ("/flows/{a}/segments?timerange=[0:0_2:0)", "false", DONE, after_lone_segments_of_a_go),
    (
        "/flows/{a}/segments?timerange=[0:0_1:500000000)&object_id={lone1}",
        None,
        DONE,
        lambda s, state: state.update(
            {s.a: (200, ["[1:0_2:0)", "[2:0_3:0)"]), s.lone[0]: (404, None)}
        ),
    ),
    ("/flows/{a}/segments?timerange=[0:0_1:500000000)&object_id={lone2}", None, DONE, unchanged),
    ("/flows/{a}/segments?timerange=nonsense", None, 400, unchanged),
    ("/flows/{missing}/segments", None, 404, unchanged),
]


def target_path(template: str, scene: Scene, cascade: str | None) -> str:
    path = template.format(
        source=scene.source,
        a=scene.a,
        b=scene.b,
        missing=MISSING,
        lone1=scene.lone[0],
        lone2=scene.lone[1],
    )
    if cascade is not None:
        path += ("&" if "?" in path else "?") + f"cascade={cascade}"
    return path


def wait_for_request(api, location: str) -> dict:
    for _ in range(100):
        request = api.get(location).json()
        if request["status"] in ("done", "error"):
            return request
        time.sleep(0.02)
    raise AssertionError(f"flow delete request {location} did not finish")


@pytest.fixture(scope="module")
def api_in_mode(s3_settings):
    """One server per delete mode for the whole matrix: every row builds its own scene."""
    servers: dict[str, ReferenceServer] = {}

    def get(mode: str) -> Api:
        if mode not in servers:
            config = ServerConfig(s3=s3_settings, spec_dir=SPEC_DIR, delete_mode=mode)
            servers[mode] = ReferenceServer(config).start()
        return Api(servers[mode].base_url)

    yield get
    for server in servers.values():
        server.stop()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("template", "cascade", "status", "change"), MATRIX)
def test_delete_matrix(api_in_mode, mode, template, cascade, status, change):
    api = api_in_mode(mode)
    scene = build_scene(api)
    expected = snapshot(api, scene)
    change(scene, expected)

    response = api.delete(target_path(template, scene, cascade))

    if status == DONE and mode == "async":
        assert response.status_code == 202, response.text
        assert wait_for_request(api, response.headers["Location"])["status"] == "done"
    else:
        assert response.status_code == (204 if status == DONE else status), response.text
    assert snapshot(api, scene) == expected


def test_async_request_lifecycle_and_listing(make_api):
    api = make_api(delete_mode="async")
    flow, _ = api.flow_with_segments(1)
    response = api.delete(f"/flows/{flow['id']}")
    assert response.status_code == 202
    location = response.headers["Location"]
    assert location.startswith("/flow-delete-requests/")
    accepted = response.json()
    assert accepted["flow_id"] == flow["id"] and accepted["delete_flow"] is True
    assert accepted["timerange_to_delete"] == "_"
    seen = {accepted["status"]}
    while (request := api.get(location).json())["status"] not in ("done", "error"):
        seen.add(request["status"])
        time.sleep(0.01)
    assert request["status"] == "done" and "created" in seen
    assert api.delete(f"/flows/{flow['id']}").status_code == 404
    listed = api.get("/flow-delete-requests").json()
    assert [r["id"] for r in listed] == [accepted["id"]]
    assert api.get(f"/flow-delete-requests/{uuid.uuid4()}").status_code == 404


def test_without_the_extension_sources_cannot_be_deleted_and_cascade_is_ignored(make_api):
    api = make_api(cascade_extension=False)
    scene = build_scene(api)
    response = api.delete(f"/sources/{scene.source}")
    assert response.status_code == 405
    assert api.delete(f"/flows/{scene.a}?cascade=false").status_code == 204
    assert api.get(f"/flows/{scene.a}").status_code == 404
