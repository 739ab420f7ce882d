"""Our Gemini client (``GeminiRestClient`` + ``OrderEventsClient``) against a real local exchange on loopback.

Every test starts its own ``ExchangeServer`` (simulator off, port 0) in the test's event loop. Liquidity comes from a
separate "seed" account that places orders straight into the engine, so every fill is deterministic. Each key's REST
and order events clients share one ``NonceSource``. Every receive is bounded by ``asyncio.wait_for``; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import re
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from console.domain.model import EventKind, ExecOption, Liquidity, OrderState, OrderType, Side
from console.exchange.keys import (
    AUDITOR,
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
)
from console.exchange.server.app import ExchangeServer
from console.exchange.symbols import DEFAULT_SYMBOLS
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.convert import event_from_wire, order_from_status
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import (
    AuthenticationError,
    InsufficientFunds,
    NonceError,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
)
from console.venues.gemini.order_events import (
    BadFrame,
    HeartbeatMessage,
    OrderEventBatch,
    OrderEventsClient,
    OrderEventsConnection,
    SequenceGap,
    StreamMessage,
    SubscriptionAck,
)
from console.venues.gemini.rest import GeminiRestClient

# Bounded waits only (seconds).
WAIT_S = 5.0

# The account that provides the other side of trades: orders placed directly in the engine, session "UI".
SEED_KEY = "account-ClientTestSeedKey0001"
SEED_SECRET = "client-test-seed-secret-0001"
SEED_BALANCES = {"USD": "10000000", "BTC": "1000", "ETH": "10000"}

# A second Trader key on the demo account (cancel_session scope).
SECOND_KEY = "account-ClientTestSecondKey01"
SECOND_SECRET = "client-test-second-secret-01"

WRONG_SECRET = "client-test-WRONG-secret-value-0001"
ALL_SECRETS = (DEMO_API_SECRET, DEMO_AUDITOR_API_SECRET, SEED_SECRET, SECOND_SECRET, WRONG_SECRET)
# An X-GEMINI-SIGNATURE value: HMAC-SHA384 as 96 hex characters (secret-derived, must never leak either).
SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{96}")


# -- fixtures and helpers ---------------------------------------------------------------------------------------------


@dataclass
class Venue:
    """A started exchange plus the seed account that trades against the client under test."""

    server: ExchangeServer
    seed_id: int

    def seed(self, side: str, amount: str, price: str, symbol: str = "btcusd") -> dict[str, Any]:
        """Place a plain limit order for the seed account straight into the engine; return its order object."""
        return self.server.engine.place_order(
            self.seed_id,
            "UI",
            symbol=symbol,
            side=side,
            order_type="exchange limit",
            amount=amount,
            price=price,
        )


@dataclass
class KeySession:
    """One API key as the console uses it: credentials, one nonce source, one REST client, events clients."""

    venue: Venue
    credentials: Credentials
    nonce: NonceSource
    rest: GeminiRestClient

    def events(self, **kwargs: Any) -> OrderEventsClient:
        return OrderEventsClient(self.venue.server.ws_url, self.credentials, nonce=self.nonce, **kwargs)


@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    server = ExchangeServer(port=0, simulator=False, heartbeat_interval_s=0.2)
    seed_id = server.engine.add_account("seed", SEED_BALANCES)
    server.add_api_key(SEED_KEY, SEED_SECRET, account_id=seed_id)
    server.add_api_key(SECOND_KEY, SECOND_SECRET)  # Trader on the demo account
    await server.start()
    try:
        yield Venue(server, seed_id)
    finally:
        await server.stop()


def _credentials(key: str, secret: str) -> Credentials:
    return Credentials(api_key=key, api_secret=SecretStr(secret))


@pytest.fixture
async def sessions(venue: Venue) -> AsyncIterator[dict[str, KeySession]]:
    """``trader`` (demo Trader key), ``second`` (another Trader key, same account), ``seed`` (the seed account)."""
    made: dict[str, KeySession] = {}
    for name, key, secret in (
        ("trader", DEMO_API_KEY, DEMO_API_SECRET),
        ("second", SECOND_KEY, SECOND_SECRET),
        ("seed", SEED_KEY, SEED_SECRET),
    ):
        credentials = _credentials(key, secret)
        nonce = NonceSource()
        rest = GeminiRestClient(venue.server.rest_url, credentials, nonce=nonce)
        made[name] = KeySession(venue, credentials, nonce, rest)
    try:
        yield made
    finally:
        for session in made.values():
            await session.rest.close()


@pytest.fixture
def trader(sessions: dict[str, KeySession]) -> KeySession:
    return sessions["trader"]


@pytest.fixture
def second(sessions: dict[str, KeySession]) -> KeySession:
    return sessions["second"]


@pytest.fixture
def seed_session(sessions: dict[str, KeySession]) -> KeySession:
    return sessions["seed"]


async def buy(session: KeySession, amount: str, price: str, **kwargs: Any):
    return await session.rest.new_order(
        symbol="btcusd", side=Side.BUY, amount=Decimal(amount), price=Decimal(price), **kwargs
    )


async def sell(session: KeySession, amount: str, price: str, **kwargs: Any):
    return await session.rest.new_order(
        symbol="btcusd", side=Side.SELL, amount=Decimal(amount), price=Decimal(price), **kwargs
    )


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    """No secret (nor anything shaped like a request signature) in the error's text, repr, args, chain or traceback."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *(repr(arg) for arg in current.args)]
        current = current.__cause__ or current.__context__
    texts.append("".join(traceback.format_exception(exc)))
    for text in texts:
        for secret in secrets or ALL_SECRETS:
            assert secret not in text
        assert not SIGNATURE_RE.search(text), text


