"""Text from a server made safe for a terminal, a log or a report.

A body or header may hold anything: ESC sequences that recolour or clear a terminal, move the
cursor over earlier lines, set the window title or write a hyperlink; NUL and other C0/C1
control characters that truncate or garble logs. Every such character except newline and tab
is shown as its Python escape (`\\x1b`), so the text stays readable and inert.
"""

from __future__ import annotations

import re
from typing import Any

# C0 except \t and \n, DEL, C1, and the Unicode line/paragraph separators and bidi overrides
# (they reorder what a reader sees).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character except \\n and \\t written as an escape."""
    return _CONTROL.sub(_escape, text) if text else text


def has_controls(text: str) -> bool:
    return bool(_CONTROL.search(text))


def escape_report(rep: Any) -> None:
    """Escape control characters in what pytest prints and writes of a test report (its
    longrepr and sections); a report without any is left exactly as it is."""
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3 and isinstance(longrepr[2], str):
        rep.longrepr = (longrepr[0], longrepr[1], escape_controls(longrepr[2]))
    elif longrepr is not None:
        text = str(longrepr)
        if has_controls(text):
            rep.longrepr = escape_controls(text)
    rep.sections = [(title, escape_controls(content)) for title, content in rep.sections]
