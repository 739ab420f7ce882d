"""API credentials: the key shown masked, the secret kept in a ``SecretStr`` and never printed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from console.util.redact import mask_key

__all__ = ["ENV_API_KEY", "ENV_API_SECRET", "Credentials", "mask_key"]  # mask_key: re-exported from console.util

ENV_API_KEY = "GEMINI_API_KEY"
ENV_API_SECRET = "GEMINI_API_SECRET"


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """One Gemini API key and its secret.

    The secret stays wrapped in a ``SecretStr``; only ``console.venues.gemini.auth.sign`` unwraps it. ``repr``/``str``
    show the masked key and never the secret.

    Attributes:
        api_key: the public key id (``account-…`` or ``master-…``), sent as ``X-GEMINI-APIKEY``.
        api_secret: the HMAC secret (a plain ``str`` passed in is wrapped into a ``SecretStr``).

    Raises:
        ValueError: if the key or the secret is empty.
    """

    api_key: str
    api_secret: SecretStr

    def __post_init__(self) -> None:
        if not isinstance(self.api_secret, SecretStr):
            object.__setattr__(self, "api_secret", SecretStr(str(self.api_secret)))
        if not self.api_key:
            raise ValueError("API key is empty")
        if not self.api_secret.get_secret_value():
            raise ValueError("API secret is empty")

    @property
    def masked_key(self) -> str:
        """The API key masked for display, e.g. ``"account-…ab12"``."""
        return mask_key(self.api_key)

    @property
    def is_master(self) -> bool:
        """True for a master (group) key, which needs ``account`` in each payload
        (https://developer.gemini.com/authentication/api-key)."""
        return self.api_key.startswith("master-")

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.masked_key!r}, api_secret='**********')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credentials | None:
        """Read ``GEMINI_API_KEY`` and ``GEMINI_API_SECRET`` (surrounding whitespace stripped).

        Args:
            environ: the environment to read (``os.environ`` by default; tests pass a dict).

        Returns:
            The credentials, or None when neither variable is set (or both are empty).

        Raises:
            ValueError: when only one of the two is set: a half-configured key is a mistake to report, not a
                reason to run silently without authentication. The message names the variable, never its value.
        """
        key = environ.get(ENV_API_KEY, "").strip()
        secret = environ.get(ENV_API_SECRET, "").strip()
        if not key and not secret:
            return None
        if not key:
            raise ValueError(f"{ENV_API_SECRET} is set but {ENV_API_KEY} is not")
        if not secret:
            raise ValueError(f"{ENV_API_KEY} is set but {ENV_API_SECRET} is not")
        return cls(api_key=key, api_secret=SecretStr(secret))
