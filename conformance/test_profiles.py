"""Flow Profiles (8.2): /service/profiles, create-only profiles, and profile_id on flows.

Profiles have no DELETE operation: the profiles these checks create stay on the target, each
labelled and tagged with the run id (the only resources the kit cannot clean up).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tams_conformance.fixtures.factory import RUN_TAG, new_id
from tams_conformance.levels import MUST, blocked, check

PROFILE = "/service/profiles/{profileId}"
METADATA = {
    "format": "urn:x-nmos:format:video",
    "codec": "video/h264",
    "container": "video/mp2t",
    "essence_parameters": {
        "frame_rate": {"numerator": 25, "denominator": 1},
        "frame_width": 1280,
        "frame_height": 720,
    },
}


def profile_body(factory: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": new_id(),
        "label": f"tams-conformance {factory.run_id} {uuid.uuid4().hex[:8]}",
        "tags": {RUN_TAG: factory.run_id},
        "flow_metadata": copy.deepcopy(METADATA),
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def make_profile(tams: Any, factory: Any) -> dict[str, Any]:
    """A profile created on the target, or the check is blocked naming the check that fails."""
    body = profile_body(factory)
    response = tams.post(f"/service/profiles/{body['id']}", body)
    if response.status_code != 201:
        raise blocked("profiles.create-then-get", f"POST {PROFILE} answered {response.status_code}")
    return body


@check(
    "profiles.create-then-get",
    MUST,
    "POST /service/profiles/{profileId} 201; GET /service/profiles/{profileId}; "
    "GET /service/profiles label",
    since="8.2",
    ops=(
        "GET /service/profiles?label",
        "GET /service/profiles/{profileId}",
        "POST /service/profiles/{profileId}",
    ),
)
def test_created_profile_is_read_back_and_listed(tams, factory):
    """MUST (8.2+): POST of a new profile answers 201 with it; GET returns its label, tags and
    flow_metadata, and the listing filtered by its label holds exactly it."""
    body = profile_body(factory)
    response = tams.post(f"/service/profiles/{body['id']}", body)
    assert response.status_code == 201, f"POST {PROFILE} answered {response.status_code}"
    assert response.json()["id"] == body["id"]
    got = tams.get(f"/service/profiles/{body['id']}")
    assert got.status_code == 200, f"GET {PROFILE} of a new profile answered {got.status_code}"
    for key in ("label", "tags", "flow_metadata"):
        assert got.json().get(key) == body[key], f"{key}: POST {body[key]!r}, GET {got.json()}"
    listed = tams.get("/service/profiles", params={"label": body["label"]})
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()] == [body["id"]], "label filter is wrong"


@check(
    "profiles.existing-refused",
    MUST,
    "POST /service/profiles/{profileId}: Services MUST reject requests that would update an "
    "existing Profile; 400 Profile already exists",
    since="8.2",
    ops=("POST /service/profiles/{profileId}", "GET /service/profiles/{profileId}"),
)
def test_posting_an_existing_profile_is_400_and_keeps_it(tams, factory):
    """MUST (8.2+): a second POST of an existing profile id (a changed label and codec) answers
    400, and GET still shows the first version."""
    body = make_profile(tams, factory)
    changed = {**body, "label": "changed by tams-conformance"}
    changed["flow_metadata"] = {**body["flow_metadata"], "codec": "video/h265"}
    response = tams.post(f"/service/profiles/{body['id']}", changed)
    assert response.status_code == 400, f"update of a profile answered {response.status_code}"
    got = tams.get(f"/service/profiles/{body['id']}").json()
    assert got["label"] == body["label"], "the profile was updated"
    assert got["flow_metadata"]["codec"] == body["flow_metadata"]["codec"], "it was updated"


@check(
    "profiles.unknown-id-404",
    MUST,
    "GET /service/profiles/{profileId} 404",
    since="8.2",
    ops=("GET /service/profiles/{profileId}", "HEAD /service/profiles/{profileId}"),
)
def test_unknown_profile_answers_404(tams):
    """MUST (8.2+): GET and HEAD of a profile id that does not exist answer 404."""
    profile_id = new_id()
    assert tams.get(f"/service/profiles/{profile_id}").status_code == 404
    assert tams.head(f"/service/profiles/{profile_id}").status_code == 404


@check(
    "profiles.invalid-body-400",
    MUST,
    "POST /service/profiles/{profileId} 400 (Invalid Profile JSON); schemas/profile.json "
    "required flow_metadata",
    since="8.2",
    ops=("POST /service/profiles/{profileId}", "GET /service/profiles/{profileId}"),
)
def test_profile_without_flow_metadata_is_400_and_not_stored(tams, factory):
    """MUST (8.2+): a profile without flow_metadata answers 400 and nothing is stored."""
    body = profile_body(factory, flow_metadata=None)
    response = tams.post(f"/service/profiles/{body['id']}", body)
    assert response.status_code == 400, f"invalid profile answered {response.status_code}"
    assert tams.get(f"/service/profiles/{body['id']}").status_code == 404, "it was stored"


@check(
    "flows.profile-id-round-trip",
    MUST,
    "flow-put.json profile_id; profile.json flow_metadata: mapped directly to all flows "
    "created using this Profile; flow-get.json profile_id",
    since="8.2",
    ops=("PUT /flows/{flowId}", "GET /flows/{flowId}", "POST /service/profiles/{profileId}"),
)
def test_flow_created_with_a_profile_carries_its_metadata(tams, factory):
    """MUST (8.2+): a flow PUT with only profile_id (no technical metadata) is created (201);
    GET shows the profile_id and the profile's format, codec, container and essence."""
    profile = make_profile(tams, factory)
    body = factory.flow_body("video", source_id=factory.source_id(), profile_id=profile["id"])
    for key in METADATA:
        body.pop(key)
    factory.flows.append(body["id"])
    response = tams.put(f"/flows/{body['id']}", body)
    assert response.status_code == 201, f"PUT of a profile flow answered {response.status_code}"
    got = tams.get(f"/flows/{body['id']}").json()
    assert got.get("profile_id") == profile["id"], f"profile_id lost: {got.get('profile_id')!r}"
    for key in ("format", "codec", "container"):
        assert got.get(key) == METADATA[key], f"{key}: profile {METADATA[key]!r}, flow {got}"
    essence = got.get("essence_parameters", {})
    assert essence.get("frame_width") == 1280, f"essence_parameters not mapped: {essence}"


@check(
    "flows.profile-id-refusals",
    MUST,
    "flow-put.json profile_id: metadata which can be contained in a Profile ... will result "
    "in a 400; a Profile ID that does not exist ... a 400",
    since="8.2",
    ops=("GET /flows/{flowId}", "PUT /flows/{flowId}", "POST /service/profiles/{profileId}"),
)
def test_flow_naming_an_unknown_profile_or_carrying_its_metadata_is_400(tams, factory):
    """MUST (8.2+): PUT /flows/{id} naming a profile that does not exist answers 400, and so
    does one naming an existing profile while carrying a codec; neither flow is stored."""
    profile = make_profile(tams, factory)
    cases = {"unknown profile": (new_id(), {}), "with codec": (profile["id"], {"codec": "x/y"})}
    for what, (profile_id, extra) in cases.items():
        body = factory.flow_body("video", source_id=factory.source_id(), profile_id=profile_id)
        for key in METADATA:
            body.pop(key)
        body.update(extra)
        factory.flows.append(body["id"])
        response = tams.put(f"/flows/{body['id']}", body)
        assert response.status_code == 400, f"flow with {what} answered {response.status_code}"
        assert tams.get(f"/flows/{body['id']}").status_code == 404, f"flow with {what} stored"
