"""Issue 19: the hotkeys' default size and price, the config that gives them, and an order's one completion line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.app.config import ConfigError, load_config
from console.domain.book import OrderBook
from console.domain.hotkeys import default_size, hotkey_price
from console.domain.model import Fill, Liquidity, Order, OrderState, OrderType, Side, SymbolRules
from console.trading.status_text import completion_text, fills_complete

CONFIGURED = {"btcusd": Decimal("0.01"), "ethusd": Decimal("0.5")}
RULES = SymbolRules("btcusd", "BTC", "USD", Decimal("1E-8"), Decimal("0.01"), Decimal("0.00001"))


@pytest.mark.parametrize(("symbol", "remembered", "expected"), [
    ("btcusd", None, Decimal("0.01")),        # nothing typed yet: the config's size
    ("BTCUSD", None, Decimal("0.01")),        # any case
    ("btcusd", "0.25", Decimal("0.25")),      # the symbol's last ticket wins over the config
    ("btcusd", " 1,000 ", Decimal("1000")),   # as the trader typed it (grouping commas allowed, as the ticket does)
    ("btcusd", "", Decimal("0.01")),          # an empty field is no amount
    ("btcusd", "0.2x", Decimal("0.01")),      # neither is a half-typed one
    ("btcusd", "-1", Decimal("0.01")),        # nor a negative one
    ("btcusd", "0", Decimal("0.01")),
    ("solusd", None, None),                   # no size at all: the hotkey sends nothing
    ("solusd", "3", Decimal("3")),
])
def test_default_size_is_the_last_ticket_amount_else_the_configured_one(symbol, remembered, expected):
    assert default_size(symbol, remembered, CONFIGURED) == expected


def test_hotkey_price_joins_the_own_side_or_takes_the_other():
    book = OrderBook("btcusd")
    assert hotkey_price(Side.BUY, book, aggressive=False) is None  # an empty book has no price
    book.set_level(Side.BUY, Decimal("64250.00"), Decimal("1"))
    book.set_level(Side.SELL, Decimal("64251.00"), Decimal("2"))
    assert hotkey_price(Side.BUY, book, aggressive=False) == Decimal("64250.00")   # B: buy at the bid
    assert hotkey_price(Side.SELL, book, aggressive=False) == Decimal("64251.00")  # S: sell at the ask
    assert hotkey_price(Side.BUY, book, aggressive=True) == Decimal("64251.00")    # K: buy at the ask
    assert hotkey_price(Side.SELL, book, aggressive=True) == Decimal("64250.00")   # J: sell at the bid


def test_ticket_default_size_and_fill_alerts_are_typed_settings():
    config = load_config({"ticket.default_size.btcusd": "0.01"},
                         environ={"TRADING_CONSOLE_TICKET_DEFAULT_SIZE_ETHUSD": "0.5",
                                  "TRADING_CONSOLE_FILL_ALERTS": "each"})
    assert dict(config.ticket.default_size) == {"btcusd": Decimal("0.01"), "ethusd": Decimal("0.5")}
    assert config.fill_alerts == "each"
    defaults = load_config(environ={})
    assert dict(defaults.ticket.default_size) == {} and defaults.fill_alerts == "done"
    with pytest.raises(ConfigError, match="ticket.default_size.btcusd must be a positive decimal"):
        load_config({"ticket.default_size.btcusd": "-1"}, environ={})
    with pytest.raises(ConfigError, match="fill_alerts must be done, each or off"):
        load_config({"fill_alerts": "loud"}, environ={})


def _fill(n: int, price: str, amount: str, fee: str, currency: str = "USD") -> Fill:
    return Fill(f"t{n}", "73000000001", Decimal(price), Decimal(amount), Decimal(fee), currency, Liquidity.TAKER)


def _order(state: OrderState, filled: str, fills: tuple[Fill, ...], amount: str = "0.5") -> Order:
    return Order("73000000001", "tc-1", "btcusd", Side.BUY, OrderType.LIMIT, Decimal("64300.00"), Decimal(amount),
                 filled=Decimal(filled), state=state, fills=fills)


def test_completion_text_gives_the_average_price_and_the_fees():
    fills = (_fill(1, "64250.00", "0.2", "0.6425"), _fill(2, "64250.20", "0.2", "0.6425"),
             _fill(3, "64250.10", "0.1", "0.3212505"))
    order = _order(OrderState.FILLED, "0.5", fills)
    assert fills_complete(order)
    assert completion_text(order, RULES) == "done: 0.5 @ avg 64,250.10, fees 1.61 USD"


def test_completion_text_rounds_an_average_that_does_not_terminate_and_sums_fees_per_currency():
    fills = (_fill(1, "100.00", "1", "0.10"), _fill(2, "100.01", "1", "0.10"), _fill(3, "100.01", "1", "0.00001",
                                                                                       "BTC"))
    order = _order(OrderState.FILLED, "3", fills, amount="3")
    # 300.02 / 3 = 100.00666…: the tick's two decimals and two more, half-even.
    assert completion_text(order, RULES) == "done: 3 @ avg 100.0067, fees 0.20 USD + 0.00001000 BTC"


def test_completion_text_of_an_order_that_ended_before_filling_completely():
    order = _order(OrderState.CANCELLED, "0.4", (_fill(1, "64250.00", "0.4", "1.285"),), amount="1")
    assert completion_text(order, RULES) == "done: 0.4 of 1 @ avg 64,250.00, fees 1.29 USD; rest cancelled"


def test_no_completion_until_the_order_has_ended_and_every_fill_is_known():
    fills = (_fill(1, "64250.00", "0.2", "0.6425"),)
    assert not fills_complete(_order(OrderState.PARTIALLY_FILLED, "0.2", fills))  # still working
    assert not fills_complete(_order(OrderState.FILLED, "0.5", fills))  # the venue's word came before the fills
    assert not fills_complete(_order(OrderState.CANCELLED, "0", ()))  # nothing filled: the cancel line says it all
