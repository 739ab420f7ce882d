"""Symbols the local exchange lists: increments, minimums and simulation start prices, plus their wire shape."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class SymbolSpec:
    """Trading rules of one symbol of the local exchange.

    Attributes:
        symbol: lowercase symbol id, e.g. ``"btcusd"``.
        base_currency: currency of the amount, e.g. ``"BTC"``.
        quote_currency: currency of the price and of fees, e.g. ``"USD"``.
        tick_size: QUANTITY increment (Gemini's ``tick_size``), e.g. ``Decimal("1E-8")``; every order amount
            must be a multiple of it.
        quote_increment: PRICE increment (Gemini's ``quote_increment``), e.g. ``Decimal("0.01")``; every price
            and stop price must be a multiple of it.
        min_order_size: smallest order amount, in base currency.
        initial_price: mid price the market simulation starts from, in quote currency.
        wrap_enabled: whether ``/v1/wrap`` works for the symbol (only gusdusd here, as on Gemini).
        product_type: ``"spot"`` or ``"swap"``.
        contract_type: ``"vanilla"``, ``"linear"`` or ``"inverse"``.
    """

    symbol: str
    base_currency: str
    quote_currency: str
    tick_size: Decimal
    quote_increment: Decimal
    min_order_size: Decimal
    initial_price: Decimal
    wrap_enabled: bool = False
    product_type: str = "spot"
    contract_type: str = "vanilla"


def _spec(symbol: str, base: str, quote: str, min_size: str, qty_inc: str, price_inc: str, start: str) -> SymbolSpec:
    return SymbolSpec(
        symbol=symbol,
        base_currency=base,
        quote_currency=quote,
        tick_size=Decimal(qty_inc),
        quote_increment=Decimal(price_inc),
        min_order_size=Decimal(min_size),
        initial_price=Decimal(start),
    )


#: The symbols listed by default. Minimums and increments are Gemini's "Symbols and minimums" table
#: (shared/gemini-api.md §6.2); start prices are plausible round values for the simulation.
DEFAULT_SYMBOLS: dict[str, SymbolSpec] = {
    spec.symbol: spec
    for spec in (
        #      symbol     base    quote  min_order  qty incr    price incr  start mid
        _spec("btcusd", "BTC", "USD", "0.00001", "1E-8", "0.01", "64250.00"),
        _spec("ethusd", "ETH", "USD", "0.001", "0.000001", "0.01", "3150.00"),
        _spec("solusd", "SOL", "USD", "0.001", "0.000001", "0.001", "142.500"),
        _spec("ltcusd", "LTC", "USD", "0.01", "0.00001", "0.01", "84.50"),
        _spec("dogeusd", "DOGE", "USD", "0.1", "0.000001", "0.00001", "0.15250"),
        _spec("ethbtc", "ETH", "BTC", "0.001", "0.000001", "0.00001", "0.04903"),
        # A stablecoin pair whose details say wrap_enabled: /v1/wrap/gusdusd converts USD <-> GUSD at 1.
        SymbolSpec("gusdusd", "GUSD", "USD", Decimal("0.01"), Decimal("0.01"), Decimal("0.01"),
                   Decimal("1.00"), wrap_enabled=True),
    )
}


def symbol_details_wire(spec: SymbolSpec, status: str) -> dict[str, Any]:
    """Render a symbol in the exact ``GET /v1/symbols/details/{symbol}`` shape (shared/gemini-api.md §6.1).

    Args:
        spec: the symbol's rules.
        status: ``"open"``, ``"closed"``, ``"cancel_only"``, ``"post_only"`` or ``"limit_only"``.

    Returns:
        e.g. ``{"symbol": "BTCUSD", "base_currency": "BTC", "quote_currency": "USD", "tick_size": 1e-8,
        "quote_increment": 0.01, "min_order_size": "0.00001", "status": "open", "wrap_enabled": False,
        "product_type": "spot", "contract_type": "vanilla", "contract_price_currency": "USD"}``.
    """
    return {
        "symbol": spec.symbol.upper(),
        "base_currency": spec.base_currency,
        "quote_currency": spec.quote_currency,
        # Gemini sends both increments as JSON numbers; they are increments, not money, so float() is safe here.
        "tick_size": float(spec.tick_size),
        "quote_increment": float(spec.quote_increment),
        "min_order_size": format(spec.min_order_size, "f"),
        "status": status,
        "wrap_enabled": spec.wrap_enabled,
        "product_type": spec.product_type,
        "contract_type": spec.contract_type,
        "contract_price_currency": spec.quote_currency,
    }
