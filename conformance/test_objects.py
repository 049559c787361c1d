"""Objects and their instances: GET/HEAD /objects/{objectId} (paged referenced_by_flows, the
flow_tag filters), POST and DELETE /objects/{objectId}/instances, and segments that register
an object held elsewhere by its get_urls.

Every write is read back: an instance added is listed in the object's get_urls (and the
segment's), one deleted is gone and the others still download.
"""

from __future__ import annotations

import time

import pytest

from tams_conformance.client import seg
from tams_conformance.fixtures.factory import new_id
from tams_conformance.fixtures.presign import describe_answer, fetch
from tams_conformance.levels import MUST, SHOULD, check, unsupported

GET = "GET /objects/{objectId}"
HEAD = "HEAD /objects/{objectId}"
POST = "POST /objects/{objectId}/instances"
DELETE = "DELETE /objects/{objectId}/instances"
EXTERNAL = "https://media.invalid/tams-conformance/{}"


def obj(tams, object_id: str, params: dict | None = None) -> dict:
    response = tams.get(f"/objects/{seg(object_id)}", params=params)
    assert response.status_code == 200, f"GET /objects/{{id}} answered {response.status_code}"
    return response.json()


def urls(tams, object_id: str, params: dict | None = None) -> list[dict]:
    return list(obj(tams, object_id, params).get("get_urls") or [])


def instances(tams, object_id: str):
    return f"/objects/{seg(object_id)}/instances"


def registered(factory) -> tuple[str, str]:
    flow_id = factory.flow()["id"]
    return flow_id, factory.segment(flow_id, "[0:0_1:0)").object_id


def uncontrolled(tams, object_id: str) -> tuple[str, str]:
    """Register an uncontrolled instance (201 expected); its (label, url)."""
    label, url = f"tams-conformance-{new_id()[:8]}", EXTERNAL.format(new_id())
    response = tams.post(instances(tams, object_id), {"url": url, "label": label})
    assert response.status_code == 201, (
        f"POST /objects/{{id}}/instances of an uncontrolled URL answered "
        f"{response.status_code}, not 201"
    )
    return label, url


@check(
    "objects.referenced-by-flows-paging",
    MUST,
    "GET /objects/{objectId}: paging query parameters and headers for the Flow references",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?limit&page",
    ),
)
def test_referenced_by_flows_pages_through_every_flow_once(tams, factory):
    """MUST: an object registered in three flows, read with limit=1 following rel="next",
    lists each flow once over the pages and no page holds more than one."""
    first, object_id = registered(factory)
    flows = [first]
    for _ in range(2):
        flows.append(factory.flow()["id"])
        factory.segment(flows[-1], "[0:0_1:0)", object_id=object_id)

    pages = list(tams.pages(f"/objects/{seg(object_id)}", {"limit": 1}))

    seen = []
    for page in pages:
        assert page.status_code == 200, f"a page answered {page.status_code}"
        refs = page.json()["referenced_by_flows"]
        assert len(refs) <= 1, f"a limit=1 page held {len(refs)} flow references"
        seen.extend(refs)
    assert sorted(seen) == sorted(flows), f"paging gave {seen}, the object is in {flows}"
    assert "next" not in pages[-1].links, "the last page still has a next link"


