"""Blotter: events applied once, terminal states never regress, one row per order across REST and stream."""

from decimal import Decimal

from console.domain.blotter import Blotter
from console.domain.model import (
    EventKind,
    Fill,
    Liquidity,
    Order,
    OrderEvent,
    OrderState,
    OrderType,
    Side,
    can_transition,
)
from console.domain.ticket import NewOrder

D = Decimal


def order(state=OrderState.LIVE, filled="0", remaining="1", oid="101", cid="tc-a-000001", **kw):
    return Order(
        order_id=oid, client_order_id=cid, symbol="btcusd", side=Side.BUY, order_type=OrderType.LIMIT,
        price=D("100.00"), amount=D("1"), filled=D(filled), remaining=D(remaining), state=state,
        created_ms=1_000, **kw,
    )


def event(kind, eid, **kw):
    fill = kw.pop("fill", None)
    reason = kw.pop("reason", None)
    return OrderEvent(kind=kind, order=order(**kw), event_id=eid, fill=fill, reason=reason)


def fill(tid, amount="0.4"):
    return Fill(tid, "101", D("100.00"), D(amount), D("0.01"), "USD", Liquidity.MAKER)


def test_lifecycle_to_filled():
    b = Blotter()
    b.apply_event(event(EventKind.ACCEPTED, "e1", state=OrderState.ACCEPTED), 1)
    b.apply_event(event(EventKind.BOOKED, "e2"), 2)
    assert b.get("101").state is OrderState.LIVE
    b.apply_event(event(EventKind.FILL, "e3", filled="0.4", remaining="0.6", fill=fill("t1")), 3)
    assert b.get("101").state is OrderState.PARTIALLY_FILLED
    b.apply_event(event(EventKind.FILL, "e4", filled="1", remaining="0", fill=fill("t2", "0.6")), 4)
    b.apply_event(event(EventKind.CLOSED, "e5", filled="1", remaining="0"), 5)
    done = b.get("101")
    assert done.state is OrderState.FILLED and done.filled == D("1") and len(done.fills) == 2
    assert b.open_orders() == []


def test_duplicate_event_and_fill_applied_once():
    b = Blotter()
    b.apply_event(event(EventKind.BOOKED, "e2"), 1)
    first = b.apply_event(event(EventKind.FILL, "e3", filled="0.4", remaining="0.6", fill=fill("t1")), 2)
    again = b.apply_event(event(EventKind.FILL, "e3", filled="0.4", remaining="0.6", fill=fill("t1")), 3)
    other_event_same_trade = b.apply_event(
        event(EventKind.FILL, "e9", filled="0.8", remaining="0.2", fill=fill("t1")), 4
    )
    assert not first.duplicate and again.duplicate and other_event_same_trade.duplicate
    assert b.get("101").filled == D("0.4") and len(b.get("101").fills) == 1


def test_terminal_state_never_regresses():
    b = Blotter()
    b.apply_event(event(EventKind.CANCELLED, "e1", state=OrderState.CANCELLED, reason="Requested"), 1)
    late = b.apply_event(event(EventKind.BOOKED, "e0"), 2)
    assert late.order is None
    assert b.get("101").state is OrderState.CANCELLED and b.get("101").reason == "Requested"
    b.apply_snapshot(order(state=OrderState.LIVE), 3)
    assert b.get("101").state is OrderState.CANCELLED


def test_stream_event_before_rest_answer_is_one_row():
    b = Blotter()
    pending = b.add_pending(
        NewOrder("btcusd", Side.BUY, OrderType.LIMIT, D("100.00"), D("1"), "tc-a-000001"), 1
    )
    assert pending.state is OrderState.PENDING_NEW and len(b.open_orders()) == 1
    b.apply_event(event(EventKind.ACCEPTED, "e1", state=OrderState.ACCEPTED), 2)
    b.apply_event(event(EventKind.BOOKED, "e2"), 3)
    b.apply_snapshot(order(state=OrderState.LIVE), 4)  # the REST answer arrives last
    rows = b.open_orders()
    assert len(rows) == 1 and rows[0].order_id == "101" and rows[0].state is OrderState.LIVE
    assert b.by_client_order_id("tc-a-000001").order_id == "101"


def test_pending_cancel_can_still_fill_then_cancel_confirms():
    b = Blotter()
    b.apply_event(event(EventKind.BOOKED, "e1"), 1)
    assert b.mark_pending_cancel("101", 2).state is OrderState.PENDING_CANCEL
    b.apply_event(event(EventKind.FILL, "e2", filled="0.4", remaining="0.6", fill=fill("t1")), 3)
    assert b.get("101").state is OrderState.PENDING_CANCEL and b.get("101").filled == D("0.4")
    b.apply_event(event(EventKind.CANCELLED, "e3", filled="0.4", remaining="0.6", reason="Requested"), 4)
    assert b.get("101").state is OrderState.CANCELLED


