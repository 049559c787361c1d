"""Messages as sentences: what a vendor engineer reads in results.json, junit and the terminal.

pytest's assertion introspection (`assert {'tams_confor...'} == {}`, `+ where 204 =
<Response [204]>.status_code`, `Target(name=..., auth=Auth(...))`) is for the kit's authors; a
report says what was expected and what came back, in words and plain values.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

EXCERPT = 300
_COMPARISON = re.compile(r"^(.+?) (==|!=|not in|in|is not|is|<=|>=|<|>) (.+)$", re.DOTALL)
_ANGLE_REPR = re.compile(r"<([A-Za-z_][\w.]*)[^<>]*>")
_CALL_REPR = re.compile(r"\b([A-Z]\w*)\(")


def plain(value: str) -> str:
    """A value without object reprs: `<Response [204]>` -> `Response`, `Target(...)` -> `Target`."""
    value = _ANGLE_REPR.sub(lambda m: m.group(1).rsplit(".", 1)[-1], value)
    out, i = [], 0
    for match in _CALL_REPR.finditer(value):
        if match.start() < i:
            continue
        depth, j = 1, match.end()
        while j < len(value) and depth:
            depth += {"(": 1, ")": -1}.get(value[j], 0)
            j += 1
        out.append(value[i : match.start()] + match.group(1))
        i = j
    out.append(value[i:])
    return "".join(out).strip()


def assertion(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The explicit message of an `assert x, "message"` alone; else the comparison in words."""
    text = str(excinfo.value)
    if text and not text.startswith("assert "):
        # pytest appends its explanation after the message, starting at a line "assert ..."
        return text.split("\nassert ", 1)[0].strip()
    first = text.splitlines()[0].removeprefix("assert ") if text else ""
    expression = _statement(excinfo)
    match = _COMPARISON.match(first)
    if not match:
        what = expression or plain(first) or "an assertion"
        return f"{what} did not hold"
    got, op, expected = plain(match.group(1)), match.group(2), plain(match.group(3))
    words = {
        "==": f"expected {expected}, got {got}",
        "!=": f"expected anything but {expected}",
        "in": f"expected one of {expected}, got {got}",
        "not in": f"expected {got} not to be in {expected}",
    }.get(op, f"expected {got} {op} {expected}")
    return f"{expression}: {words}" if expression else words


def unexpected(excinfo: pytest.ExceptionInfo[BaseException], last: Any = None) -> str:
    """An exception no rule raised (a KeyError on a body of an unexpected shape, say): named
    with where it happened and the response it was reading, so the cause is visible."""
    exc = excinfo.value
    where = ""
    entry = excinfo.traceback[-1] if excinfo.traceback else None
    if entry is not None:
        where = f" at {entry.path.name}:{entry.lineno + 1}"
        statement = _statement(excinfo)
        if statement:
            where += f" ({statement})"
    text = f"the check could not judge: unexpected {type(exc).__name__}: {exc}{where}"
    if last is not None:
        body = (last.response_body or "").replace("\n", " ")
        if len(body) > EXCERPT:
            body = body[:EXCERPT] + "..."
        text += f"; last response: {last.line()}" + (f": {body}" if body else "")
    return text


def _statement(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The source line that raised, without `assert ` and its message: `response.status_code
    == 409`."""
    try:
        source = str(excinfo.traceback[-1].statement).strip()
    except Exception:  # noqa: BLE001 - no source (a generated check): no expression
        return ""
    source = " ".join(source.split())
    source = source.removeprefix("assert ")
    return "" if "\n" in source or len(source) > 120 else source