class Stream:
    """Reads an ``OrderEventsConnection`` with bounded waits, checking ``socket_sequence`` on every message.

    Heartbeats are collected (and counted) on the way; a ``SequenceGap`` or ``BadFrame`` fails the test at once.
    """

    def __init__(self, conn: OrderEventsConnection) -> None:
        self.conn = conn
        self.expected = 0
        self.heartbeats: list[HeartbeatMessage] = []

    async def item(self) -> StreamMessage:
        item = await asyncio.wait_for(self.conn.recv(), WAIT_S)
        assert not isinstance(item, SequenceGap | BadFrame), item
        return item

    async def ack(self) -> SubscriptionAck:
        first = await self.item()
        assert isinstance(first, SubscriptionAck), first
        return first

    async def heartbeat(self) -> HeartbeatMessage:
        item = await self.item()
        assert isinstance(item, HeartbeatMessage), item
        assert item.socket_sequence == self.expected
        self.expected += 1
        self.heartbeats.append(item)
        return item

    async def batch(self) -> OrderEventBatch:
        """The next order events array (heartbeats before it are checked and skipped)."""
        while True:
            item = await self.item()
            if isinstance(item, HeartbeatMessage):
                assert item.socket_sequence == self.expected
                self.expected += 1
                self.heartbeats.append(item)
                continue
            assert isinstance(item, OrderEventBatch), item
            assert item.socket_sequence == self.expected
            assert {event.socket_sequence for event in item.events} == {self.expected}
            self.expected += 1
            assert self.conn.expected_sequence == self.expected
            return item


def kinds(batch: OrderEventBatch) -> list[str]:
    return [event.type for event in batch.events]


def converted(batch: OrderEventBatch) -> list[tuple[EventKind, OrderState]]:
    out = []
    for event in batch.events:
        domain = event_from_wire(event, batch.socket_sequence)
        assert domain is not None
        assert domain.sequence == batch.socket_sequence
        assert domain.order.order_id == event.order_id
        out.append((domain.kind, domain.order.state))
    return out


# -- new_order and its options ----------------------------------------------------------------------------------------


async def test_new_order_plain_limit_rests(trader: KeySession) -> None:
    order = await buy(trader, "0.5", "64000", client_order_id="plain-1")
    assert order.type == "exchange limit" and order.side == "buy" and order.symbol == "btcusd"
    assert order.price == Decimal("64000.00") and isinstance(order.price, Decimal)
    assert (order.original_amount, order.executed_amount, order.remaining_amount) == (
        Decimal("0.5"),
        Decimal("0"),
        Decimal("0.5"),
    )
    assert (order.is_live, order.is_cancelled, order.is_hidden) == (True, False, False)
    assert order.client_order_id == "plain-1" and order.options == [] and order.reason is None
    domain = order_from_status(order)
    assert domain.state is OrderState.LIVE and domain.order_type is OrderType.LIMIT and domain.side is Side.BUY


