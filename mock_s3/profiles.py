"""Store profiles: what a kind of S3 store refuses beyond a bad signature.

The header rules come from observed stores (see docs/mock_s3.md): AWS refuses unsigned ``x-amz-*``
and ``Content-MD5`` on presigned requests but accepts an unsigned ``Content-Type``; a strict
(VAST-style) store refuses every header that is neither signed nor part of the HTTP transport.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Headers an HTTP client or proxy adds on its own; nobody signs them and no store refuses them.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "expect",
        "transfer-encoding",
        "te",
        "keep-alive",
    }
)

# Telemetry headers AWS SDKs add after signing (botocore: retry bookkeeping, X-Ray); stores that
# work with the SDKs ignore them.
SDK_HEADERS = frozenset({"amz-sdk-invocation-id", "amz-sdk-request", "x-amzn-trace-id"})
NEVER_REFUSED = TRANSPORT_HEADERS | SDK_HEADERS


@dataclass(frozen=True)
class Profile:
    """``verify``: check signatures and expiry at all; ``strict``: refuse any unsigned header."""

    name: str
    verify: bool
    strict: bool
    description: str

    def unsigned_refused(self, present: Iterable[str], signed: Iterable[str]) -> list[str]:
        """Names of present headers this store refuses because the signature does not cover them."""
        if not self.verify:
            return []
        covered = set(signed)
        refused = []
        for name in present:
            if name in covered or name in NEVER_REFUSED:
                continue
            if self.strict or _aws_requires_signing(name):
                refused.append(name)
        return sorted(refused)


def _aws_requires_signing(name: str) -> bool:
    if name == "content-md5":
        return True
    # An unsigned x-amz-content-sha256 changes the payload hash instead: SignatureDoesNotMatch.
    return name.startswith("x-amz-") and name != "x-amz-content-sha256"


PROFILES: dict[str, Profile] = {
    "lenient": Profile("lenient", False, False, "plain moto: no signature or header checks"),
    "aws": Profile("aws", True, False, "AWS S3: unsigned x-amz-* and Content-MD5 refused"),
    "strict": Profile(
        "strict", True, True, "VAST-style: every unsigned non-transport header refused"
    ),
}
DEFAULT_PROFILE = "strict"


@dataclass(frozen=True)
class StoreSettings:
    """Everything the gate needs to judge a request (one per MockS3 instance)."""

    profile: Profile
    credentials: dict[str, str]  # access key -> secret key
    region: str = "us-east-1"
    enforce_region: bool = False
    allow_sigv2: bool = True
