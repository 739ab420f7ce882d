"""The venue-neutral order book: levels, touch, spread, mid, trades, and the ticket's price keys."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from console.domain.book import OrderBook, PriceAction, Trade, own_levels, price_for
from console.domain.model import Order, OrderState, OrderType, Side

D = Decimal
TICK = D("0.01")


def book_with(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> OrderBook:
    book = OrderBook("btcusd")
    for price, amount in bids:
        book.set_level(Side.BUY, D(price), D(amount))
    for price, amount in asks:
        book.set_level(Side.SELL, D(price), D(amount))
    return book


def test_levels_sorted_best_first_and_zero_removes():
    book = book_with([("100.00", "1"), ("101.00", "2"), ("99.50", "3")], [("103.00", "1"), ("102.00", "4")])
    assert [lvl.price for lvl in book.bids()] == [D("101.00"), D("100.00"), D("99.50")]
    assert [lvl.price for lvl in book.asks()] == [D("102.00"), D("103.00")]
    assert (book.best_bid, book.best_ask, book.spread, book.mid) == (D("101.00"), D("102.00"), D("1.00"), D("101.5"))
    book.set_level(Side.BUY, D("101.00"), D("0"))
    book.set_level(Side.SELL, D("103.00"), D("0"))
    book.set_level(Side.SELL, D("150.00"), D("0"))  # removing an unknown level is harmless
    assert book.best_bid == D("100.00")
    assert [lvl.price for lvl in book.asks()] == [D("102.00")]
    assert book.bids(1)[0].amount == D("1")
    assert book.level_count() == (2, 1)


def test_bad_level_is_refused_and_changes_nothing():
    book = book_with([("100.00", "1")], [])
    with pytest.raises(ValueError):
        book.set_level(Side.BUY, D("100.00"), D("-1"))
    with pytest.raises(ValueError):
        book.set_level(Side.SELL, D("0"), D("1"))
    assert book.bids()[0].amount == D("1") and book.asks() == []


def test_random_updates_match_a_plain_dict_model():
    rng = random.Random(11)
    book = OrderBook("btcusd")
    model: dict[Side, dict[Decimal, Decimal]] = {Side.BUY: {}, Side.SELL: {}}
    for _ in range(3000):
        side = rng.choice([Side.BUY, Side.SELL])
        price = D(rng.randint(9000, 9100)) / 100
        amount = D(0) if rng.random() < 0.4 else D(rng.randint(1, 500)) / 100
        book.set_level(side, price, amount)
        if amount:
            model[side][price] = amount
        else:
            model[side].pop(price, None)
    assert [(lvl.price, lvl.amount) for lvl in book.bids()] == sorted(model[Side.BUY].items(), reverse=True)
    assert [(lvl.price, lvl.amount) for lvl in book.asks()] == sorted(model[Side.SELL].items())


def test_crossed_only_when_bid_reaches_ask():
    book = book_with([("100.00", "1")], [("100.01", "1")])
    assert not book.crossed
    book.set_level(Side.BUY, D("100.01"), D("1"))
    assert book.crossed


def test_trades_newest_first_deduplicated_and_last_price():
    book = OrderBook("btcusd", trades_kept=3)
    book.add_trades([Trade(2, 0, D("10"), D("1"), Side.BUY), Trade(1, 0, D("9"), D("1"), Side.SELL)])
    book.add_trades([Trade(2, 0, D("10"), D("1"), Side.BUY), Trade(3, 0, D("11"), D("1"), Side.SELL)])
    book.add_trades([Trade(4, 0, D("12"), D("1"), Side.BUY)])
    assert [t.trade_id for t in book.trades] == [4, 3, 2]
    assert book.last == D("12")


@pytest.mark.parametrize(
    ("action", "side", "expected"),
    [
        (PriceAction.BID, Side.BUY, "100.00"),
        (PriceAction.ASK, Side.BUY, "100.05"),
        (PriceAction.BID, Side.SELL, "100.00"),
        (PriceAction.MID, Side.BUY, "100.02"),  # mid 100.025 rounded down for a buy
        (PriceAction.MID, Side.SELL, "100.03"),  # and up for a sell
        (PriceAction.JOIN, Side.BUY, "100.00"),
        (PriceAction.JOIN, Side.SELL, "100.05"),
        (PriceAction.IMPROVE, Side.BUY, "100.01"),
        (PriceAction.IMPROVE, Side.SELL, "100.04"),
    ],
)
def test_price_keys(action, side, expected):
    book = book_with([("100.00", "1")], [("100.05", "1")])
    assert price_for(action, side, book, TICK) == D(expected)


def test_improve_never_crosses_a_one_tick_spread_and_empty_sides_give_none():
    book = book_with([("100.00", "1")], [("100.01", "1")])
    assert price_for(PriceAction.IMPROVE, Side.BUY, book, TICK) == D("100.00")
    assert price_for(PriceAction.IMPROVE, Side.SELL, book, TICK) == D("100.01")
    one_sided = book_with([("100.00", "1")], [])
    assert price_for(PriceAction.MID, Side.BUY, one_sided, TICK) is None
    assert price_for(PriceAction.ASK, Side.BUY, one_sided, TICK) is None
    assert price_for(PriceAction.IMPROVE, Side.SELL, one_sided, TICK) is None
    with pytest.raises(ValueError):
        price_for("sideways", Side.BUY, book, TICK)


def test_own_levels_count_only_orders_resting_on_the_symbols_book():
    def order(oid, side, price, state, symbol="btcusd", amount="1", filled="0"):
        return Order(oid, None, symbol, side, OrderType.LIMIT, D(price), D(amount), filled=D(filled), state=state)

    orders = [
        order("1", Side.BUY, "100.00", OrderState.LIVE),
        order("2", Side.BUY, "100.00", OrderState.PARTIALLY_FILLED, amount="2", filled="0.5"),
        order("3", Side.SELL, "101.00", OrderState.PENDING_CANCEL),
        order("4", Side.SELL, "102.00", OrderState.WAITING_TRIGGER),  # a stop not yet on the book
        order("5", Side.BUY, "99.00", OrderState.PENDING_NEW),
        order("6", Side.BUY, "98.00", OrderState.FILLED),
        order("7", Side.BUY, "100.00", OrderState.LIVE, symbol="ethusd"),
    ]
    assert own_levels(orders, "btcusd") == {(Side.BUY, D("100.00")): D("2.5"), (Side.SELL, D("101.00")): D("1")}
