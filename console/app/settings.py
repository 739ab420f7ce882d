"""Settings of one console run, built once by the CLI and passed down."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from pydantic import SecretStr

from console.app.config import DeskConfig
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.urls import PRODUCTION, SANDBOX
from console.venues.roxom.auth import mask_key_id

DEFAULT_SYMBOLS = ("btcusd", "ethusd", "solusd")
#: The symbols a Roxom console offers by default (BTC-margined perpetuals; the local venue lists these three).
ROXOM_SYMBOLS = ("gold-btc", "us500-btc", "oil-btc")


class Environment(enum.StrEnum):
    """Where orders go. Shown in the header in colours no one can miss."""

    LOCAL = "LOCAL"
    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


class Venue(enum.StrEnum):
    """Which venue the console trades on (``--venue``)."""

    GEMINI = "gemini"
    ROXOM = "roxom"


@dataclass(frozen=True)
class RoxomKey:
    """A Roxom API key: its id (``X-API-Key``) and its RSA private key: a PKCS#8 PEM file (read when signing) or
    the PEM itself, from the OS keyring (``roxom.keyring``).

    Attributes:
        key_id: e.g. ``"xrxk_key_3437401edb0560e2de84efe7d34327c4"``.
        private_key_path: the private key file (refused when group or world readable); None with ``private_key_pem``.
        private_key_pem: the PEM from the keyring (a ``SecretStr``: never shown); None with a file.
    """

    key_id: str
    private_key_path: Path | None
    private_key_pem: SecretStr | None = None

    def private_key_source(self) -> Path | bytes:
        """What ``console.venues.roxom.auth.load_private_key`` reads: the PEM bytes from the keyring, else the file.

        Raises:
            ValueError: neither is set.
        """
        if self.private_key_pem is not None:
            return self.private_key_pem.get_secret_value().encode()
        if self.private_key_path is None:
            raise ValueError("a Roxom key needs a private key file or the keyring")
        return self.private_key_path

    @property
    def masked_key(self) -> str:
        """The key id masked for display, e.g. ``"xrxk_key_…27c4"``."""
        return mask_key_id(self.key_id)

    def __repr__(self) -> str:
        where = "keyring" if self.private_key_pem is not None else str(self.private_key_path)
        return f"RoxomKey(key_id={self.masked_key!r}, private_key={where!r})"


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
        credentials: Gemini's API key and secret (the secret is a ``SecretStr``); None on Roxom.
        symbols: the symbols the ticket offers, lowercase.
        sub_accounts: for a master key, the sub-account nicknames the console may switch between (first = start).
        desk: the desk configuration (guards, keymap, theme, bell...; see console/app/config.py).
        venue: the venue traded on (Gemini by default).
        roxom_key: the Roxom key (``venue`` Roxom only).
        ws_api_url: the URL of Gemini's WebSocket API (``wss://ws.gemini.com``; the local exchange's ``/ws``), used
            when the desk's ``api`` is ``ws``; None when unknown (no sandbox URL is published).
    """

    environment: Environment
    rest_url: str
    ws_url: str
    credentials: Credentials | None
    symbols: tuple[str, ...] = field(default=DEFAULT_SYMBOLS)
    sub_accounts: tuple[str, ...] = ()
    desk: DeskConfig = field(default_factory=DeskConfig)
    venue: Venue = Venue.GEMINI
    roxom_key: RoxomKey | None = None
    ws_api_url: str | None = None

    @property
    def venue_label(self) -> str:
        """The venue's name for the header beside the environment: ``"ROXOM"``; ``""`` for Gemini (the default
        venue's header shows the environment alone, as before a second venue existed)."""
        return "" if self.venue is Venue.GEMINI else self.venue.value.upper()

    @property
    def masked_key(self) -> str:
        """The key the console signs with, masked for display (Roxom's key id, or Gemini's API key)."""
        if self.roxom_key is not None:
            return self.roxom_key.masked_key
        return self.credentials.masked_key if self.credentials is not None else "none"

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
        """The symbols the ticket offers, the config's ``default_symbol`` first (the ticket and book start on it),
        then the watchlist's symbols not among them (choosing a watchlist row moves the ticket to its symbol)."""
        symbols = list(self.symbols)
        default = self.desk.default_symbol
        if default:
            symbols = [default] + [s for s in symbols if s != default]
        return symbols + [s for s in self.watchlist_symbols if s not in symbols]

    @property
    def watchlist_symbols(self) -> list[str]:
        """The symbols the watchlist shows, in order: the config's ``watchlist``, else the ticket's symbols."""
        configured = self.desk.watchlist
        if configured:
            return list(dict.fromkeys(configured))
        symbols = list(self.symbols)
        default = self.desk.default_symbol
        return [default] + [s for s in symbols if s != default] if default else symbols

    @property
    def api_label(self) -> str:
        """What the header says of the order API: ``""`` for ``rest`` (unchanged header), else ``"WS API ·
        cancel-on-disconnect"`` or ``"WS API · no cancel-on-disconnect"``."""
        if self.api != "ws":
            return ""
        return "WS API · " + ("cancel-on-disconnect" if self.cancel_on_disconnect else "no cancel-on-disconnect")
