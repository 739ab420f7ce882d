"""What every part of a trading session shares: connection states, status entries, listeners, the mixins' base."""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from console.domain.blotter import Blotter, RecentIds
from console.domain.errors import VenueError, VenueRefused
from console.domain.model import Order, OrderEvent, OrderState, SymbolRules
from console.domain.reasons import Severity
from console.trading.venue import Venue
from console.util.backoff import Backoff


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



class SessionBase:
    """What the session's mixins (stream, cancels, texts) share: the attributes ``TradingSession`` sets and the
    methods one mixin calls on another. Declarations only; ``console.trading.session.TradingSession`` defines them.
    """

    venue: Venue
    api_key: str
    clock_ms: Callable[[], int]
    blotter: Blotter
    connection: ConnectionState
    listener: SessionListener
    stale_after_s: float
    retry_initial_s: float
    retry_cap_s: float
    last_message_ms: int | None
    stale_since_ms: int | None
    halt_reason: str | None
    reconcile_count: int
    _backoff: Backoff
    _rng: random.Random
    _gap_started_ms: int | None
    _resync_reason: str | None
    _cancel_retrying: set[str]
    _replacing: dict[str, bool]
    rules: dict[str, SymbolRules]
    _completed: RecentIds
    _completing: list[Order]
    _applying_batch: bool

    # -- defined by TradingSession ------------------------------------------------------------------------------
    def _set_connection(self, state: ConnectionState, detail: str) -> None:
        raise NotImplementedError

    def _halt(self, exc: VenueError) -> None:
        raise NotImplementedError

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        raise NotImplementedError

    def _apply_answer(self, incoming: Order) -> Order | None:
        raise NotImplementedError

    def _not_received(self, client_order_id: str) -> None:
        raise NotImplementedError

    def _revive_declared(self, orders: Iterable[Order]) -> list[str]:
        raise NotImplementedError

    def _report_revived(self, client_order_ids: list[str]) -> None:
        raise NotImplementedError

    # -- defined by the stream mixin ----------------------------------------------------------------------------
    def _surface_flags(self) -> bool:
        raise NotImplementedError

    # -- defined by the cancels mixin ---------------------------------------------------------------------------
    async def _send_cancel(self, order_id: str, *, retry: bool, note: str = "", raise_refused: bool = False) -> bool:
        raise NotImplementedError

    async def _retry_cancel(self, order_id: str) -> None:
        raise NotImplementedError

    # -- defined by the text mixin ------------------------------------------------------------------------------
    @staticmethod
    def _key(order: Order) -> str:
        raise NotImplementedError

    def _gap_summary(self, before: dict[str, tuple[OrderState, Any]], after: list[Order], new_fills: int) -> str:
        raise NotImplementedError

    def _status_for_event(self, event: OrderEvent, order: Order) -> None:
        raise NotImplementedError

    def _report_completions(self) -> None:
        raise NotImplementedError

    @staticmethod
    def _reason_text(exc: VenueRefused) -> str:
        raise NotImplementedError

    def _report(self, subject: str, code: str, text: str, *, cancel: bool) -> None:
        raise NotImplementedError

    def _emit(self, severity: Severity, subject: str, code: str, text: str) -> None:
        raise NotImplementedError
