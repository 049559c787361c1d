"""get_urls selection on GET /flows/{flowId}/segments and GET /objects/{objectId}.

Both operations take the same parameters: accept_get_urls (labels; empty: none),
accept_storage_ids (empty: no filtering), presigned, verbose_storage and, from 8.2,
storage_backend_tag.* / storage_backend_tag_exists.*. Each check reads the unfiltered
get_urls first and then asks for a selection, so it judges the filter against what the
server itself lists. Presigned URLs change with every answer (their signature time), so
entries are compared by label, storage id and presigned flag, never by URL.

Where the target registers uncontrolled instances (POST /objects/{id}/instances) the object
gets one more URL, labelled and not presigned, so the filters have something to tell apart.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tams_conformance.client import seg
from tams_conformance.fixtures.factory import new_id
from tams_conformance.levels import MUST, check, note

SEGMENTS = "GET /flows/{flowId}/segments"
OBJECT = "GET /objects/{objectId}"
OPS = (SEGMENTS, OBJECT)
WHERE = pytest.mark.parametrize("where", ["segments", "object"])
# A URL the kit registers as an uncontrolled instance and never fetches.
EXTERNAL = "https://media.invalid/tams-conformance/{}"
PLAIN_KEYS = {"url", "presigned", "label"}


class Served:
    """A flow with one segment; its object perhaps with an uncontrolled instance."""

    def __init__(self, tams, flow_id: str, object_id: str, label: str | None) -> None:
        self.tams, self.flow_id, self.object_id, self.label = tams, flow_id, object_id, label

    def urls(self, where: str, params: dict | None = None) -> list[dict]:
        """get_urls of the segment or of the object under `params` (omitted: [])."""
        if where == "segments":
            response = self.tams.get(f"/flows/{self.flow_id}/segments", params=params)
            assert response.status_code == 200, f"GET segments answered {response.status_code}"
            [item] = response.json()
        else:
            response = self.tams.get(f"/objects/{seg(self.object_id)}", params=params)
            assert response.status_code == 200, (
                f"GET /objects/{{id}} answered {response.status_code}"
            )
            item = response.json()
        return list(item.get("get_urls") or [])


@pytest.fixture
def served(tams, factory) -> Served:
    flow_id = factory.flow()["id"]
    made = factory.segment(flow_id, "[0:0_1:0)")
    label = f"tams-conformance-{new_id()[:8]}"
    response = tams.post(
        f"/objects/{seg(made.object_id)}/instances",
        {"url": EXTERNAL.format(made.object_id), "label": label},
        validate=False,
    )
    if response.status_code != 201:
        note(f"POST /objects/{{id}}/instances answered {response.status_code}: one URL only")
        label = None
    return Served(tams, flow_id, made.object_id, label)


def shape(entries: list[dict]) -> Counter:
    return Counter((e.get("label"), e.get("storage_id"), bool(e.get("presigned"))) for e in entries)


def labels(entries: list[dict]) -> Counter:
    return Counter(e.get("label") for e in entries)


@WHERE
@check(
    "get-urls.accept-get-urls-empty",
    MUST,
    "accept_get_urls: an empty accept_get_urls results in an empty or no get_urls",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?accept_get_urls",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?accept_get_urls",
        "POST /objects/{objectId}/instances",
    ),
)
def test_empty_accept_get_urls_lists_no_url(served, where):
    """MUST: with `accept_get_urls=` the segment (or object) carries no get_urls (empty or
    omitted), where without it it has at least one."""
    assert served.urls(where), "without accept_get_urls there is no get_url to filter"

    got = served.urls(where, {"accept_get_urls": ""})

    assert got == [], f"accept_get_urls= still listed {sorted(labels(got))}"


@WHERE
@check(
    "get-urls.accept-get-urls-labels",
    MUST,
    "accept_get_urls: a comma separated list of labels of get_urls to include",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?accept_get_urls",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?accept_get_urls",
        "POST /objects/{objectId}/instances",
    ),
)
def test_accept_get_urls_lists_exactly_the_urls_with_those_labels(served, where):
    """MUST: for each label the unfiltered get_urls carry (and one no URL carries),
    accept_get_urls=<label> lists exactly the URLs with that label; unlabelled URLs only
    without the parameter."""
    unfiltered = served.urls(where)
    wanted = [label for label in labels(unfiltered) if label is not None]
    if not wanted:
        pytest.skip("n/a: no get_url carries a label")
    for label in [*wanted, f"no-such-label-{new_id()[:8]}"]:
        got = served.urls(where, {"accept_get_urls": label})
        expected = labels([e for e in unfiltered if e.get("label") == label])
        assert labels(got) == expected, (
            f"accept_get_urls={label} listed {dict(labels(got))}, not {dict(expected)}"
        )
    if len(wanted) > 1:
        got = served.urls(where, {"accept_get_urls": ",".join(wanted[:2])})
        expected = labels([e for e in unfiltered if e.get("label") in wanted[:2]])
        assert labels(got) == expected, f"two labels listed {dict(labels(got))}"


@WHERE
@check(
    "get-urls.accept-storage-ids",
    MUST,
    "accept_storage_ids: storage_ids of get_urls to include; empty or omitted: no filtering",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?accept_storage_ids&verbose_storage",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?accept_storage_ids&verbose_storage",
        "POST /objects/{objectId}/instances",
    ),
)
def test_accept_storage_ids_lists_only_urls_of_those_backends(served, where):
    """MUST: (read with verbose_storage=true to see storage ids) accept_storage_ids=<id>
    lists exactly the URLs on that backend, an id no URL has lists none, and an empty
    accept_storage_ids filters nothing."""
    verbose = {"verbose_storage": "true"}
    unfiltered = served.urls(where, verbose)
    ids = sorted({e["storage_id"] for e in unfiltered if e.get("storage_id")})
    if not ids:
        pytest.skip("n/a: no get_url names its storage_id, even with verbose_storage")
    for storage_id in [*ids, new_id()]:
        got = served.urls(where, {**verbose, "accept_storage_ids": storage_id})
        expected = shape([e for e in unfiltered if e.get("storage_id") == storage_id])
        assert shape(got) == expected, (
            f"accept_storage_ids={storage_id} listed {dict(shape(got))}, not {dict(expected)}"
        )
    got = served.urls(where, {**verbose, "accept_storage_ids": ""})
    assert shape(got) == shape(unfiltered), "an empty accept_storage_ids filtered get_urls"


@WHERE
@check(
    "get-urls.presigned-filter",
    MUST,
    "presigned: true lists only presigned URLs, false only non-presigned ones",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?presigned",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?presigned",
        "POST /objects/{objectId}/instances",
    ),
)
def test_presigned_filter_splits_the_urls_by_their_presigned_flag(served, where):
    """MUST: presigned=true lists exactly the URLs whose `presigned` is true and
    presigned=false exactly the others; together they are the unfiltered list."""
    unfiltered = served.urls(where)
    for value in (True, False):
        got = served.urls(where, {"presigned": str(value).lower()})
        expected = labels([e for e in unfiltered if bool(e.get("presigned")) == value])
        assert labels(got) == expected, (
            f"presigned={str(value).lower()} listed {dict(labels(got))}, not {dict(expected)}"
        )
        wrong = [e.get("label") for e in got if bool(e.get("presigned")) != value]
        assert not wrong, f"presigned={str(value).lower()} listed URLs flagged otherwise: {wrong}"


@WHERE
@check(
    "get-urls.verbose-storage",
    MUST,
    "verbose_storage: when false only url, presigned and label are included in get_urls",
    since="8.0",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?verbose_storage",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?verbose_storage",
        "POST /objects/{objectId}/instances",
    ),
)
def test_without_verbose_storage_get_urls_carry_only_url_presigned_label(served, where):
    """MUST: without verbose_storage (and with verbose_storage=false) every get_url carries
    only url, presigned and label; with verbose_storage=true the same URLs are listed."""
    for params in (None, {"verbose_storage": "false"}):
        for entry in served.urls(where, params):
            extra = sorted(set(entry) - PLAIN_KEYS)
            assert not extra, f"get_url '{entry.get('label')}' without verbose carries {extra}"
    plain = served.urls(where)
    verbose = served.urls(where, {"verbose_storage": "true"})
    assert labels(verbose) == labels(plain), "verbose_storage=true changed which URLs are listed"


def tagged_backend(tams, served: Served, where: str) -> tuple[str, str, str]:
    """(storage_id, tag name, tag value) of a backend holding one of the object's URLs."""
    backends = tams.get("/service/storage-backends", validate=False).json()
    tags = {b.get("id"): b.get("tags") or {} for b in backends if isinstance(b, dict)}
    for entry in served.urls(where, {"verbose_storage": "true"}):
        for name, value in tags.get(entry.get("storage_id"), {}).items():
            if isinstance(value, str):
                return entry["storage_id"], name, value
    pytest.skip("n/a: no storage backend holding the object has a tag")


