"""A trading session: the Gemini client, the order-events stream and the blotter, working as one.

This is the layer the TUI drives. It knows no widgets: it turns tickets into orders on the wire, wire answers
and stream events into blotter changes, and every cancel or reject into a plain-language status entry.
Listeners hear about changes through plain callbacks (the TUI turns them into Textual messages).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from console.gemini.convert import event_from_wire, order_from_status, rules_from_details
from console.gemini.errors import ApiError, GeminiError, TransportError
from console.gemini.order_events import (
    BadFrame,
    OrderEventBatch,
    OrderEventsClient,
    SequenceGap,
    SubscriptionAck,
)
from console.gemini.rest import GeminiRestClient
from console.orders.blotter import Blotter
from console.orders.model import EventKind, Order, OrderEvent, OrderState, SymbolRules
from console.orders.reasons import CANCEL_REASONS, REJECT_REASONS, Severity, explain
from console.orders.ticket import ClientOrderIds, NewOrder, TicketInput, validate_ticket

log = logging.getLogger(__name__)

KNOWN_REASONS = frozenset(CANCEL_REASONS) | frozenset(REJECT_REASONS)


def wall_clock_ms() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


class ConnectionState(enum.StrEnum):
    """State of the order-events stream, as shown in the header."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    HALTED = "halted"


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
    stop = f" stop {order.stop_price}" if order.stop_price is not None else ""
    ident = order.client_order_id or f"#{order.order_id}"
    return f"{order.side.upper()} {order.amount} {order.symbol.upper()} @ {order.price}{stop} {ident}"


@dataclass
class _Backoff:
    """Capped exponential back-off with jitter for reconnects (seconds)."""

    initial_s: float = 0.25
    cap_s: float = 10.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.initial_s * (2**self.attempt))
        self.attempt += 1
        return delay * (0.5 + self.rng.random() / 2)

    def reset(self) -> None:
        self.attempt = 0


