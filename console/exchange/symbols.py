"""Symbols the local exchange lists: increments, minimums and simulation start prices, plus their wire shape."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: CHOICE: the largest order amount is this many minimum order sizes. Gemini's sandbox answered an absurd amount
#: (91384652837642836592 BTC) with InvalidQuantity (400) rather than InsufficientFunds, so a maximum order size
#: exists, but it is not documented; 10^9 minimums (10,000 BTC on btcusd) refuses absurd amounts and nothing a
#: desk sends. A symbol may set its own ``max_order_size`` instead.
MAX_ORDER_MIN_MULTIPLE = Decimal(10) ** 9


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
        max_order_size: largest order amount, in base currency; None for ``MAX_ORDER_MIN_MULTIPLE`` minimums.
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
    max_order_size: Decimal | None = None

    def max_amount(self) -> Decimal:
        """The largest order amount the symbol accepts, in base currency (e.g. ``Decimal("10000")`` on btcusd)."""
        if self.max_order_size is not None:
            return self.max_order_size
        return self.min_order_size * MAX_ORDER_MIN_MULTIPLE


def _spec(symbol: str, base: str, quote: str, min_size: str, qty_inc: str, price_inc: str, start: str,
          product: str = "spot") -> SymbolSpec:  # fmt: skip
    return SymbolSpec(
        symbol=symbol,
        base_currency=base,
        quote_currency=quote,
        tick_size=Decimal(qty_inc),
        quote_increment=Decimal(price_inc),
        min_order_size=Decimal(min_size),
        initial_price=Decimal(start),
        product_type=product,
        contract_type="linear" if product == "swap" else "vanilla",
    )


#: Every symbol the local exchange lists (``GET /v1/symbols``), in this order. Minimums and increments are the
#: rows of Gemini's "Symbols and minimums" table (https://docs.gemini.com/market-data/symbols-and-minimums), so an
#: order on any of them validates as it would on Gemini; start prices are plausible round values for the
#: simulation. Only SIMULATED_SYMBOLS get the simulated market maker by default; the others are quiet books
#: until someone places orders. The perpetuals (``*gusdperp``) keep their increments but settle here like spot
#: pairs (no margin, no funding).
DEFAULT_SYMBOLS: dict[str, SymbolSpec] = {
    spec.symbol: spec
    for spec in (
        #      symbol         base    quote   min_order     qty incr    price incr  start mid
        _spec("btcusd", "BTC", "USD", "0.00001", "1E-8", "0.01", "64250.00"),
        _spec("ethusd", "ETH", "USD", "0.001", "0.000001", "0.01", "3150.00"),
        _spec("solusd", "SOL", "USD", "0.001", "0.000001", "0.001", "142.500"),
        _spec("ltcusd", "LTC", "USD", "0.01", "0.00001", "0.01", "84.50"),
        _spec("dogeusd", "DOGE", "USD", "0.1", "0.000001", "0.00001", "0.15250"),
        _spec("ethbtc", "ETH", "BTC", "0.001", "0.000001", "0.00001", "0.04903"),
        # A stablecoin pair whose details say wrap_enabled: /v1/wrap/gusdusd converts USD <-> GUSD at 1.
        SymbolSpec("gusdusd", "GUSD", "USD", Decimal("0.01"), Decimal("0.01"), Decimal("0.01"),
                   Decimal("1.00"), wrap_enabled=True),
        _spec("bchusd", "BCH", "USD", "0.001", "0.000001", "0.01", "452.30"),
        _spec("xrpusd", "XRP", "USD", "0.1", "0.000001", "0.00001", "0.52340"),
        _spec("linkusd", "LINK", "USD", "0.1", "0.000001", "0.00001", "14.12000"),
        _spec("avaxusd", "AVAX", "USD", "0.00499999", "0.000001", "0.001", "28.450"),
        _spec("zecusd", "ZEC", "USD", "0.001", "0.000001", "0.01", "31.20"),
        _spec("paxgusd", "PAXG", "USD", "0.0001", "1E-8", "0.01", "2365.00"),
        _spec("usdcusd", "USDC", "USD", "0.1", "0.000001", "0.00001", "1.00000"),
        _spec("usdtusd", "USDT", "USD", "0.1", "0.000001", "0.00001", "1.00010"),
        _spec("shibusd", "SHIB", "USD", "1000", "0.000001", "1E-9", "0.000018250"),
        _spec("pepeusd", "PEPE", "USD", "1000", "0.000001", "1E-9", "0.000008120"),
        _spec("solbtc", "SOL", "BTC", "0.001", "0.000001", "1E-7", "0.0022180"),
        _spec("ltcbtc", "LTC", "BTC", "0.01", "0.00001", "1E-7", "0.0013150"),
        _spec("dogebtc", "DOGE", "BTC", "1", "1E-8", "1E-9", "0.000002374"),
        _spec("linketh", "LINK", "ETH", "0.1", "0.000001", "1E-7", "0.0044830"),
        _spec("btceur", "BTC", "EUR", "0.00001", "1E-8", "0.01", "59120.00"),
        _spec("btcgbp", "BTC", "GBP", "0.00001", "1E-8", "0.01", "50480.00"),
        _spec("btcsgd", "BTC", "SGD", "0.00001", "1E-8", "0.01", "86900.00"),
        _spec("btcusdt", "BTC", "USDT", "0.00001", "1E-8", "0.01", "64260.00"),
        _spec("btcusdc", "BTC", "USDC", "0.00001", "1E-8", "0.01", "64250.00"),
        _spec("btcgusd", "BTC", "GUSD", "0.00001", "1E-8", "0.01", "64250.00"),
        _spec("ethusdt", "ETH", "USDT", "0.001", "0.000001", "0.01", "3150.50"),
        _spec("etheur", "ETH", "EUR", "0.001", "0.000001", "0.01", "2898.00"),
        _spec("ethgusd", "ETH", "GUSD", "0.001", "0.000001", "0.01", "3150.00"),
        _spec("btcgusdperp", "BTC", "GUSD", "0.0001", "0.0001", "0.5", "64250.0", "swap"),
        _spec("ethgusdperp", "ETH", "GUSD", "0.001", "0.001", "0.05", "3150.00", "swap"),
        _spec("solgusdperp", "SOL", "GUSD", "0.1", "0.1", "0.005", "142.500", "swap"),
    )
}

#: The symbols the simulated market maker quotes unless told otherwise (``ExchangeServer(simulated_symbols=...)``,
#: ``python -m console.exchange --simulate``): the set the local exchange has always simulated, so the console,
#: its tests and the benchmarks see the same markets as before the full table was listed.
SIMULATED_SYMBOLS: tuple[str, ...] = ("btcusd", "ethusd", "solusd", "ltcusd", "dogeusd", "ethbtc")


def symbol_details_wire(spec: SymbolSpec, status: str) -> dict[str, Any]:
    """Render a symbol in the exact ``GET /v1/symbols/details/{symbol}`` shape.

    https://docs.gemini.com/rest/market-data#get-symbol-details

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
