"""A fill already on an order from the venue's order detail is the same trade when it comes again: never a flag.

Found by the Roxom reliability property test: an order filled while the stream was down is settled by the order by
id (its detail carries the fills, with the stream's trade ids); the gap's fills from the transaction log then name
the same trades. They were not known as seen, so the blotter refused them as "would exceed its amount" and the
status pane showed "Refused impossible data from the exchange" for a perfectly consistent venue.
"""

from decimal import Decimal

from console.domain.blotter import Blotter
from console.domain.model import EventKind, Fill, Liquidity, Order, OrderEvent, OrderState, OrderType, Side

D = Decimal


def order(state: OrderState, filled: str, fills: tuple[Fill, ...] = ()) -> Order:
    return Order(order_id="0190-a", client_order_id="rox-1", symbol="gold-btc", side=Side.BUY,
                 order_type=OrderType.LIMIT, price=D("0.025"), amount=D("1"), filled=D(filled),
                 remaining=D(1) - D(filled), state=state, created_ms=1_000, fills=fills)


def fill(trade_id: str, amount: str) -> Fill:
    return Fill(trade_id, "0190-a", D("0.025"), D(amount), D("0.0000001"), "BTC", Liquidity.MAKER)


def test_a_log_fill_already_in_the_order_detail_is_a_duplicate_not_a_flag() -> None:
    b = Blotter()
    b.apply_snapshot(order(OrderState.LIVE, "0"), 1)
    b.apply_snapshot(order(OrderState.FILLED, "1", (fill("0190-a@1", "1"),)), 2)  # the order by id, with its fill
    assert b.record_fill(fill("0190-a@1", "1"), 3) is None  # the transaction log names the same trade
    assert b.flagged == []
    assert [f.trade_id for f in b.get("0190-a").fills] == ["0190-a@1"]


def test_a_stream_fill_already_in_the_order_detail_is_a_duplicate_not_a_flag() -> None:
    b = Blotter()
    b.apply_snapshot(order(OrderState.PARTIALLY_FILLED, "0.6", (fill("0190-a@0.6", "0.6"),)), 1)
    late = OrderEvent(EventKind.FILL, order(OrderState.PARTIALLY_FILLED, "0.6"), None, fill("0190-a@0.6", "0.6"))
    applied = b.apply_event(late, 2)
    assert applied.duplicate and not applied.flagged and b.flagged == []
    assert b.get("0190-a").filled == D("0.6") and len(b.get("0190-a").fills) == 1
    nxt = OrderEvent(EventKind.FILL, order(OrderState.FILLED, "1"), None, fill("0190-a@1", "0.4"))
    assert b.apply_event(nxt, 3).order is not None and len(b.get("0190-a").fills) == 2  # a new trade still counts