@check(
    "objects.flow-tag-filter",
    MUST,
    "GET /objects/{objectId} flow_tag.{name}, flow_tag_exists.{name}: filter referenced_by_flows",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?flow_tag.{name}&flow_tag_exists.{name}",
    ),
)
def test_flow_tag_filters_select_the_referencing_flows(tams, factory):
    """MUST (8.0+): an object in flows tagged colour=red and colour=blue and one untagged:
    flow_tag.colour=red lists only the red flow, flow_tag_exists.colour=false only the
    untagged one, flow_tag_exists.colour=true the two tagged ones."""
    name = f"colour{new_id()[:6]}"
    red = factory.flow(tags={name: "red"})["id"]
    object_id = factory.segment(red, "[0:0_1:0)").object_id
    blue = factory.flow(tags={name: "blue"})["id"]
    plain = factory.flow()["id"]
    for flow_id in (blue, plain):
        factory.segment(flow_id, "[0:0_1:0)", object_id=object_id)
    cases = [
        ({f"flow_tag.{name}": "red"}, [red]),
        ({f"flow_tag_exists.{name}": "false"}, [plain]),
        ({f"flow_tag_exists.{name}": "true"}, sorted([red, blue])),
    ]
    for params, expected in cases:
        got = sorted(obj(tams, object_id, params)["referenced_by_flows"])
        assert got == sorted(expected), f"{params} listed {got}, not {sorted(expected)}"
    assert sorted(obj(tams, object_id)["referenced_by_flows"]) == sorted([red, blue, plain])


@check(
    "objects.head-and-unknown-404",
    MUST,
    "HEAD /objects/{objectId} 200 (headers only); GET/HEAD 404: the Object does not exist",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "HEAD /objects/{objectId}",
    ),
)
def test_head_answers_like_get_and_an_unknown_object_is_404(tams, factory):
    """MUST: HEAD of a registered object answers 200 with no body and GET's paging
    headers; GET and HEAD of an object id nobody registered answer 404."""
    _, object_id = registered(factory)
    get = tams.get(f"/objects/{seg(object_id)}")

    head = tams.head(f"/objects/{seg(object_id)}")

    assert (get.status_code, head.status_code) == (200, 200)
    assert not head.content, "HEAD answered with a body"
    for name in ("X-Paging-Limit", "Link", "X-Paging-NextKey"):
        assert (name in head.headers) == (name in get.headers), f"HEAD and GET differ on {name}"
    missing = f"/objects/{seg(new_id())}"
    assert tams.get(missing).status_code == 404
    assert tams.head(missing).status_code == 404


@check(
    "objects.instance-uncontrolled-listed",
    MUST,
    "POST /objects/{objectId}/instances 201: add a new uncontrolled URL to get_urls",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?verbose_storage",
        "POST /objects/{objectId}/instances",
    ),
)
def test_uncontrolled_instance_is_listed_in_get_urls_of_object_and_segment(tams, factory):
    """MUST (8.0+): POST {url, label} answers 201; the object's and its segment's get_urls
    then list that URL with that label, not as a controlled URL, next to the ones before."""
    flow_id, object_id = registered(factory)
    before = len(urls(tams, object_id))

    label, url = uncontrolled(tams, object_id)

    for where, got in (
        ("GET /objects/{id}", urls(tams, object_id, {"verbose_storage": "true"})),
        ("GET segments", tams.get(f"/flows/{flow_id}/segments").json()[0].get("get_urls") or []),
    ):
        mine = [e for e in got if e.get("url") == url]
        assert [e.get("label") for e in mine] == [label], f"{where} lists {got}, not {url}"
        assert len(got) == before + 1, f"{where} lists {len(got)} URLs, not {before + 1}"
    [entry] = [e for e in urls(tams, object_id, {"verbose_storage": "true"}) if e["url"] == url]
    assert entry.get("controlled") is False, f"the uncontrolled URL reads as {entry}"


BAD_BODIES = [
    ("uncontrolled-without-label", {"url": EXTERNAL.format("x")}),
    ("empty", {}),
    ("storage-id-not-uuid", {"storage_id": "not-a-uuid"}),
]


@pytest.mark.parametrize("body", [pytest.param(b, id=case) for case, b in BAD_BODIES])
@check(
    "objects.instance-invalid-400",
    MUST,
    "POST /objects/{objectId}/instances 400; objects-instances-post.json (url needs label)",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "POST /objects/{objectId}/instances",
    ),
)
def test_invalid_instance_body_is_400_and_adds_nothing(tams, factory, body):
    """MUST (8.0+): an uncontrolled URL without a label, an empty body or a storage_id that
    is no uuid answers 400, and the object's get_urls are unchanged."""
    _, object_id = registered(factory)
    before = len(urls(tams, object_id))

    response = tams.post(instances(tams, object_id), body)

    assert response.status_code == 400, f"answered {response.status_code}, not 400"
    assert len(urls(tams, object_id)) == before, "the refused instance was added"


