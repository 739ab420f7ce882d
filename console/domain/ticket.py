"""Order ticket validation: turn what the trader typed into an order the venue will accept, or say why not.

Everything is checked before anything is sent: decimal syntax, positive values, the symbol's price increment
(``quote_increment``), quantity increment (``tick_size``) and minimum size, the stop price's side of the limit
price, and which execution options an order type allows. A ticket with any error sends nothing.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from console.domain.model import ExecOption, OrderType, Side, SymbolRules

#: Plain non-negative decimals only: no sign, exponent, NaN, infinity or thousands separators.
_DECIMAL_RE = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")

#: Gemini's allowed client order id characters and length (https://docs.gemini.com/rest/orders#new-order).
CLIENT_ORDER_ID_RE = re.compile(r"^[:\-_.#a-zA-Z0-9]{1,36}$")

#: Stop-limit: the limit price must be within this fraction of the stop price (Gemini's InvalidStopPriceRatio).
STOP_PRICE_RATIO = Decimal("0.5")

#: Short names of the execution options, as traders say them (the ticket's button, the guard dialog).
OPTION_SHORT = {
    ExecOption.MAKER_OR_CANCEL: "MOC",
    ExecOption.IMMEDIATE_OR_CANCEL: "IOC",
    ExecOption.FILL_OR_KILL: "FOK",
}

#: Symbol statuses that accept no new orders.
_NO_NEW_ORDERS = {"closed", "cancel_only"}


@dataclass(frozen=True, slots=True)
class TicketInput:
    """What the ticket's fields hold, as typed.

    Attributes:
        symbol: lowercase symbol, e.g. ``"btcusd"``.
        side / order_type: chosen values.
        price / stop_price / amount: the raw text of each field (decimal strings, possibly invalid).
        option: the execution option, or None.
    """

    symbol: str
    side: Side
    order_type: OrderType
    price: str
    amount: str
    stop_price: str = ""
    option: ExecOption | None = None


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A validated order, ready to send.

    Attributes:
        symbol: lowercase symbol; side / order_type as chosen.
        price: limit price (quote currency); amount: base currency; stop_price: trigger price for stop-limit.
        options: zero or one execution option.
        client_order_id: unique id the console gives the order (``[:\\-_.#a-zA-Z0-9]{1,36}``).
    """

    symbol: str
    side: Side
    order_type: OrderType
    price: Decimal
    amount: Decimal
    client_order_id: str
    stop_price: Decimal | None = None
    options: tuple[ExecOption, ...] = ()

    @property
    def notional(self) -> Decimal:
        """``price × amount`` in quote currency."""
        return self.price * self.amount


@dataclass(frozen=True)
class TicketErrors(Exception):
    """The ticket failed validation; nothing was sent.

    Attributes:
        errors: field name (``"symbol"``, ``"price"``, ``"stop_price"``, ``"amount"``, ``"option"``) → message.
    """

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.errors.items())


class ClientOrderIds:
    """Generates unique client order ids for one console session: ``tc-<session tag>-<counter>``.

    The session tag is 8 random hex characters, so two consoles on one key never collide.
    """

    def __init__(self, session_tag: str | None = None) -> None:
        self.session_tag = session_tag or secrets.token_hex(4)
        self._counter = itertools.count(1)

    def next(self) -> str:
        """Return the next id, e.g. ``"tc-1a2b3c4d-000001"``."""
        cid = f"tc-{self.session_tag}-{next(self._counter):06d}"
        assert CLIENT_ORDER_ID_RE.match(cid), cid
        return cid