@WHERE
@check(
    "get-urls.storage-backend-tag",
    MUST,
    "storage_backend_tag.{name}, storage_backend_tag_exists.{name}: filter get_urls on the "
    "tags of their storage backends (8.2)",
    since="8.2",
    ops=(
        "PUT /flows/{flowId}",
        "GET /flows/{flowId}/segments?storage_backend_tag.{name}"
        "&storage_backend_tag_exists.{name}&verbose_storage",
        "POST /flows/{flowId}/segments",
        "POST /flows/{flowId}/storage",
        "GET /objects/{objectId}?storage_backend_tag.{name}"
        "&storage_backend_tag_exists.{name}&verbose_storage",
        "POST /objects/{objectId}/instances",
        "GET /service/storage-backends",
    ),
)
def test_storage_backend_tag_filters_keep_only_urls_of_matching_backends(tams, served, where):
    """MUST (8.2+): with a backend tag name=value, storage_backend_tag.name=value lists its
    URLs and only URLs of backends with that tag, another value lists none of them;
    storage_backend_tag_exists.name=true lists them and =false lists none of them."""
    storage_id, name, value = tagged_backend(tams, served, where)
    verbose = {"verbose_storage": "true"}
    backends = tams.get("/service/storage-backends", validate=False).json()
    with_tag = {b["id"] for b in backends if name in (b.get("tags") or {})}
    cases = [
        (f"storage_backend_tag.{name}", value, True),
        (f"storage_backend_tag.{name}", f"not-{value}-{new_id()[:6]}", False),
        (f"storage_backend_tag_exists.{name}", "true", True),
        (f"storage_backend_tag_exists.{name}", "false", False),
    ]
    for key, wanted, listed in cases:
        got = served.urls(where, {**verbose, key: wanted})
        ids = {e.get("storage_id") for e in got}
        assert (storage_id in ids) == listed, (
            f"{key}={wanted} {'left out' if listed else 'listed'} the URL on backend "
            f"{storage_id} (tag {name}={value})"
        )
        if key.endswith(f"tag.{name}") and listed:
            assert ids <= with_tag, f"{key}={wanted} listed URLs of untagged backends {ids}"