async def test_new_order_maker_or_cancel_that_would_take_is_cancelled(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "1", "64000.00")
    order = await buy(trader, "0.5", "64000.00", options=[ExecOption.MAKER_OR_CANCEL])
    assert order.is_cancelled is True and order.is_live is False
    assert order.reason == "MakerOrCancelWouldTake"
    assert order.executed_amount == 0 and order.options == ["maker-or-cancel"]
    assert order_from_status(order).state is OrderState.CANCELLED
    # Nothing traded: the seed's ask is untouched and nothing was held.
    assert venue.server.engine.book("btcusd")["asks"][0]["amount"] == "1"
    usd = {b.currency: b for b in await trader.rest.balances()}["USD"]
    assert usd.available == usd.amount == Decimal("500000")


async def test_new_order_maker_or_cancel_that_would_not_take_rests(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "1", "64000.00")
    order = await buy(trader, "0.5", "63999.99", options=[ExecOption.MAKER_OR_CANCEL])
    assert (order.is_live, order.is_cancelled, order.options) == (True, False, ["maker-or-cancel"])


async def test_new_order_immediate_or_cancel_fills_partly(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "0.3", "64000.00")
    order = await buy(trader, "0.5", "64000.00", options=[ExecOption.IMMEDIATE_OR_CANCEL])
    assert (order.executed_amount, order.remaining_amount) == (Decimal("0.3"), Decimal("0.2"))
    assert order.avg_execution_price == Decimal("64000")
    assert order.is_cancelled is True and order.is_live is False
    assert order.reason == "ImmediateOrCancelWouldPost"
    assert order.options == ["immediate-or-cancel"]
    assert order_from_status(order).state is OrderState.CANCELLED
    assert venue.server.engine.book("btcusd")["asks"] == []


async def test_new_order_fill_or_kill_that_cannot_fill_is_killed(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "0.3", "64000.00")
    order = await buy(trader, "0.5", "64000.00", options=[ExecOption.FILL_OR_KILL])
    assert order.is_cancelled is True and order.executed_amount == 0
    assert order.reason == "FillOrKillWouldNotFill"
    assert venue.server.engine.book("btcusd")["asks"][0]["amount"] == "0.3"  # nothing was taken
    assert await trader.rest.my_trades() == []


async def test_new_order_stop_limit_waits_hidden(venue: Venue, trader: KeySession) -> None:
    order = await trader.rest.new_order(
        symbol="btcusd",
        side=Side.BUY,
        amount=Decimal("0.1"),
        price=Decimal("65100"),
        order_type=OrderType.STOP_LIMIT,
        stop_price=Decimal("65000"),
    )
    assert order.type == "stop-limit"  # as Gemini answers; the request sent "exchange stop limit"
    assert order.stop_price == Decimal("65000.00") and isinstance(order.stop_price, Decimal)
    assert order.price == Decimal("65100.00")
    assert (order.is_live, order.is_hidden, order.is_cancelled) == (True, True, False)
    domain = order_from_status(order)
    assert domain.order_type is OrderType.STOP_LIMIT and domain.state is OrderState.WAITING_TRIGGER
    assert venue.server.engine.book("btcusd")["bids"] == []  # untriggered stops are not on the book
    [active] = await trader.rest.active_orders()
    assert active.order_id == order.order_id and active.is_hidden is True


# -- cancels ---------------------------------------------------------------------------------------------------------


async def test_cancel_order_reason_requested(trader: KeySession) -> None:
    order = await sell(trader, "1", "70000")
    cancelled = await trader.rest.cancel_order(order.order_id)
    assert cancelled.order_id == order.order_id
    assert (cancelled.is_cancelled, cancelled.is_live, cancelled.reason) == (True, False, "Requested")
    assert order_from_status(cancelled).state is OrderState.CANCELLED
    assert await trader.rest.active_orders() == []
    again = await trader.rest.cancel_order(int(order.order_id))  # already cancelled: same status, no error
    assert (again.is_cancelled, again.reason) == (True, "Requested")


async def test_cancel_all_cancels_every_session_of_the_account(
    venue: Venue, trader: KeySession, second: KeySession
) -> None:
    a = await buy(trader, "0.01", "50000")
    b = await sell(trader, "0.01", "70000")
    c = await buy(second, "0.01", "49000")
    venue.seed("buy", "0.01", "48000.00")  # another account: untouched
    result = await trader.rest.cancel_all()
    assert result.result == "ok"
    assert result.details.cancelledOrders == [int(a.order_id), int(b.order_id), int(c.order_id)]
    assert result.details.cancelRejects == []
    assert await trader.rest.active_orders() == []
    assert venue.server.engine.open_order_count(venue.seed_id) == 1
    status = await second.rest.order_status(order_id=c.order_id)
    assert (status.is_cancelled, status.reason) == (True, "Requested")


