"""Issue 18, what fits on a terminal: the orders table's columns at 120, 100 and 80 columns, and the status pane's
height before and after entries arrive."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from console.app.paths import styles_dir
from console.domain.model import Order, OrderState, OrderType, Side
from console.domain.reasons import Severity
from console.trading.session import StatusEntry
from console.tui.widgets import orders_table, status_pane
from console.tui.widgets.orders_columns import COLUMNS, PRIORITY
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.scenarios import seed_resting_orders

#: What a trader must see without scrolling at 120 columns (issue 18).
AT_120 = ("symbol", "side", "price", "amount", "status", "filled", "type", "age")
#: The essentials at 80 columns.
AT_80 = ("symbol", "side", "price", "amount", "status", "filled")


def header(table: OrdersTable) -> str:
    return table.render_line(0).text


@pytest.mark.parametrize(
    ("size", "shown", "note"),
    [
        ((120, 36), AT_120, "hidden stop rem avg ids (z)"),
        ((100, 30), (*AT_120[:7], "stop_price", "age"), "hidden rem avg ids (z)"),
        ((80, 24), AT_80, "7 hidden (z)"),
    ],
    ids=["120x36", "100x30", "80x24"],
)
async def test_the_columns_that_fit_each_terminal(exchange, size, shown, note):
    seed_resting_orders(exchange)  # BTC, ETH and SOL orders, one a stop-limit waiting for its trigger
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=size) as pilot:
        await wait_until_ready(pilot)
        table = app.main_screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_count() == 5, what="the seeded orders")
        await pilot.pause()
        assert table.shown_columns == tuple(key for key, _, _ in COLUMNS if key in shown)  # left to right
        # Nothing scrolls sideways: every shown column is inside the table, none is cut.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.max_scroll_x == 0
        assert (table.show_vertical_scrollbar, table.show_horizontal_scrollbar) == (False, False), (
            table.virtual_size, table.scrollable_content_region, table.styles.overflow_y)
        assert "…" not in header(table)
        # The hidden columns are the least important ones, and the border says which.
        assert table.hidden_columns == tuple(key for key in PRIORITY if key not in shown)
        assert str(table.border_subtitle).startswith(note)
        assert "stop-wait" in " ".join(table.render_line(y).text for y in range(1, 6))  # the status is never cut


async def test_a_resize_lays_the_columns_out_at_once_and_z_shows_every_column(exchange):
    seed_resting_orders(exchange)
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.main_screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_count() == 5, what="the seeded orders")
        await pilot.pause()
        assert set(table.shown_columns) == set(AT_120)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert set(table.shown_columns) == set(AT_80)
        assert "Type" not in header(table) and "Filled" in header(table)
        assert str(table.border_subtitle).startswith("7 hidden (z)")
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert set(table.shown_columns) == set(AT_120)
        assert "Age" in header(table)
        # z: every column, scrolling sideways; z again: back to the columns that fit.
        await pilot.press("z")
        assert table.shown_columns == tuple(key for key, _, _ in COLUMNS) and table.hidden_columns == ()
        assert str(table.border_subtitle).startswith("all columns (z)")
        assert table.max_scroll_x > 0
        await pilot.press("z")
        assert set(table.shown_columns) == set(AT_120)
        assert table.max_scroll_x == 0


async def test_columns_are_as_wide_as_their_values(exchange):
    """The price column is as wide as its widest price at the tick's precision, not padded to a fixed width."""
    seed_resting_orders(exchange)
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.main_screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_count() == 5, what="the seeded orders")
        await pilot.pause()
        widths = {key: width for key, _, width, _ in table._layout.columns}
        assert widths["price"] == len("65,500.00")  # the widest price; "Price" is shorter
        assert widths["amount"] == len("Amount")  # the header is wider than 0.25, 0.1, 2.5, 40, 0.05
        # The status column holds the longest label an open order passes through, so sending or cancelling an
        # order never moves the columns.
        assert widths["status"] == len("cancelling")
        assert widths["type"] == len("limit")


class PaneApp(App[None]):
    """The status pane under a stretch of other content, as on the main screen."""

    CSS_PATH = [styles_dir() / "app.tcss"]
    CSS = "#above { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Static("orders", id="above")
        yield StatusPane(id="status")


def _entry(n: int) -> StatusEntry:
    return StatusEntry(1_700_000_000_000 + n * 1000, Severity.INFO, f"BUY 0.01 BTCUSD #{n}", "Requested", "ok.")


