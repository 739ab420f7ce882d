"""Every documented sample of Gemini's new WebSocket API (tests/fixtures/gemini/ws_api) parses with its model, and
the pure wire helpers of the client and the local exchange agree with the documentation."""

from __future__ import annotations

import base64
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from console.exchange.server.ws_api_wire import WS_API_CHOICES, order_update, parse_stream
from console.venues.gemini.auth import sign
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.models.ws_api import (
    BalanceUpdate,
    BookTicker,
    CancelManyResult,
    DepthSnapshot,
    DepthUpdate,
    OrderResult,
    OrderUpdate,
    ServerTime,
    TradeMessage,
    WsResponse,
    parse_pushed,
)
from console.venues.gemini.ws_api import WsApiError, handshake_headers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini" / "ws_api"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("order_update_new.json", OrderUpdate),
        ("order_update_canceled.json", OrderUpdate),
        ("book_ticker.json", BookTicker),
        ("depth_partial.json", DepthSnapshot),
        ("depth_update.json", DepthUpdate),
        ("trade.json", TradeMessage),
        ("balance_update.json", BalanceUpdate),
    ],
)
def test_stream_samples_parse_by_shape(name: str, model: type) -> None:
    assert isinstance(parse_pushed(load(name)), model)


def test_every_sample_file_is_covered() -> None:
    files = {p.name for p in FIXTURES.glob("*.json")}
    assert files == {
        "order_update_new.json", "order_update_canceled.json", "book_ticker.json", "depth_partial.json",
        "depth_update.json", "trade.json", "balance_update.json", "conninfo_response.json", "depth_response.json",
        "error_response.json", "ping_response.json", "list_subscriptions_response.json",
    }


def test_order_update_sample_fields() -> None:
    new = OrderUpdate.model_validate(load("order_update_new.json"))
    assert (new.event_time_ns, new.symbol, new.order_id, new.client_order_id) == (
        1759291847686856569, "BTCUSD", 73797746498585286, "my-order-1759291847503")
    assert (new.side, new.order_type, new.status, new.price, new.quantity, new.remaining) == (
        "BUY", "LIMIT", "NEW", Decimal("1.00000"), Decimal("0.0000100000"), Decimal("0.0000100000"))
    canceled = OrderUpdate.model_validate(load("order_update_canceled.json"))
    assert (canceled.status, canceled.side, canceled.price) == ("CANCELED", None, None)


def test_market_and_balance_sample_fields() -> None:
    ticker = BookTicker.model_validate(load("book_ticker.json"))
    assert (ticker.bid, ticker.bid_qty, ticker.ask, ticker.ask_qty) == (
        Decimal("45000.50"), Decimal("1.25000000"), Decimal("45001.00"), Decimal("0.75000000"))
    diff = DepthUpdate.model_validate(load("depth_update.json"))
    assert diff.bids[1] == (Decimal("45000.25"), Decimal("0E-8")) and diff.first_update_id == 12345677
    trade = TradeMessage.model_validate(load("trade.json"))
    assert (trade.trade_id, trade.buyer_is_maker, trade.price) == (2840140956529623, True, Decimal("120649.97000"))
    balance = BalanceUpdate.model_validate(load("balance_update.json"))
    assert [(b.asset, b.free) for b in balance.balances] == [("USD", Decimal("207.39"))]


def test_answer_samples() -> None:
    conninfo = WsResponse.model_validate(load("conninfo_response.json"))
    assert conninfo.rate_limits is not None and [r.limit for r in conninfo.rate_limits] == [30000, 1000, 1000000, 300]
    depth = DepthSnapshot.model_validate(WsResponse.model_validate(load("depth_response.json")).result)
    assert depth.last_update_id == 1764528738340123 and depth.asks == [(Decimal("71596.00000"), Decimal("2.5"))]
    error = WsResponse.model_validate(load("error_response.json"))
    assert (error.status, error.error and error.error.code) == (401, -1002)
    assert WsResponse.model_validate(load("ping_response.json")).result is None
    assert WsResponse.model_validate(load("list_subscriptions_response.json")).result is None


def test_unknown_stream_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_pushed({"hello": 1})
    with pytest.raises(ValueError):
        parse_pushed({"E": 1, "s": "BTCUSD", "i": 1, "X": "EXPLODED", "T": 1})


