"""The reliability property test on ``--api ws`` (Gemini's WebSocket API): random orders, cancels, market fills,
faults on ``order.place`` / ``order.cancel`` and dropped sockets; after settling, the console's blotter equals the
exchange and no client order id was ever placed twice.

The same machine as tests/reliability/test_property_faults.py over ``GeminiWsVenue``. The new API has no sequence
numbers, so its stream faults are dropped sockets (``server.ws_api.drop_all``). The venue's 30 s replay window (an
``order.place`` whose answer was lost is kept UNKNOWN that long) is scaled down to 0.3 s so a run takes seconds.
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

FAST = {"stale_after_s": 0.3, "rest_timeout_s": 0.3, "api": "ws", "replay_window_ms": 300}

WS_FAULTS = [
    (FaultKind.DROP_RESPONSE, "/ws:order.place"),
    (FaultKind.DROP_REQUEST, "/ws:order.place"),
    (FaultKind.HTTP_ERROR, "/ws:order.place"),
    (FaultKind.HTTP_429, "/ws:order.place"),
    (FaultKind.DELAY, "/ws:order.place"),
    (FaultKind.DROP_RESPONSE, "/ws:order.cancel"),
    (FaultKind.HTTP_ERROR, "/ws:order.cancel"),
]


class ConsoleVsExchangeWs(RuleBasedStateMachine):
    """The console trading over the WebSocket API against a misbehaving exchange."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.rig_cm = rig(session_kwargs=dict(FAST), server_kwargs={"heartbeat_interval_s": 0.05})
        self.r = self.run(self.rig_cm.__aenter__())
        self.placed: list[str] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def idle(self, seconds: float = 0.01) -> None:
        self.run(asyncio.sleep(seconds))

    @rule(side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4), lots=st.integers(1, 3))
    def place(self, side: Side, ticks: int, lots: int) -> None:
        price = 50000 - ticks if side is Side.BUY else 50001 + ticks
        session = self.r.session
        ticket = self.r.ticket(side, f"{price}.00", f"0.00{lots}")
        count = len(session.blotter.orders())
        try:
            order = self.run(session.submit(session.prepare(ticket)))
        except TradingBlocked as blocked:
            assert str(blocked) and count == len(session.blotter.orders())
            return
        assert order is not None
        self.placed.append(order.client_order_id)
        self.idle()

    @rule(fault=st.sampled_from([f for f in WS_FAULTS if f[1] == "/ws:order.place"]),
          side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4))
    def place_into_a_fault(self, fault, side: Side, ticks: int) -> None:
        kind, path = fault
        self.r.server.faults.arm(kind, path=path, delay_s=FAST["rest_timeout_s"] * 2)
        self.place(side, ticks, 1)

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        candidates = [o for o in self.r.session.blotter.open_orders() if o.order_id]
        if not candidates:
            return
        self.run(self.r.session.cancel(candidates[pick % len(candidates)].order_id))
        self.idle()

    @rule(side=st.sampled_from(["buy", "sell"]), lots=st.integers(1, 4))
    def market_fill(self, side: str, lots: int) -> None:
        price = "49990.00" if side == "sell" else "50011.00"
        self.r.server.engine.place_order(self.r.maker_account, "maker", symbol="btcusd", side=side,
                                         order_type="exchange limit", amount=f"0.00{lots}", price=price,
                                         options=["immediate-or-cancel"])
        self.idle()

    @rule(fault=st.sampled_from(WS_FAULTS))
    def ws_fault(self, fault) -> None:
        kind, path = fault
        self.r.server.faults.arm(kind, path=path, delay_s=FAST["rest_timeout_s"] * 2)

    @rule(abrupt=st.booleans())
    def drop_socket(self, abrupt: bool) -> None:
        self.run(self.r.server.ws_api.drop_all(abrupt=abrupt))
        self.idle()

    @invariant()
    def never_placed_twice(self) -> None:
        for client_order_id in self.placed:
            assert self.r.placements(client_order_id) <= 1, client_order_id

    def teardown(self) -> None:
        try:
            self.r.server.faults.clear()
            self.run(self.r.settled(timeout=10.0))
            for order in self.r.session.blotter.orders():
                assert sum((f.amount for f in order.fills), start=order.filled * 0) == order.filled, order
                assert len({f.trade_id for f in order.fills}) == len(order.fills)
            for client_order_id in self.placed:
                assert self.r.placements(client_order_id) <= 1
                order = self.r.session.blotter.by_client_order_id(client_order_id)
                assert order is not None and order.state is not OrderState.UNKNOWN
        finally:
            self.run(self.rig_cm.__aexit__(None, None, None))
            self.loop.close()


def test_console_matches_exchange_under_random_faults_over_ws():
    examples = int(os.environ.get("RELIABILITY_EXAMPLES_WS", "60"))
    run_state_machine_as_test(
        ConsoleVsExchangeWs,
        settings=settings(max_examples=examples, stateful_step_count=6, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), print_blob=True),
    )
