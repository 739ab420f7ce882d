"""The local Roxom venue's API keys: the demo RSA key pair made at first start, and the key id → public key table.

Roxom's keys are RSA-2048 pairs; the user keeps the PKCS#8 private key, the venue the public key, and the key id
(``xrxk_key_`` + 32 hex characters, https://docs.roxom.com/reference/authentication) names the pair. The local venue
makes a demo pair the first time it starts and writes the private key, mode 0600, to
``$XDG_STATE_HOME/trading-console/roxom/demo-private-key.pem`` (``~/.local/state`` when the variable is unset; the
same state directory as the console's journal), so a client can sign with it; the key id is derived from the public
key, so it is the same on every start.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from console.venues.roxom.auth import load_private_key

__all__ = [
    "DEMO_KEY_FILENAME",
    "KEY_ID_PREFIX",
    "ApiKey",
    "KeyTable",
    "default_state_dir",
    "ensure_demo_key",
    "key_id_for",
]

KEY_ID_PREFIX = "xrxk_key_"
DEMO_KEY_FILENAME = "demo-private-key.pem"


def default_state_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/trading-console/roxom`` (``~/.local/state/trading-console/roxom`` when unset)."""
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "trading-console" / "roxom"


def key_id_for(public_key: rsa.RSAPublicKey) -> str:
    """The key id of a public key: ``xrxk_key_`` + the first 32 hex digits of SHA-256 of its DER encoding."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KEY_ID_PREFIX + hashlib.sha256(der).hexdigest()[:32]


def ensure_demo_key(state_dir: Path) -> tuple[Path, rsa.RSAPublicKey]:
    """Load the demo private key from ``state_dir``, or make and write it (0600) the first time.

    Returns:
        ``(private key path, public key)``.

    Raises:
        KeyFileError: an existing file readable by others, or not a PKCS#8 RSA-2048 key (the message says why).
        OSError: the directory or the file cannot be written.
    """
    path = state_dir / DEMO_KEY_FILENAME
    if not path.exists():
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # O_EXCL: two venues starting at once never overwrite each other's key; the loser reads the winner's.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return path, load_private_key(path).public_key()


@dataclass(frozen=True)
class ApiKey:
    """One accepted key: its id, its RSA public key and the engine account it trades."""

    key_id: str
    public_key: rsa.RSAPublicKey
    account_id: int


class KeyTable:
    """The venue's accepted keys by key id."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}

    def add(self, public_key: rsa.RSAPublicKey, account_id: int, key_id: str | None = None) -> ApiKey:
        """Accept ``public_key`` for ``account_id`` under ``key_id`` (derived from the key when None)."""
        entry = ApiKey(key_id or key_id_for(public_key), public_key, account_id)
        self._keys[entry.key_id] = entry
        return entry

    def get(self, key_id: str) -> ApiKey | None:
        """The key with this id, or None."""
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[ApiKey]:
        return iter(self._keys.values())