@check(
    "objects.instance-unknown-object-404",
    MUST,
    "POST/DELETE /objects/{objectId}/instances 404, also for an allocated, unregistered id (8.1)",
    since="8.1",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/storage",
        "DELETE /objects/{objectId}/instances?label",
        "POST /objects/{objectId}/instances",
    ),
)
def test_instances_of_an_unknown_or_unregistered_object_are_404(tams, factory):
    """MUST (8.1+): POST and DELETE instances of an object id nobody allocated, and of one
    allocated but never registered, answer 404."""
    flow_id = factory.flow()["id"]
    [media] = factory.allocate(flow_id, 1)
    body = {"url": EXTERNAL.format(new_id()), "label": f"tams-conformance-{new_id()[:8]}"}
    for object_id in (new_id(), media["object_id"]):
        post = tams.post(instances(tams, object_id), body)
        delete = tams.delete(instances(tams, object_id), params={"label": body["label"]})
        assert (post.status_code, delete.status_code) == (404, 404), (
            f"POST/DELETE instances of {object_id} answered {post.status_code}/"
            f"{delete.status_code}, not 404/404"
        )


@check(
    "objects.instance-delete-by-label",
    MUST,
    "DELETE /objects/{objectId}/instances?label= 204; one of storage_id or label MUST be given",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}",
        "DELETE /objects/{objectId}/instances?label",
        "POST /objects/{objectId}/instances",
    ),
)
def test_deleting_an_instance_by_label_removes_only_it(tams, factory, runtime):
    """MUST (8.0+): DELETE without storage_id or label answers 400 and removes nothing;
    DELETE ?label=<the uncontrolled one> answers 204, the URL is gone and the URL there was
    before still downloads the object."""
    _, object_id = registered(factory)
    label, url = uncontrolled(tams, object_id)
    count = len(urls(tams, object_id))

    refused = tams.delete(instances(tams, object_id))
    deleted = tams.delete(instances(tams, object_id), params={"label": label})

    assert refused.status_code == 400, f"DELETE with no parameter answered {refused.status_code}"
    assert deleted.status_code == 204, f"DELETE ?label= answered {deleted.status_code}, not 204"
    left = urls(tams, object_id)
    assert url not in [e.get("url") for e in left], "the deleted instance is still listed"
    assert len(left) == count - 1, f"{count - len(left)} URLs went, not 1"
    answer = fetch(left[0], runtime.raw, runtime.transcript)
    assert answer.status_code == 200, f"the remaining URL answered {describe_answer(answer)}"


@check(
    "objects.last-instance-kept",
    SHOULD,
    "DELETE /objects/{objectId}/instances: SHOULD prevent clients from deleting all instances",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?verbose_storage",
        "DELETE /objects/{objectId}/instances?storage_id",
    ),
)
def test_the_last_instance_of_an_object_cannot_be_deleted(tams, factory, runtime):
    """SHOULD (8.0+): deleting the only instance of an object (by its label) is refused,
    and the object still has a get_url that downloads it."""
    _, object_id = registered(factory)
    [only] = urls(tams, object_id, {"verbose_storage": "true"})
    if only.get("storage_id"):
        params = {"storage_id": only["storage_id"]}
    elif only.get("label"):
        params = {"label": only["label"]}
    else:
        pytest.skip("n/a: the object's only get_url has neither storage_id nor label")

    response = tams.delete(instances(tams, object_id), params=params)

    assert not 200 <= response.status_code < 300, (
        f"deleting the last instance ({params}) answered {response.status_code}"
    )
    [left] = urls(tams, object_id)
    answer = fetch(left, runtime.raw, runtime.transcript)
    assert answer.status_code == 200, f"the kept URL answered {describe_answer(answer)}"


