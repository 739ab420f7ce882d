"""The orders table's content-sized columns: incremental widths equal a fresh scan, and the priority rule."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.model import Order, OrderState, OrderType, Side
from console.domain.view import row_key
from console.tui.widgets.orders_columns import (
    COLUMNS,
    PRIORITY,
    ColumnWidths,
    cell_texts,
    cell_widths,
    fit_columns,
    hidden_note,
    natural_widths,
)


def order(n: int, *, price: str = "100.00", amount: str = "1", state: OrderState = OrderState.LIVE,
          symbol: str = "btcusd", stop: str | None = None, created_ms: int | None = None) -> Order:
    return Order(
        order_id=str(1000 + n), client_order_id=f"c-{n}", symbol=symbol, side=Side.BUY,
        order_type=OrderType.STOP_LIMIT if stop else OrderType.LIMIT, price=Decimal(price), amount=Decimal(amount),
        stop_price=Decimal(stop) if stop else None, state=state,
        created_ms=1_000 * n if created_ms is None else created_ms,
    )


def scanned(orders: dict[str, Order]) -> tuple[int, ...]:
    """The widths from scratch: the widest text of every column over every order."""
    widths = [0] * len(COLUMNS)
    for o in orders.values():
        for i, text in enumerate(cell_texts(o, None, "")):
            widths[i] = max(widths[i], len(text))
    return tuple(widths)


changes = st.lists(
    st.tuples(
        st.integers(0, 12),
        st.sampled_from(["1.5", "63000.00", "150.000", "1234567.89", "0.01"]),
        st.sampled_from(["1", "0.00012345", "2500", "40"]),
        st.sampled_from(list(OrderState)),
        st.integers(0, 50),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(changes)
def test_incremental_widths_equal_a_fresh_scan(steps):
    widths = ColumnWidths()
    live: dict[str, Order] = {}
    for n, price, amount, state, created in steps:
        o = order(n, price=price, amount=amount, state=state, created_ms=created)
        key = row_key(o)
        if state.is_terminal:
            widths.discard(key)
            live.pop(key, None)
        else:
            widths.measure(key, cell_widths(o, None), o.created_ms)
            assert cell_widths(o, None) == tuple(len(t) for t in cell_texts(o, None, ""))
            live[key] = o
        assert widths.widths() == scanned(live)
        assert widths.oldest_ms() == (min(o.created_ms for o in live.values()) if live else None)
        assert len(widths) == len(live)


def test_a_column_shrinks_when_its_widest_value_leaves():
    widths = ColumnWidths()
    widths.measure("a", cell_widths(order(1, price="1234567.89"), None), 1)
    widths.measure("b", cell_widths(order(2, price="1.50"), None), 2)
    price = [key for key, _, _ in COLUMNS].index("price")
    assert widths.widths()[price] == len("1,234,567.89")
    widths.discard("a")
    assert widths.widths()[price] == len("1.50")


def test_widths_are_at_least_the_header_and_the_sorted_header_has_room_for_its_marker():
    natural = natural_widths(tuple(1 for _ in COLUMNS), None, "side")
    assert natural["price"] == len("Price")
    assert natural["side"] == len("Side") + 1  # "Side▲"
    assert natural["client_order_id"] == len("Client Order ID")
    # The age column is as wide as the oldest order's age: 2d04h is five cells.
    assert natural_widths(tuple(0 for _ in COLUMNS), (2 * 24 + 4) * 3_600_000, "price")["age"] == 5


def test_columns_fit_by_priority_and_the_first_that_does_not_fit_hides_every_later_one():
    widths = dict.fromkeys(PRIORITY, 5)
    layout = fit_columns(widths, 5 * 4 + 3)  # four columns and three gaps
    assert [key for key, *_ in layout.columns] == ["symbol", "side", "price", "amount"]
    assert layout.hidden == PRIORITY[4:]
    assert layout.width == 23 and layout.gap == 1
    # A narrow column after one that does not fit stays hidden too: what hides is always the least important.
    widths["status"] = 30
    layout = fit_columns(widths, 5 * 5 + 4 + 6)
    assert "status" in layout.hidden and "filled" in layout.hidden
    # Room to spare: two cells between columns.
    layout = fit_columns(dict.fromkeys(PRIORITY, 3), 200)
    assert layout.hidden == () and layout.gap == 2
    # Not even the first column fits: it shows anyway (the table scrolls sideways).
    assert [key for key, *_ in fit_columns(widths, 2).columns] == ["symbol"]
    # Every column on request, left to right.
    assert [key for key, *_ in fit_columns(widths, 10, every=True).columns] == [key for key, _, _ in COLUMNS]


def test_the_hidden_note_names_the_columns_or_counts_them():
    assert hidden_note(("stop_price", "remaining", "avg_price", "order_id", "client_order_id"), 40) == (
        "hidden stop rem avg ids")
    assert hidden_note(("type", "age", "stop_price", "remaining", "avg_price", "order_id", "client_order_id"),
                       20) == "7 hidden"
    assert hidden_note((), 40) == ""


def test_the_age_heap_stays_small_in_a_long_session():
    """Orders come and go all day: the heap of creation times must not keep every order ever seen."""
    widths = ColumnWidths()
    widths.measure("resting", cell_widths(order(0), None), 0)
    for n in range(1, 20_000):
        widths.measure(f"k{n}", cell_widths(order(n), None), n)
        widths.discard(f"k{n}")
    assert widths.oldest_ms() == 0
    assert len(widths._oldest) < 200
