"""tams_conformance.redact: every credential form is masked, everything else is left as it was."""

from __future__ import annotations

import base64

import pytest

from tams_conformance.config import Auth
from tams_conformance.redact import redact_headers, redact_text, redact_url

SIGV4 = (
    "https://s3.example.com/media/obj-1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIASECRETKEYID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
    "&X-Amz-Security-Token=FwoGZXIvYXdzSESSIONTOKEN%2B%2F%3D&X-Amz-Signature=deadbeef0123"
)
SIGV2 = (
    "https://s3.example.com/media/obj-1?AWSAccessKeyId=AKIASECRETKEYID"
    "&Signature=c2lnbmF0dXJlVjI%3D&Expires=1735689600"
)
SECRETS = ["AKIASECRETKEYID", "deadbeef0123", "FwoGZXIvYXdzSESSIONTOKEN", "c2lnbmF0dXJlVjI"]

# fmt: off
TEXT_CASES = [
    # (id, text, literal secrets passed in, must vanish, must stay)
    ("sigv4-url", SIGV4, (), SECRETS[:3],
     ["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Date=20250101T000000Z", "X-Amz-Expires=3600",
      "X-Amz-SignedHeaders=host", "X-Amz-Signature=***", "X-Amz-Credential=***"]),
    ("sigv2-url", SIGV2, (), SECRETS[::3],
     ["AWSAccessKeyId=***", "Signature=***", "Expires=1735689600"]),
    ("lower-case", SIGV4.lower(), (), ["deadbeef0123", "akiasecretkeyid"],
     ["x-amz-signature=***"]),
    ("in-json", '{"put_url": "' + SIGV4 + '", "content-type": "video/mp2t"}', (), SECRETS[:3],
     ['"content-type": "video/mp2t"', "X-Amz-Date=20250101T000000Z"]),
    ("in-go-json", '{"url":"' + SIGV4.replace("&", "\\u0026") + '"}', (), SECRETS[:3],
     ["\\u0026X-Amz-Date=20250101T000000Z"]),
    ("url-encoded", "https://x/redirect?to=" + SIGV4.replace("%", "%25").replace(":", "%3A")
     .replace("/", "%2F").replace("?", "%3F").replace("=", "%3D").replace("&", "%26"),
     (), SECRETS[:3], ["X-Amz-Date%3D20250101T000000Z", "X-Amz-Signature%3D***"]),
    ("double-encoded", "next=a%253Fsignature%253Ddeadbeef0123%2526x%253D1", (),
     ["deadbeef0123"], ["%2526x%253D1"]),
    ("s3-xml-error",
     "<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKIASECRETKEYID</AWSAccessKeyId>"
     "<StringToSign>AWS4-HMAC-SHA256\n20250101T000000Z</StringToSign>"
     "<SignatureProvided>deadbeef0123</SignatureProvided><CanonicalRequest>PUT\n/media/obj-1\n"
     "X-Amz-Credential=AKIASECRETKEYID%2F20250101&amp;X-Amz-Date=20250101T000000Z"
     "</CanonicalRequest></Error>", (), SECRETS[:2],
     ["<Code>SignatureDoesNotMatch</Code>", "<AWSAccessKeyId>***</AWSAccessKeyId>",
      "<SignatureProvided>***</SignatureProvided>", "&amp;X-Amz-Date=20250101T000000Z"]),
    ("oauth2-token-json", '{"access_token": "eyJ.tok\\"en", "token_type": "Bearer", '
     '"refresh_token":"r-tok-123", "expires_in": 3600}', (), ["eyJ.tok", "r-tok-123"],
     ['"access_token": "***"', '"token_type": "Bearer"', '"expires_in": 3600']),
    ("access-token-param", "https://x/cb#access_token=at-123&state=s1", (), ["at-123"],
     ["access_token=***&state=s1"]),
    ("header-lines", "Authorization: AWS4-HMAC-SHA256 Credential=AKIASECRETKEYID/2025, "
     "Signature=deadbeef0123\nproxy-authorization: Basic eDp5\nCookie: sid=c00kie\n"
     "Set-Cookie: sid=c00kie; Path=/\nX-Api-Key: k3y-value\nContent-Type: text/plain",
     (), ["AKIASECRETKEYID", "deadbeef0123", "eDp5", "c00kie", "k3y-value"],
     ["Authorization: ***", "Set-Cookie: ***", "X-Api-Key: ***", "Content-Type: text/plain"]),
    ("json-headers", '{"Authorization": "Bearer abc.def", "X-Api-Key": "k3y-value", "Accept": '
     '"application/json"}', (), ["abc.def", "k3y-value"], ['"Accept": "application/json"']),
    ("bearer-in-text", "sent bearer eyJhbGciOi.eyJzdWIi.c2ln-_~+/== to the server", (),
     ["eyJhbGciOi"], ["sent bearer *** to the server"]),
    ("bearer-challenge", 'WWW-Authenticate: Bearer realm="tams", error="invalid_token"', (),
     [], ['Bearer realm="tams", error="invalid_token"']),
    ("basic-in-text", "curl -H 'Authorization : Basic dXNlcjpodW50ZXIy' https://x", (),
     ["dXNlcjpodW50ZXIy"], ["Basic ***"]),
    ("basic-in-prose", "Basic authentication failed", (), [], ["Basic authentication failed"]),
    ("userinfo", "GET https://bob:hunter22@tams.example.com/flows", (), ["hunter22"],
     ["https://bob:***@tams.example.com/flows"]),
    ("literal", "token was s3cr3t-T0ken!", ["s3cr3t-T0ken!"], ["s3cr3t-T0ken"],
     ["token was ***"]),
    ("literal-url-encoded", "q=p%40ss%20w%2Fd%2B and q=p%40ss+w%2Fd%2B", ["p@ss w/d+"],
     ["p%40ss", "ss+w"], ["q=*** and q=***"]),
    ("literal-json-escaped", '{"detail": "bad password q\\"uote"}', ['q"uote'], ["uote"],
     ['"detail": "bad password ***"']),
    ("literal-base64", "Authorization-ish " + base64.b64encode(b"bob:hunter22").decode(),
     Auth("basic", username="bob", password="hunter22").secrets(), ["Ym9iOmh1bnRlcjIy"],
     ["Authorization-ish ***"]),
    ("name-inside-a-word", "MySignature=keep1&xbearer keep2", (), [],
     ["MySignature=keep1", "xbearer keep2"]),
    ("short-literal-kept", "a b c", ["a"], [], ["a b c"]),
    ("nothing-sensitive", '{"id": "f1", "label": "Signature cut", "format": "urn:x-nmos"}',
     ["unrelated-secret"], [], ['{"id": "f1", "label": "Signature cut", "format": "urn:x-nmos"}']),
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "secrets", "vanish", "stay"), [pytest.param(*r[1:], id=r[0]) for r in TEXT_CASES]
)
def test_redact_text_masks_every_credential_form(text, secrets, vanish, stay):
    redacted = redact_text(text, secrets)
    for secret in vanish:
        assert secret not in redacted
    for kept in stay:
        assert kept in redacted


