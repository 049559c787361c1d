"""Choosing variants in targets.yaml: `reference: {variants: [a, b]}` is validated on load
(unknown names are a one-line ConfigError naming the known ones) and reaches the embedded
reference server's ServerConfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from tams_conformance.config import ConfigError, load_targets_file, select_targets
from tams_conformance.runtime import start_embedded
from tests.reference.refkit import SPEC_DIR


def target_of(tmp_path: Path, reference: str):
    path = tmp_path / "targets.yaml"
    path.write_text(f"targets:\n  ref:\n    embedded: true\n    reference: {reference}\n")
    [target] = select_targets(load_targets_file(path), (), {})
    return target


@pytest.mark.parametrize(
    "written",
    [
        "{variants: [absolute-location, slash-object-ids]}",
        "{variants: 'absolute-location, slash-object-ids'}",
    ],
    ids=["list", "comma-string"],
)
def test_variants_are_read_as_names(tmp_path, written):
    target = target_of(tmp_path, written)
    assert target.reference.variants == ("absolute-location", "slash-object-ids")
    assert target.redacted()["reference"]["variants"] == ["absolute-location", "slash-object-ids"]


def test_no_variants_by_default(tmp_path):
    assert target_of(tmp_path, "{delete_mode: async}").reference.variants == ()


@pytest.mark.parametrize(
    ("name", "hint"),
    [("absolute-locaton", "did you mean 'absolute-location'?"), ("bogus", "known: ")],
    ids=["typo", "unknown"],
)
def test_unknown_variant_is_a_one_line_config_error_naming_the_known_ones(tmp_path, name, hint):
    with pytest.raises(ConfigError) as raised:
        target_of(tmp_path, f"{{variants: [async-everywhere, {name}]}}")
    message = str(raised.value)
    assert "\n" not in message
    assert f"reference.variants names an unknown variant '{name}'" in message
    assert hint in message
    assert "known: absolute-location, async-everywhere, cascade-200-body" in message


def test_start_embedded_passes_the_variants_to_the_reference_server(tmp_path):
    target = target_of(tmp_path, "{variants: [relative-next-links, host-only-put-urls]}")
    started, server, s3 = start_embedded(target, SPEC_DIR)
    try:
        assert server.config.variants == {"relative-next-links", "host-only-put-urls"}
        assert started.base_url == server.base_url
    finally:
        server.stop()
        s3.stop()
