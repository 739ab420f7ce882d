"""What every part of a trading session shares: connection states, status entries, listeners, error classes."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from console.domain.model import Order
from console.domain.reasons import Severity
from console.venues.gemini.errors import (
    AuthenticationError,
    GeminiError,
    InvalidResponse,
    PermissionDenied,
    TransportError,
)


def _ambiguous(exc: GeminiError) -> bool:
    """True when a failed request may or may not have been executed: network failure, 5xx, 429, unreadable 200."""
    if isinstance(exc, TransportError | InvalidResponse):
        return True
    status = getattr(exc, "status", None) or 0
    return status >= 500 or status == 429


def _halts(exc: GeminiError) -> bool:
    """True for errors that stop trading: the key is refused (InvalidSignature, …) or lacks a role (MissingRole)."""
    return isinstance(exc, AuthenticationError | PermissionDenied)


class ConnectionState(enum.StrEnum):
    """State of the order-events stream, as shown in the header.

    ``STALE``: trust in the blotter is lost (the stream closed, went silent past the heartbeat watchdog, or broke
    its ``socket_sequence``); the session is reconnecting. ``RECONCILING``: connected again and comparing the
    blotter with the venue over REST. New orders are accepted only while ``LIVE``.
    """

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RECONCILING = "reconciling"
    RECONNECTING = "reconnecting"
    HALTED = "halted"


class TradingBlocked(Exception):
    """A new order was refused by the console itself (stream stale, reconciling, or trading halted)."""


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One line of the status pane.

    Attributes:
        time_ms: when it happened (console clock), ms since the epoch.
        severity: how loudly to show it.
        subject: what it is about, e.g. ``"BUY 0.01 BTCUSD @ 64250.00 #73000000012"``.
        code: the venue's reason code (``""`` when none, e.g. for a fill).
        text: plain-language explanation.
    """

    time_ms: int
    severity: Severity
    subject: str
    code: str
    text: str


@dataclass
class SessionListener:
    """Callbacks a session calls; each defaults to doing nothing."""

    orders_changed: Callable[[list[Order]], None] = lambda orders: None
    status: Callable[[StatusEntry], None] = lambda entry: None
    connection_changed: Callable[[ConnectionState, str], None] = lambda state, detail: None

