"""Where the API secret comes from: the environment, a file with safe permissions, or the OS keyring.

Order of precedence: ``GEMINI_API_KEY``/``GEMINI_API_SECRET`` in the environment; else the configured
``credentials.api_key`` with its secret from ``credentials.secret_file`` (refused when group- or world-readable,
like ssh refuses a private key) or, with ``credentials.keyring = true``, from the OS keyring (service
``trading-console``, user = the API key). ``keyring`` is an optional package, imported only when asked for.
The secret is wrapped in a ``SecretStr`` at once and no message here ever contains it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from console.app.config import DeskConfig
from console.venues.gemini.credentials import Credentials

KEYRING_SERVICE = "trading-console"


class SecretsError(ValueError):
    """The credentials could not be read safely; the message says why and never contains the secret."""


def read_secret_file(path: Path) -> SecretStr:
    """Read a secret from ``path``: the first non-empty line, surrounding whitespace stripped.

    Raises:
        SecretsError: the file is missing, not a regular file, readable or writable by group or others
            (``chmod 600`` fixes it), or empty.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise SecretsError(f"secret file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretsError(f"secret file {path}: not a regular file")
    if info.st_mode & 0o077:
        raise SecretsError(f"secret file {path} is accessible by group or others "
                           f"(mode {stat.S_IMODE(info.st_mode):o}); run: chmod 600 {path}")
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip():
            return SecretStr(line.strip())
    raise SecretsError(f"secret file {path} is empty")


def keyring_available() -> tuple[bool, str]:
    """Whether the optional ``keyring`` package can be imported, and a line saying so (for ``doctor``)."""
    try:
        import keyring  # noqa: F401  (optional dependency)
    except ImportError:
        return False, "the keyring package is not installed (pip install keyring to use the OS keyring)"
    return True, "the keyring package is installed"


def read_keyring(api_key: str, setting: str = "credentials.keyring") -> SecretStr:
    """The secret stored in the OS keyring for ``api_key`` (service ``trading-console``): Gemini's API secret, or a
    Roxom key id's PKCS#8 private key PEM (the key ids differ, so the entries never collide).

    Args:
        api_key: the keyring entry's user (Gemini's API key, Roxom's key id).
        setting: the setting that asked for the keyring, for the message.

    Raises:
        SecretsError: keyring not installed, no backend, or no entry.
    """
    try:
        import keyring
        import keyring.errors
    except ImportError:
        raise SecretsError(f"{setting} is set but the keyring package is not installed") from None
    try:
        secret = keyring.get_password(KEYRING_SERVICE, api_key)
    except keyring.errors.KeyringError as exc:
        raise SecretsError(f"OS keyring unavailable: {exc.__class__.__name__}") from None
    if not secret:
        raise SecretsError(f"no secret in the OS keyring for service {KEYRING_SERVICE!r} and this API key")
    return SecretStr(secret)


def load_credentials(environ: Mapping[str, str] = os.environ, config: DeskConfig | None = None) -> Credentials | None:
    """Find the credentials: environment first, then the config's secret file or keyring.

    Returns:
        The credentials, or None when no source is configured at all.

    Raises:
        SecretsError: a source is configured but unusable (half-set environment, unsafe file, no keyring entry).
    """
    try:
        from_env = Credentials.from_env(environ)
    except ValueError as exc:
        raise SecretsError(str(exc)) from None
    if from_env is not None or config is None:
        return from_env
    api_key = config.credentials.api_key
    secret_file = config.credentials.secret_file
    use_keyring = config.credentials.keyring
    if not api_key:
        if secret_file or use_keyring:
            raise SecretsError("credentials.api_key is required with credentials.secret_file or credentials.keyring")
        return None
    if secret_file:
        secret = read_secret_file(Path(secret_file))
    elif use_keyring:
        secret = read_keyring(api_key)
    else:
        raise SecretsError("credentials.api_key is set but neither credentials.secret_file nor credentials.keyring")
    return Credentials(api_key=api_key, api_secret=secret)