def test_cancel_rejected_restores_live():
    b = Blotter()
    b.apply_event(event(EventKind.BOOKED, "e1"), 1)
    b.mark_pending_cancel("101", 2)
    b.apply_event(event(EventKind.CANCEL_REJECTED, "e2", reason="IneligibleTiming"), 3)
    assert b.get("101").state is OrderState.LIVE


def test_reject_pending_and_listeners():
    b = Blotter()
    seen = []
    b.add_listener(lambda changed: seen.append([o.state for o in changed]))
    b.add_pending(NewOrder("btcusd", Side.BUY, OrderType.LIMIT, D("1"), D("1"), "tc-a-000002"), 1)
    rejected = b.reject_pending("tc-a-000002", "InvalidPrice", 2)
    assert rejected.state is OrderState.REJECTED and rejected.reason == "InvalidPrice"
    assert seen == [[OrderState.PENDING_NEW], [OrderState.REJECTED]]
    assert b.open_orders() == []


def test_apply_many_notifies_once_per_order():
    b = Blotter()
    calls = []
    b.add_listener(calls.append)
    b.apply_many([event(EventKind.ACCEPTED, "e1", state=OrderState.ACCEPTED), event(EventKind.BOOKED, "e2")], 1)
    assert len(calls) == 1 and [o.state for o in calls[0]] == [OrderState.LIVE]


def test_transition_table():
    assert can_transition(OrderState.LIVE, OrderState.FILLED)
    assert not can_transition(OrderState.FILLED, OrderState.LIVE)
    assert not can_transition(OrderState.CANCELLED, OrderState.PENDING_CANCEL)
    assert can_transition(OrderState.PENDING_CANCEL, OrderState.FILLED)
    assert can_transition(OrderState.UNKNOWN, OrderState.LIVE)


def test_rest_reject_then_stream_reject_is_one_order_one_change():
    b = Blotter()
    b.add_pending(NewOrder("btcusd", Side.BUY, OrderType.LIMIT, D("100.00"), D("1"), "tc-a-000001"), 1)
    b.reject_pending("tc-a-000001", "InsufficientFunds", 2)
    applied = b.apply_event(
        event(EventKind.REJECTED, "e1", state=OrderState.REJECTED, reason="InsufficientFunds"), 3
    )
    assert applied.previous_state is OrderState.REJECTED and not applied.state_changed
    assert len(b.orders()) == 1 and b.orders()[0].order_id == "101"


def test_stream_reject_then_rest_reject_changes_nothing():
    b = Blotter()
    b.add_pending(NewOrder("btcusd", Side.BUY, OrderType.LIMIT, D("100.00"), D("1"), "tc-a-000001"), 1)
    applied = b.apply_event(
        event(EventKind.REJECTED, "e1", state=OrderState.REJECTED, reason="InsufficientFunds"), 2
    )
    assert applied.previous_state is OrderState.PENDING_NEW and applied.state_changed
    assert b.reject_pending("tc-a-000001", "InsufficientFunds", 3) is None
    assert len(b.orders()) == 1


def test_fill_after_terminal_rest_answer_is_recorded_without_changing_state():
    b = Blotter()
    b.apply_snapshot(order(state=OrderState.CANCELLED, filled="0.4", remaining="0.6"), 1)
    applied = b.apply_event(event(EventKind.FILL, "e1", filled="0.4", remaining="0.6", fill=fill("t1")), 2)
    assert applied.order is not None and not applied.state_changed
    assert b.get("101").state is OrderState.CANCELLED and b.get("101").filled == D("0.4")
    assert [f.trade_id for f in b.get("101").fills] == ["t1"]
    assert b.apply_event(event(EventKind.FILL, "e1", fill=fill("t1")), 3).duplicate


def test_fill_beyond_the_order_amount_is_flagged_not_applied():
    b = Blotter()
    b.apply_event(event(EventKind.FILL, "e1", filled="0.6", remaining="0.4", fill=fill("t1", "0.6")), 1)
    too_much = b.apply_event(event(EventKind.FILL, "e2", filled="1.2", remaining="0", fill=fill("t2", "0.6")), 2)
    assert too_much.flagged and too_much.order is None
    assert b.get("101").filled == D("0.6") and len(b.get("101").fills) == 1
    assert b.apply_snapshot(order(filled="3", remaining="0", state=OrderState.FILLED), 3) is None
    assert b.get("101").state is OrderState.PARTIALLY_FILLED
    assert len(b.flagged) == 2


