"""Scoped cancels and flatten against the local exchange over real sockets: a scope's cancels reach exactly its
orders (one cancel per order id) and leave the others working; a flatten after a buy fills against the simulated
market maker and leaves the position at zero."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

from console.domain.book import OrderBook
from console.domain.model import ExecOption, OrderState, OrderType, Side
from console.domain.scopes import OrderScope, scope_orders
from console.domain.ticket import TicketInput
from console.exchange.server.app import ExchangeServer
from console.trading.account import AccountService
from console.trading.flatten import plan_flatten
from console.trading.positions import PositionsService
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.market_venue import GeminiQuotes
from tests.support.reliability import make_session, rig, wait_until

D = Decimal


async def test_a_side_scope_cancels_exactly_its_orders_and_counts_one_already_filled() -> None:
    async with rig() as r:
        buy_a = await r.place(Side.BUY, "63000.00")
        buy_b = await r.place(Side.BUY, "63500.00", "0.02")
        sell = await r.place(Side.SELL, "66000.00")
        assert buy_a and buy_b and sell
        ui_eth = r.elsewhere_order("buy", "3000.00", "1", symbol="ethusd")
        await wait_until(lambda: r.session.open_order_count() == 4, what="four open orders")
        scope = OrderScope.of_side("btcusd", Side.BUY)
        orders = scope_orders(r.session.blotter.open_orders(), scope)
        assert sorted(o.order_id for o in orders) == sorted([buy_a.order_id, buy_b.order_id])
        cancel_requests: list[str] = []
        engine_cancel = r.server.engine.cancel_order  # count the cancels the exchange receives

        def counting_cancel(account_id, order_id, api_session):
            cancel_requests.append(str(order_id))
            return engine_cancel(account_id, order_id, api_session)

        r.server.engine.cancel_order = counting_cancel
        r.maker_order("sell", "63500.00", "0.02")  # fills buy_b before the cancel reaches it
        outcome = await r.session.cancel_scope(scope, [o.order_id for o in orders])
        assert (outcome.cancelled, outcome.closed, outcome.pending, outcome.refused) == (1, 1, 0, 0)
        assert r.exchange_order(buy_a.order_id)["is_cancelled"] is True
        assert r.exchange_open_ids() == {sell.order_id, ui_eth["order_id"]}  # the others keep working
        assert set(cancel_requests) <= {buy_a.order_id, buy_b.order_id}  # never a cancel-all, never another id
        assert buy_a.order_id in cancel_requests
        assert r.statuses[-1].text == "cancelled 1 BTCUSD buy order; 1 already closed."
        await r.settled()


async def test_a_symbol_scope_leaves_the_other_symbols_orders() -> None:
    async with rig() as r:
        btc = [await r.place(Side.BUY, price) for price in ("63000.00", "63001.00")]
        eth = r.elsewhere_order("buy", "3000.00", "1", symbol="ethusd")
        await wait_until(lambda: r.session.open_order_count() == 3, what="three open orders")
        scope = OrderScope.of_symbol("btcusd")
        outcome = await r.session.cancel_scope(scope, [o.order_id for o in scope_orders(
            r.session.blotter.open_orders(), scope)])
        assert outcome.cancelled == 2
        assert r.exchange_open_ids() == {eth["order_id"]}
        assert all(r.session.blotter.get(o.order_id).state is OrderState.CANCELLED for o in btc if o)


@contextlib.asynccontextmanager
async def simulated_market():
    """The local exchange with its seeded market maker quoting (real liquidity to take), and a live session."""
    server = ExchangeServer(port=0, simulator=True, seed=7, heartbeat_interval_s=0.5)
    await server.start()
    session = make_session(server, tag="flat")
    task = asyncio.get_running_loop().create_task(session.run_order_events())
    try:
        await session.load_symbols()
        await wait_until(lambda: session.connection.value == "live", what="the stream to be live")
        yield server, session
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await session.close()
        await server.stop()


async def live_top(quotes: GeminiQuotes) -> OrderBook:
    top = await quotes.book_top("btcusd")
    book = OrderBook("btcusd")
    assert top.bid is not None and top.ask is not None
    book.set_level(Side.BUY, top.bid, D("1"))
    book.set_level(Side.SELL, top.ask, D("1"))
    return book


async def test_flatten_after_a_buy_leaves_the_position_at_zero() -> None:
    async with simulated_market() as (server, session):
        rest = session.venue.rest
        account_venue = GeminiAccountVenue(rest)
        positions = PositionsService(account_venue, session.blotter, clock_ms=session.clock_ms)
        await positions.reload()
        quotes = GeminiQuotes(rest)
        book = await live_top(quotes)
        assert book.best_ask is not None
        buy_price = format((book.best_ask * D("1.01")).quantize(D("0.01")), "f")
        await session.submit(session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, buy_price, "0.05")))
        await wait_until(lambda: (p := positions.position("btcusd")) is not None and p.net == D("0.05"),
                         what="the bought position")
        plan = await plan_flatten("btcusd", session=session, positions=positions,
                                  account=AccountService(account_venue), book=await live_top(quotes),
                                  band_bps=D("50"), spot=True)
        assert plan.order.side is Side.SELL and plan.order.amount == D("0.05")
        assert plan.order.options == (ExecOption.IMMEDIATE_OR_CANCEL,)
        sent = await session.submit(plan.order)
        assert sent is not None
        await wait_until(lambda: positions.position("btcusd").net == 0, what="the position flat")
        final = session.blotter.by_client_order_id(plan.order.client_order_id)
        assert final is not None and final.state is OrderState.FILLED and final.filled == D("0.05")
        assert server.engine.active_orders(server.demo_account_id) == []  # IOC: nothing left resting
