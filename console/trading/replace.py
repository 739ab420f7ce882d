"""Cancel-replace of one order, venue-neutral: cancel, wait for the venue's confirmation, then send the rest.

Gemini has no amend, and Roxom's cancel is asynchronous (``PENDING_CANCEL`` first, ``cancelled`` later), so a
replacement is two legs driven through the ``Venue`` interface, never both live at once:

1. **Cancel** the old order (``Venue.cancel``). The console then waits until the blotter shows the old order ended:
   the cancel's answer when it carries the final state (Gemini: ``is_cancelled``), else the order-event stream's
   ``cancelled`` / ``closed`` (Roxom: ``PENDING_CANCEL`` is no confirmation; a cancel whose answer was lost, which
   is re-sent with back-off like any cancel). A refused cancel (e.g. ``OrderNotFound``, or the stream's
   ``cancel_rejected``) ends the replace: nothing is sent. A cancel not confirmed within
   :attr:`SessionReplaceMixin.replace_confirm_timeout_s` abandons the replace (the cancel goes on being retried):
   nothing is sent either.
2. **Place** the replacement for the ticket's amount minus the fills that arrived after the ticket was loaded
   (``console.domain.replace.replacement_amount``; nothing when the old order filled completely), through the
   session's ordinary :meth:`~console.trading.session.TradingSession.submit`: an unknown outcome is settled by client
   order id and never re-sent.

One status line tells the story, e.g. ``replaced #<old> by #<new>, 0.3 filled before the cancel``. The journal
has both legs (the cancel and the new order, with their answers and events) through the venue's tap.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from decimal import Decimal

from console.domain.errors import VenueRefused
from console.domain.fmt import fmt_qty
from console.domain.model import Order, OrderState, SymbolRules
from console.domain.reasons import Severity, explain
from console.domain.replace import (
    ReplaceAmount,
    replace_block,
    replacement_amount,
    replacement_errors,
    short_id,
)
from console.domain.ticket import NewOrder, TicketErrors, TicketInput, validate_ticket
from console.trading.status_text import describe
from console.trading.types import SessionBase, TradingBlocked

__all__ = ["REPLACE_CONFIRM_TIMEOUT_S", "ReplaceOutcome", "ReplaceResult", "SessionReplaceMixin"]

#: The session's logger for every part of it.
log = logging.getLogger("console.trading.session")

#: How long a replacement waits for the venue to confirm the old order's cancel before it is abandoned (seconds).
REPLACE_CONFIRM_TIMEOUT_S = 30.0

#: The status pane's code of every replace line.
CODE = "Replace"


class ReplaceOutcome(enum.StrEnum):
    """How a cancel-replace ended."""

    #: The old order is cancelled and the replacement was sent (its answer may still be pending or UNKNOWN).
    REPLACED = "replaced"
    #: The old order cannot be replaced (ended, already cancelling, no exchange id, placed elsewhere): no request.
    NOT_REPLACEABLE = "not-replaceable"
    #: The venue refused the cancel (or the stream said ``cancel_rejected``): the old order works on, nothing sent.
    CANCEL_REFUSED = "cancel-refused"
    #: The cancel was not confirmed in time (or trading halted): nothing sent; the cancel goes on being retried.
    CANCEL_UNCONFIRMED = "cancel-unconfirmed"
    #: The old order is cancelled, but nothing is left to send (it filled completely, or the rest is too small).
    NOTHING_LEFT = "nothing-left"
    #: The old order is cancelled, but new orders are blocked now (stream stale, halted): nothing sent.
    NOT_SENT = "not-sent"
    #: The trader asked for a cancel of the old order (x, d, s, a) while the replace waited: nothing sent.
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class ReplaceResult:
    """What a cancel-replace did.

    Attributes:
        outcome: how it ended.
        text: the status line that tells the story (also in the status pane).
        old: the old order as last known (None when it is not in the blotter).
        new: the replacement as recorded after its answer (state ``UNKNOWN`` when the answer was lost; None when
            nothing was sent).
        amount: the amount rule's verdict (None when the cancel was not confirmed).
    """

    outcome: ReplaceOutcome
    text: str
    old: Order | None = None
    new: Order | None = None
    amount: ReplaceAmount | None = None


def _label(order: Order) -> str:
    """``#`` and the order id, short (``short_id``), or the client order id while there is none."""
    return f"#{short_id(order.order_id)}" if order.order_id else (order.client_order_id or "the replacement")


