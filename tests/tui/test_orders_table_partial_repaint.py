"""The orders table repaints only the rows that changed (a row changed in place is one line; a row added, removed
or moved redraws the rows below it): random bursts of changes, sorts, filters, cursor moves and scrolling, and after
each burst's repaint the table shows exactly what a whole repaint shows."""

from __future__ import annotations

import random
from decimal import Decimal

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip

from console.app.paths import styles_dir
from console.domain.model import Order, OrderState, OrderType, Side
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import FIXED_NOW_MS

STATES = [OrderState.LIVE, OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL, OrderState.PENDING_NEW]


class TableApp(App[None]):
    CSS_PATH = [styles_dir() / "app.tcss"]

    def compose(self) -> ComposeResult:
        yield OrdersTable(clock_ms=lambda: FIXED_NOW_MS, id="orders")


def picture(table: OrdersTable) -> list[list[object]]:
    strips: list[Strip] = table.render_lines(Region(0, 0, table.outer_size.width, table.outer_size.height))
    return [list(strip) for strip in strips]


def _order(rng: random.Random, n: int) -> Order:
    return Order(order_id=str(9000 + n), client_order_id=f"p-{n}", symbol=rng.choice(["btcusd", "ethusd"]),
                 side=rng.choice(list(Side)), order_type=OrderType.LIMIT, price=Decimal(rng.randrange(100, 200)),
                 amount=Decimal("1"), state=OrderState.LIVE, created_ms=FIXED_NOW_MS - 100_000 + n)


def _burst(rng: random.Random, live: dict[str, Order], counter: list[int]) -> list[Order]:
    burst: list[Order] = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.4 or not live:  # a new order
            counter[0] += 1
            order = _order(rng, counter[0])
        elif roll < 0.75:  # changed in place, or moved if the sort column changed
            old = live[rng.choice(sorted(live))]
            order = old.evolve(state=rng.choice(STATES), filled=Decimal(rng.randrange(0, 2)) / 2,
                               price=old.price if rng.random() < 0.5 else Decimal(rng.randrange(100, 200)))
        else:  # it ends: the row leaves
            order = live.pop(rng.choice(sorted(live))).evolve(state=OrderState.CANCELLED)
        if not order.state.is_terminal:
            live[order.client_order_id] = order
        burst.append(order)
    return burst


async def test_each_repaint_shows_what_a_whole_repaint_shows():
    for seed in range(4):
        rng = random.Random(seed)
        app = TableApp()
        async with app.run_test(size=(100, 14)) as pilot:
            await pilot.pause()
            table = app.query_one(OrdersTable)
            live: dict[str, Order] = {}
            counter = [0]
            table.apply_changes([_order(rng, 0)])
            await pilot.pause()
            for _step in range(120):
                roll = rng.random()
                if roll < 0.05:
                    table.action_cycle_sort()
                elif roll < 0.08:
                    table.action_reverse_sort()
                elif roll < 0.10:
                    table.action_cycle_side_filter()
                elif roll < 0.2:
                    table.action_cursor_down() if rng.random() < 0.6 else table.action_cursor_up()
                elif roll < 0.25:
                    table.scroll_to(y=rng.randrange(0, 6), animate=False, immediate=True)
                table.refresh()
                before = picture(table)  # every line painted and cached as it stands
                assert before == picture(table)
                table.apply_changes(_burst(rng, live, counter))
                table._flush()  # the burst's repaint, as the next frame runs it
                shown = picture(table)  # the lines it marked drawn again, the others as cached
                table.refresh()
                assert shown == picture(table), f"seed {seed} step {_step}: a changed line was not repainted"
