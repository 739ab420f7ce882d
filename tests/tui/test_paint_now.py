"""A key's effect on the orders table is painted in a frame at once, not at the screen's next update tick.

These tests call the table's actions synchronously and count the frames the app paints (``App._display``) before
anything is awaited: without ``paint_now`` no frame comes until the screen's 60 Hz timer ticks. They also pin the
Textual internals ``paint_now`` (``console/tui/internals.py``) relies on: after a Textual upgrade they fail, not the
console.
"""

from __future__ import annotations

import contextlib

from textual.screen import Screen

from console.tui.internals import paint_now
from console.tui.widgets.orders_table import OrdersTable
from tests.tui.test_orders_table_keys import TableApp


def count_frames(app) -> list[int]:
    """Wrap ``app._display``; the returned list holds one count, bumped for every painted frame."""
    frames = [0]
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is not None:
            frames[0] += 1

    app._display = display
    return frames


@contextlib.asynccontextmanager
async def table_on_screen():
    """The orders table with five orders, painted and idle: (app, pilot, table)."""
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        await pilot.pause()
        yield app, pilot, app.query_one(OrdersTable)


async def test_a_cursor_key_paints_a_frame_before_returning():
    async with table_on_screen() as (app, pilot, table):
        frames = count_frames(app)
        table.action_cursor_down()  # no await: the frame must already be painted
        assert frames[0] == 1
        assert table.selected_order.client_order_id == "t-2"
        assert not app.screen._dirty_widgets and not table._repaint_required  # nothing left for the next tick
        table.action_last_row()
        table.action_reverse_sort()
        table.action_cycle_side_filter()
        assert frames[0] == 4


async def test_keys_pressed_through_textuals_dispatch_move_the_cursor_as_before():
    async with table_on_screen() as (app, pilot, table):
        table.action_cursor_down()
        await pilot.press("down", "up", "pagedown", "home")  # bindings, actions, each painting at once
        await pilot.pause()
        assert table.cursor_row == 0 and table.selected_order.client_order_id == "t-1"


async def test_nothing_is_painted_while_the_app_batches_updates_or_another_screen_is_on_top():
    async with table_on_screen() as (app, pilot, table):
        frames = count_frames(app)
        with app.batch_update():
            table.action_cursor_down()
            assert paint_now(table) is False
        assert frames[0] == 0
        await app.push_screen(Screen())
        await pilot.pause()
        painted = frames[0]
        table.action_cursor_down()
        assert frames[0] == painted and paint_now(table) is False
        assert table.selected_order.client_order_id == "t-3"  # the key still moved the cursor


def test_an_unmounted_widget_is_left_to_the_ordinary_refresh():
    assert paint_now(OrdersTable(clock_ms=lambda: 0)) is False
