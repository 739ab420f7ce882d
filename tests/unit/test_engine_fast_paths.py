"""Unit tests of the matching engine's fast paths: parsed-text caches, event templates and average-price text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.engine import model as engine_model
from console.exchange.symbols import DEFAULT_SYMBOLS, SymbolSpec

T0_MS = 1_700_000_000_123
FUNDS = {"USD": "100000000", "BTC": "1000", "ETH": "1000", "LTC": "100000", "DOGE": "100000000", "WHL": "1000"}


def new_engine(symbols: dict[str, SymbolSpec] = DEFAULT_SYMBOLS) -> tuple[MatchingEngine, list[dict], int, int]:
    """An engine on a fixed clock with two funded accounts and a listener keeping every event."""
    engine = MatchingEngine(symbols, clock_ms=lambda: T0_MS)
    events: list[dict] = []
    engine.add_listener(lambda account_id, batch: events.extend(batch))
    return engine, events, engine.add_account("maker", FUNDS), engine.add_account("taker", FUNDS)


def place(engine: MatchingEngine, account: int, side: str, amount: object, price: object, *,
          symbol: str = "btcusd", **kwargs: object) -> dict:  # fmt: skip
    return engine.place_order(
        account, "key-1", symbol=symbol, side=side, order_type="exchange limit", amount=amount, price=price, **kwargs
    )


def reason(call, *args: object, **kwargs: object) -> str:
    with pytest.raises(ExchangeError) as info:
        call(*args, **kwargs)
    return info.value.reason


# ---------------------------------------------------------------------------------------------------------------
# parsed amount and price texts


def test_the_same_text_gets_each_symbols_own_verdict() -> None:
    engine, _, maker, _ = new_engine()
    assert place(engine, maker, "buy", "0.001", "3000.00", symbol="ethusd")["original_amount"] == "0.001"
    # ltcusd's minimum is 0.01: the text ethusd accepted is still too small here
    assert reason(place, engine, maker, "buy", "0.001", "80.00", symbol="ltcusd") == "InvalidQuantity"
    # "0.001" is on dogeusd's price increment (0.00001) but not on btcusd's (0.01)
    assert place(engine, maker, "buy", "1000", "0.001", symbol="dogeusd")["price"] == "0.00100"
    assert reason(place, engine, maker, "buy", "0.01", "0.001") == "InvalidPrice"


def test_a_text_gets_the_same_answer_every_time() -> None:
    engine, _, maker, _ = new_engine()
    for _ in range(3):
        order = place(engine, maker, "buy", "0.00010", "64250.000")
        assert (order["original_amount"], order["remaining_amount"], order["price"]) == ("0.00010", "0.00010",
                                                                                          "64250.00")  # fmt: skip
        assert reason(place, engine, maker, "buy", "0.000001", "64250.00") == "InvalidQuantity"
        assert reason(place, engine, maker, "buy", "0.0001", "64250.001") == "InvalidPrice"


def test_a_stop_price_text_already_seen_as_a_price_is_checked_as_a_stop() -> None:
    engine, _, maker, _ = new_engine()
    place(engine, maker, "buy", "0.01", "60000.00")
    stop = dict(symbol="btcusd", side="buy", order_type="exchange stop limit", amount="0.01")
    with pytest.raises(ExchangeError) as info:  # buy stops must be below the limit price
        engine.place_order(maker, "key-1", price="59000.00", stop_price="60000.00", **stop)
    assert info.value.reason == "InvalidStopPriceBuy"
    order = engine.place_order(maker, "key-1", price="61000.00", stop_price="60000.00", **stop)
    assert order["stop_price"] == "60000.00" and order["is_hidden"]


def test_the_caches_stay_bounded_and_keep_answering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_model, "PARSED_TEXTS_KEPT", 4)
    engine, _, maker, _ = new_engine()
    prices = [f"{60000 + i}.00" for i in range(10)]
    for price in prices + prices:
        assert place(engine, maker, "buy", "0.01", price)["price"] == price
    market = engine._markets["btcusd"]
    assert 0 < len(market.price_texts) <= 4 and 0 < len(market.amount_texts) <= 4
    long_text = "0.01" + "0" * 60  # valid, but too long to keep
    assert place(engine, maker, "buy", long_text, "60000.00")["original_amount"] == "0.01" + "0" * 60
    assert long_text not in market.amount_texts


def test_non_text_amounts_and_prices_are_parsed_as_before() -> None:
    engine, _, maker, _ = new_engine()
    order = place(engine, maker, "buy", Decimal("0.0100"), 64250)
    assert (order["original_amount"], order["price"]) == ("0.0100", "64250.00")
    order = place(engine, maker, "buy", 0.01, Decimal("64250.5"))
    assert (order["original_amount"], order["price"]) == ("0.01", "64250.50")
    assert reason(place, engine, maker, "buy", True, "64250.00") == "InvalidQuantity"
    assert reason(place, engine, maker, "buy", "0.01", ["64250.00"]) == "InvalidPrice"


# ---------------------------------------------------------------------------------------------------------------
# event templates


def test_a_listener_changing_an_event_does_not_change_the_next_one() -> None:
    engine, _, maker, taker = new_engine()
    seen: list[dict] = []
    engine.add_listener(lambda account_id, batch: seen.extend(dict(e) for e in batch))  # copies, before the meddler

    def meddle(account_id: int, batch: list[dict]) -> None:
        for event in batch:
            event["socket_sequence"] = 7
            event["price"] = "spoiled"

    engine.add_listener(meddle)
    resting = place(engine, maker, "sell", "0.02", "64250.00")
    place(engine, taker, "buy", "0.01", "64250.00")
    engine.cancel_order(maker, resting["order_id"], "key-1")
    live = place(engine, maker, "sell", "0.02", "64300.00")
    mine = [e for e in seen if e["order_id"] == resting["order_id"]]
    assert [e["type"] for e in mine] == ["accepted", "booked", "fill", "cancelled", "closed"]
    assert all(e["price"] == "64250.00" and "socket_sequence" not in e for e in mine)
    (initial,) = engine.initial_events(maker)
    assert initial["order_id"] == live["order_id"] and initial["price"] == "64300.00"
    assert "socket_sequence" not in initial


def test_initial_events_have_the_accepted_events_fields_but_the_event_id() -> None:
    engine, events, maker, _ = new_engine()
    order = place(engine, maker, "buy", "0.01", "64000.00", client_order_id="c-1", options=["maker-or-cancel"])
    (accepted,) = [e for e in events if e["type"] == "accepted"]
    (initial,) = engine.initial_events(maker)
    assert list(initial) == [key for key in accepted if key != "event_id"]
    assert {k: v for k, v in initial.items() if k != "type"} == {
        k: v for k, v in accepted.items() if k not in ("type", "event_id")
    }
    assert initial["type"] == "initial" and initial["order_id"] == order["order_id"]


# ---------------------------------------------------------------------------------------------------------------
# average execution price text (CHOICES 15)


def reference_avg(notional: Decimal, executed: Decimal, quantum: Decimal) -> str:
    """The rule of CHOICES 15 written with Decimal operations only."""
    rounded = (notional / executed).quantize(quantum.scaleb(-8)).normalize()
    if rounded.as_tuple().exponent > quantum.as_tuple().exponent:  # type: ignore[operator]
        rounded = rounded.quantize(quantum)
    return format(rounded, "f")


@pytest.mark.parametrize(
    ("symbol", "fills", "quantum"),
    [
        ("btcusd", [("0.05", "64250.00"), ("0.10", "64255.00")], Decimal("0.01")),  # 64253.3333333333
        ("btcusd", [("0.01", "64250.00"), ("0.01", "64250.10")], Decimal("0.01")),  # 64250.05
        ("btcusd", [("0.5", "64000.00"), ("0.5", "64000.00")], Decimal("0.01")),  # whole: keeps the cents
        ("dogeusd", [("3", "0.15250"), ("7", "0.15251")], Decimal("0.00001")),
        ("whlusd", [("1", "100"), ("1", "101")], Decimal("1")),  # 100.5 on a whole-number increment
        ("whlusd", [("1", "100"), ("1", "100")], Decimal("1")),  # 100, no decimal point
        ("whlusd", [("1", "100"), ("2", "101")], Decimal("1")),  # 100.66666667
    ],
)
def test_average_price_text_follows_the_documented_rule(symbol: str, fills: list[tuple[str, str]],
                                                        quantum: Decimal) -> None:  # fmt: skip
    whole = SymbolSpec("whlusd", "WHL", "USD", Decimal("1"), Decimal("1"), Decimal("1"), Decimal("100"))
    engine, _, maker, taker = new_engine({**DEFAULT_SYMBOLS, "whlusd": whole})
    for amount, price in fills:
        place(engine, maker, "sell", amount, price, symbol=symbol)
    total = sum(Decimal(a) for a, _ in fills)
    top = max(Decimal(p) for _, p in fills)
    order = place(engine, taker, "buy", format(total, "f"), format(top, "f"), symbol=symbol)
    notional = sum(Decimal(a) * Decimal(p) for a, p in fills)
    assert order["executed_amount"] == format(total, "f")
    assert order["avg_execution_price"] == reference_avg(notional, total, quantum)


# ---------------------------------------------------------------------------------------------------------------
# executions kept on the trades (one object per trade, an order's trades chained)


def test_each_order_lists_its_own_trades_oldest_first_with_its_side() -> None:
    engine, _, maker, taker = new_engine()
    first = place(engine, maker, "sell", "0.03", "64250.00")
    second = place(engine, maker, "sell", "0.03", "64260.00")
    takers = [place(engine, taker, "buy", amount, "64260.00") for amount in ("0.02", "0.02", "0.02")]
    # the first maker order filled by takers 1 and 2, the second by takers 2 and 3
    mine = engine.order_status(maker, order_id=first["order_id"], include_trades=True)["trades"]
    assert [(t["amount"], t["price"], t["aggressor"], t["type"]) for t in mine] == [
        ("0.02", "64250.00", False, "Sell"), ("0.01", "64250.00", False, "Sell"),
    ]  # fmt: skip
    mine = engine.order_status(maker, order_id=second["order_id"], include_trades=True)["trades"]
    assert [(t["amount"], t["price"]) for t in mine] == [("0.01", "64260.00"), ("0.02", "64260.00")]
    middle = engine.order_status(taker, order_id=takers[1]["order_id"], include_trades=True)["trades"]
    assert [(t["amount"], t["price"], t["aggressor"], t["type"]) for t in middle] == [
        ("0.01", "64250.00", True, "Buy"), ("0.01", "64260.00", True, "Buy"),
    ]  # fmt: skip
    assert all(t["order_id"] == takers[1]["order_id"] for t in middle)
    assert Decimal(middle[0]["fee_amount"]) == Decimal("0.01") * Decimal("64250.00") * 35 / 10_000
    assert Decimal(mine[0]["fee_amount"]) == Decimal("0.01") * Decimal("64260.00") * 10 / 10_000
    # /v1/mytrades: the maker account's four executions, newest first; a break shows on both sides of its trade
    rows = engine.my_trades(maker)
    assert [r["order_id"] for r in rows] == [second["order_id"]] * 2 + [first["order_id"]] * 2
    assert engine.break_trade(middle[0]["tid"], "full") == 2
    broken = [r for r in engine.my_trades(maker) + engine.my_trades(taker) if "break" in r]
    assert [(r["tid"], r["aggressor"], r["break"]) for r in broken] == [
        (middle[0]["tid"], False, "full"), (middle[0]["tid"], True, "full"),
    ]  # fmt: skip
    (volume,) = engine.trade_volume(taker)
    assert volume[0]["buy_taker_count"] == 4 and volume[0]["sell_maker_count"] == 0
