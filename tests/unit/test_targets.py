"""tams_conformance.config: loading, validation messages, interpolation, overrides, shipped files"""

from __future__ import annotations

import datetime
import json
import re
import textwrap
from pathlib import Path

import pytest

import tams_conformance.config
from tams_conformance.config import (
    Auth,
    ConfigError,
    KnownFailure,
    find_targets_file,
    load_targets,
    load_targets_file,
    select_targets,
)

REPO = Path(__file__).resolve().parents[2]

REMOTE = "targets:\n  vast:\n    base_url: https://tams.example.com/v8/\n"
TWO = REMOTE + "  other:\n    base_url: https://other.example.com\n"


def write(tmp_path: Path, text: str, name: str = "targets.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def select(tmp_path: Path, text: str, names=(), env=None):
    return select_targets(load_targets_file(write(tmp_path, text)), names, env or {})


def one(tmp_path: Path, text: str, names=(), env=None):
    (target,) = select(tmp_path, text, names, env)
    return target


def entry(body: str, name: str = "vast") -> str:
    """A file with one target `name` whose entry is `body` (YAML flow or block lines)."""
    return f"targets:\n  {name}:\n" + textwrap.indent(textwrap.dedent(body), "    ")


# --- every error is one line naming the place and the fix -----------------------------------

# fmt: off
ERRORS = [
    # (id, file text, selected names, environment, fragments of the message)
    ("no-base-url", entry("timeout_s: 5\n"), (), {},
     ["target 'vast' has no base_url (add base_url: https://... or embedded: true)"]),
    ("unknown-key", entry("base_ulr: https://x\n"), (), {},
     ["unknown key 'base_ulr' in target 'vast' (did you mean 'base_url'?)"]),
    ("unknown-nested-key", entry("base_url: https://x\nauth: {type: bearer, tokn: t}\n"), (), {},
     ["unknown key 'tokn' in target 'vast' auth (did you mean 'token'?)"]),
    ("unknown-top-key", "targts: {}\n", (), {},
     ["unknown key 'targts' at the top level (did you mean 'targets'?)"]),
    ("unknown-key-far", entry("zzzzzz: 1\n"), (), {}, ["unknown key 'zzzzzz'", "known: embedded"]),
    ("unknown-known-failure-key",
     entry("base_url: https://x\nknown_failures: {a.b: {reson: r}}\n"), (), {},
     ["unknown key 'reson' in target 'vast' known_failures.a.b (did you mean 'reason'?)"]),
    ("unknown-target", REMOTE, ["nope"], {}, ["unknown target 'nope' (known: vast)"]),
    ("unknown-target-close", TWO, ["vats"], {},
     ["unknown target 'vats' (did you mean 'vast'? known: vast, other)"]),
    ("unknown-target-env", REMOTE, (), {"TAMS_TARGET": "nope"},
     ["unknown target 'nope' named by TAMS_TARGET"]),
    ("yaml-syntax", "targets:\n  vast:\n    base_url: [unclosed\n", (), {},
     ["invalid YAML at line 4", "(fix the YAML there)"]),
    ("yaml-duplicate", REMOTE + "  vast:\n    embedded: true\n", (), {},
     ["invalid YAML at line 4, column 3: duplicate key 'vast'"]),
    ("empty-file", "# nothing\n", (), {}, ["the targets file is empty (add a targets: mapping"]),
    ("no-targets", "default: x\ntargets: {}\n", (), {}, ["no targets defined"]),
    ("top-not-mapping", "- a\n- b\n", (), {}, ["the top level must be a mapping"]),
    ("entry-not-mapping", "targets:\n  vast: [1]\n", (), {}, ["target 'vast' must be a mapping"]),
    ("section-not-mapping", entry("base_url: https://x\nauth: bearer\n"), (), {},
     ["target 'vast' auth must be a mapping"]),
    ("bad-name", "targets:\n  Vast: {embedded: true}\n", (), {},
     ["target name 'Vast' is not valid"]),
    ("unknown-default", "default: nope\n" + REMOTE, (), {},
     ["default names unknown target 'nope' (known: vast)"]),
    ("embedded-and-url", entry("embedded: true\nbase_url: https://x\n"), (), {},
     ["target 'vast' has both embedded: true and base_url (remove one of them)"]),
    ("reference-on-remote", entry("base_url: https://x\nreference: {delete_mode: async}\n"), (),
     {}, ["target 'vast' sets reference, which only embedded targets have (remove it"]),
    ("enforce-region-on-remote", entry("base_url: https://x\ns3: {enforce_region: false}\n"), (),
     {}, ["target 'vast' sets s3.enforce_region, which only embedded targets have"]),
    ("url-scheme", entry("base_url: ftp://x\n"), (), {},
     ["target 'vast' base_url must be an http(s) URL with a host, got 'ftp://x'"]),
    ("url-credentials", entry("base_url: https://u:hunter22@x\n"), (), {},
     ["base_url must not contain credentials (remove user:password@ and use auth)"]),
    ("url-query", entry("base_url: https://x/?a=1\n"), (), {}, ["must not have a query"]),
    ("auth-type", entry("base_url: https://x\nauth: {type: bearr}\n"), (), {},
     ["target 'vast' auth.type must be one of none, bearer", "(did you mean 'bearer'?)"]),
    ("auth-no-type", entry("base_url: https://x\nauth: {token: t}\n"), (), {},
     ["target 'vast' auth has no type (add type: none, bearer, basic"]),
    ("auth-no-type-with-token", entry("base_url: https://x\nauth: {token: t}\n"), (),
     {"TAMS_TOKEN": "t0ken"}, ["target 'vast' auth has no type"]),
    ("bearer-no-token", entry("base_url: https://x\nauth: {type: bearer}\n"), (), {},
     ["auth.token is missing for auth type bearer (add token: ${TAMS_TOKEN})"]),
    ("bearer-empty-token", entry("base_url: https://x\nauth: {type: bearer, token: ''}\n"), (),
     {}, ["auth.token must be a non-empty string, got an empty string (keep the secret"]),
    ("basic-with-token", entry("base_url: https://x\nauth: {type: basic, token: t}\n"), (), {},
     ["auth.token is not used by auth type basic (remove it, or use type: bearer)"]),
    ("basic-no-password", entry("base_url: https://x\nauth: {type: basic, username: u}\n"), (),
     {}, ["auth.password is missing for auth type basic (add password: ${TAMS_PASSWORD})"]),
    ("oauth2-no-secret",
     entry("base_url: https://x\nauth: {type: oauth2-client-credentials, token_url: "
           "https://l/t, client_id: c}\n"), (), {},
     ["auth.client_secret is missing for auth type oauth2-client-credentials"]),
    ("oauth2-token-url",
     entry("base_url: https://x\nauth: {type: oauth2-client-credentials, token_url: login, "
           "client_id: c, client_secret: s}\n"), (), {},
     ["auth.token_url must be an http(s) URL"]),
    ("ca-bundle", entry("base_url: https://x\nverify_tls: missing-ca.pem\n"), (), {},
     ["verify_tls names a CA bundle that does not exist", "missing-ca.pem", "(write true, false"]),
    ("timeout-zero", entry("base_url: https://x\ntimeout_s: 0\n"), (), {},
     ["target 'vast' timeout_s must be a number > 0, got '0' (write a number of seconds"]),
    ("timeout-text", entry("base_url: https://x\ntimeout_s: soon\n"), (), {},
     ["timeout_s must be a number > 0, got 'soon'"]),
    ("timeout-bool", entry("base_url: https://x\ntimeout_s: true\n"), (), {},
     ["timeout_s must be a number > 0"]),
    ("api-version", entry("base_url: https://x\napi_version: '8'\n"), (), {},
     ['api_version must be "auto" or a version major.minor, got \'8\'']),
    ("profile", entry("base_url: https://x\nprofiles: [tams, cascde]\n"), (), {},
     ["profiles names an unknown profile 'cascde' (did you mean 'cascade'?)"]),
    ("cascade-success", entry("base_url: https://x\ncascade: {success: 200}\n"), (), {},
     ["cascade.success must be a list of HTTP status codes, got '200' (e.g. [200, 204])"]),
    ("cascade-code", entry("base_url: https://x\ncascade: {invalid: [400, 999]}\n"), (), {},
     ["cascade.invalid has an entry that must be an HTTP status code (100-599), got '999'"]),
    ("cascade-conflict", entry("base_url: https://x\ncascade: {conflict: x}\n"), (), {},
     ["cascade.conflict must be an HTTP status code"]),
    ("cascade-param", entry("base_url: https://x\ncascade: {param: ''}\n"), (), {},
     ["cascade.param must be a non-empty string"]),
    ("s3-store", entry("base_url: https://x\ns3: {store: strickt}\n"), (), {},
     ["s3.store must be one of lenient, aws, strict, got 'strickt' (did you mean 'strict'?)"]),
    ("timeouts", entry("base_url: https://x\ntimeouts: {async_delete_s: -1}\n"), (), {},
     ["timeouts.async_delete_s must be a number > 0, got '-1'"]),
    ("expires-impossible", entry("base_url: https://x\nknown_failures: {a: {reason: r, "
                                 "expires: '2025-02-30'}}\n"), (), {},
     ["known_failures.a.expires must be a date YYYY-MM-DD, got '2025-02-30' (e.g. 2025-12-31)"]),
    ("expires-text", entry("base_url: https://x\nknown_failures: {a: {reason: r, "
                           "expires: tomorrow}}\n"), (), {},
     ["known_failures.a.expires must be a date YYYY-MM-DD"]),
    ("known-failure-no-reason", entry("base_url: https://x\nknown_failures: {a: {link: l}}\n"),
     (), {}, ["target 'vast' known_failures.a has no reason"]),
    ("known-failure-id", entry("base_url: https://x\nknown_failures: {123: r}\n"), (), {},
     ["known_failures has a key '123' that is not a check id"]),
    ("delete-mode", entry("embedded: true\nreference: {delete_mode: asnyc}\n"), (), {},
     ["reference.delete_mode must be one of sync, async, got 'asnyc' (did you mean 'async'?)"]),
    ("faults", entry("embedded: true\nreference: {faults: [1]}\n"), (), {},
     ["reference.faults must be a list of names"]),
    ("fault-name", entry("embedded: true\nreference: {faults: [ignore-cascde]}\n"), (), {},
     ["reference.faults names an unknown fault 'ignore-cascde' (did you mean 'ignore-cascade'?"]),
    ("settle", entry("base_url: https://x\ntimeouts: {settle_s: 0}\n"), (), {},
     ["timeouts.settle_s must be a number > 0, got '0'"]),
    ("cascade-without-extension",
     entry("embedded: true\nprofiles: [cascade]\nreference: {cascade_extension: false}\n"), (),
     {}, ["claims the cascade profile but reference.cascade_extension is false"]),
    ("embedded-bool", entry("embedded: maybe\n"), (), {},
     ["target 'vast' embedded must be true or false, got 'maybe' (write true or false)"]),
    ("unset-variable", entry("base_url: https://x\nauth: {type: bearer, token: '${TT_TOKEN}'}\n"),
     (), {}, ["target 'vast' auth.token uses ${TT_TOKEN} but the environment variable TT_TOKEN "
              "is not set (export TT_TOKEN=..., or write ${TT_TOKEN:-default})"]),
    ("unset-variable-in-list", entry("base_url: https://x\nprofiles: [tams, '${TT_P}']\n"), (),
     {}, ["target 'vast' profiles.1 uses ${TT_P}"]),
    ("malformed-reference", entry("base_url: 'https://${HOST'\n"), (), {},
     ["target 'vast' base_url has a malformed reference '${'"]),
    ("malformed-name", entry("base_url: 'https://${1HOST}'\n"), (), {},
     ["has a malformed reference '${1HOST}'"]),
    ("env-timeout", REMOTE, (), {"TAMS_TIMEOUT_S": "abc"},
     ["TAMS_TIMEOUT_S must be a number > 0, got 'abc'"]),
    ("env-store", REMOTE, (), {"TAMS_S3_STORE": "vast"}, ["TAMS_S3_STORE must be one of"]),
    ("env-profiles", REMOTE, (), {"TAMS_PROFILES": "tams,casc"},
     ["TAMS_PROFILES names an unknown profile 'casc' (did you mean 'cascade'?)"]),
    ("env-api-version", REMOTE, (), {"TAMS_API_VERSION": "latest"},
     ["TAMS_API_VERSION must be \"auto\" or a version"]),
    ("env-verify-tls", REMOTE, (), {"TAMS_VERIFY_TLS": "/nonexistent/ca.pem"},
     ["TAMS_VERIFY_TLS names a CA bundle that does not exist: /nonexistent/ca.pem"]),
    ("env-base-url", REMOTE, (), {"TAMS_BASE_URL": "tams.example.com"},
     ["TAMS_BASE_URL must be an http(s) URL"]),
    ("env-ambiguous", TWO, ["vast", "other"], {"TAMS_BASE_URL": "https://y"},
     ["TAMS_BASE_URL would apply to every one of the 2 selected targets (vast, other) (select"]),
    ("env-token-ambiguous", TWO, ["vast,other"], {"TAMS_TOKEN": "t0ken"},
     ["TAMS_TOKEN would replace the auth of target 'vast' but 2 targets are selected"]),
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "names", "env", "fragments"),
    [pytest.param(*row[1:], id=row[0]) for row in ERRORS],
)
def test_config_errors_are_one_line_naming_the_place_and_the_fix(
    tmp_path, monkeypatch, text, names, env, fragments
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        select(tmp_path, text, names, env)
    message = str(info.value)
    assert "\n" not in message
    assert info.value.__context__ is None or info.value.__suppress_context__  # no chain
    for fragment in fragments:
        assert fragment in message
    if not message.startswith("TAMS_"):
        assert message.startswith("targets.yaml: ")
    assert "hunter22" not in message


def test_missing_files_name_the_path_and_how_to_give_one(tmp_path):
    with pytest.raises(ConfigError, match=r"targets file not found: .*nope\.yaml \(create it"):
        load_targets_file(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"nope\.yaml \(from --targets-file; fix the path"):
        find_targets_file("nope.yaml", environ={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"\(from TAMS_TARGETS_FILE; fix the path"):
        find_targets_file(None, environ={"TAMS_TARGETS_FILE": "x.yaml"}, cwd=tmp_path)


def test_an_unreadable_file_is_one_line(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_bytes(b"targets:\n  a: {base_url: \xff}\n")
    with pytest.raises(ConfigError, match=r"cannot read the targets file \(UnicodeDecodeError\)"):
        load_targets_file(path)


# --- interpolation ------------------------------------------------------------------------------

INTERPOLATION = [
    # (id, base_url value as written, environment, resulting base_url)
    ("set", "https://${HOST}", {"HOST": "h.example"}, "https://h.example"),
    ("default-unset", "https://${HOST:-d.example}", {}, "https://d.example"),
    ("default-empty", "https://${HOST:-d.example}", {"HOST": ""}, "https://d.example"),
    ("default-set", "https://${HOST:-d.example}", {"HOST": "h.example"}, "https://h.example"),
    ("escape", "https://x/$${HOST}", {}, "https://x/${HOST}"),
    ("dollar-alone", "https://x/$HOST/a$b", {}, "https://x/$HOST/a$b"),
    ("two-refs", "${SCHEME:-https}://${HOST}:${PORT:-8443}", {"HOST": "h"}, "https://h:8443"),
]


@pytest.mark.parametrize(
    ("written", "env", "expected"), [pytest.param(*r[1:], id=r[0]) for r in INTERPOLATION]
)
def test_interpolation_of_string_values(tmp_path, written, env, expected):
    target = one(tmp_path, entry(f"base_url: '{written}'\n"), env=env)
    assert target.base_url == expected


def test_interpolation_reaches_nested_values_and_converts_their_types(tmp_path):
    text = entry("""\
        base_url: https://x
        timeout_s: '${T:-12.5}'
        cascade: {success: ['${S:-201}', 204], default: '${D:-false}'}
        known_failures: {a.b: '${WHY:-flaky}'}
        """)
    target = one(tmp_path, text, env={"S": "202"})
    assert target.timeout_s == 12.5
    assert target.cascade.success == (202, 204)
    assert target.cascade.default is False
    assert target.known_failures["a.b"].reason == "flaky"


def test_interpolation_is_lazy_an_unselected_target_may_use_unset_variables(tmp_path):
    text = TWO + "    auth: {type: bearer, token: '${TT_UNSET}'}\n"
    (target,) = select(tmp_path, text, ["vast"])
    assert target.name == "vast"
    with pytest.raises(ConfigError, match=r"target 'other' auth.token uses \$\{TT_UNSET\}"):
        select(tmp_path, text, ["other"])


# --- selection and environment overrides ----------------------------------------------------


def test_selection_order_names_then_tams_target_then_default(tmp_path):
    text = "default: other\n" + TWO
    assert [t.name for t in select(tmp_path, text)] == ["other"]
    env = {"TAMS_TARGET": "vast"}
    assert [t.name for t in select(tmp_path, text, env=env)] == ["vast"]
    assert [t.name for t in select(tmp_path, text, ["other"], env)] == ["other"]
    assert [t.name for t in select(tmp_path, text, ["vast, other", "vast"])] == ["vast", "other"]
    assert [t.name for t in select(tmp_path, TWO)] == ["vast"]  # no default: the first


# fmt: off
OVERRIDES = [
    # (id, file text, environment, attribute path, expected value)
    ("base-url", REMOTE, {"TAMS_BASE_URL": "https://y/"}, "base_url", "https://y"),
    ("api-version", REMOTE, {"TAMS_API_VERSION": "8.1"}, "api_version", "8.1"),
    ("profiles", REMOTE, {"TAMS_PROFILES": "cascade"}, "profiles",
     frozenset({"tams", "cascade"})),
    ("s3-store", REMOTE, {"TAMS_S3_STORE": "aws"}, "s3.store", "aws"),
    ("verify-tls", REMOTE, {"TAMS_VERIFY_TLS": "false"}, "verify_tls", False),
    ("timeout", REMOTE, {"TAMS_TIMEOUT_S": "7"}, "timeout_s", 7.0),
    ("empty-is-unset", REMOTE, {"TAMS_TIMEOUT_S": ""}, "timeout_s", 30.0),
    ("token-on-none", REMOTE, {"TAMS_TOKEN": "t0ken"}, "auth", Auth("bearer", token="t0ken")),
    ("token-on-bearer", REMOTE + "    auth: {type: bearer, token: old}\n",
     {"TAMS_TOKEN": "t0ken"}, "auth", Auth("bearer", token="t0ken")),
    ("token-not-on-basic", REMOTE + "    auth: {type: basic, username: u, password: p}\n",
     {"TAMS_TOKEN": "t0ken"}, "auth", Auth("basic", username="u", password="p")),
    ("token-not-on-embedded", entry("embedded: true\n"), {"TAMS_TOKEN": "t0ken"}, "auth",
     Auth("none")),
    ("embedded-becomes-remote",
     entry("embedded: true\nreference: {delete_mode: async}\ns3: {enforce_region: false}\n"),
     {"TAMS_BASE_URL": "https://y", "TAMS_TOKEN": "t0ken"}, "embedded,base_url,auth.token",
     (False, "https://y", "t0ken")),
]
# fmt: on


def attribute(target, path: str):
    values = []
    for dotted in path.split(","):
        value = target
        for part in dotted.split("."):
            value = getattr(value, part)
        values.append(value)
    return values[0] if len(values) == 1 else tuple(values)


@pytest.mark.parametrize(
    ("text", "env", "path", "expected"), [pytest.param(*r[1:], id=r[0]) for r in OVERRIDES]
)
def test_environment_overrides_win_over_the_file(tmp_path, text, env, path, expected):
    assert attribute(one(tmp_path, text, env=env), path) == expected


def test_a_token_the_file_already_places_is_no_ambiguity(tmp_path):
    auth = "    auth: {type: bearer, token: '${TAMS_TOKEN}'}\n"
    text = TWO + auth + "  local:\n    embedded: true\n"
    targets = select(tmp_path, text, ["other,local"], {"TAMS_TOKEN": "t0ken"})
    assert [t.auth.token for t in targets] == ["t0ken", None]


# --- values and defaults ------------------------------------------------------------------------


def test_defaults_of_a_remote_and_an_embedded_target(tmp_path):
    remote = one(tmp_path, REMOTE)
    assert remote.base_url == "https://tams.example.com/v8"
    assert (remote.auth, remote.verify_tls, remote.timeout_s, remote.api_version) == (
        Auth("none"),
        True,
        30.0,
        "auto",
    )
    assert remote.profiles == frozenset({"tams"}) and not remote.claims("cascade")
    assert (remote.s3.store, remote.cascade.success, remote.timeouts.poll_interval_s) == (
        "lenient",
        (200, 204),
        0.2,
    )
    assert (remote.timeouts.settle_s, remote.timeouts.async_delete_s) == (3.0, 30.0)
    local = one(tmp_path, entry("embedded: true\n"))
    assert (local.base_url, local.s3.store, local.reference.delete_mode) == (None, "strict", "sync")


def test_values_read_from_a_full_entry(tmp_path):
    (tmp_path / "ca.pem").write_text("pem")
    target = one(
        tmp_path,
        entry("""\
        base_url: http://127.0.0.1:8000
        auth: {type: oauth2-client-credentials, token_url: 'https://l/t?x=1', client_id: 42,
               client_secret: s3cr3t-value, scope: tams}
        verify_tls: ca.pem
        api_version: 8.1
        profiles: [cascade]
        cascade: {param: recursive, default: false, success: [200], conflict: 412, invalid: [422]}
        s3: {store: aws}
        known_failures: {a: r, b: {reason: r2, link: 'https://i/1', expires: 2030-01-31}}
        """),
    )
    assert target.auth == Auth(
        "oauth2-client-credentials",
        token_url="https://l/t?x=1",
        client_id="42",
        client_secret="s3cr3t-value",
        scope="tams",
    )
    assert target.verify_tls == str(tmp_path / "ca.pem")
    assert target.api_version == "8.1" and target.claims("cascade") and target.claims("tams")
    assert (target.cascade.param, target.cascade.conflict, target.cascade.invalid) == (
        "recursive",
        412,
        (422,),
    )
    assert target.known_failures["b"] == KnownFailure(
        "b", "r2", "https://i/1", datetime.date(2030, 1, 31)
    )


@pytest.mark.parametrize(
    ("expires", "today", "active"),
    [
        (None, datetime.date(2999, 1, 1), True),
        (datetime.date(2025, 6, 30), datetime.date(2025, 6, 30), True),
        (datetime.date(2025, 6, 30), datetime.date(2025, 7, 1), False),
    ],
)
def test_known_failures_stop_applying_after_their_expiry_day(expires, today, active):
    assert KnownFailure("c", "r", expires=expires).active(today) is active


def test_target_helpers_redacted_with_base_url_and_hash(tmp_path):
    target = one(
        tmp_path,
        entry("""\
        base_url: https://x
        auth: {type: basic, username: bob, password: '${PW}'}
        known_failures: {a: {reason: r, expires: 2030-01-31}}
        """),
        env={"PW": "hunter22"},
    )
    assert target.auth.secrets() == ["hunter22", "bob:hunter22"]
    report = json.dumps(target.redacted())
    assert "hunter22" not in report and '"password": "***"' in report and "2030-01-31" in report
    moved = target.with_base_url("http://127.0.0.1:1234/")
    assert moved.base_url == "http://127.0.0.1:1234" and moved.auth == target.auth
    assert hash(moved) != hash(target)


@pytest.mark.parametrize(
    ("auth", "secrets"),
    [
        (Auth("none"), []),
        (Auth("bearer", token="t"), ["t"]),
        (
            Auth(
                "oauth2-client-credentials",
                token_url="https://l",
                client_id="id",
                client_secret="cs",
            ),
            ["cs", "id:cs"],
        ),
    ],
)
def test_auth_secrets_lists_what_redaction_must_hide(auth, secrets):
    assert auth.secrets() == secrets


# --- the file lookup and the shipped files ----------------------------------------------------


def test_targets_file_lookup_order(tmp_path):
    explicit, from_env = write(tmp_path, REMOTE, "a.yaml"), write(tmp_path, REMOTE, "b.yaml")
    env = {"TAMS_TARGETS_FILE": str(from_env)}
    assert find_targets_file("a.yaml", env, tmp_path) == explicit
    assert find_targets_file(None, env, tmp_path) == from_env
    packaged = Path(tams_conformance.config.__file__).with_name("default_targets.yaml")
    assert find_targets_file(None, {}, tmp_path) == packaged
    local = write(tmp_path, REMOTE)
    assert find_targets_file(None, {}, tmp_path) == local


def test_the_packaged_default_is_the_repository_targets_file():
    packaged = Path(tams_conformance.config.__file__).with_name("default_targets.yaml")
    assert packaged.read_bytes() == (REPO / "targets.yaml").read_bytes()


def test_the_repository_targets_file_selects_the_reference_targets():
    targets = load_targets(["reference", "reference-async"], str(REPO / "targets.yaml"), {})
    reference, asynchronous = targets
    assert load_targets_file(REPO / "targets.yaml").default == "reference"
    assert reference.embedded and reference.profiles == frozenset({"tams", "cascade"})
    assert (reference.reference.delete_mode, asynchronous.reference.delete_mode) == (
        "sync",
        "async",
    )


def uncomment_example(variant: str) -> str:
    """targets.yaml with its commented `my-store` example made live, using one auth variant."""
    text = (REPO / "targets.yaml").read_text()
    head, example = text.split("  # my-store:", 1)
    lines = [re.sub(r"^(\s*)# ?", r"\1", line) for line in ("  # my-store:" + example).split("\n")]
    if variant != "bearer":
        lines = [line for line in lines if "auth: {type: bearer" not in line]
        marker = {"basic": "# auth: {type: basic", "oauth2": "#   type: oauth2"}[variant]
        start = next(i for i, line in enumerate(lines) if marker in line)
        start -= variant == "oauth2"
        end = start + (1 if variant == "basic" else 7)
        lines[start:end] = [re.sub(r"^(\s*)# ", r"\1", line) for line in lines[start:end]]
    return head + "\n".join(lines)


@pytest.mark.parametrize("variant", ["bearer", "basic", "oauth2"])
def test_the_commented_example_is_a_valid_target(tmp_path, variant):
    env = {
        "TAMS_TOKEN": "t",
        "TAMS_USERNAME": "u",
        "TAMS_PASSWORD": "p",
        "TAMS_CLIENT_ID": "c",
        "TAMS_CLIENT_SECRET": "s",
    }
    (target,) = select(tmp_path, uncomment_example(variant), ["my-store"], env)
    expected = {"bearer": "bearer", "basic": "basic", "oauth2": "oauth2-client-credentials"}
    assert target.auth.type == expected[variant]
    assert target.cascade.invalid == (400, 422) and len(target.known_failures) == 2
    assert select(tmp_path, uncomment_example(variant), ["reference"], {})[0].embedded