def parse_decimal(text: str, label: str) -> Decimal:
    """Parse a positive plain decimal typed by the trader.

    Args:
        text: the field's text, e.g. ``"64250.00"``; surrounding spaces are ignored.
        label: the field's name for the message, e.g. ``"Price"``.

    Returns:
        The value as a ``Decimal``.

    Raises:
        ValueError: with a message fit to show next to the field.
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"{label} is required.")
    if stripped[0] == "-" and _DECIMAL_RE.match(stripped[1:].strip()):
        raise ValueError(f"{label} must be positive.")  # a sign is no typo of the number: say what is wrong
    if not _DECIMAL_RE.match(stripped):
        raise ValueError(f"{label} must be a plain decimal number, e.g. 1.25.")
    try:
        value = Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise ValueError(f"{label} must be a plain decimal number, e.g. 1.25.") from None
    if value <= 0:
        raise ValueError(f"{label} must be positive.")
    return value


def _is_multiple(value: Decimal, increment: Decimal) -> bool:
    return increment > 0 and value % increment == 0


def _fmt(value: Decimal) -> str:
    """Show an increment or size without exponent notation (``1E-8`` → ``0.00000001``)."""
    return format(value.normalize(), "f")


def validate_ticket(ticket: TicketInput, rules: SymbolRules | None, client_order_id: str) -> NewOrder:
    """Validate a ticket against its symbol's rules.

    Args:
        ticket: the raw ticket.
        rules: the symbol's trading rules (from ``/v1/symbols/details``); None if the symbol is unknown.
        client_order_id: the id to give the order if it is valid.

    Returns:
        The order to send.

    Raises:
        TicketErrors: one message per field in error; nothing may be sent.
    """
    errors: dict[str, str] = {}
    if rules is None:
        errors["symbol"] = f"Unknown symbol {ticket.symbol!r}."
    elif rules.status in _NO_NEW_ORDERS:
        errors["symbol"] = f"{ticket.symbol.upper()} is {rules.status.replace('_', '-')}: no new orders."

    def number(attr: str, label: str) -> Decimal | None:
        try:
            return parse_decimal(getattr(ticket, attr), label)
        except ValueError as exc:
            errors[attr] = str(exc)
            return None

    price = number("price", "Price")
    amount = number("amount", "Amount")
    stop_price: Decimal | None = None
    is_stop = ticket.order_type is OrderType.STOP_LIMIT
    if is_stop:
        stop_price = number("stop_price", "Stop price")

    if rules is not None:
        if price is not None and not _is_multiple(price, rules.price_increment):
            errors["price"] = f"Price must be a multiple of the tick size {_fmt(rules.price_increment)}."
        if stop_price is not None and not _is_multiple(stop_price, rules.price_increment):
            errors["stop_price"] = f"Stop price must be a multiple of the tick size {_fmt(rules.price_increment)}."
        if amount is not None:
            if amount < rules.min_order_size:
                errors["amount"] = (
                    f"Amount is below the minimum order size {_fmt(rules.min_order_size)} {rules.amount_unit}."
                )
            elif not _is_multiple(amount, rules.quantity_increment):
                errors["amount"] = (
                    f"Amount must be a multiple of the quantity increment {_fmt(rules.quantity_increment)}."
                )
            elif rules.max_order_size is not None and amount > rules.max_order_size:
                errors["amount"] = (
                    f"Amount is above the maximum order size {_fmt(rules.max_order_size)} {rules.amount_unit}."
                )
            elif price is not None and "price" not in errors:
                notional = price * amount
                if rules.min_notional is not None and notional < rules.min_notional:
                    errors["amount"] = (f"Order value {_fmt(notional)} {rules.quote_currency} is below the minimum "
                                        f"{_fmt(rules.min_notional)} {rules.quote_currency}.")
                elif rules.max_notional is not None and notional > rules.max_notional:
                    errors["amount"] = (f"Order value {_fmt(notional)} {rules.quote_currency} is above the maximum "
                                        f"{_fmt(rules.max_notional)} {rules.quote_currency} for a limit order.")

    if is_stop and price is not None and stop_price is not None and "stop_price" not in errors:
        if ticket.side is Side.BUY and not stop_price < price:
            errors["stop_price"] = "Stop-limit buy: the stop price must be below the limit price."
        elif ticket.side is Side.SELL and not stop_price > price:
            errors["stop_price"] = "Stop-limit sell: the stop price must be above the limit price."
        elif abs(price - stop_price) > stop_price * STOP_PRICE_RATIO:
            errors["price"] = "Stop-limit: the limit price must be within 50% of the stop price."

    if is_stop and ticket.option is not None:
        errors["option"] = "Stop-limit orders take no execution option."
    if rules is not None and rules.status == "post_only" and ticket.option is not ExecOption.MAKER_OR_CANCEL:
        errors["option"] = f"{ticket.symbol.upper()} is post-only: choose maker-or-cancel."

    if not CLIENT_ORDER_ID_RE.match(client_order_id):
        errors["client_order_id"] = "Client order id must be 1-36 of [:-_.#a-zA-Z0-9]."

    if errors:
        raise TicketErrors(errors)
    assert price is not None and amount is not None
    return NewOrder(
        symbol=ticket.symbol.lower(),
        side=ticket.side,
        order_type=ticket.order_type,
        price=price,
        amount=amount,
        stop_price=stop_price,
        options=(ticket.option,) if ticket.option is not None else (),
        client_order_id=client_order_id,
    )


def stop_triggers_at_once(side: Side, stop_price: Decimal, last: Decimal) -> bool:
    """True when a stop-limit order's stop price is already through the market, so it would trigger on arrival.

    A buy stop triggers when the market trades at or above its stop price, a sell stop at or below it
    (https://docs.gemini.com/fix/order-entry/workflow/submitting-a-stop-limit-order): a buy stop at or below the
    last trade price, or a sell stop at or above it, goes live at once instead of waiting.

    Args:
        side: the order's side.
        stop_price / last: the stop price and the last trade price, quote currency.
    """
    return stop_price <= last if side is Side.BUY else stop_price >= last
