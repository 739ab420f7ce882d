"""Ticket validation: a table of cases, each either an order or errors on named fields (nothing sent)."""

from decimal import Decimal

import pytest

from console.domain.model import ExecOption, OrderType, Side, SymbolRules
from console.domain.ticket import (
    CLIENT_ORDER_ID_RE,
    ClientOrderIds,
    NewOrder,
    TicketErrors,
    TicketInput,
    parse_decimal,
    validate_ticket,
)

BTC = SymbolRules("btcusd", "BTC", "USD", Decimal("1E-8"), Decimal("0.01"), Decimal("0.00001"))
SOL = SymbolRules("solusd", "SOL", "USD", Decimal("0.000001"), Decimal("0.001"), Decimal("0.001"))
RULES = {"btcusd": BTC, "solusd": SOL}

LIMIT, STOP = OrderType.LIMIT, OrderType.STOP_LIMIT
BUY, SELL = Side.BUY, Side.SELL
MOC, IOC, FOK = ExecOption.MAKER_OR_CANCEL, ExecOption.IMMEDIATE_OR_CANCEL, ExecOption.FILL_OR_KILL


def ticket(symbol="btcusd", side=BUY, order_type=LIMIT, price="64250.00", amount="0.01", stop="", option=None):
    return TicketInput(symbol, side, order_type, price, amount, stop, option)


VALID = [
    ticket(),
    ticket(price="64250", amount="0.00001"),
    ticket(price=" 64250.01 ", amount="1.12345678"),
    ticket(symbol="solusd", price="142.505", amount="0.001"),
    ticket(option=MOC),
    ticket(option=IOC),
    ticket(option=FOK),
    ticket(order_type=STOP, price="64300.00", stop="64250.00"),
    ticket(order_type=STOP, side=SELL, price="64200.00", stop="64250.00"),
    ticket(order_type=LIMIT, stop="garbage"),  # a stop price is ignored on a plain limit order
]

INVALID = [
    (ticket(symbol="xyzusd"), {"symbol"}),
    (ticket(price=""), {"price"}),
    (ticket(price="abc"), {"price"}),
    (ticket(price="1e5"), {"price"}),
    (ticket(price="-1"), {"price"}),
    (ticket(price="0"), {"price"}),
    (ticket(price="0.00"), {"price"}),
    (ticket(price="NaN"), {"price"}),
    (ticket(price="Infinity"), {"price"}),
    (ticket(price="64,250.00"), {"price"}),
    (ticket(price="64250.001"), {"price"}),
    (ticket(symbol="solusd", price="142.5005", amount="1"), {"price"}),
    (ticket(amount=""), {"amount"}),
    (ticket(amount="0.000001"), {"amount"}),
    (ticket(amount="0.000010001"), {"amount"}),
    (ticket(symbol="solusd", price="142.5", amount="0.0005"), {"amount"}),
    (ticket(price="x", amount="y"), {"price", "amount"}),
    (ticket(order_type=STOP, price="64300.00", stop=""), {"stop_price"}),
    (ticket(order_type=STOP, price="64300.00", stop="64300.00"), {"stop_price"}),
    (ticket(order_type=STOP, price="64200.00", stop="64250.00"), {"stop_price"}),
    (ticket(order_type=STOP, side=SELL, price="64300.00", stop="64250.00"), {"stop_price"}),
    (ticket(order_type=STOP, price="64300.00", stop="64250.005"), {"stop_price"}),
    (ticket(order_type=STOP, price="100000.00", stop="60000.00"), {"price"}),
    (ticket(order_type=STOP, price="64300.00", stop="64250.00", option=IOC), {"option"}),
]


@pytest.mark.parametrize("t", VALID)
def test_valid_tickets_become_orders(t):
    order = validate_ticket(t, RULES.get(t.symbol), "tc-test-000001")
    assert isinstance(order, NewOrder)
    assert order.price == Decimal(t.price.strip())
    assert order.amount == Decimal(t.amount)
    assert order.options == ((t.option,) if t.option else ())
    assert order.stop_price == (Decimal(t.stop_price) if t.order_type is STOP else None)
    assert order.client_order_id == "tc-test-000001"


@pytest.mark.parametrize(("t", "fields"), INVALID)
def test_invalid_tickets_name_each_field(t, fields):
    with pytest.raises(TicketErrors) as info:
        validate_ticket(t, RULES.get(t.symbol), "tc-test-000001")
    assert set(info.value.errors) == fields
    assert all(message.endswith(".") for message in info.value.errors.values())


def test_messages_quote_the_increment_without_exponent():
    with pytest.raises(TicketErrors) as info:
        validate_ticket(ticket(amount="0.000010001"), BTC, "tc-x-1")
    assert "0.00000001" in info.value.errors["amount"]
    with pytest.raises(TicketErrors) as info:
        validate_ticket(ticket(amount="0.000001"), BTC, "tc-x-1")
    assert "0.00001 BTC" in info.value.errors["amount"]


def test_closed_and_post_only_symbols():
    closed = SymbolRules("btcusd", "BTC", "USD", Decimal("1E-8"), Decimal("0.01"), Decimal("0.00001"), "closed")
    with pytest.raises(TicketErrors) as info:
        validate_ticket(ticket(), closed, "tc-x-1")
    assert set(info.value.errors) == {"symbol"}
    post_only = SymbolRules("btcusd", "BTC", "USD", Decimal("1E-8"), Decimal("0.01"), Decimal("0.00001"), "post_only")
    with pytest.raises(TicketErrors):
        validate_ticket(ticket(), post_only, "tc-x-1")
    assert validate_ticket(ticket(option=MOC), post_only, "tc-x-1").options == (MOC,)


def test_parse_decimal_keeps_exact_digits():
    assert parse_decimal("0.10000000", "Amount") == Decimal("0.1")
    assert str(parse_decimal("0.10000000", "Amount")) == "0.10000000"


def test_client_order_ids_are_unique_and_valid():
    ids = ClientOrderIds()
    seen = {ids.next() for _ in range(1000)}
    assert len(seen) == 1000
    assert all(CLIENT_ORDER_ID_RE.match(cid) for cid in seen)
    assert ClientOrderIds().session_tag != ids.session_tag


@pytest.mark.parametrize("text", ["-5", "- 5", "-0.5", "0", "0.000"])
def test_negative_or_zero_numbers_say_must_be_positive(text):
    """Issue 13: ``-5`` read "must be a plain decimal number", which hides what is wrong."""
    with pytest.raises(ValueError, match=r"^Price must be positive\.$"):
        parse_decimal(text, "Price")
    ticket = TicketInput("btcusd", Side.BUY, OrderType.LIMIT, price="64250.00", amount=text)
    with pytest.raises(TicketErrors) as info:
        validate_ticket(ticket, RULES["btcusd"], "c1")
    assert info.value.errors == {"amount": "Amount must be positive."}
