"""Stream integrity against the local exchange over loopback: closes, silence, sequence faults, duplicates, reorders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.domain.model import OrderState, Side
from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState, TradingBlocked
from tests.support.reliability import rig, wait_until


def _reconnected(r, before: int):
    return lambda: r.session.reconcile_count > before and r.session.connection is ConnectionState.LIVE


@pytest.mark.parametrize("abrupt", [False, True], ids=["clean-close", "abrupt-close"])
async def test_closed_stream_reconnects_and_reconciles_fills_made_meanwhile(abrupt):
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.02")
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.LIVE)
        before = r.session.reconcile_count
        # Keep it down while the market moves: reconnects work but reconciliation fails until the faults clear.
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        await r.server.faults.close_streams(abrupt=abrupt)
        await wait_until(lambda: r.session.connection is not ConnectionState.LIVE, what="trust lost")
        assert r.session.order_entry_block() is not None
        # The market trades against our order while the stream is down, and another session places an order.
        r.maker_order("sell", "50000.00", "0.005")
        r.server.faults.clear()
        await wait_until(_reconnected(r, before), what="reconnect + reconcile")
        await r.settled()
        mine = r.session.blotter.get(order.order_id)
        assert mine.state is OrderState.PARTIALLY_FILLED and mine.filled == Decimal("0.005")
        assert [f.amount for f in mine.fills] == [Decimal("0.005")]  # the fill's detail, from /v1/mytrades
        assert ConnectionState.STALE in r.states
        assert any(s.code == "Reconciled" for s in r.statuses)


async def test_stalled_heartbeats_make_the_stream_stale_then_it_recovers():
    async with rig() as r:
        before = r.session.reconcile_count
        r.server.faults.arm(FaultKind.STALL_HEARTBEATS, count=None)
        await wait_until(lambda: r.session.connection is not ConnectionState.LIVE, what="watchdog")
        assert r.session.stale_since_ms is not None or r.session.connection is ConnectionState.RECONCILING
        with pytest.raises(TradingBlocked):
            await r.place(Side.BUY, "50000.00")
        r.server.faults.clear()
        await wait_until(_reconnected(r, before), what="recovery after the stall")
        assert any(s.code == "Stale" for s in r.statuses)


@pytest.mark.parametrize("kind", [FaultKind.SEQ_SKIP, FaultKind.SEQ_REPEAT, FaultKind.SEQ_RESET])
async def test_sequence_fault_forces_a_reconnect(kind):
    async with rig() as r:
        before = r.session.reconcile_count
        r.server.faults.arm(kind)
        await wait_until(_reconnected(r, before), what=f"reconnect after {kind}")
        assert any(s.code == "SequenceGap" for s in r.statuses)
        assert r.server.faults.fired[kind.value] == 1


async def test_duplicated_events_are_applied_once():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.server.faults.arm(FaultKind.DUPLICATE_EVENTS, count=3)
        r.maker_order("sell", "50000.00", "0.005")
        await wait_until(lambda: r.server.faults.fired.get("duplicate-events", 0) >= 1)
        await r.settled()
        mine = r.session.blotter.get(order.order_id)
        assert mine.filled == Decimal("0.005")
        assert len(mine.fills) == 1
        assert sum(1 for s in r.statuses if s.code == "Fill") == 1


async def test_reordered_events_end_in_the_exchange_state():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.01")
        await r.settled()
        r.server.faults.arm(FaultKind.REORDER_EVENTS)
        r.maker_order("sell", "50000.00", "0.004")  # held back ...
        r.maker_order("sell", "50000.00", "0.006")  # ... and sent after this one (fill + closed)
        await r.settled()
        # The held-back batch is written right after the later one: the blotter can equal the exchange (filled,
        # closed) a moment before the earlier fill is read; wait for it rather than for a lucky schedule.
        await wait_until(lambda: len(r.session.blotter.get(order.order_id).fills) == 2, what="the held-back fill")
        mine = r.session.blotter.get(order.order_id)
        assert mine.state is OrderState.FILLED and mine.filled == Decimal("0.01")
        assert {f.amount for f in mine.fills} == {Decimal("0.004"), Decimal("0.006")}


async def test_orders_placed_elsewhere_during_the_gap_appear():
    async with rig() as r:
        before = r.session.reconcile_count
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        await r.server.faults.close_streams(abrupt=True)
        await wait_until(lambda: r.session.connection is not ConnectionState.LIVE)
        resting = r.elsewhere_order("buy", "49000.00", "0.03")
        done = r.elsewhere_order("buy", "49500.00", "0.01")
        r.maker_order("sell", "49500.00", "0.01")  # fills `done` completely during the gap
        r.server.faults.clear()
        await wait_until(_reconnected(r, before))
        await r.settled()
        assert r.session.blotter.get(resting["order_id"]).state is OrderState.LIVE
        filled = r.session.blotter.get(done["order_id"])
        assert filled is not None and filled.state is OrderState.FILLED and len(filled.fills) == 1
        summary = [s.text for s in r.statuses if s.code == "Reconciled"][-1]
        assert "new from elsewhere" in summary


async def test_bad_frames_never_crash_and_unreadable_events_resync():
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.00", "0.01")
        await r.settled()
        before = r.session.reconcile_count
        # An unknown object type is logged and skipped: no reconnect.
        r.server.faults.arm(FaultKind.BAD_FRAME, raw='{"type":"mystery","socket_sequence":{socket_sequence}}')
        r.maker_order("sell", "50000.00", "0.001")
        await wait_until(lambda: r.session.blotter.get(order.order_id).filled == Decimal("0.001"))
        assert r.session.reconcile_count == before and r.session.connection is ConnectionState.LIVE
        # A broken event array (empty decimal) may have carried an order event: resync, never a guessed value.
        r.server.faults.arm(FaultKind.BAD_FRAME, raw='[{"type":"fill","order_id":"' + str(order.order_id)
                            + '","executed_amount":"","socket_sequence":{socket_sequence}}]')
        r.maker_order("sell", "50000.00", "0.002")
        await wait_until(_reconnected(r, before), what="resync after an unreadable array")
        await r.settled()
        assert r.session.blotter.get(order.order_id).filled == Decimal("0.003")
        assert any(s.code == "BadFrame" for s in r.statuses)


def test_fault_specs_from_the_command_line():
    from console.exchange.faults import FaultPlan, parse_fault_spec

    spec = parse_fault_spec("http-error:status=502,path=/v1/order/new,count=2")
    assert spec == {"kind": "http-error", "status": 502, "path": "/v1/order/new", "count": 2}
    assert parse_fault_spec("stall-heartbeats:count=0") == {"kind": "stall-heartbeats", "count": None}
    for bad in ("explode", "http-error:colour=red", "delay:delay_s=soon"):
        with pytest.raises(ValueError):
            parse_fault_spec(bad)
    plan = FaultPlan()
    fault = plan.arm(**spec)
    assert plan.faults == [fault]
    with pytest.raises(ValueError):
        plan.arm("close-abrupt")


async def test_admin_route_arms_lists_and_clears_faults():
    import httpx

    async with rig(start_stream=True) as r:
        async with httpx.AsyncClient(base_url=r.server.rest_url) as http:
            fault = {"kind": "http-error", "status": 504, "path": "/v1/pubticker/btcusd"}
            armed = await http.post("/_faults", json=fault)
            assert armed.status_code == 200 and armed.json()["armed"]["status"] == 504
            ticker = await http.get("/v1/pubticker/btcusd")
            assert ticker.status_code == 504 and ticker.json()["reason"] == "System"
            before = r.session.reconcile_count
            closed = await http.post("/_faults", json={"kind": "close-abrupt"})
            assert closed.json() == {"closed": 1}
            await wait_until(_reconnected(r, before))
            assert (await http.post("/_faults", json={"kind": "nonsense"})).status_code == 400
            await http.post("/_faults", json={"kind": "stall-heartbeats", "count": None})
            assert [f["kind"] for f in (await http.get("/_faults")).json()["armed"]] == ["stall-heartbeats"]
            await http.delete("/_faults")
            assert (await http.get("/_faults")).json()["armed"] == []


async def test_every_handshake_takes_a_fresh_nonce():
    async with rig() as r:
        keystore = r.server.keystore
        before = keystore.last_nonce(r.session.api_key)
        count = r.session.reconcile_count
        await r.server.faults.close_streams(abrupt=True)
        await wait_until(_reconnected(r, count))
        # The venue refuses a reused nonce: the reconnect only worked because its handshake nonce was greater.
        assert keystore.last_nonce(r.session.api_key) > before
        assert r.session.venue.order_events._nonce is r.session.venue.rest.nonce  # one source per key, shared


@pytest.mark.parametrize(("abrupt", "said", "not_said"), [
    (True, "connection lost without a close frame", "closed by the exchange"),
    (False, "closed by the exchange (code 1000", "connection lost"),
], ids=["network-reset", "clean-close"])
async def test_a_lost_connection_is_not_reported_as_closed_by_the_exchange(abrupt, said, not_said):
    async with rig() as r:
        before = r.session.reconcile_count
        await r.server.faults.close_streams(abrupt=abrupt)
        await wait_until(_reconnected(r, before))
        stale = [s.text for s in r.statuses if s.code == "Stale"]
        assert len(stale) == 1 and said in stale[0] and not_said not in stale[0]


async def test_reconciled_says_how_long_the_stream_was_down_and_since_the_last_message_separately():
    async with rig(session_kwargs={"stale_after_s": 30.0}) as r:
        now = [r.session.clock_ms()]
        r.session.clock_ms = lambda: now[0]  # the console's clock, moved by hand from here on
        stalls = r.server.faults.fired.get("stall-heartbeats", 0)
        r.server.faults.arm(FaultKind.STALL_HEARTBEATS, count=None)
        await wait_until(lambda: r.server.faults.fired.get("stall-heartbeats", 0) >= stalls + 2,
                         what="two heartbeats withheld")
        before = r.session.reconcile_count
        now[0] += 4_000  # the last message (a heartbeat) is 4 s old when the connection drops
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        await r.server.faults.close_streams(abrupt=True)
        await wait_until(lambda: r.session.connection is not ConnectionState.LIVE, what="trust lost")
        now[0] += 200  # a 0.2 s blip
        r.server.faults.clear()
        await wait_until(_reconnected(r, before), what="reconnect + reconcile")
        summary = [s.text for s in r.statuses if s.code == "Reconciled"][-1]
        assert summary.startswith("Reconciled after the stream was down 0.2 s (last message 4.2 s ago)"), summary
