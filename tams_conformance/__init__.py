"""tams-conformance: the harness of the TAMS conformance kit.

The map (docs/ARCHITECTURE.md has the whole of it):

- ``tams_conformance.cli``: the ``tams-conformance`` command.
- ``tams_conformance.config``: targets.yaml, loading and validation, the ``Target`` model.
- ``tams_conformance.client``: the TAMS HTTP client (auth, retries, transcripts).
- ``tams_conformance.plugin``: the pytest plugin (targets, gating, outcomes).
- ``tams_conformance.report``: results.json, junit.xml, report.html, the terminal summary.
- ``tams_conformance.checks``: the checks (the repository's ``conformance/`` folder).
- ``tams_conformance.fixtures``: what checks use to arrange and observe (``fixtures/``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tams-conformance")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
