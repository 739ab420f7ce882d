"""Plain-language status texts of a trading session: order labels, fill, reject and reconcile wording."""

from __future__ import annotations

import logging
from typing import Any

from console.domain.errors import VenueRefused
from console.domain.fmt import fmt_money, fmt_price, fmt_qty
from console.domain.model import EventKind, Order, OrderEvent, OrderState
from console.domain.reasons import CANCEL_REASONS, REJECT_REASONS, Severity, explain
from console.trading.types import SessionBase, StatusEntry

#: The session's logger for every part of it: records keep the name they had before the split.
log = logging.getLogger("console.trading.session")

KNOWN_REASONS = frozenset(CANCEL_REASONS) | frozenset(REJECT_REASONS)


def describe(order: Order) -> str:
    """Short human label: ``BUY 0.01 BTCUSD @ 64250.00 tc-1a2b3c4d-000001`` (or ``#<order id>`` without a client id).

    The client order id is known from the moment the console sends the order, so the label is the same
    whichever answer (REST or stream) arrives first.
    """
    stop = f" stop {fmt_price(order.stop_price)}" if order.stop_price is not None else ""
    ident = order.client_order_id or f"#{order.order_id}"
    price = fmt_price(order.price)
    return f"{order.side.upper()} {fmt_qty(order.amount)} {order.symbol.upper()} @ {price}{stop} {ident}"



class SessionTextMixin(SessionBase):
    """The status lines of :class:`~console.trading.session.TradingSession` (mixed in; uses its clock and listener)."""

    @staticmethod
    def _key(order: Order) -> str:
        return order.client_order_id or order.order_id

    def _gap_summary(self, before: dict[str, tuple[OrderState, Any]], after: list[Order], new_fills: int) -> str:
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
    def _reason_text(exc: VenueRefused) -> str:
        """Our plain text for a known reason; the venue's own message for one we do not know."""
        log.info("venue refused: %s: %s", exc.reason, exc.message)
        if exc.reason in KNOWN_REASONS:
            return explain(exc.reason).text
        return f"{explain(exc.reason).text} {exc.message}".strip()

    def _report(self, subject: str, code: str, text: str, *, cancel: bool) -> None:
        self._emit(explain(code, cancel=cancel).severity, subject, code, text)

    def _emit(self, severity: Severity, subject: str, code: str, text: str) -> None:
        self.listener.status(StatusEntry(self.clock_ms(), severity, subject, code, text))