async def test_cancel_session_only_cancels_this_keys_orders(trader: KeySession, second: KeySession) -> None:
    a = await buy(trader, "0.01", "50000")
    b = await buy(trader, "0.01", "50001")
    c = await buy(second, "0.01", "50002")
    result = await trader.rest.cancel_session()
    assert result.result == "ok"
    assert result.details.cancelledOrders == [int(a.order_id), int(b.order_id)]
    assert [o.order_id for o in await second.rest.active_orders()] == [c.order_id]
    assert (await second.rest.cancel_session()).details.cancelledOrders == [int(c.order_id)]
    assert (await trader.rest.cancel_session()).details.cancelledOrders == []


# -- order status, active orders, balances, heartbeat, trades ---------------------------------------------------------


async def test_order_status_by_order_id_and_client_order_id_with_trades(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "0.5", "64000.00")
    placed = await buy(trader, "0.2", "64000.00", client_order_id="status-1")
    assert placed.is_live is False and placed.executed_amount == Decimal("0.2")

    by_id = await trader.rest.order_status(order_id=placed.order_id)
    assert by_id.order_id == placed.order_id and by_id.client_order_id == "status-1"
    assert by_id.trades is None  # include_trades false
    assert (by_id.executed_amount, by_id.remaining_amount, by_id.is_live) == (Decimal("0.2"), Decimal("0"), False)
    assert order_from_status(by_id).state is OrderState.FILLED

    by_coid = await trader.rest.order_status(client_order_id="status-1", include_trades=True)
    assert by_coid.order_id == placed.order_id
    assert by_coid.trades is not None and len(by_coid.trades) == 1
    [trade] = by_coid.trades
    assert (trade.price, trade.amount, trade.type, trade.aggressor) == (Decimal("64000"), Decimal("0.2"), "Buy", True)
    assert (trade.fee_amount, trade.fee_currency) == (Decimal("44.8"), "USD")  # 35 bps taker fee on 12 800 USD
    assert trade.order_id == placed.order_id and trade.client_order_id == "status-1"
    domain = order_from_status(by_coid)
    assert [(f.amount, f.liquidity) for f in domain.fills] == [(Decimal("0.2"), Liquidity.TAKER)]


async def test_active_orders_lists_live_orders_oldest_first(venue: Venue, trader: KeySession) -> None:
    venue.seed("sell", "0.1", "64000.00")
    first = await buy(trader, "0.01", "50000", client_order_id="act-1")
    await buy(trader, "0.1", "64000")  # fills at once: not active
    third = await sell(trader, "0.02", "70000")
    active = await trader.rest.active_orders()
    assert [o.order_id for o in active] == [first.order_id, third.order_id]
    assert [(o.side, o.price, o.remaining_amount) for o in active] == [
        ("buy", Decimal("50000.00"), Decimal("0.01")),
        ("sell", Decimal("70000.00"), Decimal("0.02")),
    ]
    assert active[0].client_order_id == "act-1"


async def test_balances_show_funds_held_by_live_orders(trader: KeySession) -> None:
    before = {b.currency: b for b in await trader.rest.balances()}
    assert before["USD"].amount == before["USD"].available == Decimal("500000")
    await buy(trader, "0.1", "50000")  # holds 0.1 x 50000 x 1.0035 = 5017.5 USD
    await sell(trader, "1", "70000")  # holds 1 BTC
    balances = {b.currency: b for b in await trader.rest.balances()}
    usd, btc = balances["USD"], balances["BTC"]
    assert all(isinstance(v, Decimal) for b in (usd, btc) for v in (b.amount, b.available, b.availableForWithdrawal))
    assert usd.amount == Decimal("500000") and usd.available == Decimal("494982.5")
    assert usd.available < usd.amount
    assert btc.amount == Decimal("10") and btc.available == Decimal("9")
    assert balances["ETH"].available == balances["ETH"].amount == Decimal("200")


async def test_heartbeat(trader: KeySession) -> None:
    response = await trader.rest.heartbeat()
    assert response.result == "ok"


async def test_my_trades_newest_first(venue: Venue, trader: KeySession) -> None:
    assert await trader.rest.my_trades() == []
    venue.seed("sell", "0.3", "64000.00")
    venue.seed("buy", "0.1", "63990.00")
    bought = await buy(trader, "0.2", "64000")
    sold = await sell(trader, "0.1", "63990")
    trades = await trader.rest.my_trades(symbol="btcusd")
    assert [(t.order_id, t.type, t.price, t.amount, t.aggressor) for t in trades] == [
        (sold.order_id, "Sell", Decimal("63990"), Decimal("0.1"), True),
        (bought.order_id, "Buy", Decimal("64000"), Decimal("0.2"), True),
    ]
    assert trades[0].tid > trades[1].tid
    assert all(t.symbol == "BTCUSD" and t.fee_currency == "USD" for t in trades)
    assert trades[1].fee_amount == Decimal("44.8")
    assert await trader.rest.my_trades(symbol="ethusd") == []
    assert len(await trader.rest.my_trades(limit_trades=1)) == 1


