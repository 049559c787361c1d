"""Configuration of the reference server: plain dataclasses checked on construction."""

from __future__ import annotations

from dataclasses import dataclass, field

from mediatimestamp import Timestamp

from tams_reference.auth import AuthSettings
from tams_reference.faults import check_faults
from tams_reference.variants import SMALL_PAGE_LIMIT, SMALL_PAGES, check_variants

DELETE_MODES = ("sync", "async")


@dataclass(frozen=True)
class S3Settings:
    """Where media objects live; the server presigns URLs for this bucket."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    bucket: str = "media"
    region: str = "us-east-1"


@dataclass(frozen=True)
class ServerConfig:
    """Behaviour switches of the reference server.

    ``s3=None`` makes :class:`~tams_reference.server.ReferenceServer` start its own strict
    mock S3. ``faults`` names entries of :data:`tams_reference.faults.FAULTS` (bugs on
    purpose), ``variants`` entries of :data:`tams_reference.variants.VARIANTS` (other correct
    choices).
    """

    s3: S3Settings | None = None
    delete_mode: str = "sync"
    cascade_extension: bool = True
    faults: frozenset[str] = field(default_factory=frozenset)
    variants: frozenset[str] = field(default_factory=frozenset)
    spec_dir: str | None = None
    api_version: str = "8.2"
    min_object_timeout: str = "600:0"
    min_presigned_url_timeout: str = "300:0"
    presign_expiry_s: int = 3600
    default_page_limit: int = 100
    max_page_limit: int = 1000
    db_path: str = ":memory:"
    auth: AuthSettings = field(default_factory=AuthSettings)  # off unless a mode is set
    # Hosts webhook callbacks may go to besides loopback (SSRF mitigation: none by default).
    webhook_hosts: tuple[str, ...] = ()
    webhook_retries: int = 3  # delivery attempts after the first, then the webhook is in error

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", check_faults(self.faults))
        object.__setattr__(self, "variants", check_variants(self.variants))
        if self.delete_mode not in DELETE_MODES:
            raise ValueError(
                f"unknown delete_mode {self.delete_mode!r}; use one of {', '.join(DELETE_MODES)}"
            )
        presigned_min = Timestamp.from_str(self.min_presigned_url_timeout)
        if presigned_min > Timestamp.from_str(self.min_object_timeout):
            raise ValueError("min_presigned_url_timeout must not exceed min_object_timeout")
        if self.presign_expiry_s < presigned_min.to_float():
            raise ValueError(
                "presign_expiry_s must be at least min_presigned_url_timeout "
                f"({self.min_presigned_url_timeout})"
            )
        if SMALL_PAGES in self.variants:  # the service's own small default and maximum limit
            object.__setattr__(self, "default_page_limit", SMALL_PAGE_LIMIT)
            object.__setattr__(self, "max_page_limit", SMALL_PAGE_LIMIT)
        if not 0 < self.default_page_limit <= self.max_page_limit:
            raise ValueError("default_page_limit must be between 1 and max_page_limit")

    def has(self, fault: str) -> bool:
        """True when the named fault is switched on."""
        return fault in self.faults

    def chose(self, variant: str) -> bool:
        """True when the named variant is switched on."""
        return variant in self.variants
