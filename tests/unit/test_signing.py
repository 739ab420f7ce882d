"""Signing of private requests: golden vectors from Gemini's docs, headers, and credentials masking."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from pydantic import SecretStr

from console.venues.gemini.auth import encode_payload, private_headers, sign
from console.venues.gemini.credentials import Credentials

# Gemini's classic docs example of a signed request (https://docs.gemini.com/websocket/overview/requests/private-api),
# exact bytes (including newlines and the blank line).
GOLDEN_PAYLOAD_TEXT = '{\n    "request": "/v1/order/status",\n    "nonce": 123456,\n\n    "order_id": 18834\n}\n'
GOLDEN_B64 = (
    "ewogICAgInJlcXVlc3QiOiAiL3YxL29yZGVyL3N0YXR1cyIsCiAgICAibm9uY2UiOiAxMjM0NTYsCgogICAgIm9yZGVyX2lkIjogMTg4MzQKfQo="
)
GOLDEN_SECRET = "1234abcd"
GOLDEN_SIGNATURE = (
    "337cc8b4ea692cfe65b4a85fcc9f042b2e3f702ac956fd098d600ab15705775017beae402be773ceee10719ff70d710f"
)
# Second docs example: the order events upgrade payload (https://docs.gemini.com/websocket/overview/requests/about).
UPGRADE_B64 = "eyJyZXF1ZXN0IjoiL3YxL29yZGVyL2V2ZW50cyIsIm5vbmNlIjoxNDc3OTYzMjQwNzQxMDgzMzA3fQ=="

SECRET = "s3cr3t-VALUE-never-printed"
KEY = "account-AbCdEfGhIjKlMnOpab12"


def test_golden_vector_base64_matches_docs() -> None:
    assert base64.b64encode(GOLDEN_PAYLOAD_TEXT.encode()).decode() == GOLDEN_B64


def test_golden_vector_signature() -> None:
    assert sign(GOLDEN_B64, GOLDEN_SECRET) == GOLDEN_SIGNATURE


def test_signature_is_lowercase_hex_of_sha384() -> None:
    signature = sign("abc", "key")
    assert len(signature) == 96
    assert signature == signature.lower()
    int(signature, 16)


def test_signature_depends_on_secret_and_payload() -> None:
    assert sign(GOLDEN_B64, "1234abce") != GOLDEN_SIGNATURE
    assert sign(GOLDEN_B64 + "=", GOLDEN_SECRET) != GOLDEN_SIGNATURE


def test_encode_payload_is_compact_json_and_matches_upgrade_example() -> None:
    payload = {"request": "/v1/order/events", "nonce": 1477963240741083307}
    assert encode_payload(payload) == UPGRADE_B64


def test_encode_payload_writes_decimals_as_plain_strings() -> None:
    encoded = encode_payload({"request": "/x", "nonce": 1, "amount": Decimal("1E-8")})
    assert json.loads(base64.b64decode(encoded)) == {"request": "/x", "nonce": 1, "amount": "0.00000001"}


def test_encode_payload_refuses_nan_and_unknown_types() -> None:
    with pytest.raises(ValueError):
        encode_payload({"x": float("nan")})
    with pytest.raises(ValueError):
        encode_payload({"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        encode_payload({"x": object()})


def test_private_headers() -> None:
    credentials = Credentials(KEY, SecretStr(SECRET))
    payload = {"request": "/v1/order/status", "nonce": 42, "order_id": 18834}
    headers = private_headers(credentials, payload)
    assert headers["Content-Type"] == "text/plain"
    assert headers["Content-Length"] == "0"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-GEMINI-APIKEY"] == KEY
    assert json.loads(base64.b64decode(headers["X-GEMINI-PAYLOAD"])) == payload
    assert headers["X-GEMINI-SIGNATURE"] == sign(headers["X-GEMINI-PAYLOAD"], SECRET)
    assert SECRET not in "".join(headers.values())


def test_credentials_repr_masks_key_and_hides_secret() -> None:
    credentials = Credentials(KEY, SecretStr(SECRET))
    for text in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
        assert SECRET not in text
        assert KEY not in text
        assert "account-…ab12" in text
    assert credentials.masked_key == "account-…ab12"


def test_credentials_accepts_plain_str_secret_and_wraps_it() -> None:
    credentials = Credentials(KEY, SECRET)  # type: ignore[arg-type]
    assert isinstance(credentials.api_secret, SecretStr)
    assert credentials.api_secret.get_secret_value() == SECRET
    assert SECRET not in repr(credentials)


def test_credentials_are_frozen() -> None:
    credentials = Credentials(KEY, SecretStr(SECRET))
    with pytest.raises(AttributeError):
        credentials.api_key = "other"  # type: ignore[misc]


def test_short_key_is_not_revealed_by_masking() -> None:
    credentials = Credentials("abcdefghij", SecretStr(SECRET))
    assert credentials.masked_key == "…ij"


def test_empty_key_or_secret_refused() -> None:
    with pytest.raises(ValueError):
        Credentials("", SecretStr(SECRET))
    with pytest.raises(ValueError):
        Credentials(KEY, SecretStr(""))


def test_from_env() -> None:
    credentials = Credentials.from_env({"GEMINI_API_KEY": KEY, "GEMINI_API_SECRET": f" {SECRET}\n"})
    assert credentials is not None
    assert credentials.api_key == KEY
    assert credentials.api_secret.get_secret_value() == SECRET


def test_from_env_absent_gives_none() -> None:
    assert Credentials.from_env({}) is None
    assert Credentials.from_env({"GEMINI_API_KEY": "", "GEMINI_API_SECRET": ""}) is None


def test_from_env_half_configured_names_the_variable_not_the_value() -> None:
    with pytest.raises(ValueError, match="GEMINI_API_KEY") as info:
        Credentials.from_env({"GEMINI_API_SECRET": SECRET})
    assert SECRET not in str(info.value)
    with pytest.raises(ValueError, match="GEMINI_API_SECRET"):
        Credentials.from_env({"GEMINI_API_KEY": KEY})


def test_master_key_detected() -> None:
    assert Credentials("master-0123456789abcdef", SecretStr("x")).is_master
    assert not Credentials(KEY, SecretStr("x")).is_master
