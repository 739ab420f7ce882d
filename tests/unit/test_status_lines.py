"""Which order events have a status line of their own: the stream applies a batch and writes only those."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from console.domain.model import EventKind, Fill, Liquidity, Order, OrderEvent, OrderState, OrderType, Side
from console.trading.session import StatusEntry, TradingSession
from console.trading.status_text import REPORTED_KINDS

D = Decimal


def _order(state: OrderState = OrderState.LIVE) -> Order:
    return Order("7001", "tc-test-000001", "btcusd", Side.BUY, OrderType.LIMIT, D("64250.00"), D("0.5"), None, (),
                 D("0.1"), D("0.4"), D("64250.00"), state, None, None, 1, 1)


@pytest.mark.parametrize("kind", list(EventKind))
def test_an_event_kind_has_a_status_line_exactly_when_it_is_a_reported_kind(kind: EventKind) -> None:
    # The stream skips _status_for_event for the kinds outside REPORTED_KINDS: none of them may have a line.
    session = TradingSession(SimpleNamespace(api_session="key"))  # no venue call is made (tests are not typed)
    lines: list[StatusEntry] = []
    session.listener.status = lines.append
    fill = Fill("9001", "7001", D("64250.00"), D("0.1"), D("1.61"), "USD", Liquidity.MAKER, 1)
    event = OrderEvent(kind, _order(), "e1", fill if kind is EventKind.FILL else None, "MakerOrCancelWouldTake")
    session._status_for_event(event, _order())
    assert bool(lines) == (kind in REPORTED_KINDS)
