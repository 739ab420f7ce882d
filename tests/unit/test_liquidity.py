"""Unit tests of the local exchange's market simulation: determinism, increments, and trade flow."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.exchange.engine import MatchingEngine
from console.exchange.liquidity import MarketSimulator
from console.exchange.symbols import DEFAULT_SYMBOLS, SIMULATED_SYMBOLS

#: The symbols the simulator quotes by default: SIMULATED_SYMBOLS (the rest of the listed table stays quiet).
QUOTED = {name: DEFAULT_SYMBOLS[name] for name in SIMULATED_SYMBOLS}

T0_MS = 1_700_000_000_000


def make(seed: int = 7, **kwargs: object) -> tuple[MatchingEngine, MarketSimulator]:
    engine = MatchingEngine(clock_ms=lambda: T0_MS)
    return engine, MarketSimulator(engine, seed=seed, **kwargs)


def snapshot(engine: MatchingEngine) -> dict:
    return {
        symbol: (engine.book(symbol, 0, 0), engine.public_trades(symbol, limit_trades=500), engine.ticker(symbol))
        for symbol in engine.symbols()
    }


def run(sim: MarketSimulator, steps: int) -> None:
    sim.start_quotes()
    for _ in range(steps):
        sim.step()


def test_same_seed_gives_identical_books_and_trades() -> None:
    first_engine, first = make(seed=11)
    second_engine, second = make(seed=11)

    run(first, 40)
    run(second, 40)

    assert snapshot(first_engine) == snapshot(second_engine)
    assert first_engine.my_trades(first.taker_flow_id, limit_trades=500) == second_engine.my_trades(
        second.taker_flow_id, limit_trades=500
    )


def test_different_seeds_give_different_markets() -> None:
    first_engine, first = make(seed=1)
    second_engine, second = make(seed=2)

    run(first, 10)
    run(second, 10)

    assert snapshot(first_engine) != snapshot(second_engine)


def test_start_quotes_builds_levels_on_both_sides_around_the_initial_price() -> None:
    engine, sim = make(levels=5)

    sim.start_quotes()

    assert "gusdusd" not in QUOTED and engine.book("gusdusd", 0, 0) == {"bids": [], "asks": []}
    for symbol, spec in QUOTED.items():
        book = engine.book(symbol, 0, 0)
        assert len(book["bids"]) == 5 and len(book["asks"]) == 5, symbol
        bid, ask = engine.best_bid_ask(symbol)
        assert bid is not None and ask is not None
        assert bid < spec.initial_price < ask
        assert (ask - bid) / spec.initial_price < Decimal("0.001")  # a tight spread
    assert engine.open_order_count(sim.market_maker_id) == 5 * 2 * len(QUOTED)


def test_quotes_respect_increments_and_minimums() -> None:
    engine, sim = make(seed=3)
    run(sim, 25)
    sim.step_mid()  # fresh quotes: none taken by flow yet

    quotes = engine.active_orders(sim.market_maker_id)

    assert len(quotes) == 8 * 2 * len(QUOTED)
    for quote in quotes:
        spec = DEFAULT_SYMBOLS[quote["symbol"]]
        price, amount = Decimal(quote["price"]), Decimal(quote["original_amount"])
        assert price > 0 and price % spec.quote_increment == 0, quote
        assert amount >= spec.min_order_size and amount % spec.tick_size == 0, quote
        assert "E" not in quote["original_amount"] and "E" not in quote["price"]


def test_flow_produces_trades_and_moves_the_last_price() -> None:
    engine, sim = make()
    sim.start_quotes()
    assert all(engine.last_price(symbol) is None for symbol in engine.symbols())

    for _ in range(20):
        sim.step_flow()

    for symbol in QUOTED:
        trades = engine.public_trades(symbol, limit_trades=500)
        assert trades, symbol
        assert {t["type"] for t in trades} == {"buy", "sell"}, symbol
    assert engine.my_trades(sim.taker_flow_id)
    assert engine.open_order_count(sim.taker_flow_id) == 0  # immediate-or-cancel never rests


def test_step_mid_requotes_around_a_moving_mid() -> None:
    engine, sim = make(seed=5, symbols=["BTCUSD"], volatility_bps=Decimal(20))
    sim.start_quotes()
    first_quotes = {o["order_id"] for o in engine.active_orders(sim.market_maker_id)}
    mids = {sim.mid("btcusd")}

    for _ in range(10):
        sim.step_mid()
        mids.add(sim.mid("btcusd"))

    assert len(mids) > 5
    now_quotes = {o["order_id"] for o in engine.active_orders(sim.market_maker_id)}
    assert now_quotes.isdisjoint(first_quotes) and len(now_quotes) == 16
    bid, ask = engine.best_bid_ask("btcusd")
    assert bid is not None and ask is not None and bid < sim.mid("btcusd") < ask
    assert engine.symbols() == list(DEFAULT_SYMBOLS)
    assert all(engine.book(s)["bids"] == [] for s in engine.symbols() if s != "btcusd")


def test_a_requote_reaches_market_data_as_one_update_that_never_empties_the_book() -> None:
    engine, sim = make(seed=5, symbols=["BTCUSD"], volatility_bps=Decimal(20))
    calls: list[tuple[str, list, list]] = []
    engine.add_market_listener(lambda symbol, changes, trades: calls.append((symbol, changes, trades)))
    sim.start_quotes()
    book: dict[str, dict[Decimal, Decimal]] = {"buy": {}, "sell": {}}

    def apply(changes: list) -> None:
        for side, price, total in changes:
            if Decimal(total):
                book[side][Decimal(price)] = Decimal(total)
            else:
                book[side].pop(Decimal(price), None)

    for _, changes, _ in calls:
        apply(changes)
    for step in range(20):
        calls.clear()
        sim.step_mid()
        assert [symbol for symbol, _, _ in calls] == ["BTCUSD"], step  # one update, not a cancel then placements
        apply(calls[0][1])
        assert len(book["buy"]) == 8 and len(book["sell"]) == 8, step
        assert max(book["buy"]) < min(book["sell"])
        rest = engine.book("btcusd", limit_bids=0, limit_asks=0)
        assert sorted(book["buy"].items(), reverse=True) == [(Decimal(x["price"]), Decimal(x["amount"]))
                                                             for x in rest["bids"]]
        assert sorted(book["sell"].items()) == [(Decimal(x["price"]), Decimal(x["amount"])) for x in rest["asks"]]


def test_a_user_order_at_the_touch_gets_filled() -> None:
    engine, sim = make(seed=9, symbols=["ethusd"])
    user = engine.add_account("user", {"USD": "1000000"})
    sim.start_quotes()
    bid, _ = engine.best_bid_ask("ethusd")
    assert bid is not None
    order = engine.place_order(user, "key", symbol="ethusd", side="buy", order_type="exchange limit",
                               amount="0.01", price=format(bid, "f"))  # fmt: skip

    for _ in range(200):
        sim.step()
        if not engine.order_status(user, order_id=order["order_id"])["is_live"]:
            break

    status = engine.order_status(user, order_id=order["order_id"])
    assert status["executed_amount"] == "0.01" and not status["is_cancelled"]


def test_closed_market_is_skipped_without_errors() -> None:
    engine, sim = make(symbols=["btcusd", "ethusd"])
    engine.set_symbol_status("ethusd", "closed")

    run(sim, 5)

    assert engine.book("ethusd") == {"bids": [], "asks": []}
    assert engine.book("btcusd")["bids"]


def test_bad_arguments_are_refused() -> None:
    engine = MatchingEngine(clock_ms=lambda: T0_MS)
    with pytest.raises(ValueError):
        MarketSimulator(engine, levels=0)
    with pytest.raises(ValueError):
        MarketSimulator(engine, volatility_bps=-1)


def test_by_default_only_the_simulated_set_is_quoted_and_every_other_symbol_is_a_quiet_book() -> None:
    engine, sim = make(levels=2)
    sim.start_quotes()

    assert sim.symbols == list(SIMULATED_SYMBOLS)
    assert len(engine.symbols()) > 30 and "btceur" in engine.symbols()
    quiet = [s for s in engine.symbols() if s not in SIMULATED_SYMBOLS]
    assert quiet and all(engine.book(s, 0, 0) == {"bids": [], "asks": []} for s in quiet)
    assert all(engine.book(s, 0, 0)["bids"] for s in SIMULATED_SYMBOLS)


def test_any_listed_symbol_can_be_simulated_on_its_increments() -> None:
    quotable = [name for name, spec in DEFAULT_SYMBOLS.items() if not spec.wrap_enabled]
    engine, sim = make(levels=3, symbols=quotable)
    sim.start_quotes()

    for symbol in quotable:
        spec = DEFAULT_SYMBOLS[symbol]
        book = engine.book(symbol, 0, 0)
        assert len(book["bids"]) == 3 and len(book["asks"]) == 3, symbol
        for level in book["bids"] + book["asks"]:
            assert Decimal(level["price"]) % spec.quote_increment == 0, symbol
            assert Decimal(level["amount"]) % spec.tick_size == 0, symbol