def test_text_without_credentials_is_returned_unchanged():
    body = '{"flows": [{"id": "00000000-0000-4000-8000-000000000000", "tags": {}}]}\n' * 50
    assert redact_text(body, ["not-in-there"]) == body
    assert redact_text("") == ""


# fmt: off
URL_CASES = [
    ("sigv4", SIGV4, SIGV4.split("?")[0] + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
     "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
     "&X-Amz-Security-Token=***&X-Amz-Signature=***"),
    ("sigv2", SIGV2, "https://s3.example.com/media/obj-1?AWSAccessKeyId=***&Signature=***"
     "&Expires=1735689600"),
    ("password", "https://u:p%40ss@h/x?a=1", "https://u:***@h/x?a=1"),
    ("plain", "https://h/flows?limit=10&page=a%3Db", "https://h/flows?limit=10&page=a%3Db"),
    ("empty-value", "https://h/?Signature=&x=1", "https://h/?Signature=***&x=1"),
]
# fmt: on


@pytest.mark.parametrize(("url", "expected"), [pytest.param(*r[1:], id=r[0]) for r in URL_CASES])
def test_redact_url_masks_credentials_and_keeps_the_rest_byte_for_byte(url, expected):
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "name",
    ["Authorization", "proxy-authorization", "COOKIE", "Set-Cookie", "x-api-key",
     "X-Amz-Security-Token"],
)  # fmt: skip
def test_redact_headers_masks_credential_headers_whatever_their_case(name):
    assert redact_headers({name: "anything", "Accept": "*/*"}) == {name: "***", "Accept": "*/*"}


