"""Trading hotkeys: the size they send (a symbol's default size) and the price they take from the book."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from console.domain.book import OrderBook
from console.domain.model import Side

__all__ = ["default_size", "hotkey_price"]


def default_size(symbol: str, remembered: str | None, configured: Mapping[str, Decimal]) -> Decimal | None:
    """The amount a hotkey sends for ``symbol``: the symbol's last ticket amount, else the configured default size.

    Args:
        symbol: the symbol, any case, e.g. ``"BTCUSD"``.
        remembered: the amount text of the symbol's last ticket this run (e.g. ``"0.25"``), or None; text that is
            not a positive decimal (an empty or half-typed field) counts as none.
        configured: lowercase symbol → default size in base currency (the config's ``[ticket.default_size]``).

    Returns:
        The amount in base currency, e.g. ``Decimal("0.01")``; None when the symbol has neither (nothing is sent).
    """
    if remembered is not None:
        try:
            amount = Decimal(remembered.strip().replace(",", ""))
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite() and amount > 0:
            return amount
    return configured.get(symbol.lower())


def hotkey_price(side: Side, book: OrderBook, *, aggressive: bool) -> Decimal | None:
    """The limit price of a hotkey order.

    Joining the touch (``aggressive`` False) rests on the order's own side: a buy at the best bid, a sell at the
    best ask. The aggressive keys take the other side: a buy at the best ask, a sell at the best bid (a marketable
    limit order, still inside the price guards).

    Returns:
        The price, or None when the book has no level on the side needed.
    """
    bid, ask = book.best_bid, book.best_ask
    if side is Side.BUY:
        return ask if aggressive else bid
    return bid if aggressive else ask
