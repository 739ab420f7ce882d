"""The banner shown when the API key cannot trade (an Auditor key: ``MissingRole``)."""

from __future__ import annotations

from textual.widgets import Static

READ_ONLY_TEXT = (
    "READ-ONLY: this API key has no Trader role (MissingRole). Orders, cancels and wraps are disabled; "
    "history, fills, balances and fees still work."
)


class ReadOnlyBanner(Static):
    """One bold line under the header that says the console is read-only and why."""

    def __init__(self) -> None:
        super().__init__(READ_ONLY_TEXT, id="read-only-banner")
