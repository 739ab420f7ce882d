"""Key press → order acknowledged on screen, over ``--api rest`` and ``--api ws``, side by side in one run.

The console runs headless (``App.run_test()``) in this process, built by the app factory exactly as
``trading-console --api rest|ws --rest-url URL`` builds it; the local exchange runs in a child process
(``benchmarks.exchange_proc``), so the two talk only over loopback sockets. Each sample: the ticket is filled in
(not timed; it keeps its values after a submit), then Enter is pressed and the clock runs until the orders table
holds the order's row with the exchange's order id (the acknowledgement: the REST answer or the stream's event over
``rest``; the ``order.place`` answer over ``ws``). The order rests far from the touch (no fill). Numbers only:
nothing passes or fails.

``python -m benchmarks.bench_ack [--presses N]``; ``make bench`` runs it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from pydantic import SecretStr

from benchmarks.exchange_proc import ExchangeProcess
from console.app.config import load_config
from console.app.settings import Environment, Settings
from console.app.wiring import build_console
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


async def _until(predicate, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there in time")
        await asyncio.sleep(0.0002)


async def ack_latencies_ms(rest_url: str, ws_url: str, api: str, presses: int = PRESSES) -> list[float]:
    """``presses`` samples of Enter → the order's row acknowledged (ms), over ``api``."""
    app = build(rest_url, ws_url, api)
    samples: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(lambda: app.session.connection is ConnectionState.LIVE and bool(app.session.rules), 20.0)
        table = app.main_screen.query_one(OrdersTable)
        blotter = app.session.blotter
        for n in range(presses):
            # The ticket keeps its values after a submit (quick re-entry): they are typed once.
            await pilot.press("o", *((*PRICE, "tab", *AMOUNT) if n == 0 else ()))
            await pilot.pause()
            known = {o.client_order_id for o in blotter.orders()}
            rows = table.order_count()
            start = time.perf_counter()
            # Pilot.press returns only once the app is idle (~100 ms here): the press runs beside the clock.
            pressing = asyncio.get_running_loop().create_task(pilot.press("enter"))
            await _until(lambda: table.order_count() == rows + 1  # noqa: B023 - awaited within the iteration
                         and any(o.order_id for o in blotter.orders() if o.client_order_id not in known))  # noqa: B023
            samples.append((time.perf_counter() - start) * 1000)  # the table holds the row: the next frame shows it
            await pressing
            await pilot.press("escape")
        await app.session.cancel_all()
    return samples


def _pct(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def measure(presses: int = PRESSES) -> dict[str, list[float]]:
    """Both APIs against one exchange (child process), ``rest`` first; samples in ms by API."""
    with ExchangeProcess() as exchange:
        await asyncio.to_thread(exchange.seed, 200)
        return {api: await ack_latencies_ms(exchange.rest_url, exchange.ws_url, api, presses)
                for api in ("rest", "ws")}


def print_figures(results: dict[str, list[float]]) -> None:
    """The issue's figure as Markdown: key press → order acknowledged on screen, p50 and p99 per API."""
    print()
    print("| key press → order acknowledged on screen (ms) | target | rest | ws | rest ÷ ws |")
    print("|---|---|---|---|---|")
    for pct, target in ((50, "ws ≤ 5, ≥ 2× better than rest"), (99, "—")):
        rest, ws = _pct(results["rest"], pct), _pct(results["ws"], pct)
        print(f"| p{pct} | {target} | {rest:.1f} | {ws:.1f} | {rest / ws:.1f}× |")
    print(f"\n{len(results['ws'])} presses per API; medians rest {statistics.median(results['rest']):.1f} ms, "
          f"ws {statistics.median(results['ws']):.1f} ms.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ack", description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=PRESSES, help=f"samples per API (default {PRESSES})")
    args = parser.parse_args(argv)
    print_figures(asyncio.run(measure(args.presses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
