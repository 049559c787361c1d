"""The conformance checks: one module per capability (installed as tams_conformance.checks)."""
