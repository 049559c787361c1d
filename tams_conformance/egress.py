"""The egress policy: which addresses the kit may contact for URLs a server hands out.

A TAMS server hands the kit URLs to follow: `put_url`s, `get_urls`, `Link` and `Location`
headers. A hostile or misconfigured server could point them anywhere: at a cloud metadata
service, at an admin port on the CI runner, at a third party's bucket. So those URLs follow the
target:

- the host and port of `base_url` are always allowed (the user named them);
- without `allowed_hosts`, every address the URL's host resolves to must be of the target's own
  address class: a target on a public address reaches public addresses only (never loopback,
  private or link-local ones); a target on loopback reaches loopback only; a target on a
  private network (RFC 1918, CGNAT, IPv6 ULA) reaches that class only;
- with `allowed_hosts`, that list replaces the class rule (it narrows and widens at once):
  `name` or `name:port` allows that host whatever it resolves to; `*.suffix` allows every host
  under `suffix` (not `suffix` itself) except at metadata addresses; an IP address or a CIDR
  (`10.0.0.0/8`, `[fd12::1]:9000`) allows any host whose resolved address lies in it;
- cloud metadata addresses (169.254.0.0/16, fd00:ec2::254, 100.100.100.200) are never reached
  unless an entry names them (the exact host, or an address/CIDR that contains them);
- embedded targets reach loopback only.

The decision is made on the resolved addresses (`getaddrinfo`), never the name, and the kit
connects to the very address it checked (`tams_conformance.transport`), so a name that
resolves differently between check and connect (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tams_conformance.errors import HarnessError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK, PRIVATE, LINK_LOCAL, METADATA, PUBLIC, RESERVED = (
    "loopback",
    "private",
    "link-local",
    "metadata",
    "public",
    "reserved",
)
METADATA_NETS = tuple(
    ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fd00:ec2::254/128", "100.100.100.200/32")
)
PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
FIX = "allow it with allowed_hosts in targets.yaml"


class EgressRefused(HarnessError):
    """A server-handed URL points outside the target's egress policy; nothing was sent."""


