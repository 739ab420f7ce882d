"""A trading session: one venue (its order entry, cancels and order-event stream) and the blotter, working as one.

This is the layer the TUI drives. It knows no widgets and no venue's wire: it drives the venue through the
``console.trading.venue.Venue`` protocol, turns tickets into orders sent, the venue's answers and stream events
into blotter changes, and every cancel or reject into a plain-language status entry.
Listeners hear about changes through plain callbacks (the TUI turns them into Textual messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from console.domain.blotter import MAX_SEEN_IDS, Blotter, RecentIds
from console.domain.errors import OrderNotFound, PermissionDenied, VenueError, VenueRefused
from console.domain.model import Order, OrderState, SymbolRules
from console.domain.reasons import Severity, explain
from console.domain.ticket import ClientOrderIds, NewOrder, TicketInput, validate_ticket
from console.trading.cancels import SessionCancelsMixin
from console.trading.replace import SessionReplaceMixin
from console.trading.status_text import KNOWN_REASONS, SessionTextMixin, describe
from console.trading.stream import STALE_AFTER_S, SessionStreamMixin
from console.trading.types import ConnectionState, SessionListener, StatusEntry, TradingBlocked
from console.trading.venue import Venue
from console.util.backoff import Backoff
from console.util.clock import wall_clock_ms

__all__ = [
    "KNOWN_REASONS",
    "NOT_RECEIVED",
    "STALE_AFTER_S",
    "ConnectionState",
    "SessionListener",
    "StatusEntry",
    "TradingBlocked",
    "TradingSession",
    "describe",
    "wall_clock_ms",
]

log = logging.getLogger(__name__)

#: Reason code the console gives an order the venue never received (its status by client order id: not found).
NOT_RECEIVED = "NotReceived"


class TradingSession(SessionStreamMixin, SessionCancelsMixin, SessionTextMixin, SessionReplaceMixin):
    """One console session against one venue account.

    Guarantees (docs/reliability.md): an order shown live is live; filled amounts are the venue's; an order is
    never sent twice. The order-event stream is watched (heartbeat watchdog, the venue's sequence numbers); when
    trust is lost the session shows STALE, blocks new orders, reconnects with capped exponential back-off and
    jitter, and reconciles (the venue's open orders, the status of every order that vanished or is UNKNOWN, the
    fills during the gap) before going LIVE again with a summary of what changed.

    Args:
        venue: the venue account to trade on (``console.trading.venue.Venue``; the session closes it).
        symbols: the symbols the ticket offers, e.g. ``["btcusd", "ethusd", "solusd"]``.
        clock_ms: the console's clock (ms since the epoch); tests pass a fixed one.
        client_order_ids: generator of this session's client order ids.
        stale_after_s: heartbeat watchdog: no message for this long means the stream is stale (a venue sends a
            heartbeat every few seconds; default 10 s). Tests pass a short one.
        reconnect_initial_s / reconnect_cap_s: reconnect back-off (seconds): doubling from the first, capped.
        retry_initial_s / retry_cap_s: back-off of the status calls that settle an UNKNOWN order and of cancel
            retries (seconds).
        seed: seed of the back-off jitter (tests pass one for determinism).
    """

    def __init__(
        self,
        venue: Venue,
        *,
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
        self.venue = venue
        #: What the venue puts in ``Order.api_session`` for this session's orders (e.g. the API key).
        self.api_key = venue.api_session
        self.symbols = [s.lower() for s in symbols]
        self.clock_ms = clock_ms
        self.client_order_ids = client_order_ids or ClientOrderIds()
        self.blotter = Blotter()
        self.rules: dict[str, SymbolRules] = {}
        self.connection = ConnectionState.CONNECTING
        self.listener = SessionListener()
        self.blotter.add_listener(lambda changed: self.listener.orders_changed(changed))
        #: Orders whose completion line was reported (once each), and those to report at the end of a stream batch.
        self._completed = RecentIds(MAX_SEEN_IDS)
        self._completing: list[Order] = []
        self._applying_batch = False
        self.blotter.add_listener(self._completions_changed)
        rng = random.Random(seed)
        self._backoff = Backoff(reconnect_initial_s, reconnect_cap_s, rng=rng)
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
        self._tasks: set[asyncio.Task[None]] = set()
        self._resolving: set[str] = set()
        self._cancel_retrying: set[str] = set()
        #: Cancel-replaces in flight, by the old order's id: True once the trader asked for a cancel of that order
        #: (x, d, s, a) while its replacement waited; the replacement is then not sent (``replace``).
        self._replacing: dict[str, bool] = {}
        #: Client order ids declared never placed (NotReceived): an order the venue reports later under one of them
        #: replaces that verdict (``_revive_declared``).
        self._declared_not_received: set[str] = set()
        self._replay_noted: set[str] = set()
        venue.on_rate_limited = self._rate_limited

    # -- reference data and snapshots ----------------------------------------------------------------------
    async def load_symbols(self) -> dict[str, SymbolRules]:
        """Fetch the trading rules of every configured symbol.

        Raises:
            VenueError: the venue or the network failed.
        """
        self.rules = await self.venue.symbol_rules(self.symbols)
        return self.rules

    async def reconcile(self) -> int:
        """Apply the venue's open orders to the blotter; return how many are open.

        Raises:
            VenueError: the venue or the network failed.
        """
        active = await self.venue.open_orders()
        self.blotter.apply_snapshots(active, self.clock_ms())
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
        """Send a validated order (the venue's place) once, and record what the venue answered.

        The order shows as PENDING_NEW at once. A refusal becomes REJECTED with its reason. An error whose outcome
        is unknown (a timeout, a lost connection, a 5xx or a 429) leaves it UNKNOWN: it is never re-sent; a
        background task asks the order's status by its client order id (with back-off) until the venue or the
        stream settles it.

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
            answer = await self.venue.place(order)
        except VenueError as exc:
            if exc.outcome_unknown:
                return self._outcome_unknown(order, exc)
            if not isinstance(exc, VenueRefused):
                raise
            before = self.blotter.by_client_order_id(order.client_order_id)
            already_rejected = before is not None and before.state is OrderState.REJECTED
            rejected = self.blotter.reject_pending(order.client_order_id, exc.reason, self.clock_ms())
            if not already_rejected:  # the stream's `rejected` event may have told us first
                self._report(describe(rejected) if rejected else order.client_order_id, exc.reason,
                             self._reason_text(exc), cancel=False)
            if exc.halts_trading:
                self._halt(exc)
            return rejected
        return self._apply_answer(answer)

    def _outcome_unknown(self, order: NewOrder, exc: VenueError) -> Order | None:
        unknown = self.blotter.mark_unknown(order.client_order_id, self.clock_ms())
        what = exc.reason
        if unknown is None:  # the stream told us first: the order is known, nothing is ambiguous
            log.info("new order %s: no answer (%s) but the stream already settled it", order.client_order_id, what)
            return self.blotter.by_client_order_id(order.client_order_id)
        self._emit(Severity.ERROR, describe(unknown) if unknown else order.client_order_id, "Unknown",
                   f"No clear answer to the new order ({what}); its outcome is not known yet. It will not be "
                   "re-sent: the console is asking the exchange by its client order id.")
        self._spawn(self._resolve_unknown(order.client_order_id))
        return unknown

    async def _resolve_unknown(self, client_order_id: str) -> None:
        """Ask the order's status by client order id until the UNKNOWN order is settled (never re-sends it)."""
        if client_order_id in self._resolving:
            return
        self._resolving.add(client_order_id)
        backoff = Backoff(self.retry_initial_s, self.retry_cap_s, rng=self._rng)
        try:
            while True:
                order = self.blotter.by_client_order_id(client_order_id)
                if order is None or order.state is not OrderState.UNKNOWN:
                    return  # settled meanwhile (the stream, or a reconciliation)
                try:
                    answer = await self.venue.order_status(client_order_id=client_order_id)
                except OrderNotFound:
                    wait_ms = self._replay_wait_ms(order)
                    if wait_ms > 0:  # a delayed copy of the request may still be executed: not yet a verdict
                        self._note_replay_window(order, wait_ms)
                        await asyncio.sleep(min(wait_ms / 1000, backoff.next_delay()))
                        continue
                    self._not_received(client_order_id)
                    return
                except VenueError as exc:
                    if exc.halts_trading:
                        self._halt(exc)
                        return
                    log.info("status of %s not known yet (%s); retrying", client_order_id, exc.__class__.__name__)
                    await asyncio.sleep(backoff.next_delay())
                    continue
                recorded = self._apply_answer(answer)
                if recorded is not None:
                    self._emit(Severity.INFO, describe(recorded), "Resolved",
                               f"The exchange has this order: {recorded.state.value}.")
                return
        finally:
            self._resolving.discard(client_order_id)

    @property
    def replay_window_ms(self) -> int:
        """The venue's ``replay_window_ms`` (0 when it has none): see ``console.trading.venue.Venue``."""
        return int(getattr(self.venue, "replay_window_ms", 0))

    def _replay_wait_ms(self, order: Order) -> int:
        """How long (ms) a late copy of ``order``'s request may still be executed; 0 once the window has passed."""
        window = self.replay_window_ms
        return max(0, order.created_ms + window - self.clock_ms()) if window > 0 else 0

    def _note_replay_window(self, order: Order, wait_ms: int) -> None:
        if order.client_order_id is None or order.client_order_id in self._replay_noted:
            return
        self._replay_noted.add(order.client_order_id)
        self._emit(Severity.WARNING, describe(order), "Unknown",
                   f"Not at the exchange yet, but a delayed copy of the request could still be placed for "
                   f"{wait_ms / 1000:.0f} s more (the exchange accepts a request signed with a time-based nonce up to "
                   f"{self.replay_window_ms / 1000:.0f} s late): it stays UNKNOWN until then, then is declared not "
                   "received. It is never re-sent.")

    def _not_received(self, client_order_id: str) -> None:
        order = self.blotter.by_client_order_id(client_order_id)
        if order is None or order.state is not OrderState.UNKNOWN:
            return
        if self._replay_wait_ms(order) > 0:  # not yet: a late copy may still be executed
            self._spawn(self._resolve_unknown(client_order_id))
            return
        rejected = self.blotter.reject_pending(client_order_id, NOT_RECEIVED, self.clock_ms())
        self._declared_not_received.add(client_order_id)
        window = self.replay_window_ms
        after = (f" and the {window / 1000:.0f} s in which a delayed copy could still be accepted have passed"
                 if window > 0 else "")
        self._emit(Severity.WARNING, describe(rejected or order), NOT_RECEIVED,
                   f"The exchange has no order with this client order id{after}: it was never placed (not re-sent).")

    def _revive_declared(self, orders: Iterable[Order]) -> list[str]:
        """Drop the NotReceived record of every order the venue now reports under a client order id declared never
        placed, so the venue's order shows; return those client order ids (report them after applying)."""
        revived: list[str] = []
        if not self._declared_not_received:
            return revived
        for order in orders:
            cid = order.client_order_id
            if cid and order.order_id and cid in self._declared_not_received:
                self._declared_not_received.discard(cid)
                self.blotter.drop_pending(cid)
                revived.append(cid)
        return revived

    def _report_revived(self, client_order_ids: list[str]) -> None:
        for cid in client_order_ids:
            order = self.blotter.by_client_order_id(cid)
            state = order.state.value if order is not None else "known"
            self._emit(Severity.ERROR, describe(order) if order is not None else cid, "PlacedLate",
                       f"This order was declared not received, but the exchange has now reported it ({state}): a "
                       "delayed copy of the request reached it. The blotter shows the exchange's order; cancel it if "
                       "it is no longer wanted.")


    def _apply_answer(self, incoming: Order) -> Order | None:
        """Apply an order from a REST answer; report it if that answer is what ended the order.

        The same end may reach us first through the stream; whichever comes first reports it, once.
        """
        revived = self._revive_declared((incoming,))
        before = self.blotter.get(incoming.order_id) if incoming.order_id else None
        if before is None and incoming.client_order_id:
            before = self.blotter.by_client_order_id(incoming.client_order_id)
        previous = before.state if before is not None else None
        recorded = self.blotter.apply_snapshot(incoming, self.clock_ms())
        self._surface_flags()
        self._report_revived(revived)
        if recorded is not None and recorded.state is not previous:
            if recorded.state is OrderState.CANCELLED:
                # A requested cancel, or an execution option that ended the order at once (MOC, IOC, FOK...).
                self._report(describe(recorded), recorded.reason or "",
                             explain(recorded.reason, cancel=True).text, cancel=True)
            elif recorded.state is OrderState.REJECTED:
                self._report(describe(recorded), recorded.reason or "", explain(recorded.reason).text, cancel=False)
        return recorded


    # -- connection state, halts and background tasks -------------------------------------------------------------
    def _set_connection(self, state: ConnectionState, detail: str) -> None:
        self.connection = state
        self.listener.connection_changed(state, detail)

    def _halt(self, exc: VenueError) -> None:
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
                ``"ConnectError: Name or service not known"`` (see ``console.domain.errors.network_cause``).
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

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed: %r", task.exception())

    @property
    def settling(self) -> bool:
        """True while a background status or cancel retry is still running."""
        return bool(self._tasks)

    async def close(self) -> None:
        """Stop the background retries and close the venue's connections."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.venue.close()