def test_snapshot_keeps_pending_cancel_until_the_venue_confirms():
    b = Blotter()
    b.apply_snapshot(order(), 1)
    b.mark_pending_cancel("101", 2)
    b.apply_snapshot(order(filled="0.5", remaining="0.5", state=OrderState.PARTIALLY_FILLED), 3)
    assert b.get("101").state is OrderState.PENDING_CANCEL and b.get("101").filled == D("0.5")
    b.apply_snapshot(order(filled="0.5", remaining="0.5", state=OrderState.CANCELLED), 4)
    assert b.get("101").state is OrderState.CANCELLED


def test_trade_detail_from_mytrades_is_recorded_once_and_never_beyond_amount():
    b = Blotter()
    b.apply_snapshot(order(filled="0.8", remaining="0.2", state=OrderState.PARTIALLY_FILLED), 1)
    assert b.record_fill(fill("t1"), 2) is not None
    assert b.record_fill(fill("t1"), 3) is None  # the same trade twice
    assert b.record_fill(fill("t2"), 4) is not None
    assert b.record_fill(fill("t3"), 5) is None and b.flagged  # 0.4 * 3 > 1
    assert [f.trade_id for f in b.get("101").fills] == ["t1", "t2"]
    assert b.get("101").filled == D("0.8")  # amounts stay the venue's


def test_every_terminal_state_is_final_in_the_table():
    for terminal in (OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED):
        for other in OrderState:
            assert can_transition(terminal, other) is (other is terminal)
    assert can_transition(OrderState.UNKNOWN, OrderState.LIVE) and not can_transition(OrderState.LIVE,
                                                                                        OrderState.UNKNOWN)
    assert can_transition(OrderState.PENDING_CANCEL, OrderState.FILLED)  # a cancel in flight can still fill


def test_ended_orders_beyond_the_limit_are_forgotten_open_ones_never(monkeypatch):
    from console.domain import blotter as blotter_module

    monkeypatch.setattr(blotter_module, "MAX_ENDED_ORDERS", 3)
    b = Blotter()
    b.apply_event(event(EventKind.BOOKED, "keep", oid="900", cid="tc-open"), 1)  # stays open throughout
    for n in range(6):
        oid, cid = str(200 + n), f"tc-{n}"
        b.apply_event(event(EventKind.BOOKED, f"b{n}", oid=oid, cid=cid), 2)
        b.apply_event(event(EventKind.CANCELLED, f"c{n}", oid=oid, cid=cid, state=OrderState.CANCELLED,
                            reason="Requested"), 3)
    # Six ended, three kept (the newest); the open order is untouched.
    assert [b.get(str(200 + n)) is not None for n in range(6)] == [False, False, False, True, True, True]
    assert b.by_client_order_id("tc-0") is None and b.by_client_order_id("tc-5").order_id == "205"
    assert b.get("900").state is OrderState.LIVE and [o.order_id for o in b.open_orders()] == ["900"]
    assert len(b) == 4
    # Ending the same order twice (a duplicate of its cancel under a new event id) does not count twice.
    b.apply_event(event(EventKind.CLOSED, "late", oid="205", cid="tc-5", state=OrderState.CANCELLED), 4)
    assert b.get("203") is not None


def test_event_and_trade_ids_are_remembered_up_to_the_limit(monkeypatch):
    from console.domain import blotter as blotter_module

    ids = blotter_module.RecentIds(3)
    for key in ("a", "b", "c", "b", "d"):
        ids.add(key)
    assert "a" not in ids and all(k in ids for k in "bcd") and len(ids) == 3

    monkeypatch.setattr(blotter_module, "MAX_SEEN_IDS", 2)
    b = Blotter()
    b.apply_event(event(EventKind.BOOKED, "e1"), 1)
    assert b.apply_event(event(EventKind.BOOKED, "e1"), 2).duplicate  # remembered
    b.apply_event(event(EventKind.FILL, "e2", filled="0.4", remaining="0.6", fill=fill("t1")), 3)
    b.apply_event(event(EventKind.FILL, "e3", filled="0.8", remaining="0.2", fill=fill("t2")), 4)
    assert not b.apply_event(event(EventKind.BOOKED, "e1", filled="0.8", remaining="0.2"), 5).duplicate


def test_iter_open_orders_is_open_orders_in_any_order():
    """The ladder's once-a-second own-order marks read every open order: the same orders as ``open_orders``,
    without sorting (or copying) a blotter of thousands."""
    b = Blotter()
    b.apply_snapshot(order(oid="101", cid="a"), 1)
    b.apply_snapshot(order(oid="102", cid="b", state=OrderState.CANCELLED, remaining="0"), 1)
    b.apply_snapshot(order(oid="103", cid="c", state=OrderState.PARTIALLY_FILLED, filled="0.5", remaining="0.5"), 1)
    b.add_pending(NewOrder("btcusd", Side.BUY, OrderType.LIMIT, D("1"), D("1"), "tc-a-000009"), 1)
    assert sorted(id(o) for o in b.iter_open_orders()) == sorted(id(o) for o in b.open_orders())
    assert len(b.open_orders()) == 3
