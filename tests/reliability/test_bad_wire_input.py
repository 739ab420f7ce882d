"""Bad wire input on the order events stream: logged and skipped, or a resync; never a crash, never a guessed value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.domain.model import Side
from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState
from tests.support.reliability import rig, wait_until

SEQ = "{socket_sequence}"
COMMON = ('"order_id":"%(id)s","event_id":"999%(id)s","api_session":"x","symbol":"btcusd","side":"buy",'
          '"order_type":"exchange limit","timestamp":"1","timestampms":1000,"is_live":true,"is_cancelled":false,'
          '"is_hidden":false,"original_amount":"0.01","price":"50000.00","socket_sequence":' + SEQ)

RESYNC_FRAMES = {
    "malformed-json": '[{"type":"fill", "order_id": ',
    "missing-fields": '[{"type":"fill","order_id":"%(id)s","socket_sequence":' + SEQ + '}]',
    "non-numeric-decimal": '[{"type":"booked",' + COMMON + ',"executed_amount":"abc","remaining_amount":"0.01",'
                           '"avg_execution_price":"0"}]',
    "empty-decimal": '[{"type":"booked",' + COMMON + ',"executed_amount":"","remaining_amount":"",'
                     '"avg_execution_price":""}]',
    "fill-beyond-amount": '[{"type":"fill",' + COMMON + ',"executed_amount":"5","remaining_amount":"0",'
                          '"avg_execution_price":"50000","fill":{"trade_id":"1","liquidity":"Maker",'
                          '"price":"50000","amount":"5","fee":"0","fee_currency":"USD"}}]',
}


@pytest.mark.parametrize("name", sorted(RESYNC_FRAMES))
async def test_unreadable_or_impossible_order_events_resync_without_guessing(name):
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.01")
        await r.settled()
        seen_filled: set[Decimal] = set()
        r.session.blotter.add_listener(lambda changed: seen_filled.update(o.filled for o in changed
                                                                          if o.order_id == order.order_id))
        before = r.session.reconcile_count
        r.server.faults.arm(FaultKind.BAD_FRAME, raw=RESYNC_FRAMES[name] % {"id": order.order_id})
        r.maker_order("sell", "50000.00", "0.004")
        await wait_until(lambda: r.session.reconcile_count > before, what="resync")
        await r.settled()
        assert r.session.blotter.get(order.order_id).filled == Decimal("0.004")
        assert seen_filled <= {Decimal("0"), Decimal("0.004")}  # never a guessed or impossible value shown
        assert r.task is not None and not r.task.done()  # the stream worker never crashed


@pytest.mark.parametrize("raw", [
    '{"type":"mystery","socket_sequence":' + SEQ + '}',
    '{"type":"heartbeat","socket_sequence":' + SEQ + ',"timestampms":"soon"}',
    '[{"type":"brand_new_event","order_id":"1","socket_sequence":' + SEQ + '}]',
], ids=["unknown-object", "bad-heartbeat-field", "unknown-event-type"])
async def test_unknown_messages_are_skipped_without_a_resync(raw):
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.01")
        await r.settled()
        before = r.session.reconcile_count
        r.server.faults.arm(FaultKind.BAD_FRAME, raw=raw)
        r.maker_order("sell", "50000.00", "0.003")
        await wait_until(lambda: r.session.blotter.get(order.order_id).filled == Decimal("0.003"))
        assert r.server.faults.fired["bad-frame"] == 1
        assert r.session.reconcile_count == before and r.session.connection is ConnectionState.LIVE
