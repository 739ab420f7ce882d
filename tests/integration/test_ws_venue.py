"""``GeminiWsVenue`` (the new WebSocket API as the console's venue) over real loopback sockets to the local exchange.

https://docs.gemini.com/websocket/introduction: order entry over one socket, ``orders@account`` driving a trading
session's blotter, order status and reconciliation over REST, error codes mapped onto the domain's error tree.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from console.domain.errors import OrderNotFound, VenueError
from console.domain.model import OrderState, OrderType, Side
from console.domain.ticket import ClientOrderIds, NewOrder, TicketInput
from console.exchange.faults import FaultKind
from console.exchange.keys import DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.exchange.server.app import ExchangeServer
from console.trading.session import ConnectionState, StatusEntry, TradingSession
from console.venues.gemini.auth import TimeNonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import AuthenticationError, InsufficientFunds, ServerError
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.ws_venue import GeminiWsVenue, NotConnected, WsRateLimited
from tests.integration.conftest import MAKER_API_KEY, WAIT_S

CREDENTIALS = Credentials(DEMO_WS_API_KEY, SecretStr(DEMO_WS_API_SECRET))


def make_venue(exchange: ExchangeServer, clock: list[int], *, request_timeout_s: float = WAIT_S,
               credentials: Credentials = CREDENTIALS, **kwargs: Any) -> GeminiWsVenue:
    """A venue on the exchange: the time-based demo key, nonces from the test's server clock."""
    rest = GeminiRestClient(exchange.rest_url, credentials, nonce=TimeNonceSource(lambda: clock[0]),
                            timeout=httpx.Timeout(request_timeout_s, connect=5.0))
    return GeminiWsVenue(rest, exchange.ws_api_url, credentials, request_timeout_s=request_timeout_s,
                         clock_s=lambda: clock[0] / 1000, **kwargs)


@pytest.fixture
async def venue(exchange: ExchangeServer, clock: list[int]) -> AsyncIterator[GeminiWsVenue]:
    the_venue = make_venue(exchange, clock)
    yield the_venue
    await the_venue.close()


def new_order(cid: str, side: Side = Side.BUY, price: str = "1000.00", amount: str = "0.01") -> NewOrder:
    return NewOrder(symbol="btcusd", side=side, order_type=OrderType.LIMIT, price=Decimal(price),
                    amount=Decimal(amount), client_order_id=cid)


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def placements(exchange: ExchangeServer, cid: str) -> int:
    """How many orders the exchange holds with this client order id (the engine's own index)."""
    return len(exchange.engine._by_client_id.get((exchange.demo_account_id, cid), []))


# -- the venue alone ---------------------------------------------------------------------------------------------


async def test_place_cancel_and_cancel_all_go_over_the_socket(venue: GeminiWsVenue, exchange: ExchangeServer) -> None:
    stream = await venue.connect_order_events()
    assert venue.connected
    placed = await venue.place(new_order("ws-place-1"))
    assert placed.state is OrderState.LIVE and placed.client_order_id == "ws-place-1"
    assert placed.api_session == DEMO_WS_API_KEY and placed.amount == Decimal("0.01")
    second = await venue.place(new_order("ws-place-2", price="1001.00"))
    arrived = [path for path, _ in exchange.faults.arrivals]
    assert arrived.count("/ws:order.place") == 2 and "/v1/order/new" not in arrived

    cancelled = await venue.cancel(placed.order_id)
    assert cancelled.state is OrderState.CANCELLED
    assert "/ws:order.cancel" in [path for path, _ in exchange.faults.arrivals]
    result = await venue.cancel_all()
    assert result.cancelled == (second.order_id,)
    assert exchange.engine.active_orders(exchange.demo_account_id) == []
    with pytest.raises(OrderNotFound):
        await venue.cancel("999999999")
    await stream.close()


