"""The Roxom private key from the OS keyring (``roxom.keyring = true``, no ``ROXOM_PRIVATE_KEY_FILE``): the same
keyring entry kind as Gemini's secret (service ``trading-console``, user = the key id), never shown."""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import pytest

from console.app.args import UsageError
from console.app.cli import build_settings
from console.app.config import load_config
from console.venues.roxom.auth import RoxomSigner, load_private_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
KEY_ID = "xrxk_key_3437401edb0560e2de84efe7d34327c4"
PEM = (FIXTURES / "test_private_key.pem").read_text()


def _args() -> argparse.Namespace:
    return argparse.Namespace(venue="roxom", sandbox=False, production=False, rest_url="http://127.0.0.1:1",
                              ws_url=None, symbols=None, accounts="", settings=None, theme=None, config=None)


@pytest.fixture
def fake_keyring(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], str]:
    entries: dict[tuple[str, str], str] = {}
    module = types.ModuleType("keyring")
    errors = types.ModuleType("keyring.errors")

    class KeyringError(Exception):
        pass

    errors.KeyringError = KeyringError  # type: ignore[attr-defined]
    module.errors = errors  # type: ignore[attr-defined]
    module.get_password = lambda service, user: entries.get((service, user))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    monkeypatch.setitem(sys.modules, "keyring.errors", errors)
    return entries


def test_the_private_key_comes_from_the_keyring(fake_keyring: dict[tuple[str, str], str]) -> None:
    fake_keyring[("trading-console", KEY_ID)] = PEM
    config = load_config({"roxom.keyring": "true"}, environ={"XDG_CONFIG_HOME": "/nonexistent"})
    settings = build_settings(_args(), {"ROXOM_API_KEY": KEY_ID}, config)
    assert settings is not None and settings.roxom_key is not None
    key = settings.roxom_key
    assert key.private_key_path is None and "keyring" in repr(key) and "PRIVATE KEY" not in repr(key)
    signer = RoxomSigner(KEY_ID, load_private_key(key.private_key_source()))
    fixture = load_private_key(PEM.encode())
    assert signer.sign("GET:/ws") == RoxomSigner(KEY_ID, fixture).sign("GET:/ws")  # PKCS#1 v1.5: deterministic


def test_no_keyring_entry_or_no_setting_is_a_clear_usage_error(fake_keyring: dict[tuple[str, str], str]) -> None:
    config = load_config({"roxom.keyring": "true"}, environ={"XDG_CONFIG_HOME": "/nonexistent"})
    with pytest.raises(UsageError, match="no secret in the OS keyring"):
        build_settings(_args(), {"ROXOM_API_KEY": KEY_ID}, config)
    fake_keyring[("trading-console", KEY_ID)] = PEM
    without = load_config({}, environ={"XDG_CONFIG_HOME": "/nonexistent"})
    with pytest.raises(UsageError, match="ROXOM_PRIVATE_KEY_FILE .*roxom.keyring"):
        build_settings(_args(), {"ROXOM_API_KEY": KEY_ID}, without)  # the keyring is read only when asked for