# -- public market data -----------------------------------------------------------------------------------------------


async def test_symbols_and_symbol_details(trader: KeySession) -> None:
    assert await trader.rest.symbols() == list(DEFAULT_SYMBOLS)
    details = await trader.rest.symbol_details("btcusd")
    assert details.symbol == "BTCUSD" and (details.base_currency, details.quote_currency) == ("BTC", "USD")
    # The JSON number 1e-08 arrives as exactly Decimal("1E-8"), not a binary float's expansion.
    assert isinstance(details.tick_size, Decimal)
    assert details.tick_size.as_tuple() == Decimal("1E-8").as_tuple()
    assert repr(details.tick_size) == "Decimal('1E-8')"
    assert details.quote_increment.as_tuple() == Decimal("0.01").as_tuple()
    assert details.min_order_size == Decimal("0.00001") and details.status == "open"
    sol = await trader.rest.symbol_details("solusd")
    assert (sol.tick_size, sol.quote_increment) == (Decimal("0.000001"), Decimal("0.001"))


async def test_pubticker(venue: Venue, trader: KeySession) -> None:
    venue.seed("buy", "0.5", "63900.00")
    venue.seed("sell", "0.5", "64100.00")
    venue.seed("sell", "0.1", "64050.00")
    await buy(trader, "0.1", "64050")
    ticker = await trader.rest.pubticker("btcusd")
    assert (ticker.bid, ticker.ask, ticker.last) == (Decimal("63900"), Decimal("64100"), Decimal("64050"))
    assert isinstance(ticker.last, Decimal)
    # The opening trade (0.00001 at the seeded mid 64250.00, engine CHOICES 24) counts in the 24 h volume too.
    assert ticker.volume["BTC"] == Decimal("0.10001") and ticker.volume["USD"] == Decimal("6405.6425")


async def test_book_levels_are_decimals_bids_descending(venue: Venue, trader: KeySession) -> None:
    for price, amount in (("63800.00", "1"), ("63950.00", "0.1"), ("63900.00", "0.2"), ("63900.00", "0.3")):
        venue.seed("buy", amount, price)
    venue.seed("sell", "2", "64200.00")
    venue.seed("sell", "0.7", "64100.00")
    book = await trader.rest.book("btcusd")
    assert [(level.price, level.amount) for level in book.bids] == [
        (Decimal("63950"), Decimal("0.1")),
        (Decimal("63900"), Decimal("0.5")),
        (Decimal("63800"), Decimal("1")),
    ]
    assert [(level.price, level.amount) for level in book.asks] == [
        (Decimal("64100"), Decimal("0.7")),
        (Decimal("64200"), Decimal("2")),
    ]
    assert all(isinstance(v, Decimal) for level in book.bids + book.asks for v in (level.price, level.amount))
    prices = [level.price for level in book.bids]
    assert prices == sorted(prices, reverse=True)
    limited = await trader.rest.book("btcusd", limit_bids=2, limit_asks=1)
    assert [level.price for level in limited.bids] == [Decimal("63950"), Decimal("63900")]
    assert [level.price for level in limited.asks] == [Decimal("64100")]


async def test_public_trades_newest_first(venue: Venue, trader: KeySession) -> None:
    [opening] = await trader.rest.public_trades("btcusd")  # the market's opening trade at its seeded mid
    assert (opening.type, opening.price, opening.amount) == ("buy", Decimal("64250.00"), Decimal("0.00001"))
    venue.seed("sell", "0.1", "64000.00")
    venue.seed("buy", "0.2", "63990.00")
    await buy(trader, "0.1", "64000")
    await sell(trader, "0.2", "63990")
    trades = await trader.rest.public_trades("btcusd")
    assert [(t.type, t.price, t.amount) for t in trades] == [
        ("sell", Decimal("63990"), Decimal("0.2")),
        ("buy", Decimal("64000"), Decimal("0.1")),
        ("buy", Decimal("64250"), Decimal("0.00001")),
    ]
    assert trades[0].tid > trades[1].tid > trades[2].tid and all(isinstance(t.price, Decimal) for t in trades)
    assert len(await trader.rest.public_trades("btcusd", limit_trades=1)) == 1