async def test_order_events_come_from_orders_at_account(venue: GeminiWsVenue, exchange: ExchangeServer,
                                                       maker: Any) -> None:
    stream = await venue.connect_order_events()
    assert type(await stream.recv()).__name__ == "StreamAck"
    placed = await venue.place(new_order("ws-ev-1", price="1000.00", amount="0.02"))
    # Another session of the account (the web UI) is on the stream too, not marked as this session's.
    elsewhere = exchange.engine.place_order(exchange.demo_account_id, "UI", symbol="btcusd", side="buy",
                                            order_type="exchange limit", amount="0.01", price="900.00")
    await maker.ok("/v1/order/new", symbol="btcusd", amount="0.005", price="1000.00", side="sell",
                   type="exchange limit")
    await venue.cancel(placed.order_id)
    events: list[Any] = []
    async with asyncio.timeout(WAIT_S):
        while not any(e.kind.value == "cancelled" for e in events):
            events.extend(getattr(await stream.recv(), "events", []))
    mine = [(e.kind.value, e.order.state) for e in events if e.order.order_id == placed.order_id]
    # A fill update gives the fill, then the order's state after it (as the archived stream's fill, then booked or
    # closed): the state still comes through when the trade was already recorded during a reconciliation.
    assert mine == [("accepted", OrderState.ACCEPTED), ("booked", OrderState.LIVE),
                    ("fill", OrderState.PARTIALLY_FILLED), ("booked", OrderState.PARTIALLY_FILLED),
                    ("cancelled", OrderState.CANCELLED)]
    fill = next(e for e in events if e.fill is not None)
    assert fill.order.filled == Decimal("0.005") and fill.order.amount == Decimal("0.02")
    assert fill.fill.amount == Decimal("0.005") and fill.fill.price == Decimal("1000.00")
    # The stream names no fee or liquidity: they are the exchange's, read from /v1/mytrades by trade id.
    trade = exchange.engine.my_trades(exchange.demo_account_id)[0]
    assert fill.fill.fee == Decimal(trade["fee_amount"]) > 0 and fill.fill.liquidity.value == "maker"
    assert fill.order.api_session == DEMO_WS_API_KEY
    # The cancel's update names neither price nor quantity: they come from what the venue knew.
    assert events[-1].order.amount == Decimal("0.02") and events[-1].order.filled == Decimal("0.005")
    seen = {e.order.order_id: e for e in events}
    assert seen[str(elsewhere["order_id"])].order.api_session is None
    await stream.close()


async def test_balances_at_account_reach_the_listener_and_a_reconnect_asks_for_a_fresh_read(
        venue: GeminiWsVenue, exchange: ExchangeServer) -> None:
    """``balances@account`` rides the order socket: each ``balanceUpdate`` reaches the listener as upper-case
    currency → available; after a reconnect the listener is told None (pushes during the gap were lost)."""
    pushed: list[dict[str, Decimal] | None] = []
    venue.balances_listener = lambda available: pushed.append(None if available is None else dict(available))
    stream = await venue.connect_order_events()
    assert type(await stream.recv()).__name__ == "StreamAck"
    assert pushed == []  # the first connection: the views read the balances themselves
    exchange.engine.place_order(exchange.demo_account_id, "UI", symbol="btcusd", side="buy",
                                order_type="exchange limit", amount="0.01", price="900.00")
    usd = next(Decimal(b["available"]) for b in exchange.engine.balances(exchange.demo_account_id)
               if b["currency"] == "USD")
    async with asyncio.timeout(WAIT_S):
        while not pushed:
            await stream.recv()
    assert pushed == [{"USD": usd}]  # only the asset that changed
    await venue.connect_order_events()  # a reconnect
    assert pushed[-1] is None
    await venue.close()


async def test_error_codes_map_onto_the_domain_tree(venue: GeminiWsVenue, exchange: ExchangeServer) -> None:
    with pytest.raises(NotConnected) as not_connected:
        await venue.place(new_order("ws-err-0"))
    assert not not_connected.value.outcome_unknown and not_connected.value.retry_safe
    await venue.connect_order_events()

    with pytest.raises(InsufficientFunds) as rejected:  # -2010
        await venue.place(new_order("ws-err-1", price="60000.00", amount="500"))
    assert rejected.value.reason == "InsufficientFunds"
    assert not rejected.value.outcome_unknown and not rejected.value.halts_trading

    exchange.faults.arm(FaultKind.HTTP_429, path="/ws:order.place", count=1)  # -1003
    with pytest.raises(WsRateLimited) as limited:
        await venue.place(new_order("ws-err-2"))
    assert not limited.value.outcome_unknown and limited.value.retry_safe
    assert placements(exchange, "ws-err-2") == 0

    exchange.faults.arm(FaultKind.HTTP_ERROR, path="/ws:order.place", count=1)  # -1000
    with pytest.raises(ServerError) as internal:
        await venue.place(new_order("ws-err-3"))
    assert internal.value.outcome_unknown and not internal.value.retry_safe