class TradingSession:
    """One console session against one venue account.

    Args:
        rest: the REST client (owns its httpx client; the session closes it).
        order_events: the order-events WebSocket client.
        api_key: the API key both clients use; the venue names it as ``api_session`` on this session's orders.
        symbols: the symbols the ticket offers, e.g. ``["btcusd", "ethusd", "solusd"]``.
        clock_ms: the console's clock (ms since the epoch); tests pass a fixed one.
        client_order_ids: generator of this session's client order ids.
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
        self._backoff = _Backoff()

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
        for status in active:
            self.blotter.apply_snapshot(order_from_status(status), now)
        return len(active)

    # -- orders -------------------------------------------------------------------------------------------------
    def prepare(self, ticket: TicketInput) -> NewOrder:
        """Validate a ticket against its symbol's rules and give it a fresh client order id.

        Raises:
            TicketErrors: per-field messages; nothing is recorded or sent.
        """
        return validate_ticket(ticket, self.rules.get(ticket.symbol.lower()), self.client_order_ids.next())

    async def submit(self, order: NewOrder) -> Order | None:
        """Send a validated order (``/v1/order/new``) and record what the venue answered.

        The order shows as PENDING_NEW at once. A refusal becomes REJECTED with its reason; a timeout or a lost
        connection leaves it UNKNOWN (never re-sent blindly); the order events stream settles it.

        Returns:
            The order as recorded after the answer, or None if the answer changed nothing.
        """
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
        except ApiError as exc:
            before = self.blotter.by_client_order_id(order.client_order_id)
            already_rejected = before is not None and before.state is OrderState.REJECTED
            rejected = self.blotter.reject_pending(order.client_order_id, exc.reason, self.clock_ms())
            if not already_rejected:  # the stream's `rejected` event may have told us first
                self._report(describe(rejected) if rejected else order.client_order_id, exc.reason,
                             self._reason_text(exc), cancel=False)
            return rejected
        except TransportError as exc:
            unknown = self.blotter.mark_unknown(order.client_order_id, self.clock_ms())
            self._emit(Severity.ERROR, describe(unknown) if unknown else order.client_order_id, "Unknown",
                       f"No answer to the new order ({exc.__class__.__name__}); its outcome is not known yet "
                       "and it will not be re-sent.")
            return unknown
        return self._apply_answer(order_from_status(status))

    async def cancel(self, order_id: str) -> None:
        """Cancel one order (``/v1/order/cancel``); it shows PENDING_CANCEL until the venue confirms."""
        order = self.blotter.get(order_id)
        if order is None or order.state.is_terminal:
            return
        self.blotter.mark_pending_cancel(order_id, self.clock_ms())
        try:
            status = await self.rest.cancel_order(order_id)
        except ApiError as exc:
            self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
            self._report(describe(order), exc.reason, self._reason_text(exc), cancel=False)
            return
        except TransportError as exc:
            self._emit(Severity.ERROR, describe(order), "Unknown",
                       f"Cancel not confirmed ({exc.__class__.__name__}); the order stays pending-cancel "
                       "until the exchange says.")
            return
        self._apply_answer(order_from_status(status))

    def _apply_answer(self, incoming: Order) -> Order | None:
        """Apply an order from a REST answer; report it if that answer is what ended the order.

        The same end may reach us first through the stream; whichever comes first reports it, once.
        """
        before = self.blotter.get(incoming.order_id) if incoming.order_id else None
        if before is None and incoming.client_order_id:
            before = self.blotter.by_client_order_id(incoming.client_order_id)
        previous = before.state if before is not None else None
        recorded = self.blotter.apply_snapshot(incoming, self.clock_ms())
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
        return await self._cancel_many(self.rest.cancel_session, "this session's")

    async def cancel_all(self) -> int:
        """Cancel every order of the account, all sessions and the web UI (``/v1/order/cancel/all``)."""
        return await self._cancel_many(self.rest.cancel_all, "all")

    async def _cancel_many(self, call: Callable, label: str) -> int:
        now = self.clock_ms()
        for order in self.blotter.open_orders():
            if order.order_id:
                self.blotter.mark_pending_cancel(order.order_id, now)
        try:
            result = await call()
        except GeminiError as exc:
            reason = getattr(exc, "reason", exc.__class__.__name__)
            self._emit(Severity.ERROR, f"Cancel {label} orders", str(reason), str(exc))
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

        Reconnects with capped exponential back-off and jitter after a disconnect or a sequence gap, and
        reconciles with ``/v1/orders`` after every (re)connect. Authentication failures halt (no retry loop).
        """
        while True:
            try:
                await self._stream_once()
            except asyncio.CancelledError:
                raise
            except ApiError as exc:
                if exc.status in (400, 401, 403):
                    self._set_connection(ConnectionState.HALTED, f"{exc.reason}: {exc.message}")
                    self._report("Order events", exc.reason, explain(exc.reason).text, cancel=False)
                    return
                self._set_connection(ConnectionState.RECONNECTING, f"{exc.reason}")
            except (GeminiError, OSError) as exc:
                self._set_connection(ConnectionState.RECONNECTING, exc.__class__.__name__)
            await asyncio.sleep(self._backoff.next_delay())

    async def _stream_once(self) -> None:
        async with await self.order_events.connect() as connection:
            async for message in connection:
                if isinstance(message, SubscriptionAck):
                    self._backoff.reset()
                    self._set_connection(ConnectionState.LIVE, "")
                    count = await self.reconcile()
                    self._emit(Severity.INFO, "Order events", "",
                               f"Stream live; {count} open order{'s' if count != 1 else ''} on the account.")
                elif isinstance(message, OrderEventBatch):
                    self._apply_batch(message)
                    # Frames already buffered are read without suspending: yield once per batch so the screen
                    # (same event loop) paints and takes keys between batches instead of after the backlog.
                    await asyncio.sleep(0)
                elif isinstance(message, SequenceGap):
                    self._emit(Severity.ERROR, "Order events", "SequenceGap",
                               f"Stream sequence jumped from {message.expected} to {message.received}: "
                               "reconnecting to resynchronise.")
                    self._set_connection(ConnectionState.RECONNECTING, "sequence gap")
                    return
                elif isinstance(message, BadFrame):
                    log.warning("skipped a bad order-events frame: %s", message.reason)

    def _apply_batch(self, batch: OrderEventBatch) -> None:
        events: list[OrderEvent] = []
        for wire in batch.events:
            event = event_from_wire(wire, batch.socket_sequence)
            if event is not None:
                events.append(event)
        for applied in self.blotter.apply_many(events, self.clock_ms()):
            if applied.duplicate or applied.order is None:
                continue
            if applied.event.kind is not EventKind.FILL and not applied.state_changed:
                continue  # already reported (e.g. the REST answer said the same first)
            self._status_for_event(applied.event, applied.order)

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
                       f"Filled {f.amount} @ {f.price} ({f.liquidity}, fee {f.fee} {f.fee_currency}); "
                       f"{order.filled} of {order.amount} done.")

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

    async def close(self) -> None:
        """Close the REST client."""
        await self.rest.close()
