"""The matching engine's market listener: its level changes and trades rebuild the public book and trades."""

from __future__ import annotations

import random
from decimal import Decimal

from console.exchange.engine import ExchangeError, MatchingEngine

D = Decimal
BALANCES = {"USD": "100000000", "BTC": "10000"}


def test_changes_after_every_action_rebuild_the_book_and_trades():
    engine = MatchingEngine(clock_ms=lambda: 1_700_000_000_000)
    accounts = [engine.add_account(f"a{i}", BALANCES) for i in range(3)]
    calls: list[tuple[str, list, list]] = []
    engine.add_market_listener(lambda symbol, changes, trades: calls.append((symbol, changes, trades)))
    book: dict[str, dict[Decimal, Decimal]] = {"buy": {}, "sell": {}}
    seen_trades: list[int] = []
    rng = random.Random(5)
    for step in range(1500):
        account = rng.choice(accounts)
        calls.clear()
        if rng.random() < 0.25 and engine.active_orders(account):
            engine.cancel_order(account, rng.choice(engine.active_orders(account))["order_id"], "k")
        else:
            try:
                engine.place_order(account, "k", symbol="btcusd", side=rng.choice(["buy", "sell"]),
                                   order_type="exchange limit", amount=str(D(rng.randint(1, 50)) / 100),
                                   price=str(D("50000.00") + D(rng.randint(-40, 40)) / 10),
                                   options=[rng.choice(["immediate-or-cancel"])] if rng.random() < 0.1 else [])
            except ExchangeError:
                pass
        assert len(calls) <= 1 and all(symbol == "BTCUSD" for symbol, _, _ in calls)  # one call per action
        for _, changes, trades in calls:
            for side, price, total in changes:
                if D(total):
                    book[side][D(price)] = D(total)
                else:
                    book[side].pop(D(price), None)
            seen_trades.extend(t["tid"] for t in trades)
        rest = engine.book("btcusd", limit_bids=0, limit_asks=0)
        assert sorted(book["buy"].items(), reverse=True) == [(D(x["price"]), D(x["amount"])) for x in rest["bids"]]
        assert sorted(book["sell"].items()) == [(D(x["price"]), D(x["amount"])) for x in rest["asks"]], step
    public = engine.public_trades("btcusd", limit_trades=500)
    assert seen_trades[-len(public):] == [t["tid"] for t in reversed(public)] and len(seen_trades) > 20


def test_no_listener_no_work_and_removal():
    engine = MatchingEngine()
    account = engine.add_account("a", BALANCES)
    calls: list = []

    def listener(*args) -> None:
        calls.append(args)

    engine.add_market_listener(listener)
    engine.remove_market_listener(listener)
    engine.remove_market_listener(listener)  # harmless twice
    engine.place_order(account, "k", symbol="btcusd", side="buy", order_type="exchange limit", amount="1",
                       price="100.00")
    assert calls == []


def test_held_updates_arrive_once_with_each_levels_final_total():
    engine = MatchingEngine(clock_ms=lambda: 1_700_000_000_000)
    account = engine.add_account("a", BALANCES)
    calls: list[tuple[str, list, list]] = []
    order_events: list = []
    engine.add_market_listener(lambda symbol, changes, trades: calls.append((symbol, changes, trades)))
    engine.add_listener(lambda account_id, events: order_events.append(events))

    def place(side: str, price: str, amount: str) -> None:
        engine.place_order(account, "k", symbol="btcusd", side=side, order_type="exchange limit", amount=amount,
                           price=price, options=[])

    place("buy", "100.00", "1")
    place("sell", "101.00", "1")
    calls.clear()
    with engine.market_updates_held():
        engine.cancel_session(account, "k")
        place("buy", "100.00", "2")
        place("sell", "102.00", "3")
        assert calls == []  # nothing public while held
        assert len(order_events) >= 5  # order events still go out per action
    assert calls == [("BTCUSD", [("buy", "100.00", "2"), ("sell", "101.00", "0"), ("sell", "102.00", "3")], [])]
    calls.clear()
    place("buy", "99.00", "1")  # after the block, per action again
    assert calls == [("BTCUSD", [("buy", "99.00", "1")], [])]
