"""The reference store's listing filters in SQL: tag and membership tables kept by triggers."""

from __future__ import annotations

from tests.reference.refkit import World


def ids(page) -> set[str]:
    return {item["id"] for item in page.items}


def test_tag_filters_match_values_array_elements_and_presence():
    world = World()
    red = world.flow(tags={"colour": "red"})
    multi = world.flow(tags={"colour": ["blue", "green"], "empty": []})
    bare = world.flow(tags={})
    store = world.store
    assert ids(store.list_flows(tags={"colour": ["red"]}, limit=10)) == {red}
    assert ids(store.list_flows(tags={"colour": ["green", "x"]}, limit=10)) == {multi}
    assert ids(store.list_flows(tags={"colour": ["gre"]}, limit=10)) == set()
    assert ids(store.list_flows(tag_exists={"empty": True}, limit=10)) == {multi}
    assert ids(store.list_flows(tag_exists={"colour": False}, limit=10)) == {bare}
    store.delete_flow_tag(red, "colour")  # the trigger follows every write of the body
    assert ids(store.list_flows(tag_exists={"colour": False}, limit=10)) == {bare, red}


def test_collection_membership_follows_the_collectors_body():
    world = World()
    store = world.store
    a, b = world.flow(), world.flow()
    collector = world.flow(flow_collection=[{"id": a, "role": "x"}, {"id": b}])
    assert store.get_flow(a)["collected_by"] == [collector]
    assert ids(store.list_flows(collected_by_ids=[collector], limit=10)) == {a, b}
    assert ids(store.list_flows(collected_by_ids=[], limit=10)) == {collector}
    store.set_flow_attr(collector, "flow_collection", [{"id": b}])
    assert "collected_by" not in store.get_flow(a)
    assert ids(store.list_flows(collected_by_ids=[collector], limit=10)) == {b}
    with store.db.read() as conn:
        rows = conn.execute("SELECT member_id FROM flow_members").fetchall()
    assert [row[0] for row in rows] == [b]


def test_sources_filters_and_inferred_collections():
    world = World()
    store = world.store
    member = world.flow()
    collector = world.flow(flow_collection=[{"id": member, "role": "v"}])
    member_source = store.get_flow(member)["source_id"]
    collector_source = store.get_flow(collector)["source_id"]
    store.set_source_tag(member_source, "colour", "red")
    store.set_source_attr(member_source, "label", "m")
    assert ids(store.list_sources(tags={"colour": ["red"]}, limit=10)) == {member_source}
    assert ids(store.list_sources(label="m", limit=10)) == {member_source}
    assert store.get_source(member_source)["collected_by"] == [collector_source]
    assert store.get_source(collector_source)["source_collection"] == [
        {"id": member_source, "role": "v"}
    ]
    listed = store.list_sources(collected_by_ids=[collector_source], limit=10)
    assert ids(listed) == {member_source}
    assert ids(store.list_sources(collected_by_ids=[], limit=10)) == {collector_source}
