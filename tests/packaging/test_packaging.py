"""The distribution's layout: the import names it installs and that nothing is left out."""

from __future__ import annotations

import configparser

from tests.packaging.layout import (
    ALLOWED_TOP_LEVEL,
    REPO,
    folder_of,
    packages,
    setuptools_table,
    source_folders,
)


def test_top_level_import_names_are_only_our_own():
    top_level = {name.split(".")[0] for name in packages()}
    assert top_level == ALLOWED_TOP_LEVEL


def test_every_listed_package_is_a_folder_with_an_init():
    missing = [p for p in packages() if not (folder_of(p) / "__init__.py").is_file()]
    assert not missing, f"listed in pyproject but no <folder>/__init__.py: {missing}"


def test_every_module_folder_of_the_repo_is_in_the_wheel():
    listed = {folder_of(p).resolve() for p in packages()}
    left_out = sorted(str(f.relative_to(REPO)) for f in source_folders() if f not in listed)
    assert not left_out, f"folders with modules missing from [tool.setuptools] packages: {left_out}"
    no_init = sorted(
        str(f.relative_to(REPO)) for f in source_folders() if not (f / "__init__.py").exists()
    )
    assert not no_init, f"module folders without __init__.py: {no_init}"


def test_the_checks_and_fixtures_install_under_the_namespace():
    mapping = setuptools_table()["package-dir"]
    assert mapping["tams_conformance.checks"] == "conformance"
    assert mapping["tams_conformance.fixtures"] == "fixtures"


def test_the_kit_pytest_ini_ships_and_parses():
    data = setuptools_table()["package-data"]
    assert "pytest.ini" in data["tams_conformance"]
    ini = configparser.ConfigParser()
    ini.read(REPO / "tams_conformance" / "pytest.ini")
    assert "tams_check" in ini["pytest"]["markers"]
