"""The trading session drives any ``Venue``: an in-memory venue (no Gemini anywhere) gets the same guarantees.

Each failure is classified by the error's own properties (``outcome_unknown``, ``halts_trading``), so a venue's
errors need only derive from ``console.domain.errors``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal

import pytest

from console.domain import errors as neutral
from console.domain.model import (
    CancelResult,
    EventKind,
    Fill,
    Liquidity,
    Order,
    OrderEvent,
    OrderState,
    OrderType,
    Side,
    StreamAck,
    StreamEvents,
    StreamGap,
    StreamMessage,
    SymbolRules,
)
from console.domain.ticket import ClientOrderIds, NewOrder, TicketInput
from console.trading.session import ConnectionState, StatusEntry, TradingSession
from console.trading.venue import OrderEventStream, Venue
from tests.support.reliability import wait_until

RULES = SymbolRules("xyzusd", "XYZ", "USD", Decimal("0.01"), Decimal("0.01"), Decimal("0.01"))


class MemoryStream:
    """One connection: yields what the test queues; ``abort``/``close`` end it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[StreamMessage | None] = asyncio.Queue()
        self.aborted = False

    async def recv(self) -> StreamMessage:
        message = await self.queue.get()
        if message is None:
            raise neutral.StreamClosed(1000, "bye")
        return message

    def abort(self) -> None:
        self.aborted = True
        self.queue.put_nowait(None)

    async def close(self) -> None:
        self.queue.put_nowait(None)


