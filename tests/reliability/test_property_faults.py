"""Property test (hypothesis stateful): random orders, cancels, market fills and faults; after settling, the console's
blotter equals the exchange and no client order id was ever placed twice.

Each example runs a fresh local exchange and session in their own event loop over real loopback sockets, with a
short heartbeat watchdog so stream faults are detected in a fraction of a second. 200 examples run in ``make test``;
benchmarks/soak_reliability.py runs the same machine much longer.
"""

from __future__ import annotations

import asyncio
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from console.domain.model import OrderState, Side
from console.exchange.faults import FaultKind
from console.trading.session import TradingBlocked
from tests.support.reliability import rig

#: Fast settings for the property run: heartbeats every 30 ms, the watchdog at 0.25 s, REST timeout 0.3 s.
FAST = {
    "server_kwargs": {"heartbeat_interval_s": 0.03},
    "stale_after_s": 0.25,
    "rest_timeout_s": 0.3,
}

REST_FAULTS = [
    (FaultKind.DROP_RESPONSE, "/v1/order/new"),
    (FaultKind.DROP_REQUEST, "/v1/order/new"),
    (FaultKind.HTTP_ERROR, "/v1/order/new"),
    (FaultKind.HTTP_429, "/v1/order/new"),
    (FaultKind.DELAY, "/v1/order/new"),
    (FaultKind.DROP_RESPONSE, "/v1/order/cancel"),
    (FaultKind.HTTP_ERROR, "/v1/order/cancel"),
]
STREAM_FAULTS = [FaultKind.SEQ_SKIP, FaultKind.SEQ_REPEAT, FaultKind.SEQ_RESET, FaultKind.DUPLICATE_EVENTS,
                 FaultKind.REORDER_EVENTS]


class ConsoleVsExchange(RuleBasedStateMachine):
    """The console trading against a misbehaving exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.rig_cm = rig(session_kwargs={"stale_after_s": FAST["stale_after_s"],
                                          "rest_timeout_s": FAST["rest_timeout_s"]},
                          server_kwargs=FAST["server_kwargs"])
        self.r = self.run(self.rig_cm.__aenter__())
        self.placed: list[str] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def idle(self, seconds: float = 0.01) -> None:
        self.run(asyncio.sleep(seconds))  # let the stream and background retries run between steps

    # -- rules -------------------------------------------------------------------------------------------------
    @rule(side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4), lots=st.integers(1, 3))
    def place(self, side: Side, ticks: int, lots: int) -> None:
        price = 50000 - ticks if side is Side.BUY else 50001 + ticks
        session = self.r.session
        ticket = self.r.ticket(side, f"{price}.00", f"0.00{lots}")
        ticket_count = len(session.blotter.orders())
        try:
            order = self.run(session.submit(session.prepare(ticket)))
        except TradingBlocked as blocked:  # stale or reconciling: refused before anything was recorded or sent
            assert str(blocked) and ticket_count == len(session.blotter.orders())
            return
        assert order is not None
        self.placed.append(order.client_order_id)
        self.idle()

    @rule(fault=st.sampled_from([f for f in REST_FAULTS if f[1] == "/v1/order/new"]),
          side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4))
    def place_into_a_fault(self, fault, side: Side, ticks: int) -> None:
        """The ambiguous case made common: the very next new order meets a REST fault."""
        kind, path = fault
        self.r.server.faults.arm(kind, path=path, status=502, delay_s=FAST["rest_timeout_s"] * 2)
        self.place(side, ticks, 1)

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        # No precondition: which orders are open depends on timing, and hypothesis needs the same draws on replay.
        candidates = [o for o in self.r.session.blotter.open_orders() if o.order_id]
        if not candidates:
            return
        self.run(self.r.session.cancel(candidates[pick % len(candidates)].order_id))
        self.idle()

    @rule(side=st.sampled_from(["buy", "sell"]), lots=st.integers(1, 4))
    def market_fill(self, side: str, lots: int) -> None:
        # Another account crosses the spread with an immediate-or-cancel order: our resting orders fill.
        price = "49990.00" if side == "sell" else "50011.00"
        self.r.server.engine.place_order(self.r.maker_account, "maker", symbol="btcusd", side=side,
                                         order_type="exchange limit", amount=f"0.00{lots}", price=price,
                                         options=["immediate-or-cancel"])
        self.idle()

    @rule(fault=st.sampled_from(REST_FAULTS), status=st.sampled_from([500, 502, 504]))
    def rest_fault(self, fault, status: int) -> None:
        kind, path = fault
        self.r.server.faults.arm(kind, path=path, status=status, delay_s=FAST["rest_timeout_s"] * 2)

    @rule(kind=st.sampled_from(STREAM_FAULTS))
    def stream_fault(self, kind: FaultKind) -> None:
        self.r.server.faults.arm(kind)
        self.idle()

    @rule(abrupt=st.booleans())
    def close_stream(self, abrupt: bool) -> None:
        self.run(self.r.server.faults.close_streams(abrupt=abrupt))
        self.idle()

    @invariant()
    def never_placed_twice(self) -> None:
        for client_order_id in self.placed:
            assert self.r.placements(client_order_id) <= 1, client_order_id

    @invariant()
    def terminal_orders_stay_terminal(self) -> None:
        for order in self.r.session.blotter.orders():
            if order.state.is_terminal:
                assert order.filled <= order.amount

    # -- settle and compare ------------------------------------------------------------------------------------
    def teardown(self) -> None:
        try:
            faults = self.r.server.faults
            faults.clear()
            if faults._held:  # a batch held back for reordering and never released: resync as a client would
                self.run(faults.close_streams(abrupt=True))
            self.run(self.r.settled(timeout=10.0))
            for order in self.r.session.blotter.orders():  # each fill's detail recorded exactly once
                assert sum((f.amount for f in order.fills), start=order.filled * 0) == order.filled, order
                assert len({f.trade_id for f in order.fills}) == len(order.fills)
            for client_order_id in self.placed:
                assert self.r.placements(client_order_id) <= 1
                order = self.r.session.blotter.by_client_order_id(client_order_id)
                assert order is not None and order.state is not OrderState.UNKNOWN
        finally:
            self.run(self.rig_cm.__aexit__(None, None, None))
            self.loop.close()


def test_console_matches_exchange_under_random_faults():
    examples = int(os.environ.get("RELIABILITY_EXAMPLES", "200"))
    run_state_machine_as_test(
        ConsoleVsExchange,
        settings=settings(max_examples=examples, stateful_step_count=6, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), print_blob=True),
    )
