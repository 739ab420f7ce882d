"""The orders table's styled lines are reused when rows only move (``console.tui.internals.memoize_content_lines``),
and what is painted is always what Textual's own line styler paints: after rows move, after a focus change (the
border's colour), after a theme change (every row's colours)."""

from __future__ import annotations

from decimal import Decimal

from textual._styles_cache import StylesCache  # the reference: Textual's own styler, as every other widget has
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
    table.refresh()  # every line styled again by position (the memo stays)
    return table.render_lines(Region(0, 0, table.outer_size.width, table.outer_size.height))


def reference(table: OrdersTable) -> list[Strip]:
    """What Textual's own styler paints for the table now (a fresh StylesCache, no memo)."""
    memo = table._styles_cache
    table._styles_cache = StylesCache()
    try:
        return table.render_lines(Region(0, 0, table.outer_size.width, table.outer_size.height))
    finally:
        table._styles_cache = memo


def same_picture(a: list[Strip], b: list[Strip]) -> bool:
    return [list(strip) for strip in a] == [list(strip) for strip in b]


async def test_rows_that_only_moved_reuse_their_styled_lines_and_paint_what_textual_paints():
    app = TableApp()
    async with app.run_test(size=(100, 16)) as pilot:
        await pilot.pause()
        table = app.query_one(OrdersTable)
        table.action_reverse_sort()  # newest first: a new order moves every row down one line
        await pilot.pause()
        before = painted(table)
        after_two = None
        for n in (20, 21):  # two new orders: every row's stripe is back where it was
            table.apply_changes([_order(n)])
            await pilot.pause()
            after_two = painted(table)
            assert same_picture(after_two, reference(table))
        assert after_two is not None
        # Row m-19 was on line 2 (1 border + header): now two lines lower, the very same styled strip.
        assert before[2].text == after_two[4].text and before[2] is after_two[4]


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
        assert same_picture(painted(table), focused)  # the focused look again (kept in its own memo)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        themed = painted(table)
        assert same_picture(themed, reference(table))
        assert not same_picture(themed, focused)
