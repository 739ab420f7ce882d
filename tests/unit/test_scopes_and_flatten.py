"""Scoped cancels' scope selection (console/domain/scopes.py) and the flatten order's terms
(console/domain/flatten.py): long, short, rounding to the tick towards the touch, capped by the balance, no book."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.app.config import ConfigError, load_config
from console.domain import errors as neutral
from console.domain.flatten import DEFAULT_FLATTEN_BAND_BPS, FlattenRefused, flatten_terms, round_to_step
from console.domain.model import Order, OrderState, OrderType, Side, SymbolRules
from console.domain.scopes import OrderScope, ScopeKind, ScopeOutcome, scope_orders
from console.domain.view import ViewFilter
from console.trading.session import StatusEntry, TradingSession

D = Decimal


def order(oid: str, symbol: str, side: Side, state: OrderState = OrderState.LIVE) -> Order:
    return Order(oid, None, symbol, side, OrderType.LIMIT, D("100"), D("1"), state=state)


ORDERS = [
    order("1", "ethusd", Side.BUY),
    order("2", "ethusd", Side.SELL),
    order("3", "ethusd", Side.BUY, OrderState.PARTIALLY_FILLED),
    order("4", "btcusd", Side.BUY),
    order("5", "ethusd", Side.BUY, OrderState.FILLED),  # ended: no cancel reaches it
    order("", "ethusd", Side.BUY, OrderState.PENDING_NEW),  # no order id yet: no cancel can name it
    order("7", "ethusd", Side.SELL, OrderState.PENDING_CANCEL),  # a cancel again is safe (idempotent)
    order("8", "ethusd", Side.BUY, OrderState.WAITING_TRIGGER),
]


def ids(orders: list[Order]) -> list[str]:
    return [o.order_id for o in orders]


def test_a_symbol_scope_takes_every_cancellable_order_of_the_symbol() -> None:
    assert ids(scope_orders(ORDERS, OrderScope.of_symbol("ETHUSD"))) == ["1", "2", "3", "7", "8"]


def test_a_side_scope_takes_one_side_of_the_symbol() -> None:
    assert ids(scope_orders(ORDERS, OrderScope.of_side("ethusd", Side.BUY))) == ["1", "3", "8"]
    assert ids(scope_orders(ORDERS, OrderScope.of_side("ethusd", Side.SELL))) == ["2", "7"]
    assert ids(scope_orders(ORDERS, OrderScope.of_side("btcusd", Side.SELL))) == []


def test_a_filter_scope_takes_what_the_blotter_filter_keeps() -> None:
    buys = OrderScope.of_filter(ViewFilter(side=Side.BUY))
    assert ids(scope_orders(ORDERS, buys)) == ["1", "3", "4", "8"]  # every symbol's buys
    working_eth = OrderScope.of_filter(ViewFilter(symbol="ethusd", status="working"))
    assert ids(scope_orders(ORDERS, working_eth)) == ["1", "2", "3"]  # not the stop, not the cancelling one
    assert working_eth.label == "filter ETHUSD working"


def test_scopes_need_their_parts() -> None:
    with pytest.raises(ValueError, match="active filter"):
        OrderScope.of_filter(ViewFilter())
    with pytest.raises(ValueError, match="side"):
        OrderScope(ScopeKind.SIDE, symbol="ethusd")
    with pytest.raises(ValueError, match="symbol"):
        OrderScope(ScopeKind.SYMBOL)


def test_the_outcome_reads_as_one_status_line() -> None:
    scope = OrderScope.of_symbol("ethusd")
    assert ScopeOutcome(scope, cancelled=4, closed=1).text() == "cancelled 4 ETHUSD orders; 1 already closed"
    assert ScopeOutcome(OrderScope.of_side("ethusd", Side.SELL), cancelled=1).text() == \
        "cancelled 1 ETHUSD sell order"
    assert ScopeOutcome(scope, cancelled=0, pending=1, refused=2).text() == (
        "cancelled 0 ETHUSD orders; 1 awaiting the exchange's confirmation (retried); 2 refused (still working)")


ETH = SymbolRules("ethusd", "ETH", "USD", quantity_increment=D("0.000001"), price_increment=D("0.01"),
                  min_order_size=D("0.001"))


def terms(net: str, **kwargs):
    args = {"symbol": "ethusd", "net": D(net), "rules": ETH, "best_bid": D("3000.00"), "best_ask": D("3001.00"),
            "band_bps": D("50"), "available": D("100")}
    args.update(kwargs)
    return flatten_terms(**args)


def test_a_long_is_sold_at_the_bid_minus_the_band() -> None:
    t = terms("1.5")
    assert (t.side, t.amount, t.price) == (Side.SELL, D("1.5"), D("2985.00"))  # 3000 × (1 − 0.005)
    assert t.notional == D("4477.5") and not t.capped


def test_a_short_is_bought_at_the_ask_plus_the_band() -> None:
    t = terms("-2", available=None)  # buying: the base balance does not matter
    assert (t.side, t.amount, t.price) == (Side.BUY, D("2"), D("3016.00"))  # 3001 × 1.005 = 3016.005, down


def test_the_price_rounds_to_the_tick_towards_the_touch() -> None:
    sell = terms("1", best_bid=D("3001.37"), band_bps=D("7"))  # 3001.37 × 0.9993 = 2999.269041 → up
    assert sell.price == D("2999.27")
    buy = terms("-1", best_ask=D("3001.37"), band_bps=D("7"))  # 3001.37 × 1.0007 = 3003.470959 → down
    assert buy.price == D("3003.47")
    tiny = terms("1", band_bps=D("0.01"))  # less than a tick: still the touch itself, still marketable
    assert tiny.price == D("3000.00")
    assert round_to_step(D("1E+3"), D("1"), up=True) == D("1000") and "E" not in str(round_to_step(
        D("1E+3"), D("1"), up=True))


def test_a_spot_long_is_capped_by_the_available_balance() -> None:
    t = terms("1.5", available=D("1.2"))
    assert t.amount == D("1.2") and t.capped and t.available == D("1.2")
    odd = terms("1.5", available=D("1.2000005"))  # rounded down to the quantity increment
    assert odd.amount == D("1.200000")


def test_a_perpetual_long_is_not_capped() -> None:
    t = terms("1.5", available=D("0"), spot=False)
    assert t.amount == D("1.5")


def test_nothing_held_no_position_no_book_or_too_small_refuses() -> None:
    with pytest.raises(FlattenRefused, match="No ETH available"):
        terms("1.5", available=D("0"))
    with pytest.raises(FlattenRefused, match="balance is not known"):
        terms("1.5", available=None)
    with pytest.raises(FlattenRefused, match="No ETHUSD position"):
        terms("0")
    with pytest.raises(FlattenRefused, match="no bid"):
        terms("1", best_bid=None)
    with pytest.raises(FlattenRefused, match="no ask"):
        terms("-1", best_ask=None)
    with pytest.raises(FlattenRefused, match="minimum order size"):
        terms("0.0005")
    with pytest.raises(FlattenRefused, match="positive number of basis points"):
        terms("1", band_bps=D("0"))


def test_the_band_setting_defaults_to_50_bps_and_stays_inside_the_price_band() -> None:
    assert load_config({}, environ={}).guards.flatten_band_bps == DEFAULT_FLATTEN_BAND_BPS == D("50")
    assert load_config({"guards.flatten_band_bps": "20"}, environ={}).guards.flatten_band_bps == D("20")
    with pytest.raises(ConfigError, match="below price_band_pct"):
        load_config({"guards.flatten_band_bps": "500"}, environ={})
    with pytest.raises(ConfigError):
        load_config({"guards.flatten_band_bps": "-1"}, environ={})


class CancelVenue:
    """Only what cancel_scope uses: ``cancel`` answers per order id as the test decides."""

    name = "Memory"
    api_session = "session-1"

    def __init__(self, orders: list[Order], answers: dict[str, str]) -> None:
        self.on_rate_limited = None
        self.orders = {o.order_id: o for o in orders}
        self.answers = answers
        self.cancels: list[str] = []

    async def cancel(self, order_id: str) -> Order:
        self.cancels.append(order_id)
        answer = self.answers.get(order_id, "cancelled")
        order = self.orders[order_id]
        if answer == "lost":
            raise neutral.TransportError("timed out")
        if answer == "refused":
            raise neutral.OrderNotFound("OrderNotFound", "no such order")
        if answer == "filled":
            return order.evolve(state=OrderState.FILLED, filled=order.amount, remaining=D(0))
        return order.evolve(state=OrderState.CANCELLED, remaining=D(0))

    async def close(self) -> None:
        return None


async def test_cancel_scope_cancels_each_order_by_id_and_counts_every_outcome() -> None:
    live = [order(str(i), "ethusd", Side.BUY) for i in range(1, 6)] + [order("9", "btcusd", Side.BUY)]
    venue = CancelVenue(live, {"2": "filled", "3": "lost", "4": "refused"})
    # Only cancel is used by cancel_scope: the fake implements no more of the Venue protocol (tests are not typed).
    session = TradingSession(venue, symbols=["ethusd"], retry_initial_s=30, retry_cap_s=30)
    statuses: list[StatusEntry] = []
    session.listener.status = statuses.append
    session.blotter.apply_snapshots(live, 1)
    session.blotter.apply_snapshot(live[4].evolve(state=OrderState.CANCELLED, remaining=D(0)), 2)  # ended before
    scope = OrderScope.of_symbol("ethusd")
    outcome = await session.cancel_scope(scope, ["1", "2", "3", "4", "5"])
    assert sorted(venue.cancels) == ["1", "2", "3", "4"]  # never "5" (already ended), never the BTCUSD order "9"
    assert (outcome.cancelled, outcome.closed, outcome.pending, outcome.refused) == (1, 2, 1, 1)
    assert session.blotter.get("3").state is OrderState.PENDING_CANCEL  # lost answer: pending, retried later
    assert session.blotter.get("4").state is OrderState.LIVE  # refused: working again
    assert session.blotter.get("9").state is OrderState.LIVE
    assert statuses[-1].text == ("cancelled 1 ETHUSD order; 2 already closed; 1 awaiting the exchange's "
                                 "confirmation (retried); 1 refused (still working).")
    await session.close()
