"""Plain-language status texts of a trading session: order labels, fill, reject and reconcile wording."""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from console.domain.errors import VenueRefused
from console.domain.fmt import fmt_money, fmt_price, fmt_qty, step_places
from console.domain.model import EventKind, Order, OrderEvent, OrderState, SymbolRules
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


_ZERO = Decimal(0)
_ONE = Decimal(1)

#: The order events that have a status line of their own (``_status_for_event``).
REPORTED_KINDS = frozenset({EventKind.CANCELLED, EventKind.REJECTED, EventKind.CANCEL_REJECTED, EventKind.FILL})

#: Decimals an average fill price shows beyond the symbol's tick: the average of fills at ticked prices is a
#: figure, not an order price, and may not terminate (three fills), so it is rounded there.
AVG_EXTRA_PLACES = 2


def fills_complete(order: Order) -> bool:
    """Whether ``order`` has ended with something filled and every one of its fills is known (their amounts add up
    to the filled amount), so its completion line can give the average price and the fees."""
    if not order.state.is_terminal or order.filled <= 0 or not order.fills:
        return False
    return sum((f.amount for f in order.fills), start=Decimal(0)) == order.filled


def completion_text(order: Order, rules: SymbolRules | None = None) -> str:
    """The one status line of an order that has ended with fills.

    Args:
        order: the ended order with its fills (:func:`fills_complete`).
        rules: the symbol's rules (the average shows the tick's decimals, plus :data:`AVG_EXTRA_PLACES` at most).

    Returns:
        e.g. ``"done: 0.5 @ avg 64,250.10, fees 1.61 USD"``; for an order that ended before filling completely,
        ``"done: 0.4 of 1 @ avg 0.025, fees 0.00001000 BTC; rest cancelled"``; fees in more than one currency are
        joined by `` + ``.
    """
    tick = rules.price_increment if rules is not None else None
    filled = notional = _ZERO
    places = step_places(tick)
    fees: dict[str, Decimal] = {}
    for f in order.fills:  # one pass: this runs for every order that ends with fills
        filled += f.amount
        notional += f.price * f.amount
        places = max(places, step_places(f.price))
        currency = f.fee_currency.upper()
        fees[currency] = fees.get(currency, _ZERO) + f.fee
    avg = notional / filled if filled else _ZERO
    rounded = avg.quantize(_ONE.scaleb(-(places + AVG_EXTRA_PLACES)), rounding=ROUND_HALF_EVEN)
    if avg != rounded:
        avg = rounded
    fee_text = " + ".join(fmt_money(amount, currency) for currency, amount in fees.items())
    qty = fmt_qty(filled)
    if order.state is not OrderState.FILLED and filled < order.amount:
        qty += f" of {fmt_qty(order.amount)}"
    text = f"done: {qty} @ avg {fmt_price(avg, tick)}, fees {fee_text}"
    if order.state is not OrderState.FILLED and filled < order.amount:
        text += f"; rest {order.state.value}"
    return text



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
        """The status line of an event of a kind in ``REPORTED_KINDS`` (nothing for the others)."""
        if event.kind is EventKind.CANCELLED:
            self._report(describe(order), event.reason or order.reason or "",
                         explain(event.reason or order.reason, cancel=True).text, cancel=True)
        elif event.kind is EventKind.REJECTED:
            self._report(describe(order), event.reason or "", explain(event.reason).text, cancel=False)
        elif event.kind is EventKind.CANCEL_REJECTED:
            self._report(describe(order), event.reason or "",
                         "Cancel refused: " + explain(event.reason).text, cancel=False)
        elif event.kind is EventKind.FILL and event.fill is not None:
            # Every fill is still a status entry (the app refreshes balances and positions on it); the status pane
            # shows the order's one completion line instead (_report_completions), and fill_alerts chooses toasts.
            f = event.fill
            self._emit(Severity.INFO, describe(order), "Fill",
                       f"Filled {fmt_qty(f.amount)} @ {fmt_price(f.price)} ({f.liquidity}, fee "
                       f"{fmt_money(f.fee, f.fee_currency)}); {fmt_qty(order.filled)} of {fmt_qty(order.amount)} done.")

    def _completions_changed(self, changed: list[Order]) -> None:
        """Blotter listener: note orders that have ended with all their fills known; report them now, or at the end
        of the stream batch being applied (after its fill and cancel lines)."""
        for order in changed:
            if order.fills and fills_complete(order):  # most changes carry no fill: skip the call
                key = order.order_id or order.client_order_id or ""
                if key not in self._completed:
                    self._completed.add(key)
                    self._completing.append(order)
        if not self._applying_batch:
            self._report_completions()

    def _report_completions(self) -> None:
        """One ``Done`` line per ended order (:func:`completion_text`)."""
        if not self._completing:  # the usual case, once per message of the stream: nothing to swap
            return
        completing, self._completing = self._completing, []
        for order in completing:
            self._emit(Severity.INFO, describe(order), "Done", completion_text(order, self.rules.get(order.symbol)))

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