async def _flushed(pilot, pane: StatusPane, lines: int) -> None:
    await wait_for(pilot, lambda: len(pane.entries_text()) >= lines, what=f"{lines} entries")
    await pilot.pause()


async def test_the_status_pane_takes_only_the_rows_its_lines_need_then_its_full_height():
    app = PaneApp()
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(StatusPane)
        await pilot.pause()
        assert pane.outer_size.height == 3  # one line of text and the border, before any entry
        pane.add_entry(_entry(1))
        await _flushed(pilot, pane, 1)
        assert pane.outer_size.height == 3
        pane.add_entry(_entry(2))
        await _flushed(pilot, pane, 2)
        assert pane.outer_size.height == 5  # the next step: three lines
        pane.add_entry(_entry(3))
        await _flushed(pilot, pane, 3)
        assert pane.outer_size.height == 5  # no new step for a line that fits
        assert not pane.full_height
        pane.add_entry(_entry(4))
        await _flushed(pilot, pane, 4)
        assert pane.full_height
        assert pane.outer_size.height == int(36 * 0.3)  # its full height: 30% of the screen, as before issue 18
        for n in range(5, 40):
            pane.add_entry(_entry(n))
        await pilot.pause(2 / status_pane.FLUSHES_PER_S)
        await _flushed(pilot, pane, 39)
        assert pane.outer_size.height == int(36 * 0.3)  # it stops growing; the lines scroll
        # The newest entry is on screen.
        assert "#39" in pane.render_line(pane.scrollable_content_region.height - 1).text


async def test_the_main_screen_gives_the_orders_the_rows_the_status_pane_does_not_use(console_app):
    async with console_app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        pane = console_app.main_screen.query_one(StatusPane)
        await pilot.pause()
        lines = len(pane.entries_text())
        assert lines == 1  # "Stream live; 0 open orders on the account."
        assert pane.outer_size.height == 3
        table = console_app.main_screen.query_one(OrdersTable)
        assert table.outer_size.height == 36 - 1 - 1 - 3  # header, footer, status pane: the rest is the table's


def _order(n: int, price: str) -> Order:
    return Order(order_id=str(1000 + n), client_order_id=f"c-{n}", symbol="btcusd", side=Side.BUY,
                 order_type=OrderType.LIMIT, price=Decimal(price), amount=Decimal("1"), state=OrderState.LIVE,
                 created_ms=1_000 * n)


async def test_a_change_formats_only_the_changed_order_never_every_row(monkeypatch):
    """Content-sized widths must not rescan the table per event: one change, one row measured."""
    class TableApp(App[None]):
        CSS_PATH = [styles_dir() / "app.tcss"]

        def compose(self) -> ComposeResult:
            yield orders_table.OrdersTable(clock_ms=lambda: 10_000_000, id="orders")

    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(orders_table.OrdersTable)
        table.apply_changes([_order(n, f"{60000 + n}.00") for n in range(2_000)])
        await pilot.pause()
        measured, formatted = [], []
        real_widths, real_texts = orders_table.cell_widths, orders_table.cell_texts
        monkeypatch.setattr(orders_table, "cell_widths", lambda *a: measured.append(a) or real_widths(*a))
        monkeypatch.setattr(orders_table, "cell_texts", lambda *a: formatted.append(a) or real_texts(*a))
        table.apply_changes([_order(5, "9999999.99")])
        assert len(measured) == 1 and formatted == []
        await pilot.pause()
        widths = {key: width for key, _, width, _ in table._layout.columns}
        assert widths["price"] == len("9,999,999.99")  # the new widest price widened the column
        # Painting the frame formats a screenful of rows at most, not the 2,000.
        assert len(measured) == 1 and 0 < len(formatted) <= table.size.height


async def test_sending_and_cancelling_an_order_never_moves_the_columns(exchange):
    """A row passes through ``sending`` and ``cancelling``: the columns keep their places meanwhile."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.main_screen.query_one(OrdersTable)
        layouts = []
        original = table._update_layout

        def recording() -> bool:
            changed = original()
            layouts.append(tuple((key, x, width) for key, x, width, _ in table._layout.columns))
            return changed

        table._update_layout = recording  # type: ignore[method-assign]
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: table.order_count() == 1, what="the order")
        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: table.order_count() == 0, what="the order cancelled")
        with_rows = {layout for layout in layouts if layout}
        assert len(with_rows) <= 2  # the empty table's layout and the one with the order; nothing in between
