"""Cancels leave at once whatever is in flight (a hung order/new, a stream reconnecting into a black hole, a slow
status call), over loopback, with the time measured where the exchange receives the cancel."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal

import pytest

from console.domain.model import OrderState, OrderType, Side
from console.domain.ticket import TicketInput
from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState
from console.tui.widgets.orders_table import OrdersTable
from console.venues.gemini.auth import NonceSource
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread
from tests.support.reliability import Rig, rig, wait_until

#: The requirement: from the console's cancel request to the exchange receiving it (seconds).
CANCEL_BUDGET_S = 0.100
#: The hung order/new: the venue sees it only after this long (or when the test clears the faults).
HUNG_S = 20.0


def _arrived(r: Rig, path: str, after_s: float) -> float | None:
    """When the exchange received the first request for ``path`` at or after ``after_s`` (time.monotonic)."""
    return _arrived_at(r.server, path, after_s)


def _arrived_at(server, path: str, after_s: float) -> float | None:
    """When ``server`` received the first request for ``path`` at or after ``after_s`` (time.monotonic, any thread)."""
    return next((t for p, t in list(server.faults.arrivals) if p == path and t >= after_s), None)


def _fired(r: Rig, kind: FaultKind) -> int:
    return r.server.faults.fired.get(kind.value, 0)


async def _everything_in_flight(r: Rig) -> list[asyncio.Task]:
    """A hung order/new, a hung status call, and the stream reconnecting into a black hole."""
    faults = r.server.faults
    faults.arm(FaultKind.HANG, path="/v1/order/new", delay_s=HUNG_S)
    hung_order = asyncio.create_task(r.place(Side.BUY, "48000.00"))
    await wait_until(lambda: _fired(r, FaultKind.HANG) >= 1, what="the order/new to be held")
    faults.arm(FaultKind.HANG, path="/v1/order/status", delay_s=HUNG_S)
    hung_status = asyncio.create_task(r.session.venue.rest.order_status(client_order_id="nobody"))
    await wait_until(lambda: _fired(r, FaultKind.HANG) >= 2, what="the status call to be held")
    faults.arm(FaultKind.HANG, path="/v1/order/events", delay_s=HUNG_S, count=None)
    await faults.close_streams(abrupt=True)
    await wait_until(lambda: r.session.connection is not ConnectionState.LIVE, what="the stream to be lost")
    await wait_until(lambda: _fired(r, FaultKind.HANG) >= 3, what="a reconnect to be held in the black hole")
    return [hung_order, hung_status]


async def _release(r: Rig, hung: list[asyncio.Task]) -> None:
    r.server.faults.clear()
    order_task, status_task = hung
    # The held order/new reaches the venue after the cancel's later nonce: it is refused unexecuted
    # (InvalidNonce), signed again and placed, once.
    placed = await asyncio.wait_for(order_task, 10)
    assert placed is not None and placed.state is OrderState.LIVE
    assert r.placements(placed.client_order_id) == 1
    with contextlib.suppress(Exception):
        await asyncio.wait_for(status_task, 10)
    await r.settled(timeout=15)


async def _timed(r: Rig, path: str, call) -> float:
    """Start ``call`` (the console's cancel request) and return how long the exchange took to receive ``path``."""
    start = time.monotonic()
    task = asyncio.create_task(call())
    await wait_until(lambda: _arrived(r, path, start) is not None, timeout=5.0, what=f"{path} at the exchange")
    await asyncio.wait_for(task, 5.0)
    return _arrived(r, path, start) - start  # type: ignore[operator]


async def test_cancel_leaves_at_once_behind_a_hung_order_a_slow_status_and_a_reconnecting_stream():
    async with rig(session_kwargs={"rest_timeout_s": 30.0}) as r:
        order = await r.place(Side.BUY, "50000.00")
        await r.settled()
        hung = await _everything_in_flight(r)
        latency = await _timed(r, "/v1/order/cancel", lambda: r.session.cancel(order.order_id))
        assert latency <= CANCEL_BUDGET_S, f"cancel reached the exchange after {latency * 1000:.0f} ms"
        assert r.exchange_order(order.order_id)["is_cancelled"]
        assert r.session.blotter.get(order.order_id).state is OrderState.CANCELLED  # the cancel's own answer
        assert r.session.connection is not ConnectionState.LIVE  # all of it while the stream was still down
        await _release(r, hung)


@pytest.mark.parametrize("which", ["cancel_session", "cancel_all"])
async def test_cancel_session_and_cancel_all_leave_at_once_under_the_same_faults(which):
    path = {"cancel_session": "/v1/order/cancel/session", "cancel_all": "/v1/order/cancel/all"}[which]
    async with rig(session_kwargs={"rest_timeout_s": 30.0}) as r:
        mine = await r.place(Side.BUY, "50000.00")
        other = r.elsewhere_order("buy", "49000.00", "0.01")  # the web UI's: only cancel-all takes it
        await r.settled()
        hung = await _everything_in_flight(r)
        latency = await _timed(r, path, getattr(r.session, which))
        assert latency <= CANCEL_BUDGET_S, f"{which} reached the exchange after {latency * 1000:.0f} ms"
        assert r.exchange_order(mine.order_id)["is_cancelled"]
        assert r.exchange_order(other["order_id"])["is_cancelled"] is (which == "cancel_all")
        assert any(s.code == "Requested" for s in r.statuses)
        await _release(r, hung)
        assert r.session.blotter.get(mine.order_id).state is OrderState.CANCELLED


async def test_a_cancel_overtaken_on_the_network_is_signed_again_at_once():
    """A cancel whose nonce reaches the venue after a later one is refused unexecuted and re-sent with a fresh one."""
    stalled = NonceSource(lambda: 1_800_000_000_000)  # a stalled clock: each nonce is the last one + 1
    async with rig(session_kwargs={"nonce": stalled}) as r:
        order = await r.place(Side.BUY, "50000.00")
        await r.settled()
        keystore = r.server.keystore
        # Another request of the key with a later nonce got there first: the nonce the cancel is about to be
        # signed with is already used up at the venue.
        keystore.record_nonce(r.session.api_key, Decimal(stalled.last + 1))
        sent_before = sum(1 for p, _ in r.server.faults.arrivals if p == "/v1/order/cancel")
        await r.session.cancel(order.order_id)
        assert r.session.blotter.get(order.order_id).state is OrderState.CANCELLED
        sent = sum(1 for p, _ in r.server.faults.arrivals if p == "/v1/order/cancel") - sent_before
        assert sent == 2  # refused once for its nonce, then accepted; the trader saw no error
        assert not any(s.code == "InvalidNonce" for s in r.statuses)
        await r.settled()


async def test_a_refused_handshake_nonce_is_signed_again_at_once():
    """The stream's upgrade does not hold the ordering lock while it waits: if a later nonce overtakes it, the
    venue refuses it (InvalidNonce) and the client signs it again at once, without a reconnect back-off."""
    stalled = NonceSource(lambda: 1_800_000_000_000)
    async with rig(session_kwargs={"nonce": stalled}) as r:
        r.server.keystore.record_nonce(r.session.api_key, Decimal(stalled.last + 1))
        before = sum(1 for p, _ in r.server.faults.arrivals if p == "/v1/order/events")
        conn = await r.session.venue.order_events.connect()  # refused once for its nonce, then accepted
        await conn.close()
        assert sum(1 for p, _ in r.server.faults.arrivals if p == "/v1/order/events") - before == 2


@pytest.mark.parametrize(("first", "key", "path"), [
    ((), "x", "/v1/order/cancel"),
    ((), "s", "/v1/order/cancel/session"),
    (("a",), "exclamation_mark", "/v1/order/cancel/all"),  # `a` opens the preview, `!` cancels everything
], ids=["x-cancel", "s-cancel-session", "a-then-bang-cancel-all"])
async def test_a_cancel_key_puts_the_cancel_on_the_wire_at_once_behind_a_hung_order_and_a_black_holed_stream(
        first, key, path):
    """The whole path, in the console as users run it (default timeouts: a 10 s REST timeout and open timeout)."""
    with ExchangeThread(port=0, simulator=False, heartbeat_interval_s=0.05) as running:
        server = running.server
        app = make_app(server.rest_url, server.ws_url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until_ready(pilot)
            session = app.session
            live = await session.submit(session.prepare(TicketInput(
                symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT, price="30000.00", amount="0.01")))
            await wait_for(pilot, lambda: session.blotter.get(live.order_id).state is OrderState.LIVE)
            fired = lambda: server.faults.fired.get("hang", 0)  # noqa: E731
            running.call(server.faults.arm, FaultKind.HANG, path="/v1/order/new", delay_s=HUNG_S)
            hung = asyncio.create_task(session.submit(session.prepare(TicketInput(
                symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT, price="30001.00", amount="0.01"))))
            await wait_for(pilot, lambda: fired() >= 1, what="the order/new to be held")
            running.call(server.faults.arm, FaultKind.HANG, path="/v1/order/events", delay_s=HUNG_S, count=None)
            running.run(server.faults.close_streams(abrupt=True))
            await wait_for(pilot, lambda: fired() >= 2, what="a reconnect to be held in the black hole")
            table = app.screen.query_one(OrdersTable)
            table.focus()
            for _ in range(len(session.blotter.orders())):
                if table.selected_order is not None and table.selected_order.order_id == live.order_id:
                    break
                await pilot.press("down")
            assert table.selected_order.order_id == live.order_id
            if first:
                await pilot.press(*first)
            start = time.monotonic()
            await pilot.press(key)
            await wait_for(pilot, lambda: _arrived_at(server, path, start) is not None, what=f"{path} at the exchange")
            latency = _arrived_at(server, path, start) - start  # type: ignore[operator]
            assert latency <= CANCEL_BUDGET_S, f"key {key} → {path} at the exchange: {latency * 1000:.0f} ms"
            venue = running.call(server.engine.order_status, server.demo_account_id, order_id=int(live.order_id))
            assert venue["is_cancelled"]
            assert session.connection is not ConnectionState.LIVE  # the stream was still in the black hole
            running.call(server.faults.clear)
            await asyncio.wait_for(hung, 15)
            await wait_for(pilot, lambda: session.connection is ConnectionState.LIVE, what="live again")
            await wait_for(pilot, lambda: session.blotter.get(live.order_id).state is OrderState.CANCELLED)

async def test_the_cancel_lane_starts_with_the_first_private_call_and_stops_with_the_client():
    async with rig(start_stream=False) as r:
        rest = r.session.venue.rest
        lane = rest._cancel_lane
        assert lane is not None and lane._thread is None  # no thread before any private call
        await rest.balances()
        assert lane.start().wait(5)
        thread = lane._thread
        assert thread is not None and thread.is_alive() and thread.name == "cancel-lane"
        await rest.close()
        assert not thread.is_alive()
