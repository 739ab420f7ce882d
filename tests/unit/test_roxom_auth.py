"""Roxom request signing: golden vectors made with the documented openssl command, key loading, the open settings."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from console.venues.roxom.auth import (
    BodyEncoding,
    KeyFileError,
    Padding,
    RoxomSigner,
    SigningScheme,
    encode_body_params,
    load_private_key,
    mask_key_id,
    string_to_sign,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
KEY_ID = "xrxk_key_3437401edb0560e2de84efe7d34327c4"  # the documented example key id


def _vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((FIXTURES / "signing_vectors.json").read_text())["vectors"]
    return vectors


def _private_key_file(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "key.pem"
    path.write_bytes((FIXTURES / "test_private_key.pem").read_bytes())
    path.chmod(mode)
    return path


def _public_key() -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key((FIXTURES / "test_public_key.pem").read_bytes())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["string_to_sign"][:40])
def test_golden_vectors_match_openssl(vector: dict[str, Any], tmp_path: Path) -> None:
    signer = RoxomSigner(KEY_ID, load_private_key(_private_key_file(tmp_path)))
    text = string_to_sign(vector["method"], vector["path"], vector["query"], vector["body"])
    assert text == vector["string_to_sign"]
    assert signer.sign(text) == vector["signature"]
    headers = signer.headers(vector["method"], vector["path"], vector["query"], vector["body"])
    assert headers == {"X-API-Key": KEY_ID, "X-API-Signature": vector["signature"], "Content-Type": "application/json"}


def test_ws_handshake_signs_get_ws() -> None:
    signer = RoxomSigner(KEY_ID, load_private_key((FIXTURES / "test_private_key.pem").read_bytes()))
    golden = next(v for v in _vectors() if v["string_to_sign"] == "GET:/ws")
    assert signer.ws_headers() == {"X-API-Key": KEY_ID, "X-API-Signature": golden["signature"]}


def test_string_to_sign_shapes() -> None:
    assert string_to_sign("post", "/api/v1/orders/x/cancel") == "POST:/api/v1/orders/x/cancel"
    assert string_to_sign("GET", "/api/v1/orders", "instType=perpetual") == "GET:/api/v1/orders?instType=perpetual"
    body = {"b": "2", "a": "1", "gone": None, "postOnly": False, "cancelAt": 1700000000000}
    assert string_to_sign("POST", "/p", "", body) == "POST:/p:a=1&b=2&cancelAt=1700000000000&postOnly=false"
    assert string_to_sign("POST", "/p", "", {"x": None}) == "POST:/p"  # only null params: no body part
    assert encode_body_params(body, BodyEncoding.VALUES) == "1&2&1700000000000&false"
    assert encode_body_params({"args": [{"k": 1}]}) == 'args=[{"k":1}]'
    assert encode_body_params({"b": "1", "B": "2", "a": "3"}) == "B=2&a=3&b=1"  # code point order
    with pytest.raises(TypeError):
        encode_body_params({"qty": Decimal("1.5")})  # money goes as a decimal string: signed text = sent text


def test_pss_setting_verifies_with_pss_and_not_pkcs1() -> None:
    scheme = SigningScheme(padding=Padding.PSS)
    signer = RoxomSigner(KEY_ID, load_private_key((FIXTURES / "test_private_key.pem").read_bytes()), scheme)
    signature = base64.b64decode(signer.sign("GET:/ws"))
    public = _public_key()
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    public.verify(signature, b"GET:/ws", pss, hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, b"GET:/ws", padding.PKCS1v15(), hashes.SHA256())


def test_signature_is_over_sha256_of_the_string() -> None:
    signer = RoxomSigner(KEY_ID, load_private_key((FIXTURES / "test_private_key.pem").read_bytes()))
    signature = base64.b64decode(signer.sign("GET:/api/v1/accounts/balance"))
    _public_key().verify(signature, b"GET:/api/v1/accounts/balance", padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = _private_key_file(tmp_path, mode)
    with pytest.raises(KeyFileError, match=r"group or others .* chmod 600") as info:
        load_private_key(path)
    assert "BEGIN" not in str(info.value) and "MII" not in str(info.value)


def test_key_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="No such file"):
        load_private_key(tmp_path / "missing.pem")
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_private_key(tmp_path)
    pkcs1 = serialization.load_pem_private_key((FIXTURES / "test_private_key.pem").read_bytes(), None)
    assert isinstance(pkcs1, rsa.RSAPrivateKey)
    traditional = pkcs1.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    with pytest.raises(KeyFileError, match="not a PKCS#8"):
        load_private_key(traditional)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(KeyFileError, match="1024 bits"):
        load_private_key(small.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(KeyFileError, match="not an RSA key"):
        load_private_key(ec_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(KeyFileError, match="cannot be loaded"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n")


def test_encrypted_key_needs_its_password(tmp_path: Path) -> None:
    key = load_private_key((FIXTURES / "test_private_key.pem").read_bytes())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(KeyFileError, match="cannot be loaded"):
        load_private_key(pem)
    assert load_private_key(pem, password=b"pw").key_size == 2048


def test_repr_masks_the_key_id_and_never_shows_the_key() -> None:
    signer = RoxomSigner(KEY_ID, load_private_key((FIXTURES / "test_private_key.pem").read_bytes()))
    text = repr(signer)
    assert KEY_ID not in text and "xrxk_key_…27c4" in text
    assert mask_key_id(KEY_ID) == "xrxk_key_…27c4"
    assert mask_key_id("abc") == "…"
    with pytest.raises(ValueError, match="empty"):
        RoxomSigner("", load_private_key((FIXTURES / "test_private_key.pem").read_bytes()))



# -- the settings' alternatives (console/app/config.py [roxom]): golden vectors made by openssl ----------------------


def _alternative_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((FIXTURES / "signing_vectors_alternatives.json").read_text())["vectors"]
    return vectors


def _scheme(vector: dict[str, Any]) -> SigningScheme:
    return SigningScheme(padding=Padding(vector["padding"]), body_encoding=BodyEncoding(vector["body_encoding"]))


@pytest.mark.parametrize(
    "vector", _alternative_vectors(), ids=lambda v: f"{v['padding']}-{v['body_encoding']}-{v['string_to_sign'][:24]}"
)
def test_alternative_settings_golden_vectors(vector: dict[str, Any]) -> None:
    scheme = _scheme(vector)
    text = string_to_sign(vector["method"], vector["path"], vector["query"], vector["body"], scheme.body_encoding)
    assert text == vector["string_to_sign"]
    golden = base64.b64decode(vector["signature"])
    signer = RoxomSigner(KEY_ID, load_private_key((FIXTURES / "test_private_key.pem").read_bytes()), scheme)
    ours = signer.headers(vector["method"], vector["path"], vector["query"], vector["body"])["X-API-Signature"]
    public = _public_key()
    if scheme.padding is Padding.PKCS1V15:
        assert ours == vector["signature"]  # deterministic: the very bytes openssl made
        return
    # PSS is randomised: openssl's signature and ours both verify as PSS (salt 32 = the digest's length), not PKCS#1.
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    for signature in (golden, base64.b64decode(ours)):
        public.verify(signature, text.encode(), pss, hashes.SHA256())
        with pytest.raises(InvalidSignature):
            public.verify(signature, text.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_the_two_body_encodings_sign_different_strings() -> None:
    post = _vectors()[0]
    key_value = string_to_sign("POST", post["path"], "", post["body"], BodyEncoding.KEY_VALUE)
    values = string_to_sign("POST", post["path"], "", post["body"], BodyEncoding.VALUES)
    assert key_value == post["string_to_sign"]
    assert values == next(v for v in _alternative_vectors() if v["body_encoding"] == "values")["string_to_sign"]
    assert key_value != values
    # Without a body the encodings agree (nothing to encode): a GET or the WebSocket handshake signs the same text.
    assert string_to_sign("GET", "/ws", encoding=BodyEncoding.VALUES) == "GET:/ws"
