"""One redaction pass over every output of a run (registered by `tams_conformance.plugin`).

Reprs already mask what they can, but an assertion diff, a `--showlocals` frame or a captured
log line can still hold a secret as a plain string. So every writer is covered here, with the
secrets registered in `tams_conformance.redact` plus the presigned-credential patterns:

- test and collection reports (tracebacks with locals, captured output, sections, properties)
  as soon as they are made, in the process that made them (an xdist worker knows secrets the
  controller does not), and again when the controller logs them (terminal, junit.xml, results);
- the terminal itself (live logging, summaries, internal errors) through its writer;
- log records, message and formatted exception, before any handler sees them;
- allure-results as allure writes them (results, containers, attachments);
- at the very end, every file of the run's reports folder, `latest` and the step summary.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tams_conformance.redact import redact_file, redact_object, redact_text, redact_tree

# Attributes of a report that identify it (xdist and junit match reports by them): never
# rewritten. Everything else a report carries is redacted.
_REPORT_KEYS = frozenset(
    {"nodeid", "location", "keywords", "when", "outcome", "duration", "start", "stop", "result"}
)


def redact_report(report: Any) -> Any:
    """`report` (a TestReport or CollectReport) with every string it carries redacted."""
    for key, value in list(vars(report).items()):
        if key not in _REPORT_KEYS and not key.startswith("__"):
            setattr(report, key, redact_object(value))
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    return redact_report((yield))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[Any]:
    return redact_report((yield))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    redact_report(report)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report: pytest.CollectReport) -> None:
    redact_report(report)


# The terminal -----------------------------------------------------------------------------------
class _RedactingFile:
    """The terminal writer's file, every write redacted."""

    def __init__(self, file: Any) -> None:
        self._file = file

    def write(self, text: str) -> int:
        return self._file.write(redact_text(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _wrap_terminal(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    file = getattr(writer, "_file", None)
    if file is not None and not isinstance(file, _RedactingFile):
        writer._file = _RedactingFile(file)  # type: ignore[union-attr]


# Logging ----------------------------------------------------------------------------------------
_ORIGINAL_FACTORY = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _ORIGINAL_FACTORY(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's problem, not ours
        return record
    record.msg, record.args = redact_text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
    return record


def pytest_configure(config: pytest.Config) -> None:
    logging.setLogRecordFactory(_redacting_factory)
    _wrap_terminal(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    _wrap_terminal(session.config)  # in case the terminal reporter came after us


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Last of all (reports, junit.xml, allure-results, `latest` and the step summary are all
    written by now): one more pass over every file the run wrote."""
    logging.setLogRecordFactory(_ORIGINAL_FACTORY)
    if hasattr(config, "workerinput"):
        return
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and Path(summary).is_file():
        redact_file(Path(summary))
    if config.getoption("tams_no_reports", True):
        return
    base = Path(config.getoption("tams_reports_dir"))
    run_id = config.getoption("tams_run_id") or os.environ.get("TAMS_RUN_ID")
    for folder in (base / run_id if run_id else None, base / "latest"):
        if folder is not None:
            redact_tree(folder)


# Allure -----------------------------------------------------------------------------------------
def _patch_allure() -> None:
    """Redact what allure writes, before it writes it. Done at import, before allure registers
    its file logger (pluggy binds the methods at registration)."""
    try:
        from allure_commons.logger import AllureFileLogger
    except ImportError:  # allure-pytest not installed: nothing to patch
        return
    if getattr(AllureFileLogger, "_tams_redacting", False):
        return
    report_item = AllureFileLogger._report_item
    attached_data = AllureFileLogger.report_attached_data
    attached_file = AllureFileLogger.report_attached_file

    def _report_item(self: Any, item: Any) -> None:
        report_item(self, redact_object(item))

    @functools.wraps(attached_data)
    def report_attached_data(self: Any, body: Any, file_name: str) -> None:
        if isinstance(body, bytes):
            body = redact_text(body.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape"
            )
        elif isinstance(body, str):
            body = redact_text(body)
        attached_data(self, body, file_name)

    @functools.wraps(attached_file)
    def report_attached_file(self: Any, source: Any, file_name: str) -> None:
        attached_file(self, source, file_name)
        redact_file(Path(self._report_dir) / file_name)

    AllureFileLogger._report_item = _report_item
    AllureFileLogger.report_attached_data = report_attached_data
    AllureFileLogger.report_attached_file = report_attached_file
    AllureFileLogger._tams_redacting = True


_patch_allure()
