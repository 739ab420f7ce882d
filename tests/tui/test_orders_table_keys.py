"""Pilot tests of the orders table's keys: cursor, sort, reverse, filters, cancel of the selected order."""

from __future__ import annotations

import re
from decimal import Decimal

from textual.app import App, ComposeResult

from console.app.paths import styles_dir
from console.domain.model import Order, OrderState, OrderType, Side, SymbolRules
from console.tui.messages import CancelRequested
from console.tui.widgets.orders_table import COLUMNS, OrdersTable
from tests.support.console_app import FIXED_NOW_MS


def _order(n: int, symbol: str, side: Side, price: str, state: OrderState = OrderState.LIVE) -> Order:
    return Order(
        order_id=str(7000 + n), client_order_id=f"t-{n}", symbol=symbol, side=side, order_type=OrderType.LIMIT,
        price=Decimal(price), amount=Decimal("0.01"), state=state, created_ms=FIXED_NOW_MS - 60_000 + n,
    )


ORDERS = [
    _order(1, "btcusd", Side.BUY, "63000.00"),
    _order(2, "ethusd", Side.SELL, "3100.00"),
    _order(3, "btcusd", Side.SELL, "65000.00", OrderState.PARTIALLY_FILLED),
    _order(4, "solusd", Side.BUY, "150.000"),
    _order(5, "btcusd", Side.BUY, "62000.00", OrderState.PENDING_CANCEL),
]


class TableApp(App):
    CSS_PATH = [styles_dir() / "app.tcss"]

    def __init__(self) -> None:
        super().__init__()
        self.cancels: list[str] = []

    def compose(self) -> ComposeResult:
        yield OrdersTable(clock_ms=lambda: FIXED_NOW_MS, id="orders")

    def on_mount(self) -> None:
        table = self.query_one(OrdersTable)
        table.apply_changes(ORDERS)
        table.focus()

    def on_cancel_requested(self, message: CancelRequested) -> None:
        self.cancels.append(message.order_id)


def shown(table: OrdersTable) -> list[str]:
    return [o.client_order_id for o in table.view.rows()]


def painted_lines(table: OrdersTable, count: int) -> list[str]:
    return [table.render_line(y).text for y in range(count)]


async def test_cursor_keys_select_orders_and_x_cancels_the_selected_one():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        await pilot.pause()
        assert table.selected_order.client_order_id == "t-1"
        await pilot.press("down", "down")
        assert table.cursor_row == 2 and table.selected_order.client_order_id == "t-3"
        await pilot.press("x")
        await pilot.press("up", "delete")
        await pilot.pause()
        assert app.cancels == ["7003", "7002"]
        await pilot.press("end")
        assert table.selected_order.client_order_id == "t-5"
        await pilot.press("home")
        assert table.selected_order.client_order_id == "t-1"


async def test_cursor_stays_on_its_order_while_rows_come_and_go():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        await pilot.press("down", "down")  # on t-3
        table.apply_changes([ORDERS[0].evolve(state=OrderState.CANCELLED)])  # the row above leaves
        await pilot.pause()
        assert table.cursor_row == 1 and table.selected_order.client_order_id == "t-3"
        table.apply_changes([ORDERS[2].evolve(state=OrderState.FILLED)])  # the selected order leaves
        await pilot.pause()
        assert table.cursor_row == 1 and table.selected_order.client_order_id == "t-4"
        assert table.order_count() == 3


async def test_c_cycles_the_sort_column_and_r_reverses_it():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        assert shown(table) == ["t-1", "t-2", "t-3", "t-4", "t-5"]  # oldest first
        await pilot.press("c")  # age -> order id
        assert table.view.column == "order_id"
        while table.view.column != "price":
            await pilot.press("c")
        assert shown(table) == ["t-4", "t-2", "t-5", "t-1", "t-3"]
        await pilot.press("r")
        await pilot.pause()
        assert shown(table) == ["t-3", "t-1", "t-5", "t-2", "t-4"]
        assert "sort Price ▼" in str(table.border_subtitle)
        lines = painted_lines(table, 2)
        assert "Price ▼" in lines[0]
        assert "65,000.00" in lines[1]  # the top row is on screen after the re-sort


async def test_the_sort_marker_never_truncates_a_column_name():
    """Issue 13: sorted by side, the header read ``Sid…``; every name must keep every letter."""
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        for key, label, _ in COLUMNS:
            for descending in (False, True):
                table.view.set_sort(key, descending=descending)
                header = table._header_strip().text
                arrow = "▼" if descending else "▲"
                assert "…" not in header, header
                assert re.search(rf"{re.escape(label)} ?{arrow}", header), (label, header)
        await pilot.pause()


async def test_rows_show_prices_at_the_tick_size_and_amounts_grouped():
    """Issue 13: one number convention in the blotter too (thousands grouped, the tick's decimals)."""
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        table.set_rules({"btcusd": SymbolRules("btcusd", "BTC", "USD", Decimal("1E-8"), Decimal("0.01"),
                                               Decimal("0.00001"))})
        table.apply_changes([_order(9, "btcusd", Side.BUY, "63000").evolve(amount=Decimal("1250.50"))])
        await pilot.pause()
        index = table.view.index_of("t-9")
        row = table._format_row(table.view.order_at(index), index, "1m").text
        assert "63,000.00" in row and "1,250.5 " in row and "—" in row  # no average price without a fill


async def test_filter_keys_narrow_the_table_and_0_clears():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        await pilot.press("1")  # first symbol: btcusd
        assert shown(table) == ["t-1", "t-3", "t-5"]
        await pilot.press("2")  # buys
        assert shown(table) == ["t-1", "t-5"]
        await pilot.press("3")  # working (accepted, live, partial): the pending-cancel order goes
        await pilot.pause()
        assert shown(table) == ["t-1"]
        assert "filter BTCUSD buy working · 1 of 5" in str(table.border_subtitle)
        assert table.has_class("-filtered")
        assert table.order_count() == 5
        # A new order that passes the filter appears; one that does not stays hidden.
        table.apply_changes([_order(6, "btcusd", Side.BUY, "61000.00"), _order(7, "ethusd", Side.BUY, "3000.00")])
        await pilot.pause()
        assert shown(table) == ["t-1", "t-6"]
        await pilot.press("0")
        await pilot.pause()
        assert shown(table) == ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7"]
        assert not table.has_class("-filtered")


async def test_only_visible_rows_are_painted_and_paging_scrolls():
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(OrdersTable)
        table.apply_changes([_order(100 + n, "btcusd", Side.BUY, f"{60000 + n}.00") for n in range(2_000)])
        await pilot.pause()
        painted: list[int] = []
        original = table.render_line
        table.render_line = lambda y: painted.append(y) or original(y)
        table.refresh()
        await pilot.pause()
        assert painted and max(painted) < table.size.height  # a screenful, not 2,005 rows
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert table.cursor_row > 0 and table.scroll_offset.y > 0
        assert table.scroll_offset.y <= table.cursor_row < table.scroll_offset.y + table.size.height - 1
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 2_004 and table.selected_order.client_order_id == "t-2099"