def classify(address: str | Address) -> str:
    """The class of an address: loopback, private, link-local, metadata, public or reserved
    (unspecified, multicast, documentation and other special ranges: never implied)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
            return classify(ip.ipv4_mapped)
        if ip in NAT64:  # so does a NAT64 address, through the translator
            return classify(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in METADATA_NETS):
        return METADATA
    if ip.is_loopback:
        return LOOPBACK
    if any(ip in net for net in PRIVATE_NETS):
        return PRIVATE
    if ip.is_link_local:
        return LINK_LOCAL
    if ip.is_global and not ip.is_multicast:
        return PUBLIC
    return RESERVED


@dataclass(frozen=True)
class HostPattern:
    """One `allowed_hosts` entry: an exact name, `*.suffix`, an address or a CIDR, each with
    an optional port (not for CIDRs)."""

    text: str
    name: str | None = None  # exact host name (lower case, no trailing dot)
    suffix: str | None = None  # for `*.suffix`: ".suffix"
    network: Network | None = None  # an address (/32, /128) or a CIDR
    port: int | None = None

    def port_ok(self, port: int) -> bool:
        return self.port is None or self.port == port

    def names_host(self, host: str, port: int) -> bool:
        """The entry names this host exactly (a name, or the literal address)."""
        return self.name is not None and self.name == host and self.port_ok(port)

    def covers(self, host: str, port: int, ip: Address) -> bool:
        """Whether a connection to `ip` for `host`:`port` is allowed by this entry."""
        if not self.port_ok(port):
            return False
        if self.name is not None and self.name == host:
            return True
        if self.suffix is not None:
            return host.endswith(self.suffix) and classify(ip) != METADATA
        return self.network is not None and _plain(ip) in self.network


def _plain(ip: Address) -> Address:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def parse_pattern(text: str) -> HostPattern:
    """Read one `allowed_hosts` entry; ValueError (with the reason) when malformed."""
    raw = text.strip()
    if not raw or any(c.isspace() or c in "/?#@" for c in raw.split("/", 1)[0]):
        raise ValueError("is not a host, *.suffix, address or CIDR")
    if "/" in raw:
        return HostPattern(raw, network=ipaddress.ip_network(raw, strict=False))
    host, port = raw, None
    if raw.startswith("["):  # [v6] or [v6]:port
        host, _, rest = raw[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError("is not [address]:port")
            port = _port(rest[1:])
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
        port = _port(port_text)
    host = normal_host(host)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return HostPattern(raw, name=str(ip), network=ipaddress.ip_network(ip), port=port)
    if host.startswith("*."):
        suffix = host[1:]
        _check_name(suffix[1:])
        return HostPattern(raw, suffix=suffix, port=port)
    _check_name(host)
    return HostPattern(raw, name=host, port=port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("has a port that is not 1-65535")
    return int(text)


def _check_name(name: str) -> None:
    labels = name.split(".")
    if not name or any(not label or "*" in label or len(label) > 63 for label in labels):
        raise ValueError("is not a host name (wildcards only as a leading '*.')")


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo results for a TCP connection (an address literal resolves to itself)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


@dataclass(frozen=True)
class EgressPolicy:
    """The egress policy of one target (see the module docstring for the rules)."""

    target: str
    base_host: str
    base_port: int
    embedded: bool = False
    allowed: tuple[HostPattern, ...] | None = None

    @classmethod
    def of(cls, target: Any) -> EgressPolicy:
        """The policy of a `config.Target` (its base_url must be known)."""
        return cls.for_base(
            target.name,
            target.base_url or "http://127.0.0.1",
            embedded=target.embedded,
            allowed_hosts=getattr(target, "allowed_hosts", None),
        )

    @classmethod
    def for_base(
        cls,
        name: str,
        base_url: str,
        *,
        embedded: bool = False,
        allowed_hosts: Iterable[str] | None = None,
    ) -> EgressPolicy:
        parts = urlsplit(base_url)
        patterns = None
        if allowed_hosts is not None and not embedded:
            patterns = tuple(parse_pattern(p) for p in allowed_hosts)
        return cls(
            target=name,
            base_host=normal_host(parts.hostname or ""),
            base_port=_default_port(parts),
            embedded=embedded,
            allowed=patterns,
        )

    @functools.cached_property
    def scope(self) -> frozenset[str]:
        """The address classes a URL may resolve to without allowed_hosts: the target's own."""
        if self.embedded:
            return frozenset({LOOPBACK})
        try:
            infos = resolve(self.base_host, self.base_port)
        except OSError:
            return frozenset()  # the target itself does not resolve: nothing is implied
        classes = {classify(info[4][0].split("%")[0]) for info in infos}
        return frozenset(classes - {METADATA, RESERVED})

    def describe_scope(self) -> str:
        if self.embedded:
            return "an embedded target reaches loopback addresses only"
        if self.allowed is not None:
            if not self.allowed:
                return "its allowed_hosts list is empty (base_url only)"
            return f"its allowed_hosts list {', '.join(p.text for p in self.allowed)}"
        if not self.scope:
            return f"its base_url host {self.base_host} does not resolve"
        return f"the target is on a {'/'.join(sorted(self.scope))} address"

    def permits(self, host: str, port: int, ip: Address) -> bool:
        """Whether connecting to `ip` for a URL on `host`:`port` is within the policy."""
        host = normal_host(host)
        if host == self.base_host and port == self.base_port and not self.embedded:
            return True
        kind = classify(ip)
        if self.embedded:
            return kind == LOOPBACK
        if self.allowed is not None:
            return any(p.covers(host, port, ip) for p in self.allowed)
        return kind in self.scope

    def addresses(self, host: str, port: int, method: str = "") -> list[tuple[Any, ...]]:
        """The getaddrinfo entries of `host` the kit may connect to, in resolver order;
        `EgressRefused` (one line, naming the host and the key that allows it) when none."""
        clean = normal_host(host)
        infos = resolve(clean, port)  # OSError: unreachable, not a policy matter
        allowed, refused = [], []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            (allowed if self.permits(clean, port, ip) else refused).append(ip)
        if allowed:
            return [i for i in infos if ipaddress.ip_address(i[4][0].split("%")[0]) in allowed]
        shown = ", ".join(f"{ip} ({classify(ip)})" for ip in dict.fromkeys(refused))
        what = f"{method} request to {clean}:{port} " if method else ""
        raise EgressRefused(
            f"{what}not contacted: host {clean} is outside the egress policy of target "
            f"'{self.target}' (it resolves to {shown}; {self.describe_scope()}; {FIX})"
        )

    def check_url(self, url: str, method: str = "") -> None:
        """Resolve and check the host of `url` (what the transport does before connecting)."""
        parts = urlsplit(url)
        self.addresses(parts.hostname or "", _default_port(parts), method)


def _default_port(parts: Any) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)
