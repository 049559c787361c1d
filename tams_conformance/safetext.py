"""Text from a server made safe for a terminal, a log or a report.

A body or header may hold anything: ESC sequences that recolour or clear a terminal, move the
cursor over earlier lines, set the window title or write a hyperlink; NUL and other C0/C1
control characters that truncate or garble logs. Every such character except newline and tab
is shown as its Python escape (`\\x1b`), so the text stays readable and inert.
"""

from __future__ import annotations

import re

# C0 except \t and \n, DEL, C1, and the Unicode line/paragraph separators and bidi overrides
# (they reorder what a reader sees).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character except \\n and \\t written as an escape."""
    return _CONTROL.sub(_escape, text) if text else text