def test_redact_headers_redacts_other_values_as_text_and_accepts_pairs():
    headers = [("Location", SIGV4), ("X-Debug", "seen s3cr3t-T0ken"), ("Content-Length", 12)]
    result = redact_headers(headers, ["s3cr3t-T0ken"])
    assert "deadbeef0123" not in result["Location"] and "X-Amz-Signature=***" in result["Location"]
    assert result["X-Debug"] == "seen ***"
    assert result["Content-Length"] == "12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def\nnext", "Authorization: ***\nnext"),
        ('{"Authorization": "Bearer abc"}', '{"Authorization": "***"}'),
        ("\u0130\u0130 Signature=abc&x=1 \u0130", "\u0130\u0130 Signature=***&x=1 \u0130"),
    ],
    ids=["header-and-bearer", "json-and-bearer", "lowercase-changes-length"],
)
def test_overlapping_forms_give_one_mask_at_the_right_place(text, expected):
    assert redact_text(text) == expected


# The process-wide registry, Secret, truncated reprs, reports on disk --------------------------
def test_registered_secrets_are_masked_without_being_passed():
    from tams_conformance.redact import register_secrets

    register_secrets("registry-s3cret-value", "ab", None)
    assert redact_text("x registry-s3cret-value y") == "x *** y"
    assert redact_text("q=registry-s3cret-value") == "q=***"
    assert redact_url("https://h/?k=registry-s3cret-value&a=1") == "https://h/?k=***&a=1"
    assert redact_text("a ab b") == "a ab b", "a too short secret would mask everything"


def test_a_secret_cut_by_a_truncating_repr_is_masked():
    secret = "truncated-s3cret-0123456789"
    head = f"token='{secret[:12]}...'"
    tail = f"'...{secret[-10:]}'"
    assert redact_text(head, [secret]) == "token='***...'"
    assert redact_text(tail, [secret]) == "'...***'"
    assert redact_text("nothing... to see...", [secret]) == "nothing... to see..."


def test_secret_strings_mask_their_repr_and_keep_their_value():
    from tams_conformance.redact import Secret

    value = Secret("the-value")
    assert repr(value) == "'***'" and repr([value]) == "['***']"
    assert f"Bearer {value}" == "Bearer the-value" and value == "the-value"


def test_auth_and_target_reprs_show_no_secret():
    auth = Auth("oauth2-client-credentials", token_url="https://l/t", client_id="c",
                client_secret="repr-client-s3cret")  # fmt: skip
    basic = Auth("basic", username="u", password="repr-pa55word")
    for text in (repr(auth), str(auth), repr(basic), repr(basic.password)):
        assert "s3cret" not in text and "pa55" not in text
    assert "client_id='c'" in repr(auth) and "username='u'" in repr(basic)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{'access_token': 'tok-1', 'x': 1}", "{'access_token': '***', 'x': 1}"),
        ("{'Authorization': 'Basic dTpw', 'A': '*/*'}", "{'Authorization': '***', 'A': '*/*'}"),
    ],
    ids=["token-payload", "headers-dict"],
)  # fmt: skip
def test_python_reprs_of_sensitive_fields_are_masked(text, expected):
    assert redact_text(text) == expected


def test_html_escaped_secret_is_masked():
    assert redact_text("x a&amp;b&lt;c-secret y", ["a&b<c-secret"]) == "x *** y"


def test_redact_tree_rewrites_only_files_holding_secrets(tmp_path):
    from tams_conformance.redact import redact_tree

    (tmp_path / "sub").mkdir()
    leaky = tmp_path / "sub" / "a-result.json"
    leaky.write_text('{"message": "GET x?X-Amz-Signature=' + "ab" * 32 + '"}')
    clean = tmp_path / "clean.txt"
    clean.write_bytes(b"nothing \xff here")
    before = clean.stat().st_mtime_ns
    assert redact_tree(tmp_path) == 1
    assert leaky.read_text() == '{"message": "GET x?X-Amz-Signature=***"}'
    assert clean.read_bytes() == b"nothing \xff here" and clean.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a-result.json", "clean.txt", "sub"]


def test_redact_object_rewrites_nested_report_data():
    from tams_conformance.redact import redact_object

    data = {"k": ["Signature=abc", ("x", "Bearer tok.en")], "n": 3}
    assert redact_object(data) == {"k": ["Signature=***", ("x", "Bearer ***")], "n": 3}
