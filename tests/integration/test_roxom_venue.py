"""RoxomVenue over real loopback sockets against the local Roxom venue: place, cancel, cancel-all, cancel-session,
order status by id and by client order id, PENDING_CANCEL then a fill then cancelled through the stream, a refused
cancel of an ended order, the transaction log's fills, and a trading session that reconnects and reconciles."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from console.domain.model import (
    Order,
    OrderState,
    OrderType,
    Side,
    StreamAck,
    StreamEvents,
    StreamMessage,
)
from console.domain.ticket import ClientOrderIds, NewOrder, TicketInput
from console.exchange.roxom.app import RoxomServer
from console.trading.session import ConnectionState, TradingSession
from console.venues.roxom import errors
from console.venues.roxom.auth import RoxomSigner, load_private_key
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.venue import RoxomOrderEvents, RoxomVenue
from console.venues.roxom.ws import RoxomWsClient
from tests.support.reliability import wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
WAIT_S = 5.0
GOLD = "gold-btc"


@functools.cache
def _maker_key() -> rsa.RSAPrivateKey:
    return load_private_key((FIXTURES / "test_private_key.pem").read_bytes())


@dataclass
class Rig:
    server: RoxomServer
    venue: RoxomVenue
    maker: RoxomRestClient


def build_venue(server: RoxomServer, *, ping_interval_s: float = 4.0) -> RoxomVenue:
    signer = RoxomSigner(server.api_key, load_private_key(server.private_key_path))
    return RoxomVenue(RoxomRestClient(server.rest_url, signer),
                      RoxomWsClient(server.ws_url, signer, ping_interval_s=ping_interval_s), api_key=server.api_key)


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roxom-venue-state")


@pytest.fixture
async def rig(state_dir: Path) -> AsyncIterator[Rig]:
    server = RoxomServer(port=0, simulator=False, state_dir=state_dir, cancel_latency_s=0.05)
    await server.start()
    entry = server.add_key(_maker_key().public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, _maker_key()))
    venue = build_venue(server)
    try:
        yield Rig(server, venue, maker)
    finally:
        await venue.close()
        await maker.close()
        await server.stop()


def new_order(cid: str, *, side: Side = Side.BUY, price: str = "0.025000", amount: str = "1.00") -> NewOrder:
    return NewOrder(GOLD, side, OrderType.LIMIT, Decimal(price), Decimal(amount), cid)


async def next_event(stream: RoxomOrderEvents, order_id: str, state: OrderState) -> tuple[list[Order], Order]:
    """Read the stream until ``order_id`` reaches ``state``; the states seen on the way and that order."""
    seen: list[Order] = []

    async def loop() -> Order:
        while True:
            message: StreamMessage = await stream.recv()
            if isinstance(message, StreamEvents):
                assert message.sequence is None
                for event in message.events:
                    if event.order.order_id == order_id:
                        seen.append(event.order)
                        if event.order.state is state:
                            return event.order

    found = await asyncio.wait_for(loop(), WAIT_S)
    return seen, found


async def open_stream(venue: RoxomVenue) -> RoxomOrderEvents:
    stream = await venue.connect_order_events()
    assert isinstance(await asyncio.wait_for(stream.recv(), WAIT_S), StreamAck)
    return stream


async def test_place_stream_status_and_cancel(rig: Rig) -> None:
    stream = await open_stream(rig.venue)
    placed = await rig.venue.place(new_order("tc-a-1"))
    assert placed.state is OrderState.ACCEPTED and len(placed.order_id) == 36 and placed.order_id[14] == "7"
    _, live = await next_event(stream, placed.order_id, OrderState.LIVE)
    assert (live.price, live.amount, live.client_order_id, live.api_session) == (
        Decimal("0.025000"), Decimal("1.00"), "tc-a-1", rig.server.api_key)
    by_cid = await rig.venue.order_status(client_order_id="tc-a-1")
    assert by_cid.order_id == placed.order_id and by_cid.state is OrderState.LIVE
    assert [o.order_id for o in await rig.venue.open_orders()] == [placed.order_id]
    cancelling = await rig.venue.cancel(placed.order_id)
    assert cancelling.state is OrderState.PENDING_CANCEL and cancelling.price == Decimal("0.025000")
    seen, cancelled = await next_event(stream, placed.order_id, OrderState.CANCELLED)
    assert OrderState.PENDING_CANCEL in [o.state for o in seen]
    # The brief cancelled update lost nothing: merged into the known order.
    assert (cancelled.side, cancelled.price, cancelled.client_order_id, cancelled.reason) == (
        Side.BUY, Decimal("0.025000"), "tc-a-1", "usercancel")
    # Cancelling it again is no error: the order comes back as it is.
    again = await rig.venue.cancel(placed.order_id)
    assert again.state is OrderState.CANCELLED
    with pytest.raises(errors.OrderNotFound):
        await rig.venue.order_status(client_order_id="tc-never-sent")
    with pytest.raises(errors.OrderNotFound):
        await rig.venue.cancel("01900000-0000-7000-8000-000000000000")
    await stream.close()


async def test_pending_cancel_then_a_fill_then_cancelled_through_the_stream(rig: Rig) -> None:
    rig.server.cancel_latency_s = 1.0
    stream = await open_stream(rig.venue)
    placed = await rig.venue.place(new_order("tc-b-1"))
    await next_event(stream, placed.order_id, OrderState.LIVE)
    assert (await rig.venue.cancel(placed.order_id)).state is OrderState.PENDING_CANCEL
    await next_event(stream, placed.order_id, OrderState.PENDING_CANCEL)
    await rig.maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("0.40"),
                                px=Decimal("0.025000"))
    seen, ended = await next_event(stream, placed.order_id, OrderState.CANCELLED)
    fills = [o for o in seen if o.filled == Decimal("0.40") and o.state is OrderState.PENDING_CANCEL]
    assert fills, [(o.state, o.filled) for o in seen]  # the fill arrived while the cancel was pending
    assert ended.filled == Decimal("0.40") and ended.open_amount == 0 and ended.price == Decimal("0.025000")
    known = rig.venue.known(placed.order_id)
    assert known is not None and [f.amount for f in known.fills] == [Decimal("0.40")]
    log_fills = await rig.venue.fills_since(0)
    assert [f.trade_id for f in log_fills if f.order_id == placed.order_id] == [known.fills[0].trade_id]
    await stream.close()


async def test_cancel_all_and_cancel_session(rig: Rig) -> None:
    mine = [await rig.venue.place(new_order(f"tc-c-{i}", price=f"0.02400{i}")) for i in range(2)]
    theirs = await rig.maker.place_order(symbol="GOLD-BTC", side="buy", order_type="limit", qty=Decimal(1),
                                         px=Decimal("0.024500"))
    result = await rig.venue.cancel_session()
    assert sorted(result.cancelled) == sorted(o.order_id for o in mine) and result.rejected == ()
    maker_order = (await rig.maker.order(theirs)).order
    assert maker_order.status == "submitted"  # the other key's order was left alone
    again = await rig.venue.place(new_order("tc-c-9"))
    everything = await rig.venue.cancel_all()
    assert everything.cancelled == (again.order_id,)  # cancel-all is per account: the maker is another account


async def test_a_refused_key_is_an_authentication_error_that_halts(rig: Rig, tmp_path: Path) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = RoxomSigner(rig.server.api_key, other)
    venue = RoxomVenue(RoxomRestClient(rig.server.rest_url, signer), RoxomWsClient(rig.server.ws_url, signer),
                       api_key=rig.server.api_key)
    with pytest.raises(errors.AuthenticationError) as place:
        await venue.place(new_order("tc-d-1"))
    assert place.value.halts_trading
    with pytest.raises(errors.AuthenticationError):
        await venue.connect_order_events()
    await venue.close()


async def test_validation_errors_are_refusals_not_unknowns(rig: Rig) -> None:
    with pytest.raises(errors.ValidationError) as tick:
        await rig.venue.place(new_order("tc-e-1", price="0.0250005"))
    assert not tick.value.outcome_unknown and "price" in tick.value.reason.lower()


async def test_an_ambiguous_place_is_settled_by_client_order_id_never_resent(rig: Rig) -> None:
    rig.server.faults.arm("drop-response", path="/api/v1/orders")
    with pytest.raises(errors.TransportError) as lost:
        await rig.venue.place(new_order("tc-f-1"))
    assert lost.value.outcome_unknown
    settled = await rig.venue.order_status(client_order_id="tc-f-1")
    assert settled.state is OrderState.LIVE and settled.api_session == rig.server.api_key
    assert len(await rig.venue.open_orders()) == 1


async def test_the_session_reconnects_and_reconciles_over_roxom(rig: Rig) -> None:
    rig.server.cancel_latency_s = 0.05
    session = TradingSession(rig.venue, symbols=[GOLD], client_order_ids=ClientOrderIds("rox1"), stale_after_s=3.0,
                             reconnect_initial_s=0.05, reconnect_cap_s=0.1, retry_initial_s=0.05, retry_cap_s=0.1,
                             seed=1)
    await session.load_symbols()
    task = asyncio.create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, what="live")
        ticket = session.prepare(TicketInput(GOLD, Side.BUY, OrderType.LIMIT, "0.025000", "1.00"))
        placed = await session.submit(ticket)
        assert placed is not None and placed.order_id
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.LIVE, what="live from the stream")
        reconciles = session.reconcile_count
        # The stream goes silent; meanwhile the order half-fills: the watchdog reconnects and the REST reconcile
        # finds the fill.
        rig.server.faults.arm("stall-stream")
        await rig.maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("0.50"),
                                    px=Decimal("0.025000"))
        await wait_until(lambda: session.connection is not ConnectionState.LIVE, timeout=8.0, what="stale")
        rig.server.faults.clear()
        await wait_until(lambda: session.reconcile_count > reconciles and session.connection is ConnectionState.LIVE,
                         timeout=8.0, what="reconciled")
        order = session.blotter.get(placed.order_id)
        assert order is not None and order.state is OrderState.PARTIALLY_FILLED and order.filled == Decimal("0.50")
        assert not session.blotter.flagged
        # Cancel through the session: pending cancel, then cancelled from the stream.
        await session.cancel(placed.order_id)
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.CANCELLED, what="cancelled")
        ended = session.blotter.get(placed.order_id)
        assert ended is not None and ended.filled == Decimal("0.50") and ended.price == Decimal("0.025000")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await session.close()


async def test_the_market_feed_keeps_the_book_and_trades_live(rig: Rig) -> None:
    from console.domain.book import OrderBook, Trade
    from console.domain.feed import FeedListener, FeedState
    from console.venues.roxom.market_venue import RoxomMarketFeed

    states: list[FeedState] = []
    trades: list[Trade] = []
    book = OrderBook(GOLD)
    listener = FeedListener(state_changed=lambda state, detail: states.append(state), trades_added=trades.extend)
    feed = RoxomMarketFeed(RoxomWsClient(rig.server.ws_url, None))
    task = asyncio.create_task(feed.run(GOLD, book, listener))
    try:
        await wait_until(lambda: FeedState.LIVE in states, what="live")
        await rig.maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal(2),
                                    px=Decimal("0.025300"))
        await wait_until(lambda: book.best_ask == Decimal("0.025300"), what="the ask level")
        await rig.venue.place(new_order("tc-g-1", price="0.025300", amount="0.50"))
        await wait_until(lambda: bool(trades), what="the trade")
        assert (trades[0].price, trades[0].amount, trades[0].taker_side) == (Decimal("0.025300"), Decimal("0.50"),
                                                                             Side.BUY)
        assert book.trades == trades and book.last == Decimal("0.025300")
        await wait_until(lambda: book.amount_at(Side.SELL, Decimal("0.025300")) == Decimal("1.50"), what="delta")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_observers_hear_requests_answers_errors_and_stream_updates(rig: Rig) -> None:
    heard: list[tuple[str, str, dict[str, object]]] = []
    rig.venue.rest.observers.append(lambda direction, path, data: heard.append((direction, path, data)))
    stream = await open_stream(rig.venue)
    placed = await rig.venue.place(new_order("tc-h-1"))
    await next_event(stream, placed.order_id, OrderState.LIVE)
    with pytest.raises(errors.OrderNotFound):
        await rig.venue.order_status(order_id="01900000-0000-7000-8000-000000000000")
    kinds = [(direction, path) for direction, path, _ in heard]
    assert ("request", "/api/v1/orders") in kinds and ("response", "/api/v1/orders") in kinds
    assert ("event", "/ws:orders") in kinds and kinds[-1][0] == "error"
    request = next(data for direction, path, data in heard if direction == "request" and path == "/api/v1/orders")
    assert request["body"] == {"symbol": "GOLD-BTC", "instType": "perpetual", "side": "buy", "orderType": "limit",
                               "qty": "1.00", "timeInForce": "gtc", "unit": "btc", "px": "0.025000",
                               "clientOrderId": "tc-h-1"}
    assert all("X-API-Signature" not in str(data) for _, _, data in heard)
    await stream.close()


async def test_a_lost_cancel_answer_is_settled_by_the_order_by_id_never_resent(rig: Rig) -> None:
    """The venue takes the cancel and the answer is lost (accept-then-drop-response); the stream is silent too. The
    session asks the order by id: ``pendingcancel`` means the cancel arrived (no second cancel is sent), and the
    next ask finds it ``cancelled``: the order by id alone settles it."""
    rig.server.cancel_latency_s = 0.3
    session = TradingSession(rig.venue, symbols=[GOLD], client_order_ids=ClientOrderIds("rox2"), stale_after_s=30.0,
                             retry_initial_s=0.1, retry_cap_s=0.2, seed=1)
    heard: list[tuple[str, str]] = []
    rig.venue.rest.observers.append(lambda direction, path, data: heard.append((direction, path)))
    await session.load_symbols()
    task = asyncio.create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, what="live")
        placed = await session.submit(session.prepare(TicketInput(GOLD, Side.BUY, OrderType.LIMIT, "0.025000",
                                                                  "1.00")))
        assert placed is not None
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.LIVE, what="live from the stream")
        cancel_path = f"/api/v1/orders/{placed.order_id}/cancel"
        rig.server.faults.arm("drop-response", path=cancel_path)
        rig.server.faults.arm("stall-stream")  # the stream will not say cancelled: only the order by id can
        await session.cancel(placed.order_id)
        order = session.blotter.get(placed.order_id)
        assert order is not None and order.state is OrderState.PENDING_CANCEL
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.CANCELLED, timeout=8.0, what="cancelled, from the order by id")
        by_id = f"/api/v1/orders/{placed.order_id}"
        assert ("request", by_id) in heard  # the venue was asked
        assert [p for d, p in heard if d == "request" and p == cancel_path] == [cancel_path]  # never re-sent
    finally:
        rig.server.faults.clear()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await session.close()


async def test_a_pending_cancel_the_stream_never_confirms_is_verified_by_id(rig: Rig) -> None:
    """The venue answers the cancel (``pendingcancel``) but the stream stays silent: after ``cancel_confirm_s`` the
    session asks the order by id and applies ``cancelled``."""
    rig.server.cancel_latency_s = 0.2
    session = TradingSession(rig.venue, symbols=[GOLD], client_order_ids=ClientOrderIds("rox3"), stale_after_s=30.0,
                             retry_initial_s=0.1, retry_cap_s=0.2, seed=1)
    session.cancel_confirm_s = 0.3
    await session.load_symbols()
    task = asyncio.create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, what="live")
        placed = await session.submit(session.prepare(TicketInput(GOLD, Side.BUY, OrderType.LIMIT, "0.025000",
                                                                  "1.00")))
        assert placed is not None
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.LIVE, what="live from the stream")
        rig.server.faults.arm("stall-stream")
        await session.cancel(placed.order_id)
        order = session.blotter.get(placed.order_id)
        assert order is not None and order.state is OrderState.PENDING_CANCEL
        await wait_until(lambda: (o := session.blotter.get(placed.order_id)) is not None
                         and o.state is OrderState.CANCELLED, timeout=8.0, what="cancelled, from the order by id")
    finally:
        rig.server.faults.clear()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await session.close()


async def test_the_venue_s_positions_over_rest_and_the_pushed_position_messages(rig: Rig) -> None:
    """After a fill the venue's position (REST ``/api/v1/positions``) has its entry, mark and liquidation prices and
    unrealised P&L at the tick; the orders connection also hears the pushed ``position`` message."""
    from console.domain.positions import VenuePosition
    from console.venues.roxom.account_venue import RoxomAccountVenue

    account = RoxomAccountVenue(rig.venue)
    heard: list[VenuePosition] = []
    account.listen_positions(heard.append)
    assert await account.venue_positions([GOLD]) == []  # flat
    stream = await open_stream(rig.venue)
    await rig.maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("2.00"),
                                px=Decimal("0.025000"))
    placed = await rig.venue.place(new_order("tc-p-1", price="0.025000", amount="1.00"))
    await next_event(stream, placed.order_id, OrderState.FILLED)

    async def read_on() -> None:  # the position message may come after the order's update
        while True:
            await stream.recv()

    reader = asyncio.create_task(read_on())
    try:
        await wait_until(lambda: bool(heard), what="the pushed position")
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    pushed = heard[-1]
    assert (pushed.symbol, pushed.net, str(pushed.entry_price)) == (GOLD, Decimal("1.00"), "0.025000")
    [held] = await account.venue_positions([GOLD, "oil-btc"])
    assert held.net == Decimal("1.00") and str(held.entry_price) == "0.025000"
    assert str(held.liquidation_price) == "0.022500"  # the local venue's choice: entry × (1 − 10% margin)
    assert held.mark_price is not None and held.unrealised == (held.mark_price - held.entry_price) * held.net
    assert held.quote_currency == "BTC" and held.leverage == Decimal(10)
    await stream.close()
