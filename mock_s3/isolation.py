"""Per-instance bucket namespaces inside moto's process-global S3 backend.

moto keeps state per account, and the gate sends every request of one MockS3 to that instance's
own account (``x-moto-account-id``). Bucket *names* are still global in moto (as in AWS), through
``s3_backends.bucket_accounts``: two instances could not both own "media", and one could reach the
other's buckets. This module swaps that mapping for one scoped by the instance handling the
current request; requests outside any gate (a plain moto server) share the unscoped namespace.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_scope: ContextVar[str | None] = ContextVar("mock_s3_bucket_scope", default=None)
_install_lock = threading.Lock()


class ScopedBucketNamespace(MutableMapping):
    """bucket name -> (partition, account id), one namespace per scope."""

    def __init__(self, initial: dict[str, Any]) -> None:
        self._spaces: dict[str | None, dict[str, Any]] = {None: dict(initial)}

    def _space(self) -> dict[str, Any]:
        return self._spaces.setdefault(_scope.get(), {})

    def __getitem__(self, name: str) -> Any:
        return self._space()[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._space()[name] = value

    def __delitem__(self, name: str) -> None:
        del self._space()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._space()))

    def __len__(self) -> int:
        return len(self._space())


def install() -> bool:
    """Scope moto's bucket namespace (idempotent); False if this moto lacks the mapping."""
    from moto.s3.models import s3_backends

    with _install_lock:
        current = getattr(s3_backends, "bucket_accounts", None)
        if isinstance(current, ScopedBucketNamespace):
            return True
        if not isinstance(current, dict):
            return False
        s3_backends.bucket_accounts = ScopedBucketNamespace(current)
        return True


@contextmanager
def scoped(name: str) -> Iterator[None]:
    token = _scope.set(name)
    try:
        yield
    finally:
        _scope.reset(token)
