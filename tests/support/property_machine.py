"""The reliability property test's state machine, shared by ``--api rest``, ``--api ws`` and the local Roxom venue.

Random orders, cancels, market fills, faults on the order requests and dropped order streams; after settling, the
console's blotter equals the exchange and no client order id was ever placed twice. Each example runs a fresh local
exchange and session in their own event loop over real loopback sockets (``tests.support.reliability.rig``).

A subclass says which API it drives: the rig's settings (:attr:`SESSION_KWARGS`, :attr:`SERVER_KWARGS`), the order
request faults (:attr:`FAULTS`, ``(kind, path)``; those on :attr:`PLACE_PATH` are the place faults) and how the
order stream is dropped (:meth:`drop_stream`). It may add rules of its own (the REST stream's sequence faults).
Another venue (the local Roxom venue) also says how its rig is made (:meth:`open_rig`: ``server`` with ``faults``,
``session``, ``ticket``, ``placements`` and ``settled`` as on :class:`tests.support.reliability.Rig`), what a
ticket ``ticks`` from the touch is (:meth:`ticket_at`) and how another account crosses the spread (:meth:`cross`).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from console.domain.model import OrderState, Side
from console.domain.ticket import TicketInput
from console.exchange.faults import FaultKind
from console.trading.session import TradingBlocked
from tests.support.reliability import rig

__all__ = ["ConsoleVsExchangeBase"]


class ConsoleVsExchangeBase(RuleBasedStateMachine):
    """The console trading against a misbehaving exchange (abstract: see the module docstring)."""

    #: The session's settings (``stale_after_s``, ``rest_timeout_s``, ``api``, ...).
    SESSION_KWARGS: ClassVar[dict[str, Any]] = {}
    #: The local exchange's settings.
    SERVER_KWARGS: ClassVar[dict[str, Any]] = {}
    #: Faults on the order requests, ``(kind, path)`` (the local Roxom venue's kinds are the same strings).
    FAULTS: ClassVar[list[tuple[FaultKind, str]]] = []
    #: The path of a new order (its faults make the ambiguous case common).
    PLACE_PATH: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.rig_cm = self.open_rig()
        self.r = self.run(self.rig_cm.__aenter__())
        self.placed: list[str] = []

    def open_rig(self) -> Any:
        """The async context manager of this example's rig (default: the local Gemini exchange's)."""
        return rig(session_kwargs=dict(self.SESSION_KWARGS), server_kwargs=dict(self.SERVER_KWARGS))

    def ticket_at(self, side: Side, ticks: int, lots: int) -> TicketInput:
        """A limit ticket ``ticks`` away from the spread (never crossing it), ``lots`` small units."""
        price = 50000 - ticks if side is Side.BUY else 50001 + ticks
        return self.r.ticket(side, f"{price}.00", f"0.00{lots}")

    def cross(self, side: str, lots: int) -> None:
        """Another account crosses the spread with an immediate-or-cancel order of ``lots``: our resting orders
        on the other side fill."""
        price = "49990.00" if side == "sell" else "50011.00"
        self.r.server.engine.place_order(self.r.maker_account, "maker", symbol="btcusd", side=side,
                                         order_type="exchange limit", amount=f"0.00{lots}", price=price,
                                         options=["immediate-or-cancel"])

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def idle(self, seconds: float = 0.01) -> None:
        self.run(asyncio.sleep(seconds))  # let the stream and background retries run between steps

    @property
    def fault_delay_s(self) -> float:
        """A delayed answer arrives after the client gave up on it."""
        return float(self.SESSION_KWARGS["rest_timeout_s"]) * 2

    def arm(self, kind: FaultKind, path: str, status: int = 502) -> None:
        self.r.server.faults.arm(kind, path=path, status=status, delay_s=self.fault_delay_s)

    async def drop_stream(self, abrupt: bool) -> None:
        """Drop the order stream's socket(s) (subclasses)."""
        raise NotImplementedError

    def before_settle(self) -> None:
        """Undo what the faults left pending before the final comparison (subclasses may add to it)."""
        self.r.server.faults.clear()

    # -- rules (no preconditions: which orders are open depends on timing, and hypothesis needs the same draws on
    # replay; faults are picked by index for the same reason and so that one rule serves both APIs) ------------
    @rule(side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4), lots=st.integers(1, 3))
    def place(self, side: Side, ticks: int, lots: int) -> None:
        session = self.r.session
        ticket = self.ticket_at(side, ticks, lots)
        count = len(session.blotter.orders())
        try:
            order = self.run(session.submit(session.prepare(ticket)))
        except TradingBlocked as blocked:  # stale or reconciling: refused before anything was recorded or sent
            assert str(blocked) and count == len(session.blotter.orders())
            return
        assert order is not None
        self.placed.append(order.client_order_id)
        self.idle()

    @rule(pick=st.integers(0, 50), side=st.sampled_from([Side.BUY, Side.SELL]), ticks=st.integers(0, 4))
    def place_into_a_fault(self, pick: int, side: Side, ticks: int) -> None:
        """The ambiguous case made common: the very next new order meets a fault."""
        faults = [f for f in self.FAULTS if f[1] == self.PLACE_PATH]
        kind, path = faults[pick % len(faults)]
        self.arm(kind, path)
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
        self.cross(side, lots)
        self.idle()

    @rule(pick=st.integers(0, 50), status=st.sampled_from([500, 502, 504]))
    def request_fault(self, pick: int, status: int) -> None:
        kind, path = self.FAULTS[pick % len(self.FAULTS)]
        self.arm(kind, path, status)

    @rule(abrupt=st.booleans())
    def close_stream(self, abrupt: bool) -> None:
        self.run(self.drop_stream(abrupt))
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
    def after_settle(self) -> None:
        """More checks once the blotter equals the exchange (subclasses)."""

    def teardown(self) -> None:
        try:
            self.before_settle()
            self.run(self.r.settled(timeout=10.0))
            for order in self.r.session.blotter.orders():  # each fill's detail recorded exactly once
                assert sum((f.amount for f in order.fills), start=order.filled * 0) == order.filled, order
                assert len({f.trade_id for f in order.fills}) == len(order.fills)
            for client_order_id in self.placed:
                assert self.r.placements(client_order_id) <= 1
                order = self.r.session.blotter.by_client_order_id(client_order_id)
                assert order is not None and order.state is not OrderState.UNKNOWN
            self.after_settle()
        finally:
            self.run(self.rig_cm.__aexit__(None, None, None))
            self.loop.close()


def run_machine(machine: type[RuleBasedStateMachine], examples_env: str, default_examples: int) -> None:
    """Run ``machine`` as a test: ``$examples_env`` examples (``default_examples`` when unset) of 6 steps each,
    derandomized (the same examples every run), no deadline, every health check off, and the failing example's
    blob printed so it can be replayed."""
    examples = int(os.environ.get(examples_env, str(default_examples)))
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=examples, stateful_step_count=6, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), print_blob=True),
    )
