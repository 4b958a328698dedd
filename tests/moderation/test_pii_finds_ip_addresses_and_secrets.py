from __future__ import annotations

from moderation.pii import find_pii


def kinds(text: str) -> list[str]:
    return [span.kind for span in find_pii(text)]


def test_ipv4_and_ipv6_addresses_are_found() -> None:
    assert kinds("The host is 10.20.30.40 now") == ["IP"]
    assert kinds("Reach it on 2001:db8::8a2e:370:7334 instead") == ["IP"]


def test_things_that_only_look_like_addresses_are_not() -> None:
    assert kinds("Version 999.300.1.1 is not an address") == []
    assert kinds("Meet at 10:30 or 11:45") == []


def test_cloud_keys_and_tokens_are_secrets() -> None:
    samples = [
        "aws key AKIAIOSFODNN7EXAMPLE",
        "token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "slack xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "api_key = 'Zx9qT4vLm2Rk8Wp3Ns7Yb1Hc6Jd5Gf0A'",
    ]
    for text in samples:
        assert kinds(text) == ["SECRET"], text


def test_a_low_entropy_setting_is_not_a_secret() -> None:
    assert kinds("password = aaaaaaaaaaaaaaaaaaaa") == []
    assert kinds("Set the token_name = default in the config") == []
