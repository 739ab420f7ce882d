"""A trading session: the Gemini client, the order-events stream and the blotter, working as one.

This is the layer the TUI drives. It knows no widgets: it turns tickets into orders on the wire, wire answers
and stream events into blotter changes, and every cancel or reject into a plain-language status entry.
Listeners hear about changes through plain callbacks (the TUI turns them into Textual messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from console.gemini.auth import nonce_quoted_in
from console.gemini.convert import event_from_wire, fill_from_my_trade, order_from_status, rules_from_details
from console.gemini.errors import (
    ApiError,
    AuthenticationError,
    GeminiError,
    InvalidResponse,
    NonceError,
    OrderNotFound,
    PermissionDenied,
    StreamClosed,
    TransportError,
)
from console.gemini.order_events import (
    BadFrame,
    OrderEventBatch,
    OrderEventsClient,
    SequenceGap,
    SubscriptionAck,
)
from console.gemini.rest import GeminiRestClient
from console.orders.blotter import Blotter
from console.orders.fmt import fmt_money, fmt_price, fmt_qty
from console.orders.model import EventKind, Order, OrderEvent, OrderState, SymbolRules
from console.orders.reasons import CANCEL_REASONS, REJECT_REASONS, Severity, explain
from console.orders.ticket import ClientOrderIds, NewOrder, TicketInput, validate_ticket

log = logging.getLogger(__name__)

KNOWN_REASONS = frozenset(CANCEL_REASONS) | frozenset(REJECT_REASONS)

#: Heartbeat watchdog: no message for this long (two missed 5 s heartbeats) and the stream is stale (seconds).
STALE_AFTER_S = 10.0
#: Reason code the console gives an order the venue never received (its status by client order id: not found).
NOT_RECEIVED = "NotReceived"


def _ambiguous(exc: GeminiError) -> bool:
    """True when a failed request may or may not have been executed: network failure, 5xx, 429, unreadable 200."""
    if isinstance(exc, TransportError | InvalidResponse):
        return True
    status = getattr(exc, "status", None) or 0
    return status >= 500 or status == 429


def _halts(exc: GeminiError) -> bool:
    """True for errors that stop trading: the key is refused (InvalidSignature, …) or lacks a role (MissingRole)."""
    return isinstance(exc, AuthenticationError | PermissionDenied)


def wall_clock_ms() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


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


def describe(order: Order) -> str:
    """Short human label: ``BUY 0.01 BTCUSD @ 64250.00 tc-1a2b3c4d-000001`` (or ``#<order id>`` without a client id).

    The client order id is known from the moment the console sends the order, so the label is the same
    whichever answer (REST or stream) arrives first.
    """
    stop = f" stop {fmt_price(order.stop_price)}" if order.stop_price is not None else ""
    ident = order.client_order_id or f"#{order.order_id}"
    price = fmt_price(order.price)
    return f"{order.side.upper()} {fmt_qty(order.amount)} {order.symbol.upper()} @ {price}{stop} {ident}"


@dataclass
class _Backoff:
    """Capped exponential back-off with jitter for reconnects (seconds)."""

    initial_s: float = 0.25
    cap_s: float = 10.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """The next pause: ``min(cap, initial * 2**attempt)`` times a jitter factor in [0.5, 1)."""
        delay = min(self.cap_s, self.initial_s * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return delay * (0.5 + self.rng.random() / 2)

    def reset(self) -> None:
        self.attempt = 0


class TradingSession:
    """One console session against one venue account.

    Guarantees (docs/reliability.md): an order shown live is live; filled amounts are the venue's; an order is
    never sent twice. The order-events stream is watched (heartbeat watchdog, ``socket_sequence``); when trust is
    lost the session shows STALE, blocks new orders, reconnects with capped exponential back-off and jitter, and
    reconciles over REST (``/v1/orders``, ``/v1/order/status`` for every order that vanished or is UNKNOWN,
    ``/v1/mytrades`` for fills during the gap) before going LIVE again with a summary of what changed.

    Args:
        rest: the REST client (owns its httpx client; the session closes it).
        order_events: the order-events WebSocket client.
        api_key: the API key both clients use; the venue names it as ``api_session`` on this session's orders.
        symbols: the symbols the ticket offers, e.g. ``["btcusd", "ethusd", "solusd"]``.
        clock_ms: the console's clock (ms since the epoch); tests pass a fixed one.
        client_order_ids: generator of this session's client order ids.
        stale_after_s: heartbeat watchdog: no message for this long means the stream is stale (Gemini sends a
            heartbeat every 5 s; default 10 s). Tests pass a short one.
        reconnect_initial_s / reconnect_cap_s: reconnect back-off (seconds): doubling from the first, capped.
        retry_initial_s / retry_cap_s: back-off of the status calls that settle an UNKNOWN order and of cancel
            retries (seconds).
        seed: seed of the back-off jitter (tests pass one for determinism).
    """

    def __init__(
        self,
        rest: GeminiRestClient,
        order_events: OrderEventsClient,
        *,
        api_key: str,
        symbols: Iterable[str] = ("btcusd", "ethusd", "solusd"),
        clock_ms: Callable[[], int] = wall_clock_ms,
        client_order_ids: ClientOrderIds | None = None,
        stale_after_s: float = STALE_AFTER_S,
        reconnect_initial_s: float = 0.25,
        reconnect_cap_s: float = 10.0,
        retry_initial_s: float = 0.5,
        retry_cap_s: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.rest = rest
        self.order_events = order_events
        self.api_key = api_key
        self.symbols = [s.lower() for s in symbols]
        self.clock_ms = clock_ms
        self.client_order_ids = client_order_ids or ClientOrderIds()
        self.blotter = Blotter()
        self.rules: dict[str, SymbolRules] = {}
        self.connection = ConnectionState.CONNECTING
        self.listener = SessionListener()
        self.blotter.add_listener(lambda changed: self.listener.orders_changed(changed))
        rng = random.Random(seed)
        self._backoff = _Backoff(reconnect_initial_s, reconnect_cap_s, rng=rng)
        self._rng = rng
        self.stale_after_s = stale_after_s
        self.retry_initial_s = retry_initial_s
        self.retry_cap_s = retry_cap_s
        #: Console time (ms) of the last message the stream delivered; the STALE banner's age counts from it.
        self.last_message_ms: int | None = None
        #: Console time (ms) trust was lost, None while LIVE.
        self.stale_since_ms: int | None = None
        #: Why trading is halted (e.g. ``"InvalidSignature"``), None while it is not.
        self.halt_reason: str | None = None
        #: How many times the stream reconnected and reconciled.
        self.reconcile_count = 0
        self._gap_started_ms: int | None = None
        self._resync_reason: str | None = None
        self._tasks: set[asyncio.Task] = set()
        self._resolving: set[str] = set()
        self._cancel_retrying: set[str] = set()
        if hasattr(rest, "on_rate_limited"):
            rest.on_rate_limited = self._rate_limited

    # -- reference data and snapshots ----------------------------------------------------------------------
    async def load_symbols(self) -> dict[str, SymbolRules]:
        """Fetch the trading rules of every configured symbol (``/v1/symbols/details/:symbol``).

        Raises:
            GeminiError: the venue or the network failed.
        """
        details = await asyncio.gather(*(self.rest.symbol_details(s) for s in self.symbols))
        self.rules = {rules.symbol: rules for rules in map(rules_from_details, details)}
        return self.rules

    async def reconcile(self) -> int:
        """Apply the venue's active orders (``/v1/orders``) to the blotter; return how many are open.

        Raises:
            GeminiError: the venue or the network failed.
        """
        active = await self.rest.active_orders()
        now = self.clock_ms()
        self.blotter.apply_snapshots([order_from_status(status, updated_ms=now) for status in active], now)
        return len(active)

    # -- orders -------------------------------------------------------------------------------------------------
    def order_entry_block(self) -> str | None:
        """Why new orders are refused right now (None when they are accepted). Cancels are always allowed."""
        if self.connection is ConnectionState.HALTED:
            return f"Trading halted ({self.halt_reason or 'stream stopped'}): see the status pane."
        if self.connection is ConnectionState.RECONCILING:
            return "Reconciling with the exchange: new orders wait until the blotter is confirmed (cancels work)."
        if self.connection is ConnectionState.CONNECTING:
            return "Connecting to the order stream: new orders wait until it is live and reconciled."
        if self.connection is not ConnectionState.LIVE:
            return "Order stream not live (stale): new orders are blocked until it is reconciled (cancels work)."
        return None

    def prepare(self, ticket: TicketInput) -> NewOrder:
        """Validate a ticket against its symbol's rules and give it a fresh client order id.

        Raises:
            TicketErrors: per-field messages; nothing is recorded or sent.
        """
        return validate_ticket(ticket, self.rules.get(ticket.symbol.lower()), self.client_order_ids.next())

    async def submit(self, order: NewOrder) -> Order | None:
        """Send a validated order (``/v1/order/new``) once, and record what the venue answered.

        The order shows as PENDING_NEW at once. A refusal becomes REJECTED with its reason. A timeout, a lost
        connection, a 5xx or a 429 leaves it UNKNOWN: it is never re-sent; a background task asks
        ``/v1/order/status`` by its client order id (with back-off) until the venue or the stream settles it.

        Returns:
            The order as recorded after the answer, or None if the answer changed nothing.

        Raises:
            TradingBlocked: the stream is not live, or trading is halted (nothing is recorded or sent).
        """
        block = self.order_entry_block()
        if block is not None:
            raise TradingBlocked(block)
        self.blotter.add_pending(order, self.clock_ms())
        try:
            status = await self.rest.new_order(
                symbol=order.symbol,
                side=order.side,
                amount=order.amount,
                price=order.price,
                order_type=order.order_type,
                stop_price=order.stop_price,
                options=order.options,
                client_order_id=order.client_order_id,
            )
        except GeminiError as exc:
            if _ambiguous(exc):
                return self._outcome_unknown(order, exc)
            if not isinstance(exc, ApiError):
                raise
            before = self.blotter.by_client_order_id(order.client_order_id)
            already_rejected = before is not None and before.state is OrderState.REJECTED
            rejected = self.blotter.reject_pending(order.client_order_id, exc.reason, self.clock_ms())
            if not already_rejected:  # the stream's `rejected` event may have told us first
                self._report(describe(rejected) if rejected else order.client_order_id, exc.reason,
                             self._reason_text(exc), cancel=False)
            if _halts(exc):
                self._halt(exc)
            return rejected
        return self._apply_answer(order_from_status(status))

    def _outcome_unknown(self, order: NewOrder, exc: GeminiError) -> Order | None:
        unknown = self.blotter.mark_unknown(order.client_order_id, self.clock_ms())
        what = getattr(exc, "reason", None) or exc.__class__.__name__
        if unknown is None:  # the stream told us first: the order is known, nothing is ambiguous
            log.info("new order %s: no answer (%s) but the stream already settled it", order.client_order_id, what)
            return self.blotter.by_client_order_id(order.client_order_id)
        self._emit(Severity.ERROR, describe(unknown) if unknown else order.client_order_id, "Unknown",
                   f"No clear answer to the new order ({what}); its outcome is not known yet. It will not be "
                   "re-sent: the console is asking the exchange by its client order id.")
        self._spawn(self._resolve_unknown(order.client_order_id))
        return unknown

    async def _resolve_unknown(self, client_order_id: str) -> None:
        """Ask ``/v1/order/status`` by client order id until the UNKNOWN order is settled (never re-sends it)."""
        if client_order_id in self._resolving:
            return
        self._resolving.add(client_order_id)
        delay = self.retry_initial_s
        try:
            while True:
                order = self.blotter.by_client_order_id(client_order_id)
                if order is None or order.state is not OrderState.UNKNOWN:
                    return  # settled meanwhile (the stream, or a reconciliation)
                try:
                    status = await self.rest.order_status(client_order_id=client_order_id)
                except OrderNotFound:
                    self._not_received(client_order_id)
                    return
                except GeminiError as exc:
                    if _halts(exc):
                        self._halt(exc)
                        return
                    log.info("status of %s not known yet (%s); retrying", client_order_id, exc.__class__.__name__)
                    await asyncio.sleep(delay * (0.5 + self._rng.random() / 2))
                    delay = min(self.retry_cap_s, delay * 2)
                    continue
                recorded = self._apply_answer(order_from_status(status))
                if recorded is not None:
                    self._emit(Severity.INFO, describe(recorded), "Resolved",
                               f"The exchange has this order: {recorded.state.value}.")
                return
        finally:
            self._resolving.discard(client_order_id)

    def _not_received(self, client_order_id: str) -> None:
        order = self.blotter.by_client_order_id(client_order_id)
        if order is None or order.state is not OrderState.UNKNOWN:
            return
        rejected = self.blotter.reject_pending(client_order_id, NOT_RECEIVED, self.clock_ms())
        self._emit(Severity.WARNING, describe(rejected or order), NOT_RECEIVED,
                   "The exchange has no order with this client order id: it was never placed (not re-sent).")

    async def cancel(self, order_id: str) -> None:
        """Cancel one order (``/v1/order/cancel``); it shows PENDING_CANCEL until the venue confirms.

        A cancel whose answer is lost (timeout, lost connection, 5xx, 429) keeps the order PENDING_CANCEL (it can
        still fill) and is retried with back-off: cancelling is idempotent, unlike placing.
        """
        order = self.blotter.get(order_id)
        if order is None or order.state.is_terminal:
            return
        self.blotter.mark_pending_cancel(order_id, self.clock_ms())
        await self._send_cancel(order_id, retry=True)

    async def _send_cancel(self, order_id: str, *, retry: bool) -> bool:
        """Send one cancel; return True when the venue answered it (either way)."""
        order = self.blotter.get(order_id)
        if order is None:
            return True
        try:
            status = await self.rest.cancel_order(order_id)
        except GeminiError as exc:
            if _ambiguous(exc):
                current = self.blotter.get(order_id)
                if current is None or current.state is not OrderState.PENDING_CANCEL:
                    # Settled meanwhile (the stream said cancelled or filled, or refused the cancel): a late lost
                    # answer changes nothing, and saying "pending, retried" now would be false.
                    log.info("cancel of %s: no answer (%s), but the order is already %s", order_id,
                             exc.__class__.__name__, current.state.value if current else "gone")
                    return True
                # True as written: with retry the task below re-sends it, without it the caller's retry loop does.
                self._emit(Severity.WARNING, describe(order), "PendingCancel",
                           f"Cancel not confirmed ({getattr(exc, 'reason', None) or exc.__class__.__name__}); the "
                           "order stays pending-cancel (it may still fill) and the cancel is retried.")
                if retry:
                    self._spawn(self._retry_cancel(order_id))
                return False
            if not isinstance(exc, ApiError):
                raise
            self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
            self._report(describe(order), exc.reason, self._reason_text(exc), cancel=False)
            if _halts(exc):
                self._halt(exc)
            return True
        self._apply_answer(order_from_status(status))
        return True

    async def _retry_cancel(self, order_id: str) -> None:
        """Re-send a cancel (safe: idempotent) with back-off until the venue answers or the order ends."""
        if order_id in self._cancel_retrying:
            return
        self._cancel_retrying.add(order_id)
        delay = self.retry_initial_s
        try:
            while True:
                await asyncio.sleep(delay * (0.5 + self._rng.random() / 2))
                delay = min(self.retry_cap_s, delay * 2)
                order = self.blotter.get(order_id)
                if order is None or order.state is not OrderState.PENDING_CANCEL:
                    return
                if self.connection is ConnectionState.HALTED:
                    return
                if await self._send_cancel(order_id, retry=False):
                    return
        finally:
            self._cancel_retrying.discard(order_id)

    def _apply_answer(self, incoming: Order) -> Order | None:
        """Apply an order from a REST answer; report it if that answer is what ended the order.

        The same end may reach us first through the stream; whichever comes first reports it, once.
        """
        before = self.blotter.get(incoming.order_id) if incoming.order_id else None
        if before is None and incoming.client_order_id:
            before = self.blotter.by_client_order_id(incoming.client_order_id)
        previous = before.state if before is not None else None
        recorded = self.blotter.apply_snapshot(incoming, self.clock_ms())
        self._surface_flags()
        if recorded is not None and recorded.state is not previous:
            if recorded.state is OrderState.CANCELLED:
                # A requested cancel, or an execution option that ended the order at once (MOC, IOC, FOK...).
                self._report(describe(recorded), recorded.reason or "",
                             explain(recorded.reason, cancel=True).text, cancel=True)
            elif recorded.state is OrderState.REJECTED:
                self._report(describe(recorded), recorded.reason or "", explain(recorded.reason).text, cancel=False)
        return recorded

    async def cancel_session(self) -> int:
        """Cancel every order of this API session (``/v1/order/cancel/session``); return how many."""
        return await self._cancel_many(self.rest.cancel_session, "this session's", session_only=True)

    async def cancel_all(self) -> int:
        """Cancel every order of the account, all sessions and the web UI (``/v1/order/cancel/all``)."""
        return await self._cancel_many(self.rest.cancel_all, "all", session_only=False)

    async def _cancel_many(self, call: Callable, label: str, *, session_only: bool) -> int:
        now = self.clock_ms()
        marked = [
            o.order_id for o in self.blotter.open_orders()
            if o.order_id and (not session_only or o.api_session in (None, self.api_key))
            and self.blotter.mark_pending_cancel(o.order_id, now) is not None
        ]
        try:
            result = await call()
        except GeminiError as exc:
            reason = getattr(exc, "reason", exc.__class__.__name__)
            self._emit(Severity.ERROR, f"Cancel {label} orders", str(reason), str(exc))
            if _ambiguous(exc):
                for order_id in marked:  # each one is cancelled on its own, safely, until confirmed
                    self._spawn(self._retry_cancel(order_id))
            else:
                for order_id in marked:
                    self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
                if _halts(exc):
                    self._halt(exc)
            return 0
        cancelled = list(result.details.cancelledOrders)
        rejects = list(result.details.cancelRejects)
        severity = Severity.WARNING if rejects else Severity.INFO
        text = f"{len(cancelled)} cancelled" + (f", {len(rejects)} cancel rejects" if rejects else "")
        self._emit(severity, f"Cancel {label} orders", "Requested", text + ".")
        return len(cancelled)

    def session_order_count(self) -> int:
        """Open orders placed through this API key (what cancel-session cancels)."""
        return sum(1 for o in self.blotter.open_orders() if o.order_id and o.api_session == self.api_key)

    def open_order_count(self) -> int:
        """Open orders of the whole account (what cancel-all cancels)."""
        return sum(1 for o in self.blotter.open_orders() if o.order_id)

    # -- the order events stream ----------------------------------------------------------------------------------
    async def run_order_events(self) -> None:
        """Keep the order-events stream connected until cancelled; apply every event to the blotter.

        Trust is lost (STALE) when the stream closes, goes silent for ``stale_after_s``, breaks its
        ``socket_sequence`` (gap, repeat or reset), or sends an order-events frame that cannot be read. Each time:
        reconnect with capped exponential back-off and jitter (a fresh nonce on every handshake), then reconcile
        over REST before going LIVE. ``InvalidSignature`` / ``MissingRole`` halt trading: no retry loop.
        """
        while True:
            reason: str | None
            try:
                reason = await self._stream_once()
            except asyncio.CancelledError:
                raise
            except NonceError as exc:
                quoted = nonce_quoted_in(exc.message)
                if quoted is not None:
                    self.rest.nonce.advance_to(quoted)
                reason = exc.reason
            except ApiError as exc:
                if _halts(exc):
                    self._halt(exc)
                    return
                reason = exc.reason
            except (GeminiError, OSError) as exc:
                reason = exc.__class__.__name__
            if self.connection is ConnectionState.HALTED:
                return
            self._lose_trust(reason or "stream closed")
            await asyncio.sleep(self._backoff.next_delay())

    async def _stream_once(self) -> str | None:
        """One connection: returns (or raises) why it ended."""
        connection = await self.order_events.connect()
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
                    async with asyncio.timeout(self.stale_after_s):
                        message = await connection.recv()
                except TimeoutError:
                    connection.abort()
                    return f"no message for {self.stale_after_s:g} s"
                except StreamClosed as exc:
                    if exc.code == 1006:  # websockets' code for "no close frame": the network dropped it
                        return "connection lost without a close frame"
                    detail = f": {exc.close_reason}" if exc.close_reason else ""
                    return f"closed by the exchange (code {exc.code}{detail})"
                self.last_message_ms = self.clock_ms()
                if isinstance(message, SubscriptionAck):
                    await self._reconcile_after_connect()
                elif isinstance(message, OrderEventBatch):
                    self._apply_batch(message)
                    # Frames already buffered are read without suspending: yield once per batch so the screen
                    # (same event loop) paints and takes keys between batches instead of after the backlog.
                    await asyncio.sleep(0)
                elif isinstance(message, SequenceGap):
                    self._emit(Severity.ERROR, "Order events", "SequenceGap",
                               f"Stream sequence jumped from {message.expected} to {message.received}: "
                               "reconnecting to resynchronise.")
                    connection.abort()
                    return "sequence gap"
                elif isinstance(message, BadFrame):
                    log.warning("bad order-events frame: %s", message.reason)
                    if message.raw.lstrip().startswith("[") or message.reason == "invalid JSON":
                        # It may have carried order events: the blotter can no longer be trusted.
                        self._emit(Severity.ERROR, "Order events", "BadFrame",
                                   f"Unreadable order events ({message.reason[:80]}): resynchronising.")
                        connection.abort()
                        return "unreadable frame"
                if self._resync_reason is not None:
                    reason, self._resync_reason = self._resync_reason, None
                    connection.abort()
                    return reason
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await connection.close()

    @property
    def trusted_until_ms(self) -> int | None:
        """Console time (ms) of the last message received before trust was lost; None while trusted.

        The STALE banner's age counts from it: how old the blotter's picture of the venue may be.
        """
        return self._gap_started_ms if self.stale_since_ms is not None else None

    def _lose_trust(self, reason: str) -> None:
        """The blotter can no longer be trusted: STALE (with its age), new orders blocked until reconciled."""
        if self.connection is ConnectionState.HALTED:
            return
        if self.stale_since_ms is None:
            now = self.clock_ms()
            self.stale_since_ms = now
            self._gap_started_ms = self.last_message_ms if self.last_message_ms is not None else now
            if self.connection is not ConnectionState.CONNECTING:
                self._emit(Severity.WARNING, "Order events", "Stale",
                           f"Order stream lost ({reason}): orders may have changed; new orders are blocked until "
                           "the console has reconnected and reconciled. Cancels still work.")
        self._set_connection(ConnectionState.STALE, reason)

    async def _reconcile_after_connect(self) -> None:
        """After every (re)connect: ``/v1/orders``, status of what vanished or is UNKNOWN, ``/v1/mytrades``."""
        self._set_connection(ConnectionState.RECONCILING, "")
        was_stale = self.stale_since_ms is not None
        before = {self._key(o): (o.state, o.filled) for o in self.blotter.orders()}
        fills_before = sum(len(o.fills) for o in self.blotter.orders())
        now = self.clock_ms()
        active = await self.rest.active_orders()
        incoming = [order_from_status(status, updated_ms=now) for status in active]
        active_ids = {order.order_id for order in incoming}
        self.blotter.apply_snapshots(incoming, now)
        for order in self.blotter.open_orders():
            if order.order_id and order.order_id not in active_ids:
                await self._settle_vanished(order)
            elif not order.order_id and order.state is OrderState.UNKNOWN:
                await self._settle_unknown_now(order.client_order_id or "")
        if was_stale and self._gap_started_ms is not None:
            await self._fills_during_gap(self._gap_started_ms)
        for order in self.blotter.open_orders():
            if order.state is OrderState.PENDING_CANCEL and order.order_id in active_ids:
                self._spawn(self._retry_cancel(order.order_id))  # the cancel's fate was lost with the stream
        self._surface_flags()
        self.reconcile_count += 1
        after = self.blotter.orders()
        summary = self._gap_summary(before, after, sum(len(o.fills) for o in after) - fills_before)
        self._backoff.reset()
        self.stale_since_ms = None
        self._gap_started_ms = None
        self._set_connection(ConnectionState.LIVE, "")
        if was_stale:
            self._emit(Severity.INFO, "Order events", "Reconciled", summary)
        else:
            count = len(active)
            self._emit(Severity.INFO, "Order events", "",
                       f"Stream live; {count} open order{'s' if count != 1 else ''} on the account.")

    async def _settle_vanished(self, order: Order) -> None:
        """An open order missing from ``/v1/orders``: ask its status (filled or cancelled while we were away)."""
        try:
            status = await self.rest.order_status(order_id=order.order_id)
        except OrderNotFound:
            log.error("order %s vanished and the exchange does not know it", order.order_id)
            return
        self.blotter.apply_snapshot(order_from_status(status), self.clock_ms())

    async def _settle_unknown_now(self, client_order_id: str) -> None:
        try:
            status = await self.rest.order_status(client_order_id=client_order_id)
        except OrderNotFound:
            self._not_received(client_order_id)
            return
        self.blotter.apply_snapshot(order_from_status(status), self.clock_ms())

    async def _fills_during_gap(self, since_ms: int) -> None:
        """Record the detail of fills made while the stream was down (``/v1/mytrades`` since the gap began)."""
        trades = await self.rest.my_trades(timestamp=max(0, since_ms - 1_000), limit_trades=500)
        now = self.clock_ms()
        for trade in sorted(trades, key=lambda t: (t.timestampms, t.tid)):
            if self.blotter.get(trade.order_id) is None:
                # An order placed elsewhere that traded and ended during the gap: fetch it so it shows.
                try:
                    status = await self.rest.order_status(order_id=trade.order_id)
                except OrderNotFound:
                    continue
                self.blotter.apply_snapshot(order_from_status(status), now)
            self.blotter.record_fill(fill_from_my_trade(trade), now)

    @staticmethod
    def _key(order: Order) -> str:
        return order.client_order_id or order.order_id

    def _gap_summary(self, before: dict, after: list[Order], new_fills: int) -> str:
        """The Reconciled line: what changed, how long the stream was down and how long since its last message.

        Two durations, not one: the stream is down from the moment trust was lost (a close, a gap, the
        watchdog), while the last message may be older (heartbeats come every few seconds), so a short blip
        would read as a long outage if counted from the last message.
        """
        now = self.clock_ms()
        down_s = (now - self.stale_since_ms) / 1000 if self.stale_since_ms is not None else 0.0
        quiet_s = (now - self._gap_started_ms) / 1000 if self._gap_started_ms is not None else down_s
        appeared = sum(1 for o in after if self._key(o) not in before)
        changed: dict[str, int] = {}
        for order in after:
            old = before.get(self._key(order))
            if old is not None and (old[0] is not order.state or old[1] != order.filled):
                changed[order.state.value] = changed.get(order.state.value, 0) + 1
        parts = [f"{n} {state}" for state, n in sorted(changed.items())]
        if appeared:
            parts.append(f"{appeared} new from elsewhere")
        if new_fills:
            parts.append(f"{new_fills} fill{'s' if new_fills != 1 else ''} recorded")
        what = ", ".join(parts) if parts else "nothing changed"
        return f"Reconciled after the stream was down {down_s:.1f} s (last message {quiet_s:.1f} s ago): {what}."

    def _apply_batch(self, batch: OrderEventBatch) -> None:
        events: list[OrderEvent] = []
        now = self.clock_ms()
        sequence = batch.socket_sequence
        for wire in batch.events:
            try:
                event = event_from_wire(wire, sequence, updated_ms=now)
            except (ValueError, TypeError, ArithmeticError) as exc:
                log.warning("order event %s not convertible: %s", getattr(wire, "event_id", None), exc)
                self._resync_reason = "unreadable order event"
                continue
            if event is not None:
                events.append(event)
        for applied in self.blotter.apply_many(events, now):
            if applied.flagged is not None:
                continue
            if applied.duplicate or applied.order is None:
                continue
            if applied.event.kind is not EventKind.FILL and not applied.state_changed:
                continue  # already reported (e.g. the REST answer said the same first)
            self._status_for_event(applied.event, applied.order)
        if self._surface_flags():
            self._resync_reason = "impossible order data"

    def _surface_flags(self) -> bool:
        """Show (once) every impossible venue datum the blotter refused; True if there were any."""
        flagged, self.blotter.flagged = self.blotter.flagged, []
        for message in flagged:
            self._emit(Severity.ERROR, "Blotter", "Refused",
                       f"Refused impossible data from the exchange ({message}); not applied, resynchronising.")
        return bool(flagged)

    def _status_for_event(self, event: OrderEvent, order: Order) -> None:
        if event.kind is EventKind.CANCELLED:
            self._report(describe(order), event.reason or order.reason or "",
                         explain(event.reason or order.reason, cancel=True).text, cancel=True)
        elif event.kind is EventKind.REJECTED:
            self._report(describe(order), event.reason or "", explain(event.reason).text, cancel=False)
        elif event.kind is EventKind.CANCEL_REJECTED:
            self._report(describe(order), event.reason or "",
                         "Cancel refused: " + explain(event.reason).text, cancel=False)
        elif event.kind is EventKind.FILL and event.fill is not None:
            f = event.fill
            self._emit(Severity.INFO, describe(order), "Fill",
                       f"Filled {fmt_qty(f.amount)} @ {fmt_price(f.price)} ({f.liquidity}, fee "
                       f"{fmt_money(f.fee, f.fee_currency)}); {fmt_qty(order.filled)} of {fmt_qty(order.amount)} done.")

    # -- status helpers --------------------------------------------------------------------------------------------
    @staticmethod
    def _reason_text(exc: ApiError) -> str:
        """Our plain text for a known reason; the venue's own message for one we do not know."""
        log.info("venue refused: %s: %s", exc.reason, exc.message)
        if exc.reason in KNOWN_REASONS:
            return explain(exc.reason).text
        return f"{explain(exc.reason).text} {exc.message}".strip()

    def _report(self, subject: str, code: str, text: str, *, cancel: bool) -> None:
        self._emit(explain(code, cancel=cancel).severity, subject, code, text)

    def _emit(self, severity: Severity, subject: str, code: str, text: str) -> None:
        self.listener.status(StatusEntry(self.clock_ms(), severity, subject, code, text))

    def _set_connection(self, state: ConnectionState, detail: str) -> None:
        self.connection = state
        self.listener.connection_changed(state, detail)

    def _halt(self, exc: ApiError) -> None:
        """The venue refused the key itself (InvalidSignature, MissingRole…): stop trading, never retry."""
        if self.connection is ConnectionState.HALTED:
            return
        self.halt_reason = exc.reason
        if isinstance(exc, PermissionDenied):
            text = (f"Trading halted: this API key lacks a role the request needs ({exc.reason}). Give the key the "
                    "Trader role (or use another key) and restart; nothing will be retried.")
        else:
            text = (f"Trading halted: the exchange refused this API key ({exc.reason}). Check the key and secret "
                    "and restart; nothing will be retried.")
        log.error("trading halted: %s", exc.reason)
        self._emit(Severity.ERROR, "Trading halted", exc.reason, text)
        self._set_connection(ConnectionState.HALTED, exc.reason)

    def halt_on_error(self, cause: str) -> None:
        """Starting failed (e.g. the exchange cannot be reached): HALTED with its cause until the trader retries.

        Args:
            cause: what went wrong, in the words the header and the ticket show, e.g.
                ``"ConnectError: Name or service not known"`` (see ``console.gemini.errors.network_cause``).
        """
        self.halt_reason = cause
        self._set_connection(ConnectionState.HALTED, cause)

    def resume_connecting(self) -> None:
        """The trader asked to retry after a halt: CONNECTING again (new orders still wait until LIVE)."""
        self.halt_reason = None
        self._set_connection(ConnectionState.CONNECTING, "")

    def _rate_limited(self, path: str, pause_s: float) -> None:
        self._emit(Severity.WARNING, "Rate limit", "RateLimit",
                   f"The exchange answered 429 (too many requests) to {path}: requests paused {pause_s:g} s, "
                   "then resumed at the documented rate. Nothing is re-sent blindly.")

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed: %r", task.exception())

    @property
    def settling(self) -> bool:
        """True while a background status or cancel retry is still running."""
        return bool(self._tasks)

    async def close(self) -> None:
        """Stop the background retries and close the REST client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.rest.close()
