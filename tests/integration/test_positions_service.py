"""The positions service against the local exchange over real sockets: fills from /v1/mytrades and the order-events
stream make the same position as the venue's own trades; a reconnect re-loads (gap fills, broken trades)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from console.domain.model import Side
from console.domain.positions import PositionLedger
from console.exchange.faults import FaultKind
from console.trading.positions import PositionsService
from console.trading.session import ConnectionState
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.convert import fill_from_my_trade
from console.venues.gemini.market_venue import GeminiQuotes
from console.venues.gemini.models import MyTrade
from tests.support.reliability import Rig, rig, wait_until

D = Decimal


def wire(r: Rig, service: PositionsService) -> list[asyncio.Task]:
    """What the app does: every time the stream is LIVE again (reconciled), re-load the positions."""
    tasks: list[asyncio.Task] = []
    record = r.session.listener.connection_changed

    def changed(state: ConnectionState, detail: str) -> None:
        record(state, detail)
        if state is ConnectionState.LIVE:
            tasks.append(asyncio.get_running_loop().create_task(service.reload()))

    r.session.listener.connection_changed = changed
    return tasks


def venue_position(r: Rig, symbol: str = "btcusd"):
    """The position the venue's own trade list makes (broken trades left out), costed independently."""
    trades = [fill_from_my_trade(MyTrade.model_validate(t))
              for t in r.server.engine.my_trades(r.account, limit_trades=500)]
    ledger = PositionLedger()
    ledger.apply_many(sorted(trades, key=lambda f: (f.timestamp_ms, int(f.trade_id))))
    return ledger.position(symbol), trades


def btc_balance(r: Rig) -> Decimal:
    return next(D(b["amount"]) for b in r.server.engine.balances(r.account) if b["currency"] == "BTC")


async def test_service_position_matches_the_venue_through_fills_and_a_zero_crossing():
    async with rig() as r:
        service = PositionsService(GeminiAccountVenue(r.session.venue.rest), r.session.blotter,
                                   clock_ms=r.session.clock_ms, quotes=GeminiQuotes(r.session.venue.rest))
        await service.reload()
        assert service.position("btcusd") is None  # no fill yet today
        start_btc = btc_balance(r)
        r.maker_order("sell", "60000.00", "0.5")
        await r.place(Side.BUY, "60000.00", "0.3")  # takes 0.3 of the maker's 0.5
        await wait_until(lambda: (p := service.position("btcusd")) is not None and p.net == D("0.3"),
                         what="the first fill from the stream")
        resting = await r.place(Side.BUY, "60000.00", "0.3")  # takes the maker's last 0.2, rests 0.1
        assert resting is not None
        r.maker_order("sell", "60000.00", "0.1")  # and fills the rest as the maker
        await wait_until(lambda: (p := service.position("btcusd")) is not None and p.net == D("0.6"),
                         what="the maker fill from the stream")
        r.maker_order("buy", "59000.00", "1")
        await r.place(Side.SELL, "59000.00", "1")  # sells more than held: crosses through zero
        await wait_until(lambda: (p := service.position("btcusd")) is not None and p.net == D("-0.4"),
                         what="the zero-crossing fill")
        position = service.position("btcusd")
        assert position is not None
        assert position.avg_cost == D("59000") and position.realised == D("-600")  # 0.6 bought at 60000
        assert position.net == btc_balance(r) - start_btc  # the venue's balance moved by exactly the net
        expected, trades = venue_position(r)
        assert position == expected  # the live fills make the venue's position, fees included
        assert position.fees == sum((t.fee for t in trades), D(0)) and position.fees > 0
        await service.reload()  # and loading it all from /v1/mytrades gives the same
        assert service.position("btcusd") == expected
        mark, label = service.mark("btcusd")
        assert mark is not None and label in ("mid", "last")


async def test_a_reconnect_reloads_fills_made_meanwhile_and_broken_trades():
    async with rig() as r:
        service = PositionsService(GeminiAccountVenue(r.session.venue.rest), r.session.blotter,
                                   clock_ms=r.session.clock_ms, quotes=GeminiQuotes(r.session.venue.rest))
        tasks = wire(r, service)
        await service.reload()
        r.maker_order("sell", "60000.00", "0.2")
        await r.place(Side.BUY, "60000.00", "0.2")
        order = await r.place(Side.BUY, "59000.00", "0.5")  # rests
        assert order is not None
        await wait_until(lambda: (p := service.position("btcusd")) is not None and p.net == D("0.2"),
                         what="the first fill")
        loads = service.loads
        before = r.session.reconcile_count
        # The stream goes down and stays down (reconciliation fails) while the market trades against the order.
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        await r.server.faults.close_streams(abrupt=True)
        await wait_until(lambda: r.session.connection is not ConnectionState.LIVE, what="trust lost")
        r.maker_order("sell", "59000.00", "0.3")
        first = next(t for t in r.server.engine.my_trades(r.account) if t["price"] == "60000.00")
        r.server.engine.break_trade(first["tid"], "manual")  # the venue reverses the first trade meanwhile
        r.server.faults.clear()
        await wait_until(lambda: r.session.reconcile_count > before and service.loads > loads,
                         what="reconnect, reconcile and re-load")
        await asyncio.gather(*tasks)
        position = service.position("btcusd")
        expected, _ = venue_position(r)
        assert position == expected
        assert position is not None and position.net == D("0.3") and position.avg_cost == D("59000")
        assert position.trades == 1  # the broken trade no longer counts