# -- order events -----------------------------------------------------------------------------------------------------


async def test_events_ack_then_initial_snapshot(venue: Venue, trader: KeySession) -> None:
    resting = await buy(trader, "0.5", "60000", client_order_id="snap-1")
    async with trader.events(heartbeat=False).connect() as conn:
        stream = Stream(conn)
        ack = await stream.ack()
        assert ack.accountId == venue.server.demo_account_id
        assert re.fullmatch(rf"ws-order-events-{venue.server.demo_account_id}-[0-9a-v]{{20}}", ack.subscriptionId)
        initial = await stream.batch()
        assert kinds(initial) == ["initial"] and initial.socket_sequence == 0
        [event] = initial.events
        assert (event.order_id, event.client_order_id, event.api_session) == (
            resting.order_id,
            "snap-1",
            DEMO_API_KEY,
        )
        assert (event.price, event.remaining_amount, event.event_id) == (Decimal("60000.00"), Decimal("0.5"), None)
        assert converted(initial) == [(EventKind.INITIAL, OrderState.LIVE)]


async def test_events_resting_limit_is_accepted_then_booked(trader: KeySession) -> None:
    async with trader.events(heartbeat=False).connect() as conn:
        stream = Stream(conn)
        await stream.ack()
        order = await buy(trader, "0.5", "64000", client_order_id="rest-1")
        batch = await stream.batch()
        assert kinds(batch) == ["accepted", "booked"]
        assert {e.order_id for e in batch.events} == {order.order_id}
        assert all(e.client_order_id == "rest-1" and e.event_id is not None for e in batch.events)
        assert converted(batch) == [(EventKind.ACCEPTED, OrderState.LIVE), (EventKind.BOOKED, OrderState.LIVE)]


async def test_events_crossing_order_fills_then_closes_and_maker_gets_fills(
    venue: Venue, trader: KeySession, seed_session: KeySession
) -> None:
    async with (
        trader.events(heartbeat=False).connect() as conn,
        seed_session.events(heartbeat=False).connect() as seed_conn,
    ):
        stream, seed_stream = Stream(conn), Stream(seed_conn)
        await stream.ack()
        await seed_stream.ack()
        ask_a = venue.seed("sell", "0.1", "64000.00")
        ask_b = venue.seed("sell", "0.1", "64010.00")
        assert kinds(await seed_stream.batch()) == ["accepted", "booked"]
        assert kinds(await seed_stream.batch()) == ["accepted", "booked"]

        taker = await buy(trader, "0.2", "64010")  # sweeps both levels
        batch = await stream.batch()
        assert kinds(batch) == ["accepted", "fill", "fill", "closed"]
        assert {e.order_id for e in batch.events} == {taker.order_id}
        fills = [e.fill for e in batch.events if e.fill is not None]
        assert [(f.liquidity, f.price, f.amount) for f in fills] == [
            ("Taker", Decimal("64000.00"), Decimal("0.1")),
            ("Taker", Decimal("64010.00"), Decimal("0.1")),
        ]
        assert batch.events[-1].executed_amount == Decimal("0.2")
        assert batch.events[-1].avg_execution_price == Decimal("64005")
        assert converted(batch) == [
            (EventKind.ACCEPTED, OrderState.LIVE),
            (EventKind.FILL, OrderState.PARTIALLY_FILLED),
            (EventKind.FILL, OrderState.FILLED),
            (EventKind.CLOSED, OrderState.FILLED),
        ]
        domain_fill = event_from_wire(batch.events[1]).fill  # type: ignore[union-attr]
        assert domain_fill is not None and domain_fill.liquidity is Liquidity.TAKER
        assert domain_fill.fee == Decimal("22.4")  # 35 bps of 6400 USD

        # The maker side (the seed account) sees a Maker fill for each of its asks, with the same trade ids.
        maker_batch = await seed_stream.batch()
        assert kinds(maker_batch) == ["fill", "closed", "fill", "closed"]
        assert [e.order_id for e in maker_batch.events] == [ask_a["order_id"]] * 2 + [ask_b["order_id"]] * 2
        maker_fills = [e.fill for e in maker_batch.events if e.fill is not None]
        assert [f.liquidity for f in maker_fills] == ["Maker", "Maker"]
        assert [f.trade_id for f in maker_fills] == [f.trade_id for f in fills]
        assert converted(maker_batch) == [
            (EventKind.FILL, OrderState.FILLED),
            (EventKind.CLOSED, OrderState.FILLED),
        ] * 2


