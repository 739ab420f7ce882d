"""Settings of one console run, built once by the CLI and passed down."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from urllib.parse import urlparse

from console.app.config import DeskConfig
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.urls import PRODUCTION, SANDBOX

DEFAULT_SYMBOLS = ("btcusd", "ethusd", "solusd")


class Environment(enum.StrEnum):
    """Where orders go. Shown in the header in colours no one can miss."""

    LOCAL = "LOCAL"
    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


def environment_for(rest_url: str) -> Environment:
    """Classify a REST base URL: Gemini's production host, its sandbox host, or anything else (LOCAL)."""
    host = urlparse(rest_url).hostname or ""
    if host == urlparse(PRODUCTION.rest).hostname:
        return Environment.PRODUCTION
    if host == urlparse(SANDBOX.rest).hostname:
        return Environment.SANDBOX
    return Environment.LOCAL


@dataclass(frozen=True)
class Settings:
    """Everything a console run needs.

    Attributes:
        environment: LOCAL, SANDBOX or PRODUCTION.
        rest_url: REST base URL, e.g. ``"https://api.sandbox.gemini.com"``.
        ws_url: WebSocket base URL, e.g. ``"wss://api.sandbox.gemini.com"``.
        credentials: the API key and secret (the secret is a ``SecretStr``).
        symbols: the symbols the ticket offers, lowercase.
        sub_accounts: for a master key, the sub-account nicknames the console may switch between (first = start).
        desk: the desk configuration (guards, keymap, theme, bell...; see console/app/config.py).
        ws_api_url: the URL of Gemini's WebSocket API (``wss://ws.gemini.com``; the local exchange's ``/ws``), used
            when the desk's ``api`` is ``ws``; None when unknown (no sandbox URL is published).
    """

    environment: Environment
    rest_url: str
    ws_url: str
    credentials: Credentials
    symbols: tuple[str, ...] = field(default=DEFAULT_SYMBOLS)
    sub_accounts: tuple[str, ...] = ()
    desk: DeskConfig = field(default_factory=DeskConfig)
    ws_api_url: str | None = None

    @property
    def api(self) -> str:
        """``"rest"`` (REST + ``/v1/order/events``) or ``"ws"`` (Gemini's WebSocket API): the desk's ``api``."""
        return self.desk.api

    @property
    def time_based_nonce(self) -> bool:
        """True when the key signs with a time-based nonce (seconds): the desk's setting, else yes with ``ws``."""
        configured = self.desk.time_based_nonce
        return self.api == "ws" if configured is None else configured

    @property
    def cancel_on_disconnect(self) -> bool:
        """With ``ws``: ask the exchange to cancel this session's orders when the socket drops. The desk's setting;
        auto: on outside LOCAL (a lost link must not leave real orders working), off on LOCAL. Always False with
        ``rest`` (its dead-man switch is the heartbeat)."""
        if self.api != "ws":
            return False
        configured = self.desk.cancel_on_disconnect
        return self.environment is not Environment.LOCAL if configured is None else configured

    @property
    def ticket_symbols(self) -> list[str]:
        """The symbols the ticket offers, the config's ``default_symbol`` first (the ticket and book start on it)."""
        symbols = list(self.symbols)
        default = self.desk.default_symbol
        if default:
            symbols = [default] + [s for s in symbols if s != default]
        return symbols

    @property
    def api_label(self) -> str:
        """What the header says of the order API: ``""`` for ``rest`` (unchanged header), else ``"WS API ·
        cancel-on-disconnect"`` or ``"WS API · no cancel-on-disconnect"``."""
        if self.api != "ws":
            return ""
        return "WS API · " + ("cancel-on-disconnect" if self.cancel_on_disconnect else "no cancel-on-disconnect")
