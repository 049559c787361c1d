"""The egress policy: address classes, allowed_hosts patterns, decisions on resolved addresses.

Names are resolved through a stand-in for the system resolver (socket.getaddrinfo), so names
that resolve to private or metadata addresses can be tried without a DNS server.
"""

from __future__ import annotations

import ipaddress

import pytest

from tams_conformance.config import ConfigError, load_targets
from tams_conformance.egress import EgressPolicy, EgressRefused, classify, parse_pattern


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.0.1", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("fe80::1", "link-local"),
        ("8.8.8.8", "public"),
        ("2a00:1450:4009::200e", "public"),
        ("172.32.0.1", "public"),
        ("0.0.0.0", "reserved"),
        ("::", "reserved"),
        ("224.0.0.1", "reserved"),
        ("192.0.2.1", "reserved"),
        ("ff02::1", "reserved"),
    ],
)
def test_classify(address: str, kind: str) -> None:
    assert classify(address) == kind


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("s3.eu-west-1.amazonaws.com", {"name": "s3.eu-west-1.amazonaws.com"}),
        ("S3.Example.COM.", {"name": "s3.example.com"}),
        ("minio.local:9000", {"name": "minio.local", "port": 9000}),
        ("*.vast.example", {"suffix": ".vast.example"}),
        ("*.vast.example:443", {"suffix": ".vast.example", "port": 443}),
        ("10.0.0.0/8", {"network": ipaddress.ip_network("10.0.0.0/8")}),
        ("127.0.0.1:9000", {"name": "127.0.0.1", "port": 9000}),
        ("[::1]:9000", {"name": "::1", "port": 9000}),
        ("fd00:ec2::254", {"name": "fd00:ec2::254"}),
    ],
)
def test_parse_pattern(text: str, fields: dict) -> None:
    pattern = parse_pattern(text)
    for key, value in fields.items():
        assert getattr(pattern, key) == value


@pytest.mark.parametrize(
    "text", ["", "a b", "*", "*.", "a.*.b", "x:0", "x:99999", "[::1]x", "http://a", "10.0.0.0/33"]
)
def test_parse_pattern_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern(text)


def allowed(policy: EgressPolicy, url: str) -> bool:
    try:
        policy.check_url(url)
    except EgressRefused:
        return False
    return True


def test_public_target_reaches_public_hosts_only(dns) -> None:
    dns.update(
        {
            "tams.example": ["8.8.4.4"],
            "s3.example": ["52.95.110.1"],
            "inside.example": ["10.0.0.7"],
            "rebound.example": ["127.0.0.1"],
            "meta.example": ["169.254.169.254"],
            "mixed.example": ["10.0.0.8", "52.95.110.2"],
        }
    )
    policy = EgressPolicy.for_base("vast", "https://tams.example/tams")
    assert policy.scope == {"public"}
    assert allowed(policy, "https://s3.example/bucket/key?X-Amz-Signature=00")
    assert allowed(policy, "https://8.8.8.8/x")
    for url in (
        "http://127.0.0.1:9000/x",
        "http://[::1]:9000/x",
        "http://10.0.0.1/x",
        "http://inside.example/x",  # a public-looking name resolving to a private address
        "http://rebound.example/x",
        "http://meta.example/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/x",
        "http://0.0.0.0:8000/x",
    ):
        assert not allowed(policy, url), url
    # A name with an allowed and a refused address: only the allowed one is connected to.
    infos = policy.addresses("mixed.example", 443)
    assert [i[4][0] for i in infos] == ["52.95.110.2"]


def test_private_and_loopback_targets_keep_to_their_class(dns) -> None:
    dns.update({"minio.lan": ["192.168.7.7"], "s3.example": ["52.95.110.1"]})
    private = EgressPolicy.for_base("lab", "http://10.0.0.5:8000")
    assert private.scope == {"private"}
    assert allowed(private, "http://minio.lan:9000/x")
    assert not allowed(private, "http://s3.example/x")
    assert not allowed(private, "http://127.0.0.1:9000/x")
    assert not allowed(private, "http://169.254.169.254/")
    loopback = EgressPolicy.for_base("local", "http://127.0.0.1:8000")
    assert allowed(loopback, "http://127.0.0.1:9000/x")
    assert allowed(loopback, "http://[::1]:9000/x")
    assert not allowed(loopback, "http://minio.lan:9000/x")
    assert not allowed(loopback, "http://s3.example/x")


def test_embedded_targets_reach_loopback_only(dns) -> None:
    dns.update({"s3.example": ["52.95.110.1"]})
    policy = EgressPolicy.for_base("reference", "http://127.0.0.1:5000", embedded=True)
    assert allowed(policy, "http://127.0.0.1:61000/media/x")
    assert not allowed(policy, "http://s3.example/x")
    assert not allowed(policy, "http://169.254.169.254/")