async def test_events_resting_order_filled_by_another_account(venue: Venue, trader: KeySession) -> None:
    async with trader.events(heartbeat=False).connect() as conn:
        stream = Stream(conn)
        await stream.ack()
        resting = await buy(trader, "0.5", "64000")
        assert kinds(await stream.batch()) == ["accepted", "booked"]
        venue.seed("sell", "0.2", "64000.00")
        partial = await stream.batch()
        assert kinds(partial) == ["fill"] and partial.events[0].order_id == resting.order_id
        fill = partial.events[0].fill
        assert fill is not None and (fill.liquidity, fill.amount) == ("Maker", Decimal("0.2"))
        assert converted(partial) == [(EventKind.FILL, OrderState.PARTIALLY_FILLED)]
        venue.seed("sell", "0.3", "64000.00")
        done = await stream.batch()
        assert kinds(done) == ["fill", "closed"]
        assert converted(done) == [(EventKind.FILL, OrderState.FILLED), (EventKind.CLOSED, OrderState.FILLED)]


async def test_events_cancel_is_cancelled_then_closed(trader: KeySession) -> None:
    async with trader.events(heartbeat=False).connect() as conn:
        stream = Stream(conn)
        await stream.ack()
        order = await sell(trader, "1", "70000")
        assert kinds(await stream.batch()) == ["accepted", "booked"]
        await trader.rest.cancel_order(order.order_id)
        batch = await stream.batch()
        assert kinds(batch) == ["cancelled", "closed"]
        assert batch.events[0].reason == "Requested" and batch.events[0].cancel_command_id is not None
        assert converted(batch) == [
            (EventKind.CANCELLED, OrderState.CANCELLED),
            (EventKind.CLOSED, OrderState.CANCELLED),
        ]
        assert event_from_wire(batch.events[0]).reason == "Requested"  # type: ignore[union-attr]


async def test_events_rejected_order(trader: KeySession) -> None:
    async with trader.events(heartbeat=False).connect() as conn:
        stream = Stream(conn)
        await stream.ack()
        with pytest.raises(InsufficientFunds):
            await buy(trader, "1000", "64000", client_order_id="too-big")
        batch = await stream.batch()
        assert kinds(batch) == ["rejected"]
        [event] = batch.events
        assert (event.reason, event.client_order_id, event.is_live) == ("InsufficientFunds", "too-big", False)
        assert converted(batch) == [(EventKind.REJECTED, OrderState.REJECTED)]
        assert event_from_wire(event).reason == "InsufficientFunds"  # type: ignore[union-attr]


async def test_events_heartbeats_and_socket_sequence(trader: KeySession) -> None:
    async with trader.events(heartbeat=True).connect() as conn:
        stream = Stream(conn)
        ack = await stream.ack()
        trace_id = ack.subscriptionId.rsplit("-", 1)[1]
        beats = [await stream.heartbeat() for _ in range(3)]  # no active orders: no initial message
        assert [(b.sequence, b.socket_sequence) for b in beats] == [(0, 0), (1, 1), (2, 2)]
        assert all(b.trace_id == trace_id for b in beats)
        await buy(trader, "0.01", "50000")
        batch = await stream.batch()  # any heartbeats in between are checked too
        assert kinds(batch) == ["accepted", "booked"]
        assert batch.socket_sequence == len(stream.heartbeats)  # one number per message, heartbeats included
        await stream.heartbeat()  # and they keep coming after events
        assert [b.sequence for b in stream.heartbeats] == list(range(len(stream.heartbeats)))
        assert conn.expected_sequence == stream.expected


# -- errors through the client ------------------------------------------------------------------------------------


async def test_wrong_secret_rest_is_invalid_signature(venue: Venue) -> None:
    client = GeminiRestClient(venue.server.rest_url, _credentials(DEMO_API_KEY, WRONG_SECRET))
    try:
        with pytest.raises(AuthenticationError) as caught:
            await client.balances()
    finally:
        await client.close()
    assert (caught.value.reason, caught.value.status) == ("InvalidSignature", 400)
    assert WRONG_SECRET not in repr(client)
    assert_no_secret(caught.value)


