"""The local exchange in a child process, with a load generator: the far end of every pipeline benchmark.

The console under test runs in the parent; the exchange (matching engine, aiohttp server, order-events
WebSocket) runs here, on the other core, and talks to it only over loopback sockets. Commands arrive over a
``multiprocessing`` pipe and run on the exchange's event loop.

Orders placed by the load generator carry their placement time in the client order id
(``L<time.monotonic_ns()>``): CLOCK_MONOTONIC is one clock for every process of the machine, so the console
can tell how long an order took from the engine to its screen.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import threading
import time
from collections import deque
from decimal import Decimal
from typing import Any

from console.util.heap import freeze_survivors

#: The resting orders: symbol, amount, lowest buy price, lowest sell price, price step (the symbol's tick) and how
#: many steps prices spread over. Buys and sells never cross, and both sides stay inside the ±5% price band.
_BOOK = (
    ("btcusd", "0.0001", Decimal("63000.00"), Decimal("64500.00"), Decimal("0.01"), 50_000),
    ("ethusd", "0.01", Decimal("3000.00"), Decimal("3100.00"), Decimal("0.01"), 5_000),
)
_LOAD_TICK_S = 0.005


class _Child:
    """Lives in the child process: the server, the demo account's resting orders, the load generator."""

    def __init__(self, simulated_symbols: tuple[str, ...] = ()) -> None:
        from console.exchange.server.app import ExchangeServer

        self.loop = asyncio.new_event_loop()
        self.server = ExchangeServer(port=0, simulator=bool(simulated_symbols), simulated_symbols=simulated_symbols,
                                     heartbeat_interval_s=5.0, ws_queue_size=1_000_000)
        self.engine = self.server.engine
        self.account = self.server.demo_account_id
        self.taker = self.engine.add_account("taker", {"USD": "1000000000", "BTC": "100000", "ETH": "1000000"})
        self.resting: deque[int] = deque()
        self.placed = 0
        self.events = 0
        self.engine.add_listener(self._count)
        self.server_simulates = bool(simulated_symbols)

    def _count(self, account_id: int, events: list[dict[str, Any]]) -> None:
        if account_id == self.account:
            self.events += len(events)

    def _place(self, n: int, *, stamped: bool) -> None:
        from console.exchange.keys import DEMO_API_KEY

        symbol, amount, buy_base, sell_base, step, span = _BOOK[n % len(_BOOK)]
        side = "buy" if (n // 2) % 2 == 0 else "sell"
        offset = step * ((n * 7919) % span)
        price = buy_base + offset if side == "buy" else sell_base + offset
        cid = f"L{time.monotonic_ns()}" if stamped else f"seed-{n}"
        wire = self.engine.place_order(
            self.account, DEMO_API_KEY, symbol=symbol, side=side, order_type="exchange limit",
            amount=amount, price=str(price), options=[], client_order_id=cid,
        )
        self.resting.append(int(wire["order_id"]))
        self.placed += 1

    async def seed(self, count: int) -> int:
        for i in range(count):
            self._place(self.placed, stamped=False)
            if i % 100 == 99:
                await asyncio.sleep(0)  # let connected sockets send, as a real venue would between requests
        # The resting book is the venue's loaded state: out of its collector's view, as `python -m console.exchange`
        # freezes what it loaded. Otherwise the exchange's first middle collection under the load walks all of it,
        # a pause of the venue (not of the console) that the event → screen figure would count.
        freeze_survivors()
        return self.engine.open_order_count(self.account)

    def cancel_oldest(self) -> None:
        from console.exchange.keys import DEMO_API_KEY

        order_id = self.resting.popleft()
        try:
            self.engine.cancel_order(self.account, order_id, DEMO_API_KEY)
        except Exception:  # noqa: BLE001 - with the market maker on, a resting order may have filled already
            if not self.server_simulates:
                raise

    async def fills(self, takers: int, depth: int) -> int:
        """Taker IOC orders each crossing ``depth`` resting demo sells: fills (and closes) for the demo account."""
        before = self.events
        for i in range(takers):
            symbol, amount, _, sell_base, _, _ = _BOOK[0]
            self.engine.place_order(
                self.taker, "taker", symbol=symbol, side="buy", order_type="exchange limit",
                amount=str(Decimal(amount) * depth - Decimal("0.00005")), price=str(sell_base + 500),
                options=["immediate-or-cancel"], client_order_id=f"taker-{i}",
            )
            if i % 50 == 49:
                await asyncio.sleep(0)
        return self.events - before

    async def load(self, events_per_s: float, seconds: float) -> dict[str, float]:
        """Keep the open-order count steady: place a stamped order (accepted, booked) and cancel the oldest
        (cancelled, closed), paced so the account's events run at ``events_per_s``.
        """
        start = time.monotonic()
        start_events = self.events
        start_placed = self.placed
        while (elapsed := time.monotonic() - start) < seconds:
            while self.events - start_events < events_per_s * elapsed:
                self._place(self.placed, stamped=True)
                self.cancel_oldest()
            await asyncio.sleep(_LOAD_TICK_S)
        elapsed = time.monotonic() - start
        return {"events": self.events - start_events, "placed": self.placed - start_placed, "seconds": elapsed}

    def run(self, conn) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start())
        freeze_survivors()  # the exchange's heap policy, as its command line applies it once it is serving
        conn.send({"rest_url": self.server.rest_url, "ws_url": self.server.ws_url})
        threading.Thread(target=self._serve_commands, args=(conn,), daemon=True).start()
        self.loop.run_forever()
        self.loop.run_until_complete(self.server.stop())

    def _serve_commands(self, conn) -> None:
        while True:
            command, args = conn.recv()
            if command == "stop":
                conn.send(None)
                self.loop.call_soon_threadsafe(self.loop.stop)
                return
            try:
                coro = self.load(*args) if command == "load" else self._call(command, args)
                result = asyncio.run_coroutine_threadsafe(coro, self.loop).result()
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
                result = RuntimeError(f"exchange command {command} failed: {exc!r}")
            conn.send(result)

    async def _call(self, command: str, args: tuple) -> Any:
        if command == "seed":
            return await self.seed(*args)
        if command == "fills":
            return await self.fills(*args)
        if command == "open_orders":
            return self.engine.open_order_count(self.account)
        raise ValueError(command)


