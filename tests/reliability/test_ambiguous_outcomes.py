"""Ambiguous outcomes over loopback: a new order or a cancel whose answer is lost, late, 5xx or 429."""

from __future__ import annotations

import pytest

from console.domain.model import OrderState, Side
from console.exchange.faults import FaultKind
from console.trading.session import NOT_RECEIVED
from tests.support.reliability import REST_TIMEOUT_S, rig, wait_until


async def test_order_accepted_then_response_dropped_is_unknown_then_resolved_never_resent():
    async with rig() as r:
        r.server.faults.arm(FaultKind.DROP_RESPONSE, path="/v1/order/new")
        r.server.faults.arm(FaultKind.REORDER_EVENTS)  # the stream's `accepted` is held back as well
        answer = await r.place(Side.BUY, "50000.00")
        assert answer is not None and answer.state is OrderState.UNKNOWN
        cid = answer.client_order_id
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is OrderState.LIVE)
        r.elsewhere_order("sell", "60000.00", "0.01")  # its events release the held-back ones behind them
        await wait_until(lambda: not r.server.faults._held)
        await r.settled()
        assert r.placements(cid) == 1
        assert len([o for o in r.session.blotter.orders() if o.client_order_id == cid]) == 1  # one row
        assert any(s.code == "Unknown" for s in r.statuses)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_new_order_5xx_is_unknown_until_status_says_it_was_never_placed(status):
    async with rig() as r:
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=status, path="/v1/order/new")
        answer = await r.place(Side.BUY, "50000.00")
        assert answer.state is OrderState.UNKNOWN
        cid = answer.client_order_id
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is OrderState.REJECTED)
        assert r.session.blotter.by_client_order_id(cid).reason == NOT_RECEIVED
        assert r.placements(cid) == 0
        await r.settled()


async def test_new_order_429_is_unknown_backs_off_visibly_and_is_never_resent():
    async with rig() as r:
        r.server.faults.arm(FaultKind.HTTP_429, path="/v1/order/new")
        answer = await r.place(Side.BUY, "50000.00")
        assert answer.state is OrderState.UNKNOWN
        cid = answer.client_order_id
        assert any(s.code == "RateLimit" for s in r.statuses)  # shown on screen (status pane)
        assert r.session.venue.rest.limiter.private.paused_for_s() > 0
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is OrderState.REJECTED,
                         timeout=5.0)
        assert r.placements(cid) == 0
        assert r.server.faults.fired["http-429"] == 1  # one 429, no retry storm


async def test_new_order_timeout_then_late_stream_event_resolves_it_one_row():
    async with rig() as r:
        r.server.faults.arm(FaultKind.DELAY, delay_s=REST_TIMEOUT_S * 3, path="/v1/order/new")
        answer = await r.place(Side.BUY, "50000.00")
        assert answer.state in (OrderState.UNKNOWN, OrderState.LIVE)  # the stream may have said `booked` first
        cid = answer.client_order_id
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is OrderState.LIVE)
        await r.settled()
        assert r.placements(cid) == 1 and len(r.session.blotter.orders()) == 1


async def test_lost_connection_before_processing_is_not_received():
    async with rig() as r:
        r.server.faults.arm(FaultKind.DROP_REQUEST, path="/v1/order/new")
        answer = await r.place(Side.SELL, "70000.00")
        assert answer.state is OrderState.UNKNOWN
        cid = answer.client_order_id
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is OrderState.REJECTED)
        assert r.placements(cid) == 0


async def test_stream_event_before_rest_answer_is_one_row():
    async with rig() as r:
        r.server.faults.arm(FaultKind.DELAY, delay_s=REST_TIMEOUT_S / 3, path="/v1/order/new")
        orders_seen = []
        r.session.blotter.add_listener(lambda changed: orders_seen.extend(changed))
        answer = await r.place(Side.BUY, "50000.00")
        assert answer.state is OrderState.LIVE
        assert len(r.session.blotter.orders()) == 1
        # The stream's `accepted`/`booked` came while the REST answer was delayed, matched by client order id.
        assert any(o.order_id == answer.order_id for o in orders_seen[:-1])


@pytest.mark.parametrize("kind", [FaultKind.DROP_RESPONSE, FaultKind.HTTP_ERROR, FaultKind.HTTP_429])
async def test_cancel_without_answer_stays_pending_cancel_then_retry_confirms(kind):
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00")
        await r.settled()
        r.server.faults.arm(kind, path="/v1/order/cancel", status=502)
        r.server.faults.arm(FaultKind.STALL_HEARTBEATS, count=None)  # ... and nothing on the stream either
        r.server.faults.arm(FaultKind.REORDER_EVENTS)  # the `cancelled` events are held back
        await r.session.cancel(order.order_id)
        assert r.session.blotter.get(order.order_id).state is OrderState.PENDING_CANCEL
        r.server.faults.clear()
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.CANCELLED)
        await r.settled()


async def test_pending_cancel_order_can_still_fill():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.server.faults.arm(FaultKind.DROP_REQUEST, path="/v1/order/cancel", count=None)
        await r.session.cancel(order.order_id)
        assert r.session.blotter.get(order.order_id).state is OrderState.PENDING_CANCEL
        r.maker_order("sell", "50000.00", "0.02")
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.FILLED)
        r.server.faults.clear()
        await r.settled()


async def test_a_cancel_settled_by_the_stream_is_never_reported_pending_when_its_answer_times_out():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00")
        await r.settled()
        # The venue cancels at once (the stream says so) but its REST answer comes after the console's timeout.
        r.server.faults.arm(FaultKind.DELAY, delay_s=REST_TIMEOUT_S * 3, path="/v1/order/cancel")
        await r.session.cancel(order.order_id)
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.CANCELLED)
        await r.settled()
        codes = [s.code for s in r.statuses]
        assert "PendingCancel" not in codes[codes.index("Requested"):]  # nothing after "Cancelled at your request"
        assert sum(1 for path, _ in r.server.faults.arrivals if path == "/v1/order/cancel") == 1  # no needless retry


async def test_a_cancel_reported_as_retried_is_actually_retried():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00")
        await r.settled()
        r.server.faults.arm(FaultKind.DROP_REQUEST, path="/v1/order/cancel")
        await r.session.cancel(order.order_id)
        pending = [s for s in r.statuses if s.code == "PendingCancel"]
        assert len(pending) == 1 and "the cancel is retried" in pending[0].text
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.CANCELLED)
        assert sum(1 for path, _ in r.server.faults.arrivals if path == "/v1/order/cancel") == 2
        await r.settled()
