"""The whole console, headless in ``App.run_test()``, against the local exchange in a child process.

One run: the exchange rests N orders on the demo account; the console starts (time to a usable screen, time to a
reconciled table of N orders); memory with N orders; the cost of a frame after one change; then the exchange
places and cancels orders at a steady event rate while the benchmark measures how long each new order takes from
the engine to a painted frame, and how long a cursor key takes to show.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal

from benchmarks.exchange_proc import ExchangeProcess
from benchmarks.harness import (
    SIZE,
    FrameProbe,
    build_app,
    cursor_rows,
    cursor_signature,
    percentile,
    rss_mb,
    table_class,
)
from console.trading.session import ConnectionState
from console.tui.app import HEAP_SETTLE_DELAY_S
from console.tui.messages import OrdersChanged
from console.tui.screens.main import MainScreen

#: How often a key is pressed during the load, seconds (with ±50% jitter so presses land anywhere in a frame):
#: about 25 a second, a held arrow key's repeat rate, so a run has ~200 presses and its p99 is not just its maximum.
KEY_INTERVAL_S = 0.04
#: A key whose effect has not shown after this long counts with the time waited (a frame must come to notice).
KEY_GIVE_UP_NS = 5_000_000_000


def progress(text: str) -> None:
    """One line on the real stderr (Textual captures sys.stderr while an app runs)."""
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.__stderr__, flush=True)


@dataclass
class RunResult:
    """The figures of one pipeline run (ms unless named otherwise)."""

    usable_ms: float = float("nan")
    reconciled_ms: float = float("nan")
    rss_mb: float = float("nan")
    frame_ms: float = float("nan")
    latency_p50_ms: float = float("nan")
    latency_p99_ms: float = float("nan")
    to_table_p50_ms: float = float("nan")
    key_p99_ms: float = float("nan")
    key_p50_ms: float = float("nan")
    events_per_s: float = float("nan")
    undrained: int = 0
    soak_rss_mb: list[float] = field(default_factory=list)


async def _frame_cost(app, table, probe: FrameProbe, samples: int) -> float:
    """Median main-thread CPU time from one changed order posted to the screen until the frame that shows it."""
    costs = []
    screen = app.main_screen
    for i in range(samples):
        changed = table.selected_order.evolve(avg_price=Decimal(1000 + i))  # the top row: on screen
        table.refresh()
        await probe.next_frame()  # start on a frame boundary
        cpu0 = time.thread_time()
        frame = probe.next_frame()
        screen.post_message(OrdersChanged([changed]))
        await frame
        costs.append((time.thread_time() - cpu0) * 1000)
    costs.sort()
    return costs[len(costs) // 2]


async def run_once(
    table_cls: type,
    orders: int,
    *,
    load_events_per_s: float = 0,
    load_s: float = 0,
    frame_samples: int = 30,
    soak_s: float = 0,
    drain_timeout_s: float = 30,
) -> RunResult:
    """One run of the console with ``table_cls`` as its orders table against ``orders`` resting orders."""
    result = RunResult()
    with ExchangeProcess() as exchange, table_class(table_cls):
        await asyncio.to_thread(exchange.seed, orders)
        start_ns = time.monotonic_ns()
        app = build_app(exchange.rest_url, exchange.ws_url)
        probe = FrameProbe(app)
        marks: dict[str, int] = {}

        def startup_marks(now_ns: int) -> None:
            if "usable" not in marks and isinstance(app.screen, MainScreen):
                marks["usable"] = now_ns
            if "reconciled" not in marks and isinstance(app.screen, MainScreen):
                table = app.main_screen.query_one("#orders")
                if app.session.connection is ConnectionState.LIVE and table.order_count() >= orders:
                    marks["reconciled"] = now_ns

        probe.callbacks.append(startup_marks)
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 60
            while "reconciled" not in marks and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
                app.main_screen.query_one("#orders").refresh()  # a frame to observe the state on
            probe.callbacks.remove(startup_marks)
            progress(f"{table_cls.__name__}: {orders} orders on screen, marks {sorted(marks)}")
            result.usable_ms = (marks.get("usable", 0) - start_ns) / 1e6 if "usable" in marks else float("nan")
            result.reconciled_ms = (marks["reconciled"] - start_ns) / 1e6 if "reconciled" in marks else float("nan")
            table = app.main_screen.query_one("#orders")
            # The console settles its heap just after the first reconcile (console/app/heap.py): measure after that.
            await pilot.pause(HEAP_SETTLE_DELAY_S + 0.5)
            result.rss_mb = rss_mb()
            if frame_samples:
                result.frame_ms = await _frame_cost(app, table, probe, frame_samples)
                progress(f"{table_cls.__name__}: frame cost measured")
            if load_s:
                await _load(app, table, probe, exchange, result, load_events_per_s, load_s, drain_timeout_s)
            if soak_s:
                await _soak(exchange, result, load_events_per_s, soak_s)
    return result


async def _load(app, table, probe, exchange, result: RunResult, rate: float, seconds: float, drain_s: float):
    """Steady load: engine-to-frame latency of every new order, cursor-key-to-frame latency of periodic presses."""
    if hasattr(table, "view"):
        table.focus()
        table.action_reverse_sort()  # newest first: every new order lands on screen, at the top
    placed_ns: dict[str, int] = {}  # client order id -> engine time, for orders the table has taken
    waiting: list[int] = []
    latencies: list[float] = []
    to_table: list[float] = []
    key_latencies: list[float] = []
    key_pending: list[tuple[int, object]] = []
    original_apply = table.apply_changes

    def apply_changes(orders) -> None:
        original_apply(orders)
        now_ns = time.monotonic_ns()
        for order in orders:
            cid = order.client_order_id
            if cid and cid.startswith("L") and cid not in placed_ns and not order.state.is_terminal:
                placed_ns[cid] = int(cid[1:])
                waiting.append(placed_ns[cid])
                to_table.append((now_ns - placed_ns[cid]) / 1e6)

    def on_frame(now_ns: int) -> None:
        for t in waiting:
            latencies.append((now_ns - t) / 1e6)
        waiting.clear()
        if key_pending:
            pressed_ns, before = key_pending[0]
            if cursor_signature(table) != before or now_ns - pressed_ns > KEY_GIVE_UP_NS:
                key_latencies.append((now_ns - pressed_ns) / 1e6)
                key_pending.clear()

    table.apply_changes = apply_changes
    probe.callbacks.append(on_frame)
    rng = random.Random(4)
    load = asyncio.ensure_future(exchange.load(rate, seconds))
    direction = "up"
    try:
        while not load.done():
            await asyncio.sleep(KEY_INTERVAL_S * rng.uniform(0.5, 1.5))
            if key_pending or load.done():
                continue
            direction = "up" if direction == "down" else "down"
            # A press at the table's edge moves nothing (new orders push the followed cursor to the last row): it
            # would be timed until some unrelated change moved the selection. Press the way the cursor can go.
            row, rows = cursor_rows(table)
            if direction == "down" and row >= rows - 1:
                direction = "up"
            elif direction == "up" and row <= 0:
                direction = "down"
            key_pending.append((time.monotonic_ns(), cursor_signature(table)))
            app.simulate_key(direction)
        stats = await load
        deadline = time.monotonic() + drain_s
        expected = stats["placed"]
        while len(placed_ns) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
    finally:
        probe.callbacks.remove(on_frame)
        table.apply_changes = original_apply
    result.undrained = max(0, expected - len(placed_ns))
    result.events_per_s = stats["events"] / stats["seconds"]
    warm = latencies[len(latencies) // 10:]  # the first tenth warms up caches
    result.latency_p50_ms = percentile(warm, 50)
    result.latency_p99_ms = percentile(warm, 99)
    result.to_table_p50_ms = percentile(to_table[len(to_table) // 10:], 50)
    result.key_p99_ms = percentile(key_latencies, 99)
    result.key_p50_ms = percentile(key_latencies, 50)


async def _soak(exchange, result: RunResult, rate: float, seconds: float) -> None:
    """Keep the load on for ``seconds``; sample RSS every 5% of the way."""
    load = asyncio.ensure_future(exchange.load(rate, seconds))
    result.soak_rss_mb.append(rss_mb())
    step = max(0.5, seconds / 20)
    while not load.done():
        await asyncio.sleep(step)
        result.soak_rss_mb.append(rss_mb())
    await load