@check(
    "objects.instance-controlled-copy",
    MUST,
    "POST /objects/{objectId}/instances {storage_id}: copy to a new Storage Backend, "
    "advertised in get_urls once ready; DELETE ?storage_id= 204",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?verbose_storage",
        "DELETE /objects/{objectId}/instances?storage_id",
        "POST /objects/{objectId}/instances",
        "GET /service/storage-backends",
    ),
)
def test_controlled_copy_lists_a_url_with_the_same_bytes_and_deletes(
    tams, factory, runtime, target
):
    """MUST (8.0+): POST {storage_id} of a backend without an instance answers 201; within
    the settle time the object lists a URL on that backend returning the same bytes; DELETE
    ?storage_id= then answers 204 and only the original URL is left."""
    flow_id = factory.flow()["id"]
    made = factory.segment(flow_id, "[0:0_1:0)", data=f"copy {new_id()}".encode())
    verbose = {"verbose_storage": "true"}
    held = {e.get("storage_id") for e in urls(tams, made.object_id, verbose)}
    backends = tams.get("/service/storage-backends", validate=False).json()
    others = [b["id"] for b in backends if isinstance(b, dict) and b.get("id") not in held]
    if not others:
        pytest.skip("n/a: no storage backend without an instance of the object")

    response = tams.post(instances(tams, made.object_id), {"storage_id": others[0]})

    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    deadline = time.monotonic() + target.timeouts.settle_s
    while True:
        copies = [
            e for e in urls(tams, made.object_id, verbose) if e.get("storage_id") == others[0]
        ]
        if copies or time.monotonic() > deadline:
            break
        time.sleep(target.timeouts.poll_interval_s)
    assert copies, f"no get_url on backend {others[0]} after {target.timeouts.settle_s} s"
    answer = fetch(copies[0], runtime.raw, runtime.transcript)
    assert answer.status_code == 200, f"the copy's URL answered {describe_answer(answer)}"
    assert answer.content == made.data, "the copy does not hold the object's bytes"
    deleted = tams.delete(instances(tams, made.object_id), params={"storage_id": others[0]})
    assert deleted.status_code == 204, f"DELETE ?storage_id= answered {deleted.status_code}"
    assert {e.get("storage_id") for e in urls(tams, made.object_id, verbose)} == held


@check(
    "objects.external-get-urls",
    MUST,
    "POST /flows/{flowId}/segments: a service MAY support Media Objects in external storage; "
    "the Flow Segment may then require get_urls",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments",
        "POST /flows/{flowId}/segments",
        "GET /objects/{objectId}",
    ),
)
def test_segment_of_an_external_object_keeps_its_get_urls(tams, factory):
    """MUST where supported (a MAY): a segment naming an object id the store never
    allocated, with get_urls giving where it is, answers 201 (or 400: unsupported); GET
    segments then lists that URL with its label, and the object lists the flow."""
    flow_id = factory.flow()["id"]
    object_id, label = new_id(), f"tams-conformance-{new_id()[:8]}"
    url = EXTERNAL.format(object_id)
    body = {
        "object_id": object_id,
        "timerange": "[0:0_1:0)",
        "get_urls": [{"url": url, "label": label}],
    }

    response = tams.post(f"/flows/{flow_id}/segments", body)

    if response.status_code == 400:
        unsupported("the target refuses segments of objects held in external storage")
    assert response.status_code == 201, f"answered {response.status_code}, not 201"
    [item] = tams.get(f"/flows/{flow_id}/segments").json()
    listed = [(e.get("url"), e.get("label")) for e in item.get("get_urls") or []]
    assert (url, label) in listed, f"the segment lists get_urls {listed}, not {url}"
    answer = tams.get(f"/objects/{seg(object_id)}")
    if answer.status_code == 200:
        assert flow_id in answer.json()["referenced_by_flows"]
