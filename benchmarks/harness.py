"""What the pipeline benchmarks share: the console app wired to an exchange, a frame probe, summaries."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from pydantic import SecretStr

from console.app.config import load_config
from console.app.settings import Environment, Settings
from console.app.wiring import build_console
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.tui import app as app_module
from console.tui.screens import main as main_module
from console.tui.widgets.orders_table import OrdersTable
from console.venues.gemini.credentials import Credentials

#: Terminal size of every pipeline benchmark (the README's main screenshot size).
SIZE = (120, 36)


def build_app(rest_url: str, ws_url: str) -> app_module.TradingConsoleApp:
    """The console as ``trading-console --rest-url`` builds it (the app factory), with the demo key, the wall clock
    and the heap policy; the journal is off, as the figures have always been measured: they are the screen's."""
    credentials = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
    desk = load_config({"journal": "false"}, environ={})
    settings = Settings(environment=Environment.LOCAL, rest_url=rest_url, ws_url=ws_url, credentials=credentials,
                        desk=desk)
    return build_console(settings, settle_heap=True).app


@contextlib.contextmanager
def table_class(cls: type) -> Iterator[None]:
    """Build the main screen with ``cls`` as its orders table (the baseline swaps in its DataTable here)."""
    saved = main_module.OrdersTable, app_module.OrdersTable
    main_module.OrdersTable = app_module.OrdersTable = cls  # the app's bootstrap hands the table its tick sizes
    try:
        yield
    finally:
        main_module.OrdersTable, app_module.OrdersTable = saved


def cursor_rows(table) -> tuple[int, int]:
    """The cursor's row and the number of rows (Line API table or DataTable baseline)."""
    if isinstance(table, OrdersTable):
        return table.cursor_row, len(table.view)
    return table.cursor_row, table.row_count


def cursor_signature(table) -> object:
    """What a cursor key visibly changes: the selected order (Line API table) or the cursor row (DataTable)."""
    if isinstance(table, OrdersTable):
        order = table.selected_order
        return None if order is None else (order.client_order_id or order.order_id)
    return table.cursor_signature()


class FrameProbe:
    """Calls back after every frame the app paints (``App._display`` gets each compositor update).

    Headless, nothing reaches a terminal, but the frame has been composed and every visible line rendered.
    """

    def __init__(self, app) -> None:
        self.frames = 0
        self.callbacks: list[Callable[[int], None]] = []
        self._waiters: list[asyncio.Future] = []
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            now_ns = time.monotonic_ns()
            self.frames += 1
            for callback in list(self.callbacks):
                callback(now_ns)
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(now_ns)

        app._display = display

    def next_frame(self) -> asyncio.Future:
        """A future that resolves at the end of the next painted frame (its time in monotonic ns)."""
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future


async def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` every 5 ms; raise TimeoutError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def rss_mb() -> float:
    """This process's resident set size, MB (from /proc/self/statm)."""
    import os

    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Figure:
    """One row of the printed table: the values of every run, for the new table and for the baseline."""

    name: str
    unit: str
    target: str
    higher_is_better: bool = False
    values: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)

    @staticmethod
    def _mmm(values: list[float]) -> tuple[float, float, float] | None:
        if not values:
            return None
        return min(values), statistics.median(values), max(values)

    def summary(self) -> tuple[float, float, float] | None:
        return self._mmm(self.values)

    def baseline_summary(self) -> tuple[float, float, float] | None:
        return self._mmm(self.baseline)

    def ratio(self) -> float | None:
        """How many times better than the baseline (medians), >1 is better."""
        ours, base = self.summary(), self.baseline_summary()
        if ours is None or base is None or ours[1] == 0 or base[1] == 0:
            return None
        return ours[1] / base[1] if self.higher_is_better else base[1] / ours[1]
