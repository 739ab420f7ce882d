"""A local exchange and a trading session in one asyncio loop, tuned for fast fault tests (short watchdog, back-off).

Used by tests/reliability and benchmarks/soak_reliability.py. The session talks to the exchange over real loopback
sockets; faults are armed on the exchange's :class:`~console.exchange.faults.FaultPlan`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx
from pydantic import SecretStr

from console.domain.model import Order, OrderType, Side
from console.domain.ticket import ClientOrderIds, TicketInput
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.exchange.server.app import ExchangeServer
from console.trading.session import ConnectionState, StatusEntry, TradingSession
from console.venues.gemini.auth import NonceSource, TimeNonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.order_events import OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.venue import GeminiVenue
from console.venues.gemini.ws_venue import GeminiWsVenue

MAKER_KEY = "account-ReliabilityMaker0001"
MAKER_SECRET = "ReliabilityMakerSecret0001"
MAKER_BALANCES = {"USD": "100000000", "BTC": "100000", "ETH": "100000", "SOL": "1000000"}

#: Fast settings: heartbeats every 0.05 s, the watchdog at 0.4 s, reconnect back-off from 20 ms capped at 0.2 s.
HEARTBEAT_S = 0.05
STALE_AFTER_S = 0.4
REST_TIMEOUT_S = 0.5


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Bounded polling on the loop (the session and the exchange run meanwhile); fails after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@dataclass
class Rig:
    """The exchange, the session under test, and what the session reported."""

    server: ExchangeServer
    session: TradingSession
    maker_account: int
    statuses: list[StatusEntry]
    states: list[ConnectionState]
    task: asyncio.Task | None = None

    @property
    def account(self) -> int:
        return self.server.demo_account_id

    # -- driving ---------------------------------------------------------------------------------------------
    def ticket(self, side: Side, price: str, amount: str = "0.01", symbol: str = "btcusd") -> TicketInput:
        return TicketInput(symbol=symbol, side=side, order_type=OrderType.LIMIT, price=price, amount=amount)

    async def place(self, side: Side, price: str, amount: str = "0.01") -> Order | None:
        return await self.session.submit(self.session.prepare(self.ticket(side, price, amount)))

    def maker_order(self, side: str, price: str, amount: str, symbol: str = "btcusd") -> dict:
        """Place an order from another account (the other side of a trade), straight into the engine."""
        return self.server.engine.place_order(self.maker_account, MAKER_KEY, symbol=symbol, side=side,
                                              order_type="exchange limit", amount=amount, price=price)

    def elsewhere_order(self, side: str, price: str, amount: str, symbol: str = "btcusd") -> dict:
        """Place an order on the session's account from another session (the web UI)."""
        return self.server.engine.place_order(self.account, "UI", symbol=symbol, side=side,
                                              order_type="exchange limit", amount=amount, price=price)

    # -- waiting ---------------------------------------------------------------------------------------------
    async def live(self, timeout: float = 5.0) -> None:
        await wait_until(lambda: self.session.connection is ConnectionState.LIVE, timeout, "the stream to be live")

    async def settled(self, timeout: float = 8.0) -> None:
        """Wait until the stream is live, nothing is being retried, and the blotter equals the exchange."""
        await wait_until(lambda: self.session.connection is ConnectionState.LIVE and not self.session.settling
                         and not self.mismatches(), timeout, f"the blotter to settle: {self.mismatches()}")

    # -- truth -----------------------------------------------------------------------------------------------
    def exchange_order(self, order_id: str) -> dict:
        return self.server.engine.order_status(self.account, order_id=int(order_id))

    def exchange_open_ids(self) -> set[str]:
        return {o["order_id"] for o in self.server.engine.active_orders(self.account)}

    def placements(self, client_order_id: str) -> int:
        """How many orders the exchange holds with this client order id (the engine's own index)."""
        return len(self.server.engine._by_client_id.get((self.account, client_order_id), []))

    def mismatches(self) -> list[str]:
        """Every difference between the console's blotter and the exchange (empty = they agree)."""
        problems: list[str] = []
        blotter = self.session.blotter
        console_open = {o.order_id for o in blotter.open_orders() if o.order_id}
        if any(not o.order_id for o in blotter.open_orders()):
            problems.append("orders without an order id still open: "
                            + ", ".join(f"{o.client_order_id}={o.state}" for o in blotter.open_orders()
                                        if not o.order_id))
        venue_open = self.exchange_open_ids()
        if console_open != venue_open:
            problems.append(f"open orders differ: console {sorted(console_open)} exchange {sorted(venue_open)}")
        for order in blotter.orders():
            if not order.order_id:
                continue
            venue = self.exchange_order(order.order_id)
            if Decimal(venue["executed_amount"]) != order.filled:
                problems.append(f"{order.order_id}: filled {order.filled} vs {venue['executed_amount']}")
            if Decimal(venue["original_amount"]) != order.amount:
                problems.append(f"{order.order_id}: amount {order.amount} vs {venue['original_amount']}")
            venue_state = ("cancelled" if venue["is_cancelled"] else "live" if venue["is_live"] else "filled")
            mine = {"cancelled": "cancelled", "filled": "filled"}.get(order.state.value, "live")
            if mine != venue_state:
                problems.append(f"{order.order_id}: state {order.state} vs {venue_state}")
        return problems