class MemoryVenue:
    """A venue whose answers the test decides: ``place_error`` / ``status_answer`` / the open orders."""

    name = "Memory"
    api_session = "session-1"

    def __init__(self) -> None:
        self.on_rate_limited: Callable[[str, float], None] | None = None
        self.orders: dict[str, Order] = {}
        self.place_error: neutral.VenueError | None = None
        self.status_answer: Order | None = None
        self.status_calls = 0
        self.streams: list[MemoryStream] = []

    def live(self, order: NewOrder, order_id: str) -> Order:
        return Order(order_id, order.client_order_id, order.symbol, order.side, order.order_type, order.price,
                     order.amount, remaining=order.amount, state=OrderState.LIVE, api_session=self.api_session)

    async def symbol_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        return {RULES.symbol: RULES}

    async def place(self, order: NewOrder) -> Order:
        if self.place_error is not None:
            raise self.place_error
        placed = self.orders[str(len(self.orders) + 1)] = self.live(order, str(len(self.orders) + 1))
        return placed

    async def cancel(self, order_id: str) -> Order:
        order = self.orders.pop(order_id)
        return order.evolve(state=OrderState.CANCELLED, remaining=Decimal(0))

    async def cancel_session(self) -> CancelResult:
        return CancelResult(tuple(self.orders))

    async def cancel_all(self) -> CancelResult:
        return CancelResult(tuple(self.orders))

    async def order_status(self, *, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        self.status_calls += 1
        if self.status_answer is None:
            raise neutral.OrderNotFound("NotFound", "no such order")
        return self.status_answer

    async def open_orders(self) -> list[Order]:
        return list(self.orders.values())

    async def fills_since(self, since_ms: int) -> list[Fill]:
        return []

    async def connect_order_events(self) -> OrderEventStream:
        stream = MemoryStream()
        self.streams.append(stream)
        stream.queue.put_nowait(StreamAck())
        return stream

    async def heartbeat(self) -> None:
        return None

    async def close(self) -> None:
        return None


Running = tuple["MemoryVenue", TradingSession, list[StatusEntry]]


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    venue = MemoryVenue()
    typed: Venue = venue  # only the protocol's members are used by the session
    session = TradingSession(typed, symbols=["xyzusd"], client_order_ids=ClientOrderIds("mem"), stale_after_s=5.0,
                             reconnect_initial_s=0.01, reconnect_cap_s=0.02, retry_initial_s=0.01, retry_cap_s=0.02,
                             seed=1)
    statuses: list[StatusEntry] = []
    session.listener.status = statuses.append
    await session.load_symbols()
    task = asyncio.create_task(session.run_order_events())
    await wait_until(lambda: session.connection is ConnectionState.LIVE, what="live")
    yield venue, session, statuses
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await session.close()


def state_of(session: TradingSession, *, client_order_id: str = "", order_id: str = "") -> OrderState | None:
    order = session.blotter.by_client_order_id(client_order_id) if client_order_id else session.blotter.get(order_id)
    return order.state if order is not None else None


def ticket(session: TradingSession) -> NewOrder:
    return session.prepare(TicketInput("xyzusd", Side.BUY, OrderType.LIMIT, "10.00", "1.00"))


async def test_a_placed_order_is_recorded_from_the_venue_answer(running: Running) -> None:
    venue, session, _ = running
    order = await session.submit(ticket(session))
    assert order is not None and order.state is OrderState.LIVE and order.order_id == "1"
    assert session.session_order_count() == 1  # the venue's api_session marks it as this session's


async def test_a_lost_answer_leaves_the_order_unknown_until_its_status_settles_it(running: Running) -> None:
    venue, session, statuses = running
    venue.place_error = neutral.TransportError("connection reset")
    new = ticket(session)
    answer = await session.submit(new)
    assert answer is not None and answer.state is OrderState.UNKNOWN
    assert any(s.code == "Unknown" and "TransportError" in s.text for s in statuses)
    venue.status_answer = venue.live(new, "77")
    await wait_until(lambda: state_of(session, client_order_id=new.client_order_id) is OrderState.LIVE)
    assert session.blotter.get("77") is not None


async def test_a_venue_that_never_got_the_order_makes_it_not_received(running: Running) -> None:
    venue, session, statuses = running
    venue.place_error = neutral.TransportError("timeout")
    new = ticket(session)
    await session.submit(new)
    await wait_until(lambda: state_of(session, client_order_id=new.client_order_id) is OrderState.REJECTED)
    assert any(s.code == "NotReceived" for s in statuses)


async def test_a_refused_key_halts_trading(running: Running) -> None:
    venue, session, _ = running
    venue.place_error = neutral.AuthenticationFailed("KeyRevoked", "the key was revoked")
    rejected = await session.submit(ticket(session))
    assert rejected is not None and rejected.state is OrderState.REJECTED and rejected.reason == "KeyRevoked"
    assert session.connection is ConnectionState.HALTED and session.halt_reason == "KeyRevoked"


async def test_a_plain_refusal_rejects_the_order_and_trading_goes_on(running: Running) -> None:
    venue, session, _ = running
    venue.place_error = neutral.VenueRefused("PriceBand", "outside the price band")
    rejected = await session.submit(ticket(session))
    assert rejected is not None and rejected.state is OrderState.REJECTED
    assert session.connection is ConnectionState.LIVE


async def test_stream_events_reach_the_blotter_and_a_gap_reconnects_and_reconciles(running: Running) -> None:
    venue, session, _ = running
    placed = await session.submit(ticket(session))
    assert placed is not None
    filled = placed.evolve(state=OrderState.FILLED, filled=placed.amount, remaining=Decimal(0),
                           avg_price=placed.price)
    fill = Fill("t1", placed.order_id, placed.price, placed.amount, Decimal("0.01"), "USD", Liquidity.MAKER, 1)
    venue.orders.pop(placed.order_id)
    venue.streams[-1].queue.put_nowait(StreamEvents([OrderEvent(EventKind.FILL, filled, "e1", fill)], None))
    await wait_until(lambda: state_of(session, order_id=placed.order_id) is OrderState.FILLED)
    reconciles = session.reconcile_count
    venue.streams[-1].queue.put_nowait(StreamGap(expected=3, received=5))
    await wait_until(lambda: session.reconcile_count > reconciles, what="a reconnect")
    assert venue.streams[0].aborted and len(venue.streams) == 2
    assert session.connection is ConnectionState.LIVE
