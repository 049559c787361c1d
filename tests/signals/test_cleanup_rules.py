"""The rules `cleanup` decides by: ages, run tags and what it prints (no server needed)."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from tams_conformance import cleanup
from tams_conformance.fixtures.factory import RUN_TAG

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "minutes"), [("30m", 30), ("2h", 120), ("1d", 1440), ("1h30m", 90), ("45s", 0.75)]
)
def test_ages_read_as_durations(text, minutes):
    assert cleanup.parse_age(text) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "soon", "2", "h", "-1h", "2 h"])
def test_other_ages_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        cleanup.parse_age(text)


def test_a_default_run_id_gives_its_age_and_a_chosen_one_uses_the_flows_created():
    assert cleanup.age_of("20261201T100000Z-abcd1234", [], NOW) == dt.timedelta(hours=2)
    flows = [
        {"tags": {RUN_TAG: "nightly"}, "created": "2026-12-01T11:00:00Z"},
        {"tags": {RUN_TAG: "nightly"}, "created": "2026-12-01T11:30:00Z"},
        {"tags": {RUN_TAG: "other"}, "created": "2026-11-01T00:00:00Z"},
    ]
    assert cleanup.age_of("nightly", flows, NOW) == dt.timedelta(hours=1)
    assert cleanup.age_of("unknown", flows, NOW) is None


def test_a_run_tag_given_as_an_array_names_its_run():
    assert cleanup.run_of({"tags": {RUN_TAG: ["r1"]}}) == "r1"
    assert cleanup.run_of({"tags": {RUN_TAG: "r2"}}) == "r2"


def test_what_the_server_sent_is_printed_without_control_characters():
    line = cleanup._line(True, True, "flow", "id\x1b[31m", "run\x07", None)
    assert "\x1b" not in line and "\x07" not in line and "\\x1b" in line