def test_allowed_hosts_narrow_and_widen(dns) -> None:
    dns.update(
        {
            "tams.example": ["8.8.4.4"],
            "s3.eu-west-1.amazonaws.com": ["52.95.110.1"],
            "s3.us-east-1.amazonaws.com": ["52.95.110.9"],
            "media.vast.example": ["10.0.0.9"],
            "vast.example": ["10.0.0.10"],
            "meta.vast.example": ["169.254.169.254"],
            "minio.lan": ["192.168.7.7"],
        }
    )
    policy = EgressPolicy.for_base(
        "vast",
        "https://tams.example",
        allowed_hosts=["s3.eu-west-1.amazonaws.com", "*.vast.example", "192.168.0.0/16"],
    )
    # narrowed: another public host is no longer enough
    assert allowed(policy, "https://s3.eu-west-1.amazonaws.com/b/k")
    assert not allowed(policy, "https://s3.us-east-1.amazonaws.com/b/k")
    # widened: the wildcard reaches a private address; the CIDR matches resolved addresses
    assert allowed(policy, "https://media.vast.example/k")
    assert allowed(policy, "http://minio.lan:9000/k")
    assert not allowed(policy, "https://vast.example/k")  # *.suffix is not suffix itself
    assert not allowed(policy, "https://meta.vast.example/")  # a wildcard never names metadata
    # the target's own host and port stay allowed; its host on another port does not
    assert allowed(policy, "https://tams.example/flows")
    assert not allowed(policy, "https://tams.example:8443/flows")


def test_metadata_only_when_named(dns) -> None:
    dns.update({"metadata.google.internal": ["169.254.169.254"]})
    base = "http://10.0.0.5"
    for entries in (["metadata.google.internal"], ["169.254.169.254"], ["169.254.0.0/16"]):
        policy = EgressPolicy.for_base("lab", base, allowed_hosts=entries)
        assert allowed(policy, "http://metadata.google.internal/computeMetadata/v1/"), entries
    policy = EgressPolicy.for_base("lab", base, allowed_hosts=["10.0.0.0/8"])
    assert not allowed(policy, "http://metadata.google.internal/")


def test_ports_in_entries(dns) -> None:
    policy = EgressPolicy.for_base("t", "http://127.0.0.1:8000", allowed_hosts=["127.0.0.1:9000"])
    assert allowed(policy, "http://127.0.0.1:9000/x")
    assert not allowed(policy, "http://127.0.0.1:9001/x")
    assert allowed(policy, "http://127.0.0.1:8000/flows")  # base_url's host and port


def test_refusal_is_one_line_naming_host_and_key(dns) -> None:
    dns.update({"tams.example": ["8.8.4.4"], "storage.googleapis.com": ["10.9.9.9"]})
    policy = EgressPolicy.for_base(
        "x", "https://tams.example", allowed_hosts=["s3.eu-west-1.amazonaws.com"]
    )
    with pytest.raises(EgressRefused) as caught:
        policy.check_url("https://storage.googleapis.com/b/k?X-Goog-Signature=abc", "PUT")
    text = str(caught.value)
    assert "\n" not in text
    assert "host storage.googleapis.com is outside the egress policy of target 'x'" in text
    assert "allow it with allowed_hosts in targets.yaml" in text
    assert "X-Goog-Signature" not in text


def test_targets_file_keys(tmp_path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n"
        "  remote:\n"
        "    base_url: https://tams.example\n"
        '    allowed_hosts: [s3.eu-west-1.amazonaws.com, "*.vast.example", 10.0.0.0/8]\n'
        "    max_body_mib: 4\n"
        "    max_media_mib: 64\n"
        "  bad-host: {base_url: 'https://t.example', allowed_hosts: ['a.*.b']}\n"
        "  bad-size: {base_url: 'https://t.example', max_body_mib: 0}\n"
        "  local: {embedded: true, allowed_hosts: [s3.example]}\n"
    )
    (target,) = load_targets(["remote"], str(path), environ={})
    assert target.allowed_hosts == ("s3.eu-west-1.amazonaws.com", "*.vast.example", "10.0.0.0/8")
    assert (target.max_body_mib, target.max_media_mib) == (4, 64)
    assert target.redacted()["allowed_hosts"] == list(target.allowed_hosts)
    messages = {}
    for name in ("bad-host", "bad-size", "local"):
        with pytest.raises(ConfigError) as caught:
            load_targets([name], str(path), environ={})
        messages[name] = str(caught.value)
    assert "allowed_hosts has an entry 'a.*.b'" in messages["bad-host"]
    assert "max_body_mib must be a number of MiB > 0" in messages["bad-size"]
    assert "an embedded target reaches loopback only" in messages["local"]
