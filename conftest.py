"""Wires the kit's pytest plugin in; nothing else lives here."""

pytest_plugins = ["tams_conformance.plugin"]
