"""Key press → order acknowledged on screen, over ``--api rest`` and ``--api ws``, side by side in one run.

The console runs headless (``App.run_test()``) in this process, built by the app factory exactly as
``trading-console --api rest|ws --rest-url URL`` builds it; the local exchange runs in a child process
(``benchmarks.exchange_proc``), so the two talk only over loopback sockets. Each sample: the ticket is filled in
(not timed; it keeps its values after a submit), then Enter is pressed; two clocks stop: when the orders table
takes the order's row with the exchange's order id (the acknowledgement: the REST answer or the stream's event over
``rest``; the ``order.place`` answer over ``ws``), and when the frame that paints that row ends (what the trader
sees; headless, the frame is composed but written nowhere). The order rests far from the touch (no fill). Numbers
only: nothing passes or fails.

``python -m benchmarks.bench_ack [--presses N]``; ``make bench`` runs it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Iterable

from pydantic import SecretStr

from benchmarks.exchange_proc import ExchangeProcess
from benchmarks.harness import FrameProbe
from console.app.config import load_config
from console.app.settings import Environment, Settings
from console.app.wiring import build_console
from console.domain.model import Order
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.trading.session import ConnectionState
from console.tui.app import TradingConsoleApp
from console.tui.widgets.orders_table import OrdersTable
from console.venues.gemini.credentials import Credentials

PRESSES = 60
#: Resting buy price: inside the ±5% price band of the seeded book, below its bids (63,000-63,500), never filled.
PRICE = "62900.00"
AMOUNT = "0.0001"


def build(rest_url: str, ws_url: str, api: str) -> TradingConsoleApp:
    """The console for ``api`` (``"rest"`` or ``"ws"``) on the exchange, journal off (the screen's figure)."""
    key, secret = (DEMO_WS_API_KEY, DEMO_WS_API_SECRET) if api == "ws" else (DEMO_API_KEY, DEMO_API_SECRET)
    desk = load_config({"journal": "false", "toasts": "false", "bell": "false", "api": api,
                        "guards.duplicate_window_ms": "0"}, environ={})  # the same ticket again, on purpose
    settings = Settings(environment=Environment.LOCAL, rest_url=rest_url, ws_url=ws_url,
                        credentials=Credentials(api_key=key, api_secret=SecretStr(secret)), desk=desk,
                        ws_api_url=ws_url + "/ws")
    return build_console(settings, settle_heap=True).app


async def _until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there in time")
        await asyncio.sleep(0.001)


class AckClock:
    """Times one press: when the orders table takes the order's acknowledged row (its view applies the change with
    the exchange's order id), and when the first frame after the table's repaint for it ends (the table paints the
    answer to a "sending" row at once, inside ``apply_changes``: that frame).

    Hooks the table instance's own methods (no polling: a polling task would itself wait behind frames).
    """

    def __init__(self, table: OrdersTable, probe: FrameProbe) -> None:
        self.table, self.probe = table, probe
        self.known: set[str | None] = set()
        self.rows = 0
        self.acked_ns: int | None = None
        self.painted: asyncio.Future[int] | None = None
        view_apply, flush = table.view.apply, table._flush

        def on_apply(orders: Iterable[Order]) -> list[str]:
            orders = list(orders)
            changed = view_apply(orders)
            if self.acked_ns is None and table.order_count() == self.rows + 1 and any(
                    o.order_id for o in orders if o.client_order_id not in self.known):
                self.acked_ns = time.monotonic_ns()
            return changed

        def on_flush() -> None:
            flush()
            if self.acked_ns is not None and self.painted is None:
                self.painted = probe.next_frame()  # this repaint's frame: it shows the acknowledged row

        table.view.apply = on_apply  # type: ignore[method-assign]  # the benchmark's hook on one instance
        table._flush = on_flush  # type: ignore[method-assign]

    def arm(self, blotter_orders: Iterable[Order]) -> None:
        self.known = {o.client_order_id for o in blotter_orders}
        self.rows = self.table.order_count()
        self.acked_ns, self.painted = None, None

    async def painted_ns(self) -> int:
        await _until(lambda: self.painted is not None)
        assert self.painted is not None
        return await self.painted


async def ack_latencies_ms(rest_url: str, ws_url: str, api: str,
                           presses: int = PRESSES) -> tuple[list[float], list[float]]:
    """``presses`` samples over ``api`` of Enter → the order's acknowledged row in the orders table, and Enter →
    the end of the frame that paints it (ms)."""
    app = build(rest_url, ws_url, api)
    in_table: list[float] = []
    painted: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        probe = FrameProbe(app)
        await _until(lambda: app.session.connection is ConnectionState.LIVE and bool(app.session.rules), 20.0)
        table = app.main_screen.query_one(OrdersTable)
        clock = AckClock(table, probe)
        for n in range(presses):
            # The ticket keeps its values after a submit (quick re-entry): they are typed once.
            await pilot.press("o", *((*PRICE, "tab", *AMOUNT) if n == 0 else ()))
            await pilot.pause()
            clock.arm(app.session.blotter.orders())
            start_ns = time.monotonic_ns()
            # Pilot.press returns only once the app is idle (~100 ms here): the press runs beside the clock.
            pressing = asyncio.get_running_loop().create_task(pilot.press("enter"))
            painted_ns = await clock.painted_ns()
            assert clock.acked_ns is not None
            in_table.append((clock.acked_ns - start_ns) / 1e6)
            painted.append((painted_ns - start_ns) / 1e6)
            await pressing
            await pilot.press("escape")
        await app.session.cancel_all()
    return in_table, painted


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def measure(presses: int = PRESSES) -> dict[str, tuple[list[float], list[float]]]:
    """Both APIs against one exchange (child process), ``rest`` first; by API, the samples (ms) of the
    acknowledged row in the table and of the frame painting it."""
    with ExchangeProcess() as exchange:
        await asyncio.to_thread(exchange.seed, 200)
        return {api: await ack_latencies_ms(exchange.rest_url, exchange.ws_url, api, presses)
                for api in ("rest", "ws")}


def print_figures(results: dict[str, tuple[list[float], list[float]]]) -> None:
    """The issue's figure as Markdown, p50 and p99 per API: key press → the acknowledged row in the orders table,
    and key press → the end of the frame that paints it (what the trader sees)."""
    print()
    print("| key press → order acknowledged (ms) | target | rest | ws | rest ÷ ws |")
    print("|---|---|---|---|---|")
    for which, label in ((1, "on screen (frame painted)"), (0, "in the orders table")):
        for pct, target in ((50, "ws ≤ 5, ≥ 2× better than rest"), (99, "—")):
            rest, ws = _pct(results["rest"][which], pct), _pct(results["ws"][which], pct)
            print(f"| {label}, p{pct} | {target} | {rest:.1f} | {ws:.1f} | {rest / ws:.1f}× |")
    print(f"\n{len(results['ws'][0])} presses per API; the frame figure adds painting the table (Textual's compositor, "
          "the same work over either API).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ack", description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=PRESSES, help=f"samples per API (default {PRESSES})")
    args = parser.parse_args(argv)
    print_figures(asyncio.run(measure(args.presses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
