"""The local Roxom venue and a trading session on it in one asyncio loop, tuned for fast fault tests: the Roxom
counterpart of :mod:`tests.support.reliability` (the reliability property test, tests/reliability).

The session talks to :class:`~console.exchange.roxom.app.RoxomServer` over real loopback sockets through
:class:`~console.venues.roxom.venue.RoxomVenue`; faults are armed on the venue's
:class:`~console.exchange.roxom.faults.RoxomFaults`. The exchange's truth is read from its engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx

from console.domain.model import OrderState, OrderType, Side
from console.domain.ticket import ClientOrderIds, TicketInput
from console.exchange.roxom.app import RoxomServer
from console.exchange.roxom.engine import Order as VenueOrder
from console.exchange.roxom.engine import OrderRequest
from console.trading.session import ConnectionState, StatusEntry, TradingSession
from console.venues.roxom.auth import RoxomSigner, load_private_key
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.venue import RoxomVenue
from console.venues.roxom.ws import RoxomWsClient
from tests.support.reliability import session_running, wait_until

FIXTURE_KEY = Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "test_private_key.pem"
SYMBOL = "gold-btc"
WIRE_SYMBOL = "GOLD-BTC"
MAKER_BALANCE_BTC = Decimal(1000)

#: Fast settings: the watchdog at 0.4 s with a ping every 0.1 s (a pong is the stream's heartbeat), a REST timeout of
#: 0.3 s, reconnect and retry back-off from 20-30 ms capped at 0.2 s.
STALE_AFTER_S = 0.4
REST_TIMEOUT_S = 0.3
PING_INTERVAL_S = 0.1

#: The venue's status of a closed order → the console's terminal state (open statuses count as "live").
_CLOSED = {"filled": "filled", "cancelled": "cancelled", "partiallyfilledcancelled": "cancelled",
           "expired": "cancelled", "inactive": "cancelled", "rejected": "rejected"}
_MINE = {OrderState.FILLED: "filled", OrderState.CANCELLED: "cancelled", OrderState.REJECTED: "rejected"}


@dataclass
class RoxomRig:
    """The local Roxom venue, the session under test and the other side's account."""

    server: RoxomServer
    session: TradingSession
    maker_account: int
    statuses: list[StatusEntry]
    task: asyncio.Task[None] | None = None

    @property
    def account(self) -> int:
        return self.server.demo_account_id

    # -- driving -----------------------------------------------------------------------------------------------------
    def ticket(self, side: Side, price: str, amount: str = "1.00", symbol: str = SYMBOL) -> TicketInput:
        return TicketInput(symbol=symbol, side=side, order_type=OrderType.LIMIT, price=price, amount=amount)

    def maker_ioc(self, side: str, qty: str, px: str) -> VenueOrder:
        """The maker account's immediate-or-cancel limit order, straight into the engine (no bands checked)."""
        request = OrderRequest(symbol=WIRE_SYMBOL, side=side, order_type="limit", qty=Decimal(qty), px=Decimal(px),
                               time_in_force="ioc")
        return self.server.engine.place(self.maker_account, request)

    # -- waiting -----------------------------------------------------------------------------------------------------
    async def live(self, timeout: float = 5.0) -> None:
        await wait_until(lambda: self.session.connection is ConnectionState.LIVE, timeout, "the stream to be live")

    async def settled(self, timeout: float = 8.0) -> None:
        """Wait until the stream is live, nothing is being retried, and the blotter equals the venue."""
        await wait_until(lambda: self.session.connection is ConnectionState.LIVE and not self.session.settling
                         and not self.mismatches(), timeout, f"the blotter to settle: {self.mismatches()}")

    # -- truth -------------------------------------------------------------------------------------------------------
    def venue_orders(self) -> dict[str, VenueOrder]:
        """Every order of the session's account the venue holds, open or closed, by order id."""
        return {o.id: o for o in self.server.engine.orders(self.account, include_closed=True)}

    def placements(self, client_order_id: str) -> int:
        """How many orders the venue holds with this client order id."""
        return sum(o.request.client_order_id == client_order_id for o in self.venue_orders().values())

    def mismatches(self) -> list[str]:
        """Every difference between the console's blotter and the venue (empty = they agree)."""
        problems: list[str] = []
        blotter = self.session.blotter
        if any(not o.order_id for o in blotter.open_orders()):
            problems.append("orders without an order id still open: "
                            + ", ".join(f"{o.client_order_id}={o.state}" for o in blotter.open_orders()
                                        if not o.order_id))
        console_open = {o.order_id for o in blotter.open_orders() if o.order_id}
        venue_open = {o.id for o in self.server.engine.orders(self.account)}
        if console_open != venue_open:
            problems.append(f"open orders differ: console {sorted(console_open)} venue {sorted(venue_open)}")
        venue = self.venue_orders()
        for order in blotter.orders():
            if not order.order_id:
                continue
            truth = venue.get(order.order_id)
            if truth is None:
                problems.append(f"{order.order_id}: not at the venue")
                continue
            if truth.executed != order.filled:
                problems.append(f"{order.order_id}: filled {order.filled} vs {truth.executed}")
            if truth.request.qty != order.amount or truth.request.px != order.price:
                problems.append(f"{order.order_id}: {order.amount} at {order.price} vs "
                                f"{truth.request.qty} at {truth.request.px}")
            if truth.request.client_order_id != order.client_order_id:
                problems.append(f"{order.order_id}: client order id {order.client_order_id} vs "
                                f"{truth.request.client_order_id}")
            venue_state = _CLOSED.get(truth.status, "live")
            mine = _MINE.get(order.state, "live")
            if mine != venue_state:
                problems.append(f"{order.order_id}: state {order.state} vs {truth.status}")
        return problems


