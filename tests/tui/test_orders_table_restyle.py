"""The orders table keeps its formatted rows across a focus change (only a real change of a row style drops them),
and what it paints is always what a freshly built table paints: after rows move, after a focus change (the cursor
row's and the border's colours), after a theme change (every row's colours)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Input

from console.app.paths import styles_dir
from console.domain.model import Order, OrderState, OrderType, Side
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import FIXED_NOW_MS


def _order(n: int) -> Order:
    return Order(order_id=str(8000 + n), client_order_id=f"m-{n}", symbol="btcusd",
                 side=Side.BUY if n % 2 else Side.SELL, order_type=OrderType.LIMIT, price=Decimal(63000 + n),
                 amount=Decimal("0.01"), state=OrderState.LIVE, created_ms=FIXED_NOW_MS - 60_000 + n)


class TableApp(App[None]):
    CSS_PATH = [styles_dir() / "app.tcss"]

    def compose(self) -> ComposeResult:
        yield OrdersTable(clock_ms=lambda: FIXED_NOW_MS, id="orders")
        yield Input(id="elsewhere")

    def on_mount(self) -> None:
        self.query_one(OrdersTable).apply_changes([_order(n) for n in range(20)])


def painted(table: OrdersTable) -> list[Strip]:
    table.refresh()  # every line styled again (the formatted rows stay)
    return table.render_lines(Region(0, 0, table.outer_size.width, table.outer_size.height))


def reference(table: OrdersTable) -> list[Strip]:
    """What the table paints now with nothing kept from earlier paints (no formatted rows, styles looked up)."""
    table._row_cache.clear()
    table._styles.clear()
    return painted(table)


def same_picture(a: list[Strip], b: list[Strip]) -> bool:
    return [list(strip) for strip in a] == [list(strip) for strip in b]


async def test_rows_that_moved_paint_what_a_fresh_table_paints():
    app = TableApp()
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause()
        table = app.query_one(OrdersTable)
        table.action_reverse_sort()  # newest first: a new order moves every row down one line
        await pilot.pause()
        before = painted(table)
        for n in (20, 21):  # new orders at the top: every row moves down and its stripe flips
            table.apply_changes([_order(n)])
            await pilot.pause()
            shown = painted(table)
            assert same_picture(shown, reference(table))
        # Row m-19 was on line 2 (1 border + header): now two lines lower, the same picture.
        assert list(before[2]) == list(shown[4])


async def test_focus_and_theme_changes_paint_what_textual_paints():
    app = TableApp()
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause()
        table = app.query_one(OrdersTable)
        table.focus()
        await pilot.pause()
        focused = painted(table)
        assert same_picture(focused, reference(table))
        app.query_one("#elsewhere", Input).focus()
        await pilot.pause()
        blurred = painted(table)
        assert same_picture(blurred, reference(table))
        assert not same_picture(focused, blurred)  # the border's colour and the cursor row differ
        table.focus()
        await pilot.pause()
        assert same_picture(painted(table), focused)  # the focused look again
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        themed = painted(table)
        assert same_picture(themed, reference(table))
        assert not same_picture(themed, focused)
