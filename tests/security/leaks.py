"""What a secret looks like in the outputs of a run: every encoding the kit must never write,
and a search of every byte of every output for them."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, quote_plus

SIGNATURE = re.compile(rb"(?i)(?:x-amz-signature|signature)(?:=|%3d|%253d)[0-9a-f]{8}")
# Credentials the test cannot know in advance (OAuth2 access tokens issued during the run).
CREDENTIAL = re.compile(
    rb"(?i)(?:bearer\s+[a-z0-9\-._~+/]{16,}|access_token[\"']?\s*[:=]\s*[\"']?[a-z0-9\-._~+/]{16,})"
)


def encodings(secrets: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> set[bytes]:
    """Each secret as given, URL-encoded (both ways), HTML-escaped, and base64 of each
    `id:secret` pair."""
    forms: set[bytes] = set()
    for secret in secrets:
        forms |= {secret.encode(), quote(secret, safe="").encode(), quote_plus(secret).encode()}
        forms.add(html.escape(secret).encode())
    for user, secret in pairs:
        forms.add(base64.b64encode(f"{user}:{secret}".encode()))
    return forms


def outputs(*paths: Path, texts: dict[str, str | bytes] | None = None) -> dict[str, bytes]:
    """name -> bytes of every file under `paths` (files or folders) and of `texts`."""
    found: dict[str, bytes] = {}
    for name, text in (texts or {}).items():
        found[name] = text.encode() if isinstance(text, str) else text
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            found[str(file)] = file.read_bytes()
    return found


def leaks(found: dict[str, bytes], forms: set[bytes]) -> list[str]:
    """Where a form or a presigned signature appears: `name: form` lines (empty: no leak)."""
    problems = []
    for name, data in found.items():
        for form in sorted(forms):
            if form in data:
                at = data.index(form)
                context = data[max(0, at - 60) : at + len(form) + 20].decode("utf-8", "replace")
                problems.append(f"{name}: {form.decode()!r} in ...{context!r}")
        for match in SIGNATURE.finditer(data):
            problems.append(f"{name}: presigned signature {match.group(0).decode()!r}")
        for match in CREDENTIAL.finditer(data):
            problems.append(f"{name}: credential {match.group(0).decode()!r}")
    return problems
