"""Keeping secrets out of what is shown, logged or journaled: mask an API key id, strip secret fields from data.

Venue-neutral: the journal, the wire tap and the local exchange's command line all use these, so none of them has
to import a venue's module for them.
"""

from __future__ import annotations

from typing import Any

#: Keys removed (case-insensitively) from any payload before it is observed or recorded.
SECRET_KEYS = frozenset({"secret", "api_secret", "signature", "password", "x-gemini-signature"})


def mask_key(api_key: str) -> str:
    """Return ``api_key`` masked for display: the first 8 and last 4 characters, e.g. ``"account-…ab12"``.

    Keys of 16 characters or fewer would show too much of themselves that way, so only their last 2
    characters are kept (``"…12"``); an empty key gives ``"…"``.
    """
    if len(api_key) > 16:
        return f"{api_key[:8]}…{api_key[-4:]}"
    return f"…{api_key[-2:]}" if len(api_key) > 4 else "…"


def redact(data: Any) -> Any:
    """A copy of ``data`` with every key named like a secret (see :data:`SECRET_KEYS`) removed, recursively.

    Args:
        data: decoded JSON (dicts, lists and scalars); other values are returned as they are.

    Returns:
        The same shape without the secret fields; ``data`` itself is not changed.
    """
    if isinstance(data, dict):
        return {k: redact(v) for k, v in data.items() if str(k).lower() not in SECRET_KEYS}
    if isinstance(data, list):
        return [redact(v) for v in data]
    return data
