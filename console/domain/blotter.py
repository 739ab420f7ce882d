"""The blotter: every order the console knows, by id, changed only through the allowed state transitions.

Venue events, REST answers and the console's own requests all land here. The blotter applies each event once
(by event id, and each fill once by trade id), never lets a terminal order regress, and matches an event that
arrives before the REST answer to the same order by its client order id, so one order is always one row.
An event or snapshot claiming more executed than the order's amount is impossible: it is flagged
(``Blotter.flagged``, logged as an error) and not applied, so the caller can resynchronise from the venue.

Memory stays bounded however long the session runs: open orders are always kept, ended orders only the newest
:data:`MAX_ENDED_ORDERS` (the venue's order history has the rest), and the event and trade ids used to apply each
event once only the newest :data:`MAX_SEEN_IDS` (far more than a reconnect can replay).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from console.domain.model import EventKind, Fill, Order, OrderEvent, OrderState, can_transition, fast_init
from console.domain.ticket import NewOrder

log = logging.getLogger(__name__)

#: The terminal states by identity (a scan over every order compares states without hashing Enum members).
_TERMINAL_IDS = frozenset(id(state) for state in OrderState if state.is_terminal)

BlotterListener = Callable[[list[Order]], None]

#: Ended (filled, cancelled, rejected) orders kept, newest last; older ones are forgotten.
MAX_ENDED_ORDERS = 10_000
#: Event ids and trade ids remembered to apply each event and fill once.
MAX_SEEN_IDS = 100_000


class RecentIds:
    """A set of the newest ``limit`` ids: adding one more forgets the oldest (O(1) each)."""

    __slots__ = ("_ids", "_order", "_limit")

    def __init__(self, limit: int) -> None:
        self._ids: set[str] = set()
        self._order: deque[str] = deque()
        self._limit = limit

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: str) -> None:
        """Remember ``key``; forget the oldest id beyond the limit."""
        if key in self._ids:
            return
        self._ids.add(key)
        self._order.append(key)
        if len(self._order) > self._limit:
            self._ids.discard(self._order.popleft())


@fast_init
@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one event did.

    Attributes:
        order: the order after the event (None if the event was ignored).
        event: the event, for the caller's status messages.
        duplicate: True when the event (or its fill) had been applied before.
        flagged: why the event was refused as impossible (e.g. a fill beyond the order's amount); None if not.
        previous_state: the order's state before the event (None if the order was new to the blotter).
    """

    order: Order | None
    event: OrderEvent
    duplicate: bool = False
    previous_state: OrderState | None = None
    flagged: str | None = None

    @property
    def state_changed(self) -> bool:
        """True when the event moved the order to a new state."""
        return self.order is not None and self.order.state is not self.previous_state


def _state_after(kind: EventKind, incoming: Order, current: Order | None) -> OrderState:
    """The state an event puts an order in, from the event kind and the venue's cumulative amounts."""
    if kind is EventKind.REJECTED:
        return OrderState.REJECTED
    if kind is EventKind.CANCELLED:
        return OrderState.CANCELLED
    if kind is EventKind.CLOSED:
        if incoming.state is OrderState.CANCELLED or incoming.open_amount > 0:
            return OrderState.CANCELLED
        return OrderState.FILLED
    if kind is EventKind.FILL:
        if incoming.open_amount <= 0:
            return OrderState.FILLED
        return OrderState.PARTIALLY_FILLED
    if kind is EventKind.BOOKED:
        return OrderState.PARTIALLY_FILLED if incoming.filled > 0 else OrderState.LIVE
    if kind is EventKind.CANCEL_REJECTED:
        if current is not None and current.state is not OrderState.PENDING_CANCEL:
            return current.state
        return OrderState.PARTIALLY_FILLED if incoming.filled > 0 else OrderState.LIVE
    return incoming.state  # INITIAL / ACCEPTED: the converter read the flags