def _child_main(conn, simulated_symbols: tuple[str, ...]) -> None:
    _Child(simulated_symbols).run(conn)


class ExchangeProcess:
    """Start the local exchange in a child process; send it commands.

    Use as a context manager: ``with ExchangeProcess() as exchange: exchange.seed(10_000)``. With
    ``simulated_symbols`` the exchange's market maker quotes those symbols (a live ladder and trades), as the
    embedded exchange of ``make run`` does; without, the market is empty and quiet.
    """

    def __init__(self, simulated_symbols: tuple[str, ...] = ()) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._process = ctx.Process(target=_child_main, args=(child_conn, simulated_symbols), daemon=True,
                                    name="bench-exchange")
        self.rest_url = ""
        self.ws_url = ""

    def __enter__(self) -> ExchangeProcess:
        self._process.start()
        urls = self._conn.recv()
        self.rest_url, self.ws_url = urls["rest_url"], urls["ws_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._conn.send(("stop", ()))
            self._conn.recv()
        except (EOFError, OSError):
            pass  # the child is already gone
        finally:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()

    def _ask(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return _raise_errors(self._conn.recv())

    def seed(self, count: int) -> int:
        """Rest ``count`` more demo-account orders; return the account's open orders."""
        return self._ask("seed", count)

    def fills(self, takers: int, depth: int) -> int:
        """Cross resting sells with taker orders; return how many demo-account events that made."""
        return self._ask("fills", takers, depth)

    def open_orders(self) -> int:
        """The demo account's open orders."""
        return self._ask("open_orders")

    async def load(self, events_per_s: float, seconds: float) -> dict[str, float]:
        """Run the steady load for ``seconds`` without blocking the caller's event loop."""
        self._conn.send(("load", (events_per_s, seconds)))
        return _raise_errors(await asyncio.to_thread(self._conn.recv))


def _raise_errors(result: Any) -> Any:
    if isinstance(result, Exception):
        raise result
    return result