def test_handshake_headers_sign_the_base64_nonce() -> None:
    headers = handshake_headers(Credentials("account-x", SecretStr("1234abcd")), 1759291847)
    assert headers["X-GEMINI-NONCE"] == "1759291847"
    assert base64.b64decode(headers["X-GEMINI-PAYLOAD"]) == b"1759291847"
    assert headers["X-GEMINI-SIGNATURE"] == sign(headers["X-GEMINI-PAYLOAD"], "1234abcd")
    assert headers["X-GEMINI-APIKEY"] == "account-x"


def test_reject_reason_is_read_from_the_message() -> None:
    assert WsApiError(-2010, 400, "InsufficientFunds: not enough USD").reject_reason == "InsufficientFunds"
    assert WsApiError(-1002, 401, "Authentication required").reject_reason is None


def test_the_exchange_renders_documented_update_shapes() -> None:
    event = {"type": "booked", "order_id": "73797746498585286", "api_session": "k", "client_order_id": "c",
             "symbol": "btcusd", "side": "buy", "order_type": "exchange limit", "original_amount": "0.01",
             "price": "1.00", "remaining_amount": "0.01", "executed_amount": "0"}
    update = OrderUpdate.model_validate(order_update(event, 1_000_000_000_000_000_000))
    assert (update.status, update.order_id, update.symbol, update.side) == ("OPEN", 73797746498585286, "BTCUSD", "BUY")
    assert order_update({**event, "type": "closed"}, 1) is None
    stop = order_update({**event, "type": "rejected", "reason": "InvalidStopPriceBuy"}, 1)
    assert stop is not None and (stop["X"], stop["r"]) == ("REJECTED", "InvalidStopPrice")


def test_stream_names() -> None:
    symbols = frozenset({"btcusd"})
    assert parse_stream("BTCUSD@depth10@100ms", symbols) is not None
    spec = parse_stream("btcusd@depth10@100ms", symbols)
    assert spec is not None and (spec.kind, spec.levels, spec.fast) == ("partial_depth", 10, True)
    for bad in ("btcusd@depth7", "ethusd@trade", "btcusd@trade@1s", "orders@everything", 5):
        assert parse_stream(bad, symbols) is None


def test_choices_are_written_down_in_the_docs() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "local-exchange.md").read_text()
    for key, text in WS_API_CHOICES.items():
        assert f"| `ws:{key}` | {text} |" in doc, key


def _cited_keys(text: str) -> set[str]:
    """The choice keys named as ``ws:<key>`` (not the journal's ``/ws:order.place`` paths)."""
    return set(re.findall(r"(?<![/\w])ws:([a-z][a-z-]*[a-z])(?![.\w-])", text))


def test_every_choice_is_cited_where_the_local_exchange_makes_it() -> None:
    """Each row of WS_API_CHOICES is named (``CHOICE ws:<key>``) in the server code that implements it, so a
    correction of an UNCONFIRMED shape finds the code to change."""
    server = Path(__file__).resolve().parents[2] / "console" / "exchange" / "server"
    cited = _cited_keys("".join(path.read_text() for path in sorted(server.glob("ws_api*.py"))))
    assert sorted(set(WS_API_CHOICES) - cited) == []


def test_the_client_names_the_choices_its_parsing_relies_on() -> None:
    """The client's models of UNCONFIRMED shapes (and its reading of the reject reason) name the local exchange's
    choice they follow, with the doc URL in their module; every choice the client names exists."""
    for relies, keys in ((ServerTime, {"time"}), (OrderResult, {"order-place-result", "order-cancel-result"}),
                         (CancelManyResult, {"cancel-all-result"}), (WsApiError, {"reject-reason"})):
        assert keys <= _cited_keys(relies.__doc__ or ""), relies.__name__
        assert "https://docs.gemini.com/websocket/introduction" in (sys.modules[relies.__module__].__doc__ or "")
    client = Path(__file__).resolve().parents[2] / "console" / "venues" / "gemini"
    sources = [*client.glob("ws_*.py"), client / "models" / "ws_api.py"]
    named = _cited_keys("".join(path.read_text() for path in sources))
    assert named and sorted(named - set(WS_API_CHOICES)) == []