class Blotter:
    """All orders by order id, plus the console's pending orders by client order id.

    Listeners get the list of orders that changed after each call that changed something.
    """

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._by_client_id: dict[str, str] = {}
        self._pending: dict[str, Order] = {}
        self._seen_events = RecentIds(MAX_SEEN_IDS)
        self._seen_trades = RecentIds(MAX_SEEN_IDS)
        #: Ended orders, oldest first, as (order id, client order id): the oldest leave beyond MAX_ENDED_ORDERS.
        self._ended: deque[tuple[str, str | None]] = deque()
        self._listeners: list[BlotterListener] = []
        #: Impossible venue data refused (never applied), newest last, for the caller to surface and resync.
        self.flagged: list[str] = []

    # -- reading -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._orders) + len(self._pending)

    def get(self, order_id: str) -> Order | None:
        """Return the order with this venue order id, if known."""
        return self._orders.get(order_id)

    def by_client_order_id(self, client_order_id: str) -> Order | None:
        """Return the order (or pending order) carrying this client order id, if known."""
        order_id = self._by_client_id.get(client_order_id)
        if order_id is not None:
            return self._orders.get(order_id)
        return self._pending.get(client_order_id)

    def orders(self) -> list[Order]:
        """Every order, pending ones included, oldest first."""
        return sorted([*self._orders.values(), *self._pending.values()], key=lambda o: (o.created_ms, o.order_id))

    def open_orders(self) -> list[Order]:
        """Orders that are live or may still be (pending, unknown, pending-cancel), oldest first."""
        open_ = [o for o in (*self._orders.values(), *self._pending.values()) if not o.state.is_terminal]
        return sorted(open_, key=lambda o: (o.created_ms, o.order_id))  # stable: as filtering ``orders()``

    def iter_open_orders(self) -> Iterator[Order]:
        """The orders of :meth:`open_orders` in no particular order, without sorting them or copying the blotter:
        for what an order's place in time does not change (the ladder's own-order marks, once a second over every
        open order)."""
        for orders in (self._orders, self._pending):
            for order in orders.values():
                if id(order.state) not in _TERMINAL_IDS:  # an Enum member's hash runs Python code; id() does not
                    yield order

    # -- listeners ------------------------------------------------------------------------------------------
    def add_listener(self, listener: BlotterListener) -> None:
        """Call ``listener(changed_orders)`` after every change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: BlotterListener) -> None:
        """Stop calling ``listener`` (one added by :meth:`add_listener`; unknown ones are ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, changed: list[Order]) -> None:
        if changed:
            for listener in self._listeners:
                listener(changed)

    # -- the console's own requests ---------------------------------------------------------------------------
    def add_pending(self, new_order: NewOrder, now_ms: int) -> Order:
        """Record an order the console is about to send (state PENDING_NEW, keyed by client order id)."""
        order = Order(
            order_id="",
            client_order_id=new_order.client_order_id,
            symbol=new_order.symbol,
            side=new_order.side,
            order_type=new_order.order_type,
            price=new_order.price,
            amount=new_order.amount,
            stop_price=new_order.stop_price,
            options=new_order.options,
            remaining=new_order.amount,
            state=OrderState.PENDING_NEW,
            created_ms=now_ms,
            updated_ms=now_ms,
        )
        self._pending[new_order.client_order_id] = order
        self._notify([order])
        return order

    def reject_pending(self, client_order_id: str, reason: str, now_ms: int) -> Order | None:
        """The venue refused a pending order outright (an error answer to the new-order request)."""
        order = self._pending.get(client_order_id)
        if order is None:
            existing = self.by_client_order_id(client_order_id)
            if existing is not None and existing.state in (OrderState.PENDING_NEW, OrderState.UNKNOWN):
                return self._set(existing.evolve(state=OrderState.REJECTED, reason=reason, updated_ms=now_ms))
            return None
        # Kept (terminal) under its client order id, so a later `rejected` event matches this record.
        return self._set(order.evolve(state=OrderState.REJECTED, reason=reason, updated_ms=now_ms))

    def mark_unknown(self, client_order_id: str, now_ms: int) -> Order | None:
        """The outcome of a pending order is not known (timeout, lost connection): state UNKNOWN."""
        order = self._pending.get(client_order_id)
        if order is None or order.state is not OrderState.PENDING_NEW:
            return None
        unknown = order.evolve(state=OrderState.UNKNOWN, updated_ms=now_ms)
        self._pending[client_order_id] = unknown
        self._notify([unknown])
        return unknown

    def drop_pending(self, client_order_id: str) -> Order | None:
        """Forget the record kept under a client order id alone (no venue order id yet), whatever its state.

        For an order the console declared never placed (terminal ``REJECTED``) that the venue later reports: the
        venue's order replaces the record (a terminal order is otherwise never revived).

        Returns:
            The record dropped, or None when there was none.
        """
        return self._pending.pop(client_order_id, None)

    def mark_pending_cancel(self, order_id: str, now_ms: int) -> Order | None:
        """A cancel was sent for this order: PENDING_CANCEL until the venue confirms (it may still fill)."""
        order = self._orders.get(order_id)
        if order is None or not can_transition(order.state, OrderState.PENDING_CANCEL):
            return None
        return self._set(order.evolve(state=OrderState.PENDING_CANCEL, updated_ms=now_ms))

    def restore_after_failed_cancel(self, order_id: str, now_ms: int) -> Order | None:
        """A cancel request failed definitively (e.g. OrderNotFound while we think it open): undo PENDING_CANCEL."""
        order = self._orders.get(order_id)
        if order is None or order.state is not OrderState.PENDING_CANCEL:
            return None
        state = OrderState.PARTIALLY_FILLED if order.filled > 0 else OrderState.LIVE
        return self._set(order.evolve(state=state, updated_ms=now_ms))

    # -- the venue's word -------------------------------------------------------------------------------------
    def apply_snapshot(self, incoming: Order, now_ms: int) -> Order | None:
        """Apply an order object from a REST answer (new order, cancel, status, active orders).

        The venue's amounts and state replace ours unless that would regress a terminal state.
        """
        current = self._find(incoming)
        state = incoming.state
        if current is not None and current.state is OrderState.PENDING_CANCEL and not state.is_terminal:
            state = OrderState.PENDING_CANCEL  # our cancel is still in flight: it stays pending until confirmed
        return self._merge(incoming, state, now_ms, current)

    def apply_event(self, event: OrderEvent, now_ms: int) -> Applied:
        """Apply one venue event once.

        Returns:
            What was done; ``duplicate`` when the event id or the fill's trade id was already applied.
        """
        event_id = event.event_id
        fill = event.fill
        if event_id is not None and event_id in self._seen_events:
            return Applied(None, event, duplicate=True)
        if fill is not None and fill.trade_id in self._seen_trades:
            return Applied(None, event, duplicate=True)
        incoming = event.order
        current = self._find(incoming)
        beyond = self._beyond_amount(event, current)
        if beyond is not None:
            self.flagged.append(beyond)
            log.error("refused event %s: %s", event_id, beyond)
            return Applied(None, event, flagged=beyond, previous_state=current.state if current else None)
        if current is not None and current.state.is_terminal and fill is not None:
            # A fill reported after the order ended (e.g. the REST answer of an IOC order came first): the
            # final amounts stand; the fill's detail (trade id, fee, liquidity) is still recorded, once.
            kept = self._set(current.evolve(fills=current.fills + (fill,), updated_ms=now_ms))
            self._seen_trades.add(fill.trade_id)
            if event_id is not None:
                self._seen_events.add(event_id)
            return Applied(kept, event, previous_state=current.state)
        kind = event.kind
        state = _state_after(kind, incoming, current)
        reason = incoming.reason
        if event.reason and (kind is EventKind.CANCELLED or kind is EventKind.REJECTED):
            reason = event.reason
        if current is not None and current.state is OrderState.PENDING_CANCEL and not state.is_terminal:
            if kind is not EventKind.CANCEL_REJECTED:
                state = OrderState.PENDING_CANCEL
        fills = incoming.fills
        if fill is not None:
            fills = (current.fills if current is not None else ()) + (fill,)
        order = self._merge(incoming, state, now_ms, current, reason=reason, fills=fills)
        if event_id is not None:
            self._seen_events.add(event_id)
        if fill is not None:
            self._seen_trades.add(fill.trade_id)
        # Positional (order, event, duplicate, previous_state): keywords cost more, once per event of a busy stream.
        return Applied(order, event, False, current.state if current is not None else None)

    @staticmethod
    def _beyond_amount(event: OrderEvent, current: Order | None) -> str | None:
        """Why ``event`` claims more executed than the order's amount, or None when it does not."""
        order = event.order
        amount = current.amount if current is not None else order.amount
        if order.filled > amount:
            return f"order {order.order_id}: executed {order.filled} beyond its amount {amount}"
        if event.fill is not None and current is not None:
            recorded = sum((f.amount for f in current.fills), start=event.fill.amount * 0)
            if recorded + event.fill.amount > amount:
                return (f"order {order.order_id}: fill {event.fill.trade_id} of {event.fill.amount} would take "
                        f"executed to {recorded + event.fill.amount}, beyond its amount {amount}")
        return None

    def record_fill(self, fill: Fill, now_ms: int) -> Order | None:
        """Add a fill's detail (from ``/v1/mytrades`` after a gap) to its order, once per trade id.

        The order's cumulative amounts are the venue's (from the status call), so they are not changed here.

        Returns:
            The order with the fill added, or None when the trade was known already or its order is not.
        """
        if fill.trade_id in self._seen_trades:
            return None
        order = self._orders.get(fill.order_id)
        if order is None:
            return None
        if sum((f.amount for f in order.fills), start=fill.amount * 0) + fill.amount > order.amount:
            message = f"order {order.order_id}: trade {fill.trade_id} would exceed its amount {order.amount}"
            self.flagged.append(message)
            log.error("refused trade: %s", message)
            return None
        self._seen_trades.add(fill.trade_id)
        fills = tuple(sorted((*order.fills, fill), key=lambda f: (f.timestamp_ms, f.trade_id)))
        return self._set(order.evolve(fills=fills, updated_ms=now_ms))

    def apply_many(self, events: Iterable[OrderEvent], now_ms: int) -> list[Applied]:
        """Apply a batch of events in order; listeners hear once per changed order at the end."""
        listeners, self._listeners = self._listeners, []
        try:
            results = [self.apply_event(e, now_ms) for e in events]
        finally:
            self._listeners = listeners
        self._notify_once([result.order for result in results])
        return results

    def apply_snapshots(self, snapshots: Iterable[Order], now_ms: int) -> list[Order | None]:
        """Apply many REST order objects (e.g. ``/v1/orders``), each as ``apply_snapshot``, in order.

        Listeners hear once, at the end, with each changed order once.

        Returns:
            For each snapshot, the order recorded (None where it was refused or ignored).
        """
        listeners, self._listeners = self._listeners, []
        try:
            results = [self.apply_snapshot(order, now_ms) for order in snapshots]
        finally:
            self._listeners = listeners
        self._notify_once(results)
        return results

    def _notify_once(self, orders: list[Order | None]) -> None:
        """Tell the listeners about ``orders`` (Nones skipped), the last version of each order only."""
        changed: dict[str, Order] = {}
        for order in orders:
            if order is not None:
                changed[order.order_id or order.client_order_id or ""] = order
        self._notify(list(changed.values()))

    # -- internals ----------------------------------------------------------------------------------------------
    def _find(self, incoming: Order) -> Order | None:
        if incoming.order_id:
            found = self._orders.get(incoming.order_id)
            if found is not None:
                return found
        if incoming.client_order_id:
            return self.by_client_order_id(incoming.client_order_id)
        return None

    def _merge(
        self,
        incoming: Order,
        state: OrderState,
        now_ms: int,
        current: Order | None,
        *,
        reason: str | None = None,
        fills: tuple[Fill, ...] | None = None,
    ) -> Order | None:
        """Record ``incoming`` (the venue's word) in ``state``, over ``current`` (what the blotter has, if any).

        What the venue left out (client order id, stop price, options, reason, fills, api session, a creation
        time) is kept from ``current``; an older snapshot never lowers the executed amount of an open order.
        ``reason`` / ``fills`` replace ``incoming``'s when given. When nothing differs from ``incoming`` (its
        ``updated_ms`` already ``now_ms``), ``incoming`` itself is recorded: orders are immutable, so no copy.

        Returns:
            The order recorded, or None when the transition is not allowed or the amounts are impossible.
        """
        if current is not None and not can_transition(current.state, state):
            log.info(
                "ignored transition %s -> %s for order %s", current.state, state, current.order_id or "(pending)"
            )
            return None
        if reason is None:
            reason = incoming.reason
        if fills is None:
            fills = incoming.fills
        filled, remaining, avg_price = incoming.filled, incoming.remaining, incoming.avg_price
        if current is None:
            client_order_id = incoming.client_order_id or None
            created_ms = incoming.created_ms or now_ms
            stop_price = incoming.stop_price
            options = incoming.options or ()
            reason = reason or None
            fills = fills or ()
            api_session = incoming.api_session or None
        else:
            client_order_id = incoming.client_order_id or current.client_order_id
            created_ms = incoming.created_ms or current.created_ms
            stop_price = incoming.stop_price if incoming.stop_price is not None else current.stop_price
            options = incoming.options or current.options
            reason = reason or current.reason
            fills = fills or current.fills
            api_session = incoming.api_session or current.api_session
            if current.filled > filled and not state.is_terminal:
                # An older snapshot than what we have: keep the larger (venue-cumulative) executed amount.
                filled, remaining, avg_price = current.filled, current.remaining, current.avg_price
        if filled > incoming.amount:
            message = f"order {incoming.order_id}: executed {filled} beyond its amount {incoming.amount}"
            self.flagged.append(message)
            log.error("refused snapshot: %s", message)
            return None
        if (
            state is incoming.state
            and now_ms == incoming.updated_ms
            and created_ms == incoming.created_ms
            and client_order_id is incoming.client_order_id
            and stop_price is incoming.stop_price
            and options is incoming.options
            and reason is incoming.reason
            and fills is incoming.fills
            and api_session is incoming.api_session
            and filled is incoming.filled
            and remaining is incoming.remaining
            and avg_price is incoming.avg_price
        ):
            merged = incoming
        else:
            merged = Order(
                incoming.order_id,
                client_order_id,
                incoming.symbol,
                incoming.side,
                incoming.order_type,
                incoming.price,
                incoming.amount,
                stop_price,
                options,
                filled,
                remaining,
                avg_price,
                state,
                reason,
                api_session,
                created_ms,
                now_ms,
                fills,
                incoming.venue_type,
                incoming.hidden,
                incoming.forced,
            )
        if fills and (current is None or fills is not current.fills):
            # Fills the venue's order detail carries (Roxom's order by id) are trades applied: the same trade from
            # the stream or the fills log later is a duplicate, not a fill beyond the order's amount.
            seen = self._seen_trades
            for recorded in fills:
                seen.add(recorded.trade_id)
        return self._set(merged)

    def _set(self, order: Order) -> Order:
        order_id, client_order_id = order.order_id, order.client_order_id
        if order.state.is_terminal:
            if order_id:
                previous = self._orders.get(order_id)
            else:
                previous = self._pending.get(client_order_id) if client_order_id else None
            if previous is None or not previous.state.is_terminal:
                self._ended.append((order_id, client_order_id))
                if len(self._ended) > MAX_ENDED_ORDERS:
                    self._forget(*self._ended.popleft())
        if client_order_id:
            self._pending.pop(client_order_id, None)
            if order_id:
                self._by_client_id[client_order_id] = order_id
        if order_id:
            self._orders[order_id] = order
        elif client_order_id:
            self._pending[client_order_id] = order
        if self._listeners:
            self._notify([order])
        return order

    def _forget(self, order_id: str, client_order_id: str | None) -> None:
        """Drop an ended order (the oldest beyond MAX_ENDED_ORDERS); an order that is open again is kept."""
        if order_id:
            order = self._orders.get(order_id)
            if order is not None and order.state.is_terminal:
                del self._orders[order_id]
                if client_order_id and self._by_client_id.get(client_order_id) == order_id:
                    del self._by_client_id[client_order_id]
        elif client_order_id:
            order = self._pending.get(client_order_id)
            if order is not None and order.state.is_terminal:
                del self._pending[client_order_id]
