"""Per-instance bucket namespaces inside moto's process-global S3 backend.

moto keeps state per account, and the gate sends every request of one MockS3 to that instance's
own account (``x-moto-account-id``). Bucket *names* are still global in moto (as in AWS), through
``s3_backends.bucket_accounts``: two instances could not both own "media", and one could reach the
other's buckets. This module swaps that mapping for one scoped by the instance handling the
current request; requests outside any gate (a plain moto server) share the unscoped namespace.

The installed namespace outlives this module: moto keeps it, while a test harness may drop
``mock_s3`` modules from ``sys.modules`` and load fresh copies (pytest's ``pytester`` restores
``sys.modules`` after each test). So the namespace carries its own scope variable, and a fresh
copy of this module recognises a namespace installed by an older copy by duck typing, not by
class identity.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_install_lock = threading.Lock()


class ScopedBucketNamespace(MutableMapping):
    """bucket name -> (partition, account id), one namespace per scope."""

    # What install() looks for: any object with this attribute set works like this class.
    is_mock_s3_namespace = True

    def __init__(self, initial: dict[str, Any]) -> None:
        self._scope: ContextVar[str | None] = ContextVar("mock_s3_bucket_scope", default=None)
        self._spaces: dict[str | None, dict[str, Any]] = {None: dict(initial)}

    @contextmanager
    def scoped(self, name: str) -> Iterator[None]:
        """Bucket names seen inside this block are those of scope ``name`` only."""
        token = self._scope.set(name)
        try:
            yield
        finally:
            self._scope.reset(token)

    def _space(self) -> dict[str, Any]:
        return self._spaces.setdefault(self._scope.get(), {})

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


def install() -> ScopedBucketNamespace | None:
    """Scope moto's bucket namespace (idempotent): the namespace, or None if moto lacks it."""
    from moto.s3.models import s3_backends

    with _install_lock:
        current = getattr(s3_backends, "bucket_accounts", None)
        if getattr(current, "is_mock_s3_namespace", False):
            return current  # type: ignore[return-value]
        if not isinstance(current, dict):
            return None
        s3_backends.bucket_accounts = ScopedBucketNamespace(current)
        return s3_backends.bucket_accounts
