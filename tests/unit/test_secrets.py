"""Secrets: environment first, then a permission-checked file or the OS keyring; never shown unmasked."""

import builtins

import pytest

from console.app.config import load_config
from console.app.credentials import SecretsError, keyring_available, load_credentials, read_secret_file

SECRET = "very-secret-value-123"


def config_with(tmp_path, **values):
    return load_config({f"credentials.{k}": v for k, v in values.items()}, {"XDG_CONFIG_HOME": str(tmp_path)})


def test_environment_wins(tmp_path):
    creds = load_credentials({"GEMINI_API_KEY": "account-env", "GEMINI_API_SECRET": SECRET},
                             config_with(tmp_path, api_key="account-file", secret_file=str(tmp_path / "nope")))
    assert creds.api_key == "account-env" and SECRET not in repr(creds)


def test_secret_file_with_safe_permissions(tmp_path):
    path = tmp_path / "secret"
    path.write_text(f"\n  {SECRET}  \n")
    path.chmod(0o600)
    creds = load_credentials({}, config_with(tmp_path, api_key="account-abcdefghijklmnop1234", secret_file=str(path)))
    assert creds.api_secret.get_secret_value() == SECRET
    assert SECRET not in str(creds) and creds.masked_key == "account-…1234"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_group_or_world_readable_file_is_refused(tmp_path, mode):
    path = tmp_path / "secret"
    path.write_text(SECRET)
    path.chmod(mode)
    with pytest.raises(SecretsError, match="chmod 600") as info:
        read_secret_file(path)
    assert SECRET not in str(info.value)


def test_missing_or_empty_file_and_half_configuration(tmp_path):
    with pytest.raises(SecretsError, match="No such file"):
        read_secret_file(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(SecretsError, match="empty"):
        read_secret_file(empty)
    with pytest.raises(SecretsError, match="api_key is required"):
        load_credentials({}, config_with(tmp_path, secret_file=str(empty)))
    with pytest.raises(SecretsError, match="GEMINI_API_KEY"):
        load_credentials({"GEMINI_API_SECRET": SECRET}, None)
    assert load_credentials({}, config_with(tmp_path)) is None


def test_keyring_missing_is_reported_not_fatal(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_keyring(name, *args, **kwargs):
        if name == "keyring" or name.startswith("keyring."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_keyring)
    available, line = keyring_available()
    assert not available and "not installed" in line
    with pytest.raises(SecretsError, match="keyring package is not installed"):
        load_credentials({}, config_with(tmp_path, api_key="account-x", keyring="true"))