def _filled_text(amount: ReplaceAmount) -> str:
    filled = amount.filled_before_cancel
    return f"{fmt_qty(filled)} filled before the cancel" if filled > 0 else "nothing filled before the cancel"


class SessionReplaceMixin(SessionBase):
    """Cancel-replace for :class:`~console.trading.session.TradingSession` (mixed in; uses its venue and blotter)."""

    #: How long :meth:`replace` waits for the cancel's confirmation (seconds); tests shorten it.
    replace_confirm_timeout_s: float = REPLACE_CONFIRM_TIMEOUT_S

    # Defined by TradingSession / the other mixins (declared here for the type checker).
    symbols: list[str]
    rules: dict[str, SymbolRules]

    def order_entry_block(self) -> str | None:
        raise NotImplementedError

    async def submit(self, order: NewOrder) -> Order | None:
        raise NotImplementedError

    def replace_block(self, order: Order | None) -> str | None:
        """Why ``order`` cannot be replaced now (see ``console.domain.replace.replace_block``), or None."""
        return replace_block(order, api_session=self.api_key, symbols=set(self.symbols))

    async def replace(self, old_order_id: str, new: NewOrder, *, filled_at_load: Decimal) -> ReplaceResult:
        """Cancel ``old_order_id``, wait for the venue's confirmation, then send ``new`` for what is still wanted.

        Args:
            old_order_id: the venue's id of the order to replace.
            new: the validated ticket (``TradingSession.prepare``): its amount is the amount still wanted when the
                ticket was loaded (the old order's remaining, unless the trader changed it).
            filled_at_load: the old order's executed amount when the ticket was loaded; fills after it come off
                ``new.amount`` (``console.domain.replace``).

        Returns:
            What happened; the same story is in the status pane.

        Raises:
            TradingBlocked: new orders are refused now (stale, reconciling, halted): nothing is cancelled or sent.
            TicketErrors: ``new`` changes the old order's symbol or side: nothing is cancelled or sent.
        """
        old = self.blotter.get(old_order_id)
        block = self.replace_block(old)
        if block is not None or old is None:
            text = f"Not replaced: {block}"
            self._emit(Severity.WARNING, describe(old) if old else f"#{old_order_id}", CODE, text)
            return ReplaceResult(ReplaceOutcome.NOT_REPLACEABLE, text, old)
        errors = replacement_errors(old, new)
        if errors:
            raise TicketErrors(errors)
        entry_block = self.order_entry_block()
        if entry_block is not None:
            raise TradingBlocked(entry_block)
        label = _label(old)
        self._replacing[old_order_id] = False
        try:
            refused = await self._cancel_for_replace(old)
            withdrawn = self._replacing.get(old_order_id, False)
        finally:
            self._replacing.pop(old_order_id, None)
        final = self.blotter.get(old_order_id) or old
        if refused is not None or (final.state.is_open and final.state is not OrderState.PENDING_CANCEL):
            why = refused or self._cancel_refused_text(final)
            text = f"{label} not replaced: the cancel was refused ({why}); it works on, nothing sent."
            self._emit(Severity.ERROR, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.CANCEL_REFUSED, text, final)
        if not final.state.is_terminal:
            text = (f"{label} not replaced: its cancel is not confirmed ({final.state.value}); the new order was not "
                    "sent, and the cancel goes on until the exchange confirms it.")
            self._emit(Severity.ERROR, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.CANCEL_UNCONFIRMED, text, final)
        if withdrawn:
            text = (f"{label} {final.state.value}; its replacement was not sent: a cancel of {label} was asked while "
                    "the replace waited.")
            self._emit(Severity.WARNING, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.WITHDRAWN, text, final)
        return await self._place_replacement(final, new, filled_at_load, label)

    async def _cancel_for_replace(self, old: Order) -> str | None:
        """The cancel leg: send the cancel and wait until the old order ended or the cancel was refused.

        Returns:
            Why the venue refused the cancel (its reason, decoded), or None when it did not refuse it (the blotter
            says the rest: ended, still pending past the timeout, or back to working after a ``cancel_rejected``).
        """
        order_id = old.order_id
        self.blotter.mark_pending_cancel(order_id, self.clock_ms())
        try:
            await self._send_cancel(order_id, retry=True, raise_refused=True,
                                    note=f" The replacement of {_label(old)} waits for the confirmation.")
        except VenueRefused as exc:
            return f"{exc.reason}: {self._reason_text(exc)}"
        await self._wait_cancel_settled(order_id)
        return None

    async def _wait_cancel_settled(self, order_id: str) -> None:
        """Wait (bounded by ``replace_confirm_timeout_s``) until the order is no longer PENDING_CANCEL."""
        changed = asyncio.Event()

        def heard(orders: list[Order]) -> None:
            if any(o.order_id == order_id for o in orders):
                changed.set()

        self.blotter.add_listener(heard)
        try:
            async with asyncio.timeout(self.replace_confirm_timeout_s):
                while True:
                    current = self.blotter.get(order_id)
                    if current is None or current.state is not OrderState.PENDING_CANCEL:
                        return
                    changed.clear()
                    await changed.wait()
        except TimeoutError:
            log.warning("replace: the cancel of %s is not confirmed after %g s", order_id,
                        self.replace_confirm_timeout_s)
        finally:
            self.blotter.remove_listener(heard)

    @staticmethod
    def _cancel_refused_text(order: Order) -> str:
        """Why a cancel came back refused through the stream (``cancel_rejected``), in words."""
        if order.reason:
            return f"{order.reason}: {explain(order.reason).text}"
        return "the exchange kept the order working"

    async def _place_replacement(self, final: Order, new: NewOrder, filled_at_load: Decimal,
                                 label: str) -> ReplaceResult:
        """The place leg: the old order ended (``final``); send what is still wanted, once."""
        rules = self.rules.get(new.symbol)
        min_size = rules.min_order_size if rules is not None else None
        amount = replacement_amount(new.amount, filled_at_load=filled_at_load, final=final, min_order_size=min_size)
        if amount.nothing_sent is not None:
            text = f"{label} {final.state.value}, not replaced: {amount.nothing_sent}"
            self._emit(Severity.WARNING, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.NOTHING_LEFT, text, final, amount=amount)
        try:
            order = self._with_amount(new, amount.amount)
        except TicketErrors as exc:
            text = f"{label} cancelled, not replaced: {amount.amount} left is not a valid order ({exc})."
            self._emit(Severity.WARNING, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.NOTHING_LEFT, text, final, amount=amount)
        block = self.order_entry_block()
        if block is not None:
            text = f"{label} cancelled ({_filled_text(amount)}), replacement not sent: {block}"
            self._emit(Severity.ERROR, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.NOT_SENT, text, final, amount=amount)
        try:
            placed = await self.submit(order)
        except TradingBlocked as exc:  # trust lost between the check and the send
            text = f"{label} cancelled ({_filled_text(amount)}), replacement not sent: {exc}"
            self._emit(Severity.ERROR, describe(final), CODE, text)
            return ReplaceResult(ReplaceOutcome.NOT_SENT, text, final, amount=amount)
        placed = placed or self.blotter.by_client_order_id(order.client_order_id)
        state = placed.state if placed is not None else OrderState.UNKNOWN
        subject = describe(placed) if placed is not None else order.client_order_id
        if state is OrderState.UNKNOWN:
            text = (f"{label} cancelled ({_filled_text(amount)}); its replacement {order.client_order_id} has no "
                    "answer yet: the console asks the exchange by its client order id and never re-sends it.")
            self._emit(Severity.WARNING, subject, CODE, text)
        elif state is OrderState.REJECTED:
            reason = placed.reason if placed is not None else None
            text = (f"{label} cancelled ({_filled_text(amount)}); its replacement was rejected ({reason}): "
                    "nothing is working.")
            self._emit(Severity.ERROR, subject, CODE, text)
        else:
            new_label = _label(placed) if placed is not None else order.client_order_id
            text = f"replaced {label} by {new_label}, {_filled_text(amount)}"
            if amount.filled_after_load > 0:
                text += (f" ({fmt_qty(amount.filled_after_load)} after the ticket was loaded: sent "
                         f"{fmt_qty(order.amount)})")
            self._emit(Severity.INFO, subject, CODE, text + ".")
        return ReplaceResult(ReplaceOutcome.REPLACED, text, final, placed, amount)

    def _with_amount(self, new: NewOrder, amount: Decimal) -> NewOrder:
        """``new`` for ``amount``, validated again against the symbol's rules (minimum size, notional limits).

        Raises:
            TicketErrors: the reduced order is not a valid order.
        """
        if amount == new.amount:
            return new
        ticket = TicketInput(
            symbol=new.symbol, side=new.side, order_type=new.order_type, price=format(new.price, "f"),
            amount=format(amount, "f"),
            stop_price=format(new.stop_price, "f") if new.stop_price is not None else "",
            option=new.options[0] if new.options else None,
        )
        return validate_ticket(ticket, self.rules.get(new.symbol), new.client_order_id)
