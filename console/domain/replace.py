"""Cancel-replace rules: which order may be replaced, and the amount its replacement is sent for.

Gemini has no amend: a desk replaces an order by cancelling it, waiting for the venue to confirm the cancel, then
sending a new order. Fills can arrive between the moment the trader loads the order into the ticket and the
moment the cancel takes effect; the replacement must not buy or sell them a second time.

The amount rule (the desk norm): the ticket is loaded with the order's **remaining** amount (original − executed
when loaded), so the ticket's amount is the amount still wanted. Fills that arrive after the ticket was loaded
are taken off it::

    new amount = ticket amount − (executed at the cancel − executed when loaded)

Unchanged by the trader, that is the original amount minus everything filled up to the cancel. A trader who typed
another amount meant "this much more from the time I looked", so the later fills come off that amount too. Nothing
is sent when the old order filled completely, or when what is left is not above zero or below the symbol's minimum
order size. All arithmetic is ``Decimal``; executed amounts only grow, so the late fills are never negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from console.domain.fmt import fmt_qty
from console.domain.model import Order, OrderState
from console.domain.ticket import NewOrder

__all__ = ["REPLACEABLE_STATES", "ReplaceAmount", "replace_block", "replacement_amount", "replacement_errors",
           "short_id"]

#: States in which an order can be cancelled and replaced (it is working at the venue, no cancel in flight).
REPLACEABLE_STATES = frozenset({OrderState.ACCEPTED, OrderState.WAITING_TRIGGER, OrderState.LIVE,
                                OrderState.PARTIALLY_FILLED})

#: Order ids longer than this are shown by their last :data:`SHORT_ID_LENGTH` characters.
SHORT_ID_LENGTH = 6


def short_id(order_id: str) -> str:
    """The order id as the replace texts show it: the last 6 characters of a long id (``"73797746498585286"`` →
    ``"585286"``), a short id whole."""
    return order_id if len(order_id) <= SHORT_ID_LENGTH + 2 else order_id[-SHORT_ID_LENGTH:]


def replace_block(order: Order | None, *, api_session: str, symbols: frozenset[str] | set[str]) -> str | None:
    """Why ``order`` cannot be cancel-replaced now (a sentence for the status pane), or None when it can.

    Only this API key's working orders are replaced: an order placed elsewhere (the venue's web UI, another key)
    would come back as an order of this key's session (its cancel-session and dead-man switch), so it is cancelled
    with ``x`` instead.

    Args:
        order: the selected order (None: nothing selected).
        api_session: what the venue puts in ``Order.api_session`` for this console's orders (e.g. the API key).
        symbols: the symbols the ticket offers, lowercase.
    """
    if order is None:
        return "Select an order in the orders table first."
    label = f"#{short_id(order.order_id)}" if order.order_id else (order.client_order_id or "this order")
    if order.state is OrderState.PENDING_CANCEL:
        return f"{label} is already being cancelled: nothing to replace."
    if order.state.is_terminal:
        return f"{label} is {order.state.value}: nothing to replace."
    if not order.order_id or order.state in (OrderState.PENDING_NEW, OrderState.UNKNOWN):
        return f"{label} has no answer from the exchange yet: wait for it before replacing."
    if order.state not in REPLACEABLE_STATES:  # pragma: no cover - every open state is listed above
        return f"{label} is {order.state.value}: it cannot be replaced."
    if order.api_session not in (None, api_session):
        return (f"{label} was placed elsewhere ({order.api_session}): only this key's orders are replaced "
                "(cancel it with x).")
    if order.symbol not in symbols:
        return f"{label} is a {order.symbol.upper()} order, a symbol the ticket does not offer."
    return None


def replacement_errors(old: Order, new: NewOrder) -> dict[str, str]:
    """Ticket errors (field → message) of a replacement that is not one: it keeps the old order's symbol and side.

    A different symbol or side is a new order, not a replacement (Esc leaves replace mode).
    """
    errors: dict[str, str] = {}
    if new.symbol != old.symbol:
        errors["symbol"] = f"A replacement keeps the symbol {old.symbol.upper()} (Esc: a new order instead)."
    if new.side is not old.side:
        errors["side"] = f"A replacement keeps the side {old.side.value.upper()} (Esc: a new order instead)."
    return errors


@dataclass(frozen=True, slots=True)
class ReplaceAmount:
    """The replacement's amount, once the old order's cancel is confirmed.

    Attributes:
        amount: what to send (base currency); ``Decimal(0)`` when nothing is sent.
        filled_before_cancel: everything the old order executed up to the cancel (its final executed amount).
        filled_after_load: the part of it that arrived after the ticket was loaded (taken off the ticket's amount).
        nothing_sent: why no replacement is sent (a sentence), or None when ``amount`` is sent.
    """

    amount: Decimal
    filled_before_cancel: Decimal
    filled_after_load: Decimal
    nothing_sent: str | None = None


def replacement_amount(
    ticket_amount: Decimal,
    *,
    filled_at_load: Decimal,
    final: Order,
    min_order_size: Decimal | None = None,
) -> ReplaceAmount:
    """The amount the replacement is sent for (see the module's rule).

    Args:
        ticket_amount: the ticket's amount (loaded as the order's remaining, possibly changed by the trader).
        filled_at_load: the old order's executed amount when the ticket was loaded.
        final: the old order in its final state (``CANCELLED`` or ``FILLED``), with the venue's executed amount.
        min_order_size: the symbol's minimum order size (None: not known, only ``> 0`` is required).

    Returns:
        The amount, with ``nothing_sent`` set when no replacement may be sent.

    Raises:
        ValueError: ``final`` has not ended (a replacement is computed only once the cancel is confirmed).
    """
    if not final.state.is_terminal:
        raise ValueError(f"order {final.order_id} is {final.state.value}: the cancel is not confirmed")
    filled = final.filled
    late = max(filled - filled_at_load, Decimal(0))
    zero = Decimal(0)
    # Executed against the original amount, not the remaining: a venue may report a cancelled order's remaining as
    # 0 (Roxom's leaves quantity), which says nothing about how much of it filled.
    if final.state is OrderState.FILLED or filled >= final.amount:
        return ReplaceAmount(zero, filled, late, f"#{short_id(final.order_id)} filled completely before the cancel "
                                                 f"({fmt_qty(filled)} filled): nothing sent.")
    amount = ticket_amount - late
    if amount <= 0:
        return ReplaceAmount(zero, filled, late, f"{fmt_qty(late)} filled after the ticket was loaded, all of the "
                                                 f"ticket's {fmt_qty(ticket_amount)}: nothing sent.")
    if min_order_size is not None and amount < min_order_size:
        return ReplaceAmount(zero, filled, late, f"{fmt_qty(amount)} left after {fmt_qty(late)} filled, below the "
                                                 f"minimum order size {fmt_qty(min_order_size)}: nothing sent.")
    return ReplaceAmount(amount, filled, late)
