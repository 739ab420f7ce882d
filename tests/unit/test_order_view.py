"""The blotter's sorted, filtered view: sorting, filtering, and incremental changes equal to a fresh sort."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.model import ExecOption, Order, OrderState, OrderType, Side
from console.domain.view import SORT_COLUMNS, STATUS_FILTERS, OrderView, ViewFilter, row_key, sort_key

OPEN = [s for s in OrderState if not s.is_terminal]


def order(n: int, *, symbol="btcusd", side=Side.BUY, price="100.00", amount="1", state=OrderState.LIVE,
          created_ms=None, stop=None, filled="0", cid=True) -> Order:
    return Order(
        order_id=str(1000 + n),
        client_order_id=f"c-{n}" if cid else None,
        symbol=symbol,
        side=side,
        order_type=OrderType.STOP_LIMIT if stop else OrderType.LIMIT,
        price=Decimal(price),
        amount=Decimal(amount),
        stop_price=Decimal(stop) if stop else None,
        filled=Decimal(filled),
        state=state,
        created_ms=1_000 * n if created_ms is None else created_ms,
    )


def keys(view: OrderView) -> list[str]:
    return [row_key(o) for o in view.rows()]


def test_default_sort_is_oldest_first_and_new_orders_go_to_the_bottom():
    view = OrderView()
    view.apply([order(2), order(1), order(3)])
    assert keys(view) == ["c-1", "c-2", "c-3"]
    view.apply([order(0)])
    assert keys(view) == ["c-0", "c-1", "c-2", "c-3"]
    assert view.index_of("c-2") == 2 and view.key_at(2) == "c-2"


def test_sort_by_price_both_ways_and_ties_broken_by_age():
    view = OrderView()
    view.apply([order(1, price="105"), order(2, price="99.5"), order(3, price="105"), order(4, price="101")])
    view.set_sort("price")
    assert keys(view) == ["c-2", "c-4", "c-1", "c-3"]
    view.set_sort("price", descending=True)
    assert keys(view) == ["c-3", "c-1", "c-4", "c-2"]
    assert view.rows(1, 3) == [view.order_at(1), view.order_at(2)]


def test_stop_price_sorts_none_first():
    view = OrderView("stop_price", descending=False)
    view.apply([order(1, stop="150"), order(2), order(3, stop="140")])
    assert keys(view) == ["c-2", "c-3", "c-1"]


def test_terminal_orders_leave_and_updates_move_rows():
    view = OrderView("price", descending=False)
    view.apply([order(1, price="10"), order(2, price="20"), order(3, price="30")])
    view.apply([order(1, price="40")])  # a replaced price moves the row
    assert keys(view) == ["c-2", "c-3", "c-1"]
    changed = view.apply([order(3, state=OrderState.FILLED), order(9, state=OrderState.CANCELLED)])
    assert changed == ["c-3"]  # an unknown order that ends changes nothing
    assert keys(view) == ["c-2", "c-1"] and view.total() == 2 and view.get("c-3") is None


def test_filters_by_symbol_side_and_status_and_keep_filtered_out_orders():
    view = OrderView()
    view.apply([
        order(1, symbol="btcusd", side=Side.BUY),
        order(2, symbol="ethusd", side=Side.SELL),
        order(3, symbol="btcusd", side=Side.SELL, state=OrderState.PARTIALLY_FILLED, filled="0.5"),
        order(4, symbol="btcusd", side=Side.SELL, state=OrderState.PENDING_CANCEL),
    ])
    view.set_filter(ViewFilter(symbol="btcusd", side=Side.SELL))
    assert keys(view) == ["c-3", "c-4"] and view.total() == 4
    view.set_filter(ViewFilter(symbol="btcusd", side=Side.SELL, status="partial"))
    assert keys(view) == ["c-3"]
    # An order that starts to pass the filter appears; one that stops passing leaves; both stay in the blotter.
    view.apply([order(1, symbol="btcusd", side=Side.SELL, state=OrderState.PARTIALLY_FILLED, filled="0.1"),
                order(3, symbol="btcusd", side=Side.SELL, state=OrderState.PENDING_CANCEL, filled="0.5")])
    assert keys(view) == ["c-1"] and view.total() == 4
    view.set_filter(ViewFilter())
    assert keys(view) == ["c-1", "c-2", "c-3", "c-4"]
    assert view.symbols() == ["btcusd", "ethusd"]
    assert ViewFilter(symbol="ethusd", side=Side.BUY, status="working").describe() == "ETHUSD buy working"


def test_bad_column_and_bad_status_filter_are_refused():
    with pytest.raises(KeyError):
        OrderView("colour")
    with pytest.raises(KeyError):
        OrderView().set_sort("colour")
    with pytest.raises(ValueError, match="unknown status filter"):
        ViewFilter(status="sleeping")


def test_key_at_out_of_range():
    view = OrderView()
    view.apply([order(1)])
    with pytest.raises(IndexError):
        view.key_at(1)
    with pytest.raises(IndexError):
        view.key_at(-1)


# -- incremental == from scratch ------------------------------------------------------------------------------

_orders = st.builds(
    lambda n, symbol, side, price, filled, state, created, stop, option, cid: Order(
        order_id=str(n),
        client_order_id=f"c-{n}" if cid else None,
        symbol=symbol,
        side=side,
        order_type=OrderType.STOP_LIMIT if stop is not None else OrderType.LIMIT,
        price=Decimal(price) / 100,
        amount=Decimal(5),
        stop_price=Decimal(stop) if stop is not None else None,
        options=(option,) if option is not None and stop is None else (),
        filled=Decimal(filled),
        state=state,
        created_ms=created,
    ),
    n=st.integers(1, 25),
    symbol=st.sampled_from(["btcusd", "ethusd", "solusd"]),
    side=st.sampled_from(list(Side)),
    price=st.integers(1, 400),
    filled=st.integers(0, 5),
    state=st.sampled_from(list(OrderState)),
    created=st.integers(0, 5),  # many ties: the tie-breakers must make the order total
    stop=st.none() | st.integers(1, 9),
    option=st.none() | st.sampled_from(list(ExecOption)),
    cid=st.booleans(),
)
_filters = st.builds(
    ViewFilter,
    symbol=st.none() | st.sampled_from(["btcusd", "ethusd"]),
    side=st.none() | st.sampled_from(list(Side)),
    status=st.none() | st.sampled_from(list(STATUS_FILTERS)),
)


def _from_scratch(changes: list[Order], column: str, descending: bool, view_filter: ViewFilter) -> list[str]:
    latest: dict[str, Order] = {}
    for o in changes:
        key = row_key(o)
        if o.state.is_terminal:
            latest.pop(key, None)
        else:
            latest[key] = o
    shown = [o for o in latest.values() if view_filter.keeps(o)]
    shown.sort(key=lambda o: sort_key(o, column), reverse=descending)
    return [row_key(o) for o in shown]


@settings(max_examples=150, deadline=None)
@given(
    batches=st.lists(st.lists(_orders, max_size=8), max_size=12),
    column=st.sampled_from(sorted(SORT_COLUMNS)),
    descending=st.booleans(),
    view_filter=_filters,
    resort_at=st.integers(0, 12),
)
def test_incremental_view_equals_a_sort_from_scratch(batches, column, descending, view_filter, resort_at):
    view = OrderView()
    applied: list[Order] = []
    for number, batch in enumerate(batches):
        if number == resort_at:  # change sort and filter midway: later changes must still land in place
            view.set_sort(column, descending=descending)
            view.set_filter(view_filter)
        view.apply(batch)
        applied.extend(batch)
    if resort_at >= len(batches):
        view.set_sort(column, descending=descending)
        view.set_filter(view_filter)
    expected = _from_scratch(applied, column, descending, view_filter)
    assert keys(view) == expected
    assert len(view) == len(expected)
    assert [view.index_of(k) for k in expected] == list(range(len(expected)))
    assert view.total() == len(_from_scratch(applied, column, descending, ViewFilter()))