async def test_wrong_secret_ws_handshake_is_invalid_signature(venue: Venue) -> None:
    client = OrderEventsClient(venue.server.ws_url, _credentials(DEMO_API_KEY, WRONG_SECRET), nonce=NonceSource())
    with pytest.raises(AuthenticationError) as caught:
        await asyncio.wait_for(client.connect(), WAIT_S)
    assert (caught.value.reason, caught.value.status) == ("InvalidSignature", 400)
    assert WRONG_SECRET not in repr(client)
    assert_no_secret(caught.value)


async def test_auditor_new_order_is_missing_role(venue: Venue) -> None:
    nonce = NonceSource()
    credentials = _credentials(DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET)
    async with GeminiRestClient(venue.server.rest_url, credentials, nonce=nonce) as auditor:
        with pytest.raises(PermissionDenied) as caught:
            await auditor.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"), price=Decimal("50000"))
        assert (caught.value.reason, caught.value.status) == ("MissingRole", 403)
        assert "[Trader]" in caught.value.message and "[Auditor]" in caught.value.message
        assert_no_secret(caught.value)
        # The same key may read, and open order events (Auditor is enough there).
        assert [b.currency for b in await auditor.balances()][:1] == ["USD"]
        async with OrderEventsClient(venue.server.ws_url, credentials, nonce=nonce).connect() as conn:
            assert isinstance(await asyncio.wait_for(conn.recv(), WAIT_S), SubscriptionAck)
    assert venue.server.engine.open_order_count(venue.server.demo_account_id) == 0
    assert AUDITOR in venue.server.keystore.get(DEMO_AUDITOR_API_KEY).roles  # type: ignore[union-attr]


async def test_nonce_behind_the_high_water_mark_is_nonce_error(venue: Venue) -> None:
    credentials = _credentials(DEMO_API_KEY, DEMO_API_SECRET)
    ahead = NonceSource()
    ahead.advance_to(time.time_ns() // 1_000_000 + 3_600_000)  # an hour ahead of the clock
    async with GeminiRestClient(venue.server.rest_url, credentials, nonce=ahead) as first:
        assert (await first.heartbeat()).result == "ok"
    assert venue.server.keystore.last_nonce(DEMO_API_KEY) == ahead.last

    fresh = NonceSource()  # e.g. a second process on the same key: its clock-based nonces are now too low
    async with GeminiRestClient(venue.server.rest_url, credentials, nonce=fresh) as second:
        with pytest.raises(NonceError) as caught:
            await second.heartbeat()
        assert (caught.value.reason, caught.value.status) == ("InvalidNonce", 400)
        assert "has not increased" in caught.value.message
        assert_no_secret(caught.value)
        with pytest.raises(NonceError) as caught_ws:
            await asyncio.wait_for(OrderEventsClient(venue.server.ws_url, credentials, nonce=fresh).connect(), WAIT_S)
        assert (caught_ws.value.reason, caught_ws.value.status) == ("InvalidNonce", 400)
        assert_no_secret(caught_ws.value)
        # Catching up past the mark (e.g. to the last nonce persisted by the other client) recovers.
        fresh.advance_to(ahead.last)
        assert (await second.heartbeat()).result == "ok"


async def test_unknown_order_cancel_is_order_not_found(trader: KeySession) -> None:
    with pytest.raises(OrderNotFound) as caught:
        await trader.rest.cancel_order(999)
    assert (caught.value.reason, caught.value.status) == ("OrderNotFound", 404)
    assert_no_secret(caught.value)
    with pytest.raises(OrderNotFound) as caught_status:
        await trader.rest.order_status(client_order_id="never-placed")
    assert caught_status.value.status == 404
    assert_no_secret(caught_status.value)


async def test_insufficient_funds(trader: KeySession) -> None:
    with pytest.raises(InsufficientFunds) as caught:
        await buy(trader, "1000", "64000")
    assert (caught.value.reason, caught.value.status) == ("InsufficientFunds", 406)
    assert isinstance(caught.value, OrderRejected)
    assert_no_secret(caught.value)
    assert await trader.rest.active_orders() == []


async def test_price_off_tick_is_invalid_price(trader: KeySession) -> None:
    with pytest.raises(OrderRejected) as caught:
        await buy(trader, "0.01", "64250.005")
    assert type(caught.value) is OrderRejected
    assert (caught.value.reason, caught.value.status) == ("InvalidPrice", 400)
    assert "64250.005" in caught.value.message
    assert_no_secret(caught.value)


async def test_client_reprs_never_show_secrets(trader: KeySession) -> None:
    for rendered in (repr(trader.rest), repr(trader.credentials), str(trader.credentials), repr(trader.events())):
        for secret in ALL_SECRETS:
            assert secret not in rendered