async def test_a_refused_handshake_halts_trading(exchange: ExchangeServer, clock: list[int]) -> None:
    wrong = Credentials(DEMO_WS_API_KEY, SecretStr("not-the-secret"))
    the_venue = make_venue(exchange, clock, credentials=wrong)
    try:
        with pytest.raises(AuthenticationError) as refused:
            await the_venue.connect_order_events()
        assert refused.value.halts_trading
    finally:
        await the_venue.close()


async def test_lost_place_answer_is_unknown_and_never_resent(venue: GeminiWsVenue, exchange: ExchangeServer,
                                                             clock: list[int]) -> None:
    short = make_venue(exchange, clock, request_timeout_s=0.3)
    try:
        await short.connect_order_events()
        exchange.faults.arm(FaultKind.DROP_RESPONSE, path="/ws:order.place", count=1)
        with pytest.raises(VenueError) as lost:
            await short.place(new_order("ws-lost-1"))
        assert lost.value.outcome_unknown
        assert placements(exchange, "ws-lost-1") == 1
        settled = await short.order_status(client_order_id="ws-lost-1")
        assert settled.state is OrderState.LIVE
    finally:
        await short.close()


# -- a trading session on the venue ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def ws_session(exchange: ExchangeServer, clock: list[int], **venue_kwargs: Any
                     ) -> AsyncIterator[tuple[TradingSession, list[StatusEntry]]]:
    """A trading session on a ``GeminiWsVenue``, its stream running and LIVE."""
    session = TradingSession(make_venue(exchange, clock, **venue_kwargs), symbols=("btcusd",),
                             client_order_ids=ClientOrderIds("wsv"), stale_after_s=2.0, reconnect_initial_s=0.02,
                             reconnect_cap_s=0.2, retry_initial_s=0.03, retry_cap_s=0.2, seed=1)
    statuses: list[StatusEntry] = []
    session.listener.status = statuses.append
    await session.load_symbols()
    task = asyncio.get_running_loop().create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, "the stream to be live")
        yield session, statuses
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await session.close()


def ticket(price: str = "1000.00", amount: str = "0.01", side: Side = Side.BUY) -> TicketInput:
    return TicketInput(symbol="btcusd", side=side, order_type=OrderType.LIMIT, price=price, amount=amount)


async def test_the_stream_drives_the_sessions_blotter(exchange: ExchangeServer, clock: list[int],
                                                      maker: Any) -> None:
    async with ws_session(exchange, clock) as (session, statuses):
        order = await session.submit(session.prepare(ticket(amount="0.02")))
        assert order is not None and order.state is OrderState.LIVE
        # A fill the session did not ask for reaches the blotter through orders@account only.
        await maker.ok("/v1/order/new", symbol="btcusd", amount="0.005", price="1000.00", side="sell",
                       type="exchange limit")
        await wait_until(lambda: (o := session.blotter.get(order.order_id)) is not None
                         and o.filled == Decimal("0.005"), "the fill from the stream")
        row = session.blotter.get(order.order_id)
        assert row is not None and row.state is OrderState.PARTIALLY_FILLED and len(row.fills) == 1
        assert any(s.code == "Fill" for s in statuses)
        # An order of another session appears too (all sessions' orders are on orders@account).
        other = exchange.engine.place_order(exchange.demo_account_id, MAKER_API_KEY, symbol="btcusd", side="buy",
                                            order_type="exchange limit", amount="0.01", price="800.00")
        await wait_until(lambda: session.blotter.get(str(other["order_id"])) is not None, "the other order")
        await session.cancel(order.order_id)
        await wait_until(lambda: (o := session.blotter.get(order.order_id)) is not None
                         and o.state is OrderState.CANCELLED, "the cancel")
        assert await session.cancel_all() >= 1
        await wait_until(lambda: not [o for o in session.blotter.open_orders() if o.order_id],
                         "every order cancelled")


async def test_a_lost_place_answer_is_settled_without_a_duplicate(exchange: ExchangeServer,
                                                                  clock: list[int]) -> None:
    async with ws_session(exchange, clock, request_timeout_s=0.4) as (session, statuses):
        exchange.faults.arm(FaultKind.DROP_RESPONSE, path="/ws:order.place", count=1)
        prepared = session.prepare(ticket())
        await session.submit(prepared)
        await wait_until(lambda: (o := session.blotter.by_client_order_id(prepared.client_order_id)) is not None
                         and o.state is OrderState.LIVE and not session.settling, "the order settled LIVE")
        assert placements(exchange, prepared.client_order_id) == 1
        assert [p for p, _ in exchange.faults.arrivals].count("/ws:order.place") == 1
        assert not any(s.code == "NotReceived" for s in statuses)


