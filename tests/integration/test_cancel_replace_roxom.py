"""Cancel-replace over the local Roxom venue (real loopback sockets): its cancel answers PENDING_CANCEL, which is
no confirmation; the replacement waits for the stream's ``cancelled``, and a fill during the pending cancel comes off
it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from console.domain.model import Order, OrderState, OrderType, Side
from console.domain.ticket import ClientOrderIds, TicketInput
from console.exchange.roxom.app import RoxomServer
from console.trading.replace import ReplaceOutcome
from console.trading.session import ConnectionState, TradingSession
from console.venues.roxom.auth import RoxomSigner, load_private_key
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.venue import RoxomVenue
from console.venues.roxom.ws import RoxomWsClient
from tests.support.reliability import wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
GOLD = "gold-btc"


@functools.cache
def _maker_key() -> rsa.RSAPrivateKey:
    return load_private_key((FIXTURES / "test_private_key.pem").read_bytes())


@pytest.fixture
async def roxom(tmp_path: Path) -> AsyncIterator[tuple[RoxomServer, TradingSession, RoxomRestClient]]:
    server = RoxomServer(port=0, simulator=False, state_dir=tmp_path, cancel_latency_s=1.0)
    await server.start()
    entry = server.add_key(_maker_key().public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, _maker_key()))
    signer = RoxomSigner(server.api_key, load_private_key(server.private_key_path))
    venue = RoxomVenue(RoxomRestClient(server.rest_url, signer), RoxomWsClient(server.ws_url, signer),
                       api_key=server.api_key)
    session = TradingSession(venue, symbols=[GOLD], client_order_ids=ClientOrderIds("roxrep"), stale_after_s=3.0,
                             reconnect_initial_s=0.05, reconnect_cap_s=0.1, retry_initial_s=0.05, retry_cap_s=0.1,
                             seed=1)
    await session.load_symbols()
    task = asyncio.create_task(session.run_order_events())
    try:
        await wait_until(lambda: session.connection is ConnectionState.LIVE, what="live")
        yield server, session, maker
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await session.close()
        await maker.close()
        await server.stop()


async def test_replace_waits_for_cancelled_not_pending_cancel_and_takes_off_the_fill_meanwhile(roxom) -> None:
    server, session, maker = roxom
    placed = await session.submit(session.prepare(TicketInput(GOLD, Side.BUY, OrderType.LIMIT, "0.025000", "1.00")))
    assert placed is not None and placed.order_id
    old_id = placed.order_id
    await wait_until(lambda: session.blotter.get(old_id).state is OrderState.LIVE, what="live")
    problems: list[str] = []

    def changed(orders: list[Order]) -> None:
        for order in orders:
            if order.state is OrderState.PENDING_NEW and not session.blotter.get(old_id).state.is_terminal:
                problems.append(f"{order.client_order_id} sent while #{old_id} is not ended")

    session.blotter.add_listener(changed)
    new = session.prepare(TicketInput(GOLD, Side.BUY, OrderType.LIMIT, "0.024900", "1.00"))
    task = asyncio.create_task(session.replace(old_id, new, filled_at_load=Decimal(0)))
    # The venue answered the cancel with PENDING_CANCEL: the replacement waits, and the order can still fill.
    await wait_until(lambda: session.blotter.get(old_id).state is OrderState.PENDING_CANCEL, what="pending cancel")
    await maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("0.40"),
                            px=Decimal("0.025000"))
    await wait_until(lambda: session.blotter.get(old_id).filled == Decimal("0.40"), what="the fill")
    assert not task.done()
    assert [o.order_id for o in session.blotter.open_orders()] == [old_id]
    result = await asyncio.wait_for(task, 10.0)
    assert result.outcome is ReplaceOutcome.REPLACED and problems == []
    assert result.new is not None and result.new.amount == Decimal("0.60")
    assert session.blotter.get(old_id).state is OrderState.CANCELLED
    await wait_until(lambda: session.blotter.get(result.new.order_id) is not None
                     and session.blotter.get(result.new.order_id).state is OrderState.LIVE, what="the new order")
    venue_open = await session.venue.open_orders()
    assert [(o.order_id, o.amount, o.price) for o in venue_open] == [
        (result.new.order_id, Decimal("0.60"), Decimal("0.024900"))]
    assert "0.4 filled before the cancel" in result.text
