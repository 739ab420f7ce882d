"""Cancel-replace rules (console.domain.replace): what may be replaced, and the replacement's amount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.domain.model import Order, OrderState, OrderType, Side
from console.domain.replace import replace_block, replacement_amount, replacement_errors, short_id
from console.domain.ticket import NewOrder

KEY = "account-ThisKey"
SYMBOLS = {"btcusd", "ethusd"}


def order(state: OrderState = OrderState.LIVE, *, amount: str = "1", filled: str = "0",
          order_id: str = "73797746498585286", api_session: str | None = KEY,
          symbol: str = "btcusd", side: Side = Side.BUY) -> Order:
    return Order(order_id, "tc-x-000001", symbol, side, OrderType.LIMIT, Decimal("64000.00"), Decimal(amount),
                 filled=Decimal(filled), remaining=Decimal(amount) - Decimal(filled), state=state,
                 api_session=api_session)


def new_order(amount: str = "0.7", *, symbol: str = "btcusd", side: Side = Side.BUY) -> NewOrder:
    return NewOrder(symbol, side, OrderType.LIMIT, Decimal("64100.00"), Decimal(amount), "tc-x-000002")


# -- the amount rule --------------------------------------------------------------------------------------------------
def test_unchanged_ticket_sends_the_original_minus_everything_filled_up_to_the_cancel():
    # 1.0 ordered, 0.3 filled when loaded (the ticket shows 0.7), 0.2 more filled before the cancel took effect.
    got = replacement_amount(Decimal("0.7"), filled_at_load=Decimal("0.3"),
                             final=order(OrderState.CANCELLED, filled="0.5"))
    assert got.amount == Decimal("0.5") == Decimal(1) - Decimal("0.5")
    assert got.filled_before_cancel == Decimal("0.5") and got.filled_after_load == Decimal("0.2")
    assert got.nothing_sent is None


def test_no_fill_meanwhile_sends_the_ticket_amount_exactly():
    got = replacement_amount(Decimal("0.7"), filled_at_load=Decimal("0.3"),
                             final=order(OrderState.CANCELLED, filled="0.3"))
    assert got.amount == Decimal("0.7") and got.filled_after_load == 0


def test_a_changed_amount_loses_only_the_fills_after_the_ticket_was_loaded():
    # The trader typed 2 (wanted more): 0.25 filled after loading comes off it.
    got = replacement_amount(Decimal("2"), filled_at_load=Decimal("0"),
                             final=order(OrderState.CANCELLED, filled="0.25"))
    assert got.amount == Decimal("1.75")


def test_decimal_arithmetic_is_exact():
    got = replacement_amount(Decimal("0.3"), filled_at_load=Decimal("0"),
                             final=order(OrderState.CANCELLED, amount="0.3", filled="0.1"))
    assert got.amount == Decimal("0.2") and str(got.amount) == "0.2"  # a float would give 0.19999999999999998


def test_fully_filled_old_order_sends_nothing_whatever_the_ticket_says():
    got = replacement_amount(Decimal("5"), filled_at_load=Decimal("0.3"),
                             final=order(OrderState.FILLED, filled="1"))
    assert got.amount == 0 and got.nothing_sent is not None and "filled completely" in got.nothing_sent


def test_a_cancelled_order_reported_with_nothing_remaining_is_not_taken_for_filled():
    # Roxom reports a cancelled order's leaves quantity as 0: only the executed amount says how much filled.
    final = order(OrderState.CANCELLED, filled="0.4").evolve(remaining=Decimal(0))
    got = replacement_amount(Decimal("1"), filled_at_load=Decimal("0"), final=final)
    assert got.amount == Decimal("0.6") and got.nothing_sent is None


def test_late_fills_eating_the_whole_ticket_send_nothing():
    # The trader lowered the ticket to 0.1; 0.2 filled after loading.
    got = replacement_amount(Decimal("0.1"), filled_at_load=Decimal("0"),
                             final=order(OrderState.CANCELLED, filled="0.2"))
    assert got.amount == 0 and got.nothing_sent is not None


def test_a_rest_below_the_minimum_order_size_is_not_sent():
    got = replacement_amount(Decimal("0.7"), filled_at_load=Decimal("0.3"),
                             final=order(OrderState.CANCELLED, filled="0.99999"), min_order_size=Decimal("0.0001"))
    assert got.amount == 0 and "minimum order size" in (got.nothing_sent or "")


def test_the_amount_is_computed_only_once_the_cancel_is_confirmed():
    with pytest.raises(ValueError, match="not confirmed"):
        replacement_amount(Decimal("1"), filled_at_load=Decimal(0), final=order(OrderState.PENDING_CANCEL))


# -- what may be replaced ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", [OrderState.LIVE, OrderState.PARTIALLY_FILLED, OrderState.ACCEPTED,
                                   OrderState.WAITING_TRIGGER])
def test_this_keys_working_orders_are_replaceable(state):
    assert replace_block(order(state), api_session=KEY, symbols=SYMBOLS) is None
    assert replace_block(order(state, api_session=None), api_session=KEY, symbols=SYMBOLS) is None


@pytest.mark.parametrize(("state", "words"), [
    (OrderState.PENDING_CANCEL, "already being cancelled"),
    (OrderState.FILLED, "filled"),
    (OrderState.CANCELLED, "cancelled"),
    (OrderState.REJECTED, "rejected"),
    (OrderState.UNKNOWN, "no answer"),
    (OrderState.PENDING_NEW, "no answer"),
])
def test_orders_that_are_not_working_are_refused_with_a_reason(state, words):
    assert words in (replace_block(order(state), api_session=KEY, symbols=SYMBOLS) or "")


def test_an_order_placed_elsewhere_or_of_another_symbol_or_nothing_selected_is_refused():
    assert "placed elsewhere" in (replace_block(order(api_session="UI"), api_session=KEY, symbols=SYMBOLS) or "")
    assert "does not offer" in (replace_block(order(symbol="solusd"), api_session=KEY, symbols=SYMBOLS) or "")
    assert "Select an order" in (replace_block(None, api_session=KEY, symbols=SYMBOLS) or "")


def test_a_replacement_keeps_symbol_and_side():
    assert replacement_errors(order(), new_order()) == {}
    assert set(replacement_errors(order(), new_order(side=Side.SELL))) == {"side"}
    assert set(replacement_errors(order(), new_order(symbol="ethusd"))) == {"symbol"}


def test_short_id():
    assert short_id("73797746498585286") == "585286"
    assert short_id("1234567") == "1234567"