def make_session(server: ExchangeServer, *, secret: str = DEMO_API_SECRET, key: str = DEMO_API_KEY,
                 nonce: NonceSource | None = None, seed: int = 1, tag: str = "rel",
                 stale_after_s: float = STALE_AFTER_S, rest_timeout_s: float = REST_TIMEOUT_S,
                 api: str = "rest", replay_window_ms: int | None = None) -> TradingSession:
    """A session on the exchange over ``api``: ``rest`` (the given key) or ``ws`` (Gemini's WebSocket API with the
    time-based demo key; ``replay_window_ms`` scales its 30 s window down for fast tests)."""
    venue: GeminiVenue | GeminiWsVenue
    if api == "ws":
        ws_credentials = Credentials(api_key=DEMO_WS_API_KEY, api_secret=SecretStr(DEMO_WS_API_SECRET))
        rest = GeminiRestClient(server.rest_url, ws_credentials, nonce=TimeNonceSource(),
                                timeout=httpx.Timeout(rest_timeout_s, connect=5.0))
        venue = GeminiWsVenue(rest, server.ws_api_url, ws_credentials, request_timeout_s=rest_timeout_s,
                              open_timeout_s=2.0, keepalive_s=stale_after_s / 3,
                              replay_window_ms=30_000 if replay_window_ms is None else replay_window_ms)
        return TradingSession(venue, symbols=("btcusd",), client_order_ids=ClientOrderIds(tag),
                              stale_after_s=stale_after_s, reconnect_initial_s=0.02, reconnect_cap_s=0.2,
                              retry_initial_s=0.03, retry_cap_s=0.2, seed=seed)
    credentials = Credentials(api_key=key, api_secret=SecretStr(secret))
    nonce = nonce or NonceSource()
    venue = GeminiVenue(
        GeminiRestClient(server.rest_url, credentials, nonce=nonce,
                         timeout=httpx.Timeout(rest_timeout_s, connect=5.0)),
        OrderEventsClient(server.ws_url, credentials, nonce=nonce, open_timeout=2.0),
        api_key=key,
    )
    return TradingSession(
        venue,
        symbols=("btcusd",),
        client_order_ids=ClientOrderIds(tag),
        stale_after_s=stale_after_s,
        reconnect_initial_s=0.02,
        reconnect_cap_s=0.2,
        retry_initial_s=0.03,
        retry_cap_s=0.2,
        seed=seed,
    )


@contextlib.asynccontextmanager
async def rig(*, start_stream: bool = True, session_kwargs: dict | None = None,
              server_kwargs: dict | None = None) -> AsyncIterator[Rig]:
    """A started exchange (simulator off) with a maker account, and a session whose stream is running."""
    # No opening trades: the scenarios trade far from the seeded mids, where an opening trade would be the price
    # band's reference (engine CHOICES 9, 24).
    server_kwargs = {"heartbeat_interval_s": HEARTBEAT_S, "opening_trades": False, **(server_kwargs or {})}
    server = ExchangeServer(port=0, simulator=False, **server_kwargs)
    maker = server.engine.add_account("maker", MAKER_BALANCES)
    server.add_api_key(MAKER_KEY, MAKER_SECRET, account_id=maker)
    await server.start()
    session = make_session(server, **(session_kwargs or {}))
    statuses: list[StatusEntry] = []
    states: list[ConnectionState] = []
    session.listener.status = statuses.append
    session.listener.connection_changed = lambda state, detail: states.append(state)
    the_rig = Rig(server, session, maker, statuses, states)
    try:
        async with session_running(the_rig, start_stream=start_stream):
            yield the_rig
    finally:
        await server.stop()


class _RunningRig(Protocol):
    session: TradingSession
    task: asyncio.Task[None] | None

    async def live(self, timeout: float = 5.0) -> None: ...


@contextlib.asynccontextmanager
async def session_running(the_rig: _RunningRig, *, start_stream: bool) -> AsyncIterator[None]:
    """A rig's session with its symbols loaded and, with ``start_stream``, its order-events stream running and
    live; on the way out the stream task is stopped and the session closed (the venue is the caller's)."""
    session = the_rig.session
    try:
        await session.load_symbols()
        if start_stream:
            the_rig.task = asyncio.get_running_loop().create_task(session.run_order_events())
            await the_rig.live()
        yield
    finally:
        if the_rig.task is not None:
            the_rig.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await the_rig.task
        await session.close()