async def test_the_session_reconnects_and_reconciles_after_the_socket_drops(exchange: ExchangeServer,
                                                                            clock: list[int]) -> None:
    async with ws_session(exchange, clock) as (session, statuses):
        order = await session.submit(session.prepare(ticket()))
        assert order is not None
        count = session.reconcile_count
        # While the socket is down an order placed elsewhere is cancelled: reconciliation over REST finds it.
        await exchange.ws_api.drop_all()
        exchange.engine.cancel_order(exchange.demo_account_id, int(order.order_id), "UI")
        await wait_until(lambda: session.reconcile_count > count and session.connection is ConnectionState.LIVE,
                         "a reconnect and reconciliation")
        row = session.blotter.get(order.order_id)
        assert row is not None and row.state is OrderState.CANCELLED
        assert any(s.code == "Reconciled" for s in statuses)


def test_every_reason_the_venue_can_produce_has_a_plain_text() -> None:
    from console.domain.reasons import CANCEL_REASONS, REJECT_REASONS
    from console.venues.gemini.ws_api import WsApiError
    from console.venues.gemini.ws_venue import venue_error

    for code, status in ((-1000, 500), (-1002, 401), (-1003, 429), (-1013, 400), (-1020, 400), (-2010, 400)):
        reason = venue_error(WsApiError(code, status, "no reason word here")).reason
        assert reason in REJECT_REASONS or reason in CANCEL_REASONS, (code, reason)  # not the generic fallback
    assert NotConnected().reason in REJECT_REASONS


async def test_cancel_on_disconnect_cancels_this_sessions_orders_when_the_socket_drops(
        exchange: ExchangeServer, clock: list[int]) -> None:
    async with ws_session(exchange, clock, cancel_on_disconnect=True) as (session, statuses):
        mine = await session.submit(session.prepare(ticket()))
        assert mine is not None and mine.state is OrderState.LIVE
        other = exchange.engine.place_order(exchange.demo_account_id, "UI", symbol="btcusd", side="buy",
                                            order_type="exchange limit", amount="0.01", price="900.00")
        count = session.reconcile_count
        await exchange.ws_api.drop_all()  # the link dies: the exchange cancels what this socket placed
        await wait_until(lambda: session.reconcile_count > count and session.connection is ConnectionState.LIVE,
                         "a reconnect and reconciliation")
        assert exchange.engine.order_status(exchange.demo_account_id, order_id=int(mine.order_id))["is_cancelled"]
        assert exchange.engine.order_status(exchange.demo_account_id, order_id=other["order_id"])["is_live"]
        row = session.blotter.get(mine.order_id)
        assert row is not None and row.state is OrderState.CANCELLED
        other_row = session.blotter.get(str(other["order_id"]))
        assert other_row is not None and other_row.state is OrderState.LIVE


async def test_a_fill_whose_trade_was_recorded_during_reconciliation_still_ends_the_order(
        venue: GeminiWsVenue, exchange: ExchangeServer) -> None:
    # Found by the property test over ws: the fill happened during a reconnect, /v1/mytrades recorded its trade,
    # then the FILLED update arrived; the blotter applies a trade once, so the fill event alone was a duplicate
    # and the order stayed LIVE. The update's state comes as an event of its own.
    from console.domain.blotter import Blotter
    from console.domain.model import Fill, Liquidity
    from console.venues.gemini.models.ws_api import OrderUpdate

    await venue.connect_order_events()
    placed = await venue.place(new_order("ws-race-1"))
    blotter = Blotter()
    blotter.apply_snapshot(placed, 1)
    blotter.record_fill(Fill(trade_id="555", order_id=placed.order_id, price=Decimal("1000.00"),
                             amount=Decimal("0.01"), fee=Decimal("0"), fee_currency="USD",
                             liquidity=Liquidity.MAKER), 2)
    update = OrderUpdate.model_validate({"E": 3_000_000, "s": "BTCUSD", "i": int(placed.order_id), "c": "ws-race-1",
                                         "S": "BUY", "o": "LIMIT", "X": "FILLED", "p": "1000.00", "q": "0.01",
                                         "z": "0", "Z": "0.01", "L": "1000.00", "t": 555, "T": 3_000_000})
    blotter.apply_many(await venue.events_from_update(update), 3)
    order = blotter.get(placed.order_id)
    assert order is not None and order.state is OrderState.FILLED and order.filled == Decimal("0.01")
