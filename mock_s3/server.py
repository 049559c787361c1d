"""MockS3: moto's S3 server app behind the signature gate, served on loopback in a thread."""

from __future__ import annotations

import ipaddress
import os
import secrets
import string
import threading
import warnings
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .profiles import DEFAULT_PROFILE, PROFILES, StoreSettings
from .requestlog import RequestLog

if TYPE_CHECKING:
    from .wsgi import ServerThread


class MockS3Error(Exception):
    """A configuration error a user can fix (message is one line)."""


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return response.get("Error", {}).get("Code") or type(err).__name__


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _spill_bytes(value: int | bool | None) -> int | None:
    from .spill import DEFAULT_SPILL_BYTES

    if value is None or value is False:
        return None
    if value is True:
        return DEFAULT_SPILL_BYTES
    if isinstance(value, int) and value >= 1:
        return value
    raise MockS3Error(f"spill_to_disk must be True or a size of at least 1 byte, not {value!r}")


def _random_token(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


class MockS3:
    """An S3 endpoint that checks presigned and signed requests like a real store would.

    ``profile``: "strict" (VAST-style, default), "aws" or "lenient" (plain moto).
    Credentials default to a random pair per instance; each instance stores its objects in its
    own moto account with its own bucket namespace (see docs/mock_s3.md for what is shared).
    ``spill_to_disk``: keep objects larger than this many bytes in temporary files instead of
    memory (True: over 256 KiB; None/False: moto's default, over 5 MiB - 1 KiB).
    """

    def __init__(
        self,
        profile: str = DEFAULT_PROFILE,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        buckets: Iterable[str] = (),
        enforce_region: bool = False,
        allow_sigv2: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        log_limit: int = 10_000,
        spill_to_disk: int | bool | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise MockS3Error(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
        if not allow_remote and not is_loopback(host):
            raise MockS3Error(
                f"host {host!r} is not a loopback address; pass allow_remote=True to expose it"
            )
        self.access_key = access_key or "AKIA" + _random_token(16, string.ascii_uppercase)
        self._secret_key = secret_key or _random_token(40, string.ascii_letters + string.digits)
        self.region = region
        self.buckets = list(dict.fromkeys(buckets))
        self.spill_bytes = _spill_bytes(spill_to_disk)
        self.host = host
        self.port = port
        self.settings = StoreSettings(
            profile=PROFILES[profile],
            credentials={self.access_key: self._secret_key},
            region=region,
            enforce_region=enforce_region,
            allow_sigv2=allow_sigv2,
        )
        self.clock = Clock()
        self.requests = RequestLog(log_limit)
        # 12 digits, never moto's default account, so instances never share state by accident.
        self.account_id = str(secrets.randbelow(9 * 10**11) + 10**11)
        self._server: ServerThread | None = None
        self._client: Any = None
        self._session: Any = None
        self._session_lock = threading.Lock()

    @property
    def profile(self) -> str:
        return self.settings.profile.name

    @property
    def secret_key(self) -> str:
        return self._secret_key

    @property
    def bucket(self) -> str | None:
        """The first configured bucket, if any."""
        return self.buckets[0] if self.buckets else None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise MockS3Error("MockS3 is not running; call start() or use it as a context manager")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.port}"

    def start(self) -> MockS3:
        if self._server is not None:
            return self
        # By name, not ``from . import isolation``: see the note atop gate.py.
        from .gate import Gate
        from .isolation import install
        from .spill import install as install_spill
        from .wsgi import ServerThread, s3_app

        if "MOTO_ACCOUNT_ID" in os.environ:
            warnings.warn(
                "MOTO_ACCOUNT_ID is set: moto puts every MockS3 in that one account, so "
                "instances with the same bucket name overwrite each other; unset it",
                RuntimeWarning,
                stacklevel=2,
            )
        namespace = install()
        gate = Gate(
            s3_app(),
            self.settings,
            self.clock,
            self.requests,
            self.account_id,
            namespace,
            spill=install_spill(),
            spill_bytes=self.spill_bytes,
        )
        self._server = ServerThread(gate, self.host, self.port)
        try:
            for name in self.buckets:
                self._create_bucket(name)
        except Exception as err:
            self.stop()
            raise MockS3Error(f"cannot create bucket {name!r}: {_error_code(err)}") from err
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        self._client = None

    def __enter__(self) -> MockS3:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def client(self) -> Any:
        """A boto3 S3 client for this endpoint: SigV4 header-signed, path addressing."""
        if self._client is None:
            self._client = self._boto_client("s3v4", self.region)
        return self._client

    def presigner(self, signature_version: str = "s3v4", region: str | None = None) -> Any:
        """A boto3 client to generate presigned URLs ("s3v4" or "s3", i.e. SigV2)."""
        if signature_version not in ("s3v4", "s3"):
            raise MockS3Error(
                f"signature_version must be 's3v4' or 's3', not {signature_version!r}"
            )
        return self._boto_client(signature_version, region or self.region)

    def _boto_client(self, signature_version: str, region: str) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            signature_version=signature_version,
            s3={"addressing_style": "path"},
            retries={"max_attempts": 2, "mode": "standard"},
        )
        # One session per instance: a new session reloads botocore's models (~0.1 s), and
        # creating clients from a shared session must not race.
        with self._session_lock:
            if self._session is None:
                self._session = boto3.session.Session()
            return self._session.client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=region,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self._secret_key,
                config=config,
            )

    def _create_bucket(self, name: str) -> None:
        if self.region == "us-east-1":
            self.client.create_bucket(Bucket=name)
        else:
            self.client.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
            )

    def __repr__(self) -> str:
        state = self.endpoint if self._server is not None else "stopped"
        return f"MockS3(profile={self.profile!r}, {state})"
