"""The orders table holds a "sending" row (PENDING_NEW: sent, no answer yet) for one frame before painting it.

When the venue answers within that hold, the first frame shows the acknowledged row and no frame is painted for the
"sending" one (a frame painted for it would hold the answer, already in the socket, until it ends); with no answer
the "sending" row shows once the hold has passed. See ``console/tui/pacing.py: SENDING_HOLD_S``.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from textual.app import App, ComposeResult

from console.app.paths import styles_dir
from console.domain.model import Order, OrderState, OrderType, Side
from console.tui.pacing import SENDING_HOLD_S, answers_sending, sending_only
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import FIXED_NOW_MS

RESTING = Order(order_id="7001", client_order_id="t-1", symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT,
                price=Decimal("63000.00"), amount=Decimal("0.01"), state=OrderState.LIVE,
                created_ms=FIXED_NOW_MS - 60_000)
SENDING = Order(order_id="", client_order_id="t-2", symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT,
                price=Decimal("62900.00"), amount=Decimal("0.01"), state=OrderState.PENDING_NEW,
                created_ms=FIXED_NOW_MS)
ACKED = SENDING.evolve(order_id="7002", state=OrderState.LIVE)


class TableApp(App[None]):
    """The orders table alone, with a record of what each painted frame showed of order ``t-2``."""

    CSS_PATH = [styles_dir() / "app.tcss"]

    def __init__(self) -> None:
        super().__init__()
        self.painted: list[OrderState | None] = []  # per frame: order t-2's state in the table then (None: absent)

    def compose(self) -> ComposeResult:
        yield OrdersTable(clock_ms=lambda: FIXED_NOW_MS, id="orders")

    def on_mount(self) -> None:
        self.query_one(OrdersTable).apply_changes([RESTING])
        display = self._display

        def record(screen, renderable) -> None:  # type: ignore[no-untyped-def]
            display(screen, renderable)
            if renderable is not None:
                order = next((o for o in self.query_one(OrdersTable).view.rows() if o.client_order_id == "t-2"),
                             None)
                self.painted.append(None if order is None else order.state)

        self._display = record  # type: ignore[method-assign]


def test_sending_only_is_true_for_a_change_of_pending_new_orders_only():
    assert sending_only([SENDING])
    assert not sending_only([SENDING, RESTING])
    assert not sending_only([ACKED])
    assert not sending_only([])


def test_answers_sending_is_true_for_the_first_answer_to_a_pending_new_row_only():
    assert answers_sending(SENDING, ACKED)
    assert answers_sending(SENDING, SENDING.evolve(state=OrderState.REJECTED))
    assert not answers_sending(None, ACKED)  # a row the table did not show as sending
    assert not answers_sending(SENDING, SENDING)
    assert not answers_sending(RESTING, RESTING.evolve(state=OrderState.PARTIALLY_FILLED))


def flush_times(table: OrdersTable) -> list[float]:
    """Record when the table's repaint for its changes runs (monotonic seconds)."""
    times: list[float] = []
    flush = table._flush

    def recorded() -> None:
        times.append(time.monotonic())
        flush()

    table._flush = recorded  # type: ignore[method-assign]
    return times


async def test_an_answer_within_the_hold_is_painted_without_a_frame_for_the_sending_row():
    app = TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(OrdersTable)
        flushes = flush_times(table)
        app.painted.clear()
        table.apply_changes([SENDING])
        await asyncio.sleep(SENDING_HOLD_S / 5)  # the loop runs on while the answer travels, within the hold
        acked_s = time.monotonic()
        table.apply_changes([ACKED])
        await pilot.pause(SENDING_HOLD_S * 3)
        assert len(flushes) == 1 and flushes[0] >= acked_s  # one repaint, for the acknowledged row
        assert app.painted, "the acknowledged row was never painted"
        assert OrderState.PENDING_NEW not in app.painted
        assert app.painted[0] is OrderState.LIVE


async def test_a_sending_row_without_an_answer_is_painted_once_the_hold_has_passed():
    app = TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause()
        table = app.query_one(OrdersTable)
        app.painted.clear()
        table.apply_changes([SENDING])
        await pilot.pause(SENDING_HOLD_S * 4)
        assert OrderState.PENDING_NEW in app.painted


async def test_a_sending_row_is_held_but_any_other_change_brings_the_repaint_forward():
    app = TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause(0.05)  # past the first repaint's interval
        table = app.query_one(OrdersTable)
        flushes = flush_times(table)
        sent_s = time.monotonic()
        table.apply_changes([SENDING])
        await pilot.pause(SENDING_HOLD_S * 4)
        assert len(flushes) == 1 and flushes[0] - sent_s >= SENDING_HOLD_S * 0.9  # held
        flushes.clear()
        other = SENDING.evolve(client_order_id="t-3", created_ms=FIXED_NOW_MS + 1)
        await pilot.pause(0.05)
        sent_s = time.monotonic()
        table.apply_changes([other])
        table.apply_changes([RESTING.evolve(state=OrderState.PARTIALLY_FILLED, filled=Decimal("0.005"))])
        await pilot.pause(SENDING_HOLD_S * 4)
        assert len(flushes) == 1 and flushes[0] - sent_s < SENDING_HOLD_S * 0.9  # brought forward, not held


async def test_the_answer_to_a_sending_row_is_painted_at_once_inside_apply_changes():
    app = TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause(SENDING_HOLD_S * 4)
        table = app.query_one(OrdersTable)
        table.apply_changes([SENDING])
        await pilot.pause(SENDING_HOLD_S * 4)  # the sending row painted after its hold
        app.painted.clear()
        table.apply_changes([ACKED])  # no await: a frame must already show it, not the next 60 Hz tick
        assert app.painted == [OrderState.LIVE]


async def test_a_change_that_answers_no_sending_row_waits_for_the_next_frame():
    app = TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        await pilot.pause(SENDING_HOLD_S * 4)
        table = app.query_one(OrdersTable)
        app.painted.clear()
        table.apply_changes([ACKED])  # a new live order from the stream, never shown as sending
        assert app.painted == []
        await pilot.pause(SENDING_HOLD_S * 4)
        assert app.painted and app.painted[-1] is OrderState.LIVE
