"""The order-events stream of a trading session: heartbeat watchdog, reconnect back-off, reconciliation."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from console.domain.errors import OrderNotFound, StreamClosed, VenueError, VenueRefused
from console.domain.model import (
    EventKind,
    Order,
    OrderState,
    StreamAck,
    StreamBadFrame,
    StreamEvents,
    StreamGap,
)
from console.domain.reasons import Severity
from console.trading.status_text import REPORTED_KINDS
from console.trading.types import ConnectionState, SessionBase

__all__ = ["STALE_AFTER_S", "SessionStreamMixin"]

#: The session's logger for every part of it: records keep the name they had before the split.
log = logging.getLogger("console.trading.session")

#: Heartbeat watchdog: no message for this long (two missed 5 s heartbeats) and the stream is stale (seconds).
STALE_AFTER_S = 10.0
#: Fills are asked from this long before the gap began (ms): margin for the venue's clock against ours.
FILLS_MARGIN_MS = 1_000


class SessionStreamMixin(SessionBase):
    """The order stream of :class:`~console.trading.session.TradingSession` (mixed in; uses its venue, blotter)."""

    # -- the order events stream ----------------------------------------------------------------------------------
    async def run_order_events(self) -> None:
        """Keep the order-events stream connected until cancelled; apply every event to the blotter.

        Trust is lost (STALE) when the stream closes, goes silent for ``stale_after_s``, breaks its
        ``socket_sequence`` (gap, repeat or reset), or sends an order-events frame that cannot be read. Each time:
        reconnect with capped exponential back-off and jitter (the venue signs every handshake afresh), then
        reconcile before going LIVE. An error that ``halts_trading`` (e.g. ``InvalidSignature`` / ``MissingRole``)
        halts trading: no retry loop.
        """
        while True:
            reason: str | None
            try:
                reason = await self._stream_once()
            except asyncio.CancelledError:
                raise
            except VenueRefused as exc:
                if exc.halts_trading:
                    self._halt(exc)
                    return
                reason = exc.reason
            except (VenueError, OSError) as exc:
                reason = exc.__class__.__name__
            if self.connection is ConnectionState.HALTED:
                return
            self._lose_trust(reason or "stream closed")
            await asyncio.sleep(self._backoff.next_delay())

    async def _stream_once(self) -> str | None:
        """One connection: returns (or raises) why it ended.

        The subscription must be acknowledged (``StreamAck``) within ``stale_after_s`` of connecting: heartbeats
        alone do not do (a venue that answers pings but lost the acknowledgement would keep a connection that never
        reconciles, and the session STALE, for ever).
        """
        connection = await self.venue.connect_order_events()
        loop = asyncio.get_running_loop()
        ack_due = loop.time() + self.stale_after_s
        acked = heard = False
        try:
            while True:
                budget = self.stale_after_s if acked else max(0.0, ack_due - loop.time())
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation.
                    async with asyncio.timeout(budget):
                        message = await connection.recv()
                except TimeoutError:
                    connection.abort()
                    if heard and not acked:
                        return f"no subscription acknowledgement within {self.stale_after_s:g} s"
                    return f"no message for {self.stale_after_s:g} s"
                except StreamClosed as exc:
                    if exc.dropped:  # no close frame: the network dropped it
                        return "connection lost without a close frame"
                    detail = f": {exc.close_reason}" if exc.close_reason else ""
                    return f"closed by the exchange (code {exc.code}{detail})"
                self.last_message_ms = self.clock_ms()
                heard = True
                if isinstance(message, StreamAck):
                    acked = True
                    await self._reconcile_after_connect()
                elif isinstance(message, StreamEvents):
                    self._apply_batch(message)
                    # Frames already buffered are read without suspending: yield once per batch so the screen
                    # (same event loop) paints and takes keys between batches instead of after the backlog.
                    await asyncio.sleep(0)
                elif isinstance(message, StreamGap):
                    self._emit(Severity.ERROR, "Order events", "SequenceGap",
                               f"Stream sequence jumped from {message.expected} to {message.received}: "
                               "reconnecting to resynchronise.")
                    connection.abort()
                    return "sequence gap"
                elif isinstance(message, StreamBadFrame):
                    log.warning("bad order-events frame: %s", message.reason)
                    if message.lost_events:
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
        """After every (re)connect: the open orders, the status of what vanished or is UNKNOWN, the gap's fills."""
        self._set_connection(ConnectionState.RECONCILING, "")
        was_stale = self.stale_since_ms is not None
        before = {self._key(o): (o.state, o.filled) for o in self.blotter.orders()}
        fills_before = sum(len(o.fills) for o in self.blotter.orders())
        now = self.clock_ms()
        incoming = await self.venue.open_orders()
        active_ids = {order.order_id for order in incoming}
        revived = self._revive_declared(incoming)
        self.blotter.apply_snapshots(incoming, now)
        self._report_revived(revived)
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
            count = len(incoming)
            self._emit(Severity.INFO, "Order events", "",
                       f"Stream live; {count} open order{'s' if count != 1 else ''} on the account.")

    async def _settle_vanished(self, order: Order) -> None:
        """An open order missing from the open orders: ask its status (filled or cancelled while we were away)."""
        try:
            status = await self.venue.order_status(order_id=order.order_id)
        except OrderNotFound:
            log.error("order %s vanished and the exchange does not know it", order.order_id)
            return
        self.blotter.apply_snapshot(status, self.clock_ms())

    async def _settle_unknown_now(self, client_order_id: str) -> None:
        try:
            status = await self.venue.order_status(client_order_id=client_order_id)
        except OrderNotFound:
            self._not_received(client_order_id)
            return
        self.blotter.apply_snapshot(status, self.clock_ms())

    async def _fills_during_gap(self, since_ms: int) -> None:
        """Record the detail of fills made while the stream was down (the venue's fills since the gap began)."""
        fills = await self.venue.fills_since(max(0, since_ms - FILLS_MARGIN_MS))
        now = self.clock_ms()
        for fill in fills:
            if self.blotter.get(fill.order_id) is None:
                # An order placed elsewhere that traded and ended during the gap: fetch it so it shows.
                try:
                    status = await self.venue.order_status(order_id=fill.order_id)
                except OrderNotFound:
                    continue
                self.blotter.apply_snapshot(status, now)
            self.blotter.record_fill(fill, now)


    def _apply_batch(self, batch: StreamEvents) -> None:
        """Apply one message's events to the blotter and report what they ended; resynchronise after any doubt."""
        if batch.unreadable:
            self._resync_reason = "unreadable order event"
        now = self.clock_ms()
        revived = self._revive_declared(event.order for event in batch.events)
        self._applying_batch = True  # completion lines wait until the batch's fill and cancel lines are out
        try:
            for applied in self.blotter.apply_many(batch.events, now):
                if applied.flagged is not None or applied.duplicate or applied.order is None:
                    continue
                kind = applied.event.kind
                if kind not in REPORTED_KINDS:
                    continue  # no status line of its own (an order accepted or booked shows in the table)
                if kind is not EventKind.FILL and not applied.state_changed:
                    continue  # already reported (e.g. the REST answer said the same first)
                self._status_for_event(applied.event, applied.order)
        finally:
            self._applying_batch = False
        self._report_completions()
        if self._surface_flags():
            self._resync_reason = "impossible order data"
        self._report_revived(revived)

    def _surface_flags(self) -> bool:
        """Show (once) every impossible venue datum the blotter refused; True if there were any."""
        if not self.blotter.flagged:  # the usual case, once per message of the stream: nothing to swap
            return False
        flagged, self.blotter.flagged = self.blotter.flagged, []
        for message in flagged:
            self._emit(Severity.ERROR, "Blotter", "Refused",
                       f"Refused impossible data from the exchange ({message}); not applied, resynchronising.")
        return bool(flagged)
