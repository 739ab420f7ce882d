"""The local exchange's matching engine in process: orders placed per second (resting, crossing and cancels)."""

from __future__ import annotations

import time
from decimal import Decimal

from console.exchange.engine import MatchingEngine
from console.util.heap import freeze_survivors


def engine_orders_per_s(orders: int = 30_000, heap_policy: bool = True) -> float:
    """Place ``orders`` orders on a fresh engine with one event listener; return orders per second.

    With ``heap_policy`` the garbage collector is set as the local exchange's process sets it once it is serving
    (``console.util.heap.freeze_survivors``, called by ``python -m console.exchange``); without, Python's defaults.

    The mix: three resting limit orders (maker, both sides, away from the touch) for every order that crosses
    the book (an immediate-or-cancel taker that fills against resting orders), so the book stays deep; each
    placement emits its order events to the listener as the server's would.
    """
    engine = MatchingEngine()
    maker = engine.add_account("maker", {"USD": "1000000000", "BTC": "1000000"})
    taker = engine.add_account("taker", {"USD": "1000000000", "BTC": "1000000"})
    events = 0

    def listener(account_id, batch) -> None:
        nonlocal events
        events += len(batch)

    engine.add_listener(listener)
    prices_buy = [str(Decimal("63000.00") + Decimal(i % 1000) / 100) for i in range(1000)]
    prices_sell = [str(Decimal("64500.00") + Decimal(i % 1000) / 100) for i in range(1000)]
    if heap_policy:
        freeze_survivors()
    start = time.perf_counter()
    for i in range(orders):
        if i % 4 == 3:
            engine.place_order(taker, "taker", symbol="btcusd", side="buy" if i % 8 == 3 else "sell",
                               order_type="exchange limit", amount="0.0001",
                               price="65000.00" if i % 8 == 3 else "62900.00", options=["immediate-or-cancel"])
        else:
            side = "buy" if i % 2 else "sell"
            engine.place_order(maker, "maker", symbol="btcusd", side=side, order_type="exchange limit",
                               amount="0.0001", price=(prices_buy if side == "buy" else prices_sell)[i % 1000],
                               options=[])
    elapsed = time.perf_counter() - start
    assert events > orders, "every order made events"
    return orders / elapsed


def engine_orders_per_s_plain(orders: int = 30_000) -> float:
    """:func:`engine_orders_per_s` with Python's default garbage-collector settings."""
    return engine_orders_per_s(orders, heap_policy=False)