def make_roxom_session(server: RoxomServer, *, tag: str = "rox", seed: int = 1, stale_after_s: float = STALE_AFTER_S,
                       rest_timeout_s: float = REST_TIMEOUT_S, ping_interval_s: float = PING_INTERVAL_S,
                       cancel_confirm_s: float | None = None) -> TradingSession:
    """A session on the venue's demo key (the fixture key), with fast back-off; ``cancel_confirm_s`` scales down
    how long an answered-but-pending cancel waits for the stream before the order is asked by id."""
    signer = RoxomSigner(server.api_key, load_private_key(server.private_key_path))
    # A short read timeout makes the faults' lost answers quick; connecting gets 5 s (a loaded machine is no fault).
    timeout = httpx.Timeout(rest_timeout_s, connect=5.0)
    venue = RoxomVenue(RoxomRestClient(server.rest_url, signer, timeout_s=timeout),
                       RoxomWsClient(server.ws_url, signer, ping_interval_s=ping_interval_s, open_timeout_s=2.0),
                       api_key=server.api_key)
    session = TradingSession(venue, symbols=(SYMBOL,), client_order_ids=ClientOrderIds(tag),
                             stale_after_s=stale_after_s, reconnect_initial_s=0.02, reconnect_cap_s=0.2,
                             retry_initial_s=0.03, retry_cap_s=0.2, seed=seed)
    if cancel_confirm_s is not None:
        session.cancel_confirm_s = cancel_confirm_s
    return session


@contextlib.asynccontextmanager
async def roxom_rig(*, session_kwargs: dict | None = None, server_kwargs: dict | None = None,
                    start_stream: bool = True) -> AsyncIterator[RoxomRig]:
    """A started local Roxom venue (simulator off, the fixture key as its demo key, a maker account) and a session
    on it whose stream is running."""
    with tempfile.TemporaryDirectory(prefix="roxom-rig-") as state:
        shutil.copyfile(FIXTURE_KEY, Path(state) / "demo-private-key.pem")  # no RSA key generation per example
        (Path(state) / "demo-private-key.pem").chmod(0o600)
        server = RoxomServer(port=0, simulator=False, state_dir=Path(state), **(server_kwargs or {}))
        maker = server.engine.add_account("maker", MAKER_BALANCE_BTC)
        await server.start()
        session = make_roxom_session(server, **(session_kwargs or {}))
        the_rig = RoxomRig(server, session, maker, [])
        session.listener.status = the_rig.statuses.append
        try:
            async with session_running(the_rig, start_stream=start_stream):
                yield the_rig
        finally:
            await server.stop()
