"""Wire models of Gemini's market data: symbol details, tickers, book, public trades and the v2 market socket."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from console.venues.gemini.models.base import WireDecimal, WireModel, WireSide


class SymbolDetails(WireModel):
    """``GET /v1/symbols/details/{symbol}`` (https://docs.gemini.com/rest/market-data#get-symbol-details).

    Example::

        {"symbol":"BTCUSD","base_currency":"BTC","quote_currency":"USD","tick_size":1e-8,"quote_increment":0.01,
         "min_order_size":"0.00001","status":"open","wrap_enabled":false,"product_type":"spot",
         "contract_type":"vanilla","contract_price_currency":"USD"}

    Attributes:
        tick_size: the **quantity** increment, a JSON number parsed exactly (``1e-8`` → ``Decimal("1E-8")``).
        quote_increment: the **price** increment, a JSON number (``0.01`` → ``Decimal("0.01")``).
        min_order_size: smallest amount, a decimal string.
        status: ``open``, ``closed``, ``cancel_only``, ``post_only`` or ``limit_only``.
        wrap_enabled / product_type / contract_type / contract_price_currency: absent in older answers.
    """

    symbol: str
    base_currency: str
    quote_currency: str
    tick_size: WireDecimal
    quote_increment: WireDecimal
    min_order_size: WireDecimal
    status: str
    wrap_enabled: bool | None = None
    product_type: str | None = None
    contract_type: str | None = None
    contract_price_currency: str | None = None


class TickerVolume(WireModel):
    """The ``volume`` object of the ticker: one decimal per currency code, plus ``timestamp`` in ms.

    On the wire: ``{"BTC":"2210.505328803","USD":"2135477.463379586263","timestamp":1483018200000}``; here the
    currency entries go to ``amounts`` (``volume["BTC"]`` also works).
    """

    timestamp: int
    amounts: dict[str, WireDecimal]

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if isinstance(data, dict) and "amounts" not in data:
            return {
                "timestamp": data.get("timestamp"),
                "amounts": {key: value for key, value in data.items() if key != "timestamp"},
            }
        return data

    def __getitem__(self, currency: str) -> Decimal:
        return self.amounts[currency]


class PubTicker(WireModel):
    """``GET /v1/pubticker/{symbol}`` (https://docs.gemini.com/rest/market-data#get-ticker).

    Example: ``{"bid":"977.59","ask":"977.35","last":"977.65","volume":{"BTC":"2210.505328803",
    "USD":"2135477.463379586263","timestamp":1483018200000}}``.

    ``bid``, ``ask`` and ``last`` are None when the venue sends ``null`` for them (an empty side of the book, no
    trade yet): a one-sided market is real, and a guessed price would be worse than none.
    """

    bid: WireDecimal | None = None
    ask: WireDecimal | None = None
    last: WireDecimal | None = None
    volume: TickerVolume


class BookLevel(WireModel):
    """One aggregated price level of ``GET /v1/book``: price, total amount, ``timestamp`` in seconds."""

    price: WireDecimal
    amount: WireDecimal
    timestamp: int


class Book(WireModel):
    """``GET /v1/book/{symbol}`` (https://docs.gemini.com/rest/market-data#get-current-order-book).

    Example: ``{"bids":[{"price":"3607.85","amount":"6.643373","timestamp":"1547147541"}],
    "asks":[{"price":"3607.86","amount":"14.68205084","timestamp":"1547147541"}]}`` (bids best first).
    """

    bids: list[BookLevel]
    asks: list[BookLevel]


class PublicTrade(WireModel):
    """One element of ``GET /v1/trades/{symbol}`` (https://docs.gemini.com/rest/market-data#get-trade-history).

    Example: ``{"timestamp":1547146811,"timestampms":1547146811357,"tid":5335307668,"price":"3610.85",
    "amount":"0.27413495","exchange":"gemini","type":"buy","broken":false}``.

    Attributes:
        timestamp: seconds; timestampms: ms; tid: trade id.
        type: the taker's side (``"buy"``/``"sell"``; ``"auction"``/``"block"`` for those trades).
        broken: True if the trade was broken.
    """

    timestamp: int
    timestampms: int
    tid: int
    price: WireDecimal
    amount: WireDecimal
    exchange: str = "gemini"
    type: str
    broken: bool = False



# --- Market data WebSocket v2 (https://docs.gemini.com/websocket/market-data/v2/level-2-data) ---


class L2Change(WireModel):
    """One ``[side, price, quantity]`` entry of ``l2_updates.changes``: ``quantity`` is the level's new total.

    Example: ``["buy", "9122.04", "0.00121425"]`` (``"0"`` removes the level).
    """

    side: WireSide
    price: WireDecimal
    quantity: WireDecimal

    @model_validator(mode="before")
    @classmethod
    def _from_triple(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)):
            if len(data) != 3:
                raise ValueError("a change is [side, price, quantity]")
            return {"side": data[0], "price": data[1], "quantity": data[2]}
        return data


class MarketTrade(WireModel):
    """A v2 ``trade`` message (also the elements of the first ``l2_updates``' ``trades``).

    Example: ``{"type":"trade","symbol":"BTCUSD","event_id":3575573053,"timestamp":151231241,
    "price":"9004.21000000","quantity":"0.09110000","side":"buy","tid":2840140800042677}``; ``side`` is the taker's
    side, ``timestamp`` ms.
    """

    type: Literal["trade"] = "trade"
    symbol: str
    event_id: int | None = None
    timestamp: int
    price: WireDecimal
    quantity: WireDecimal
    side: WireSide
    tid: int


class L2Updates(WireModel):
    """A v2 ``l2_updates`` message: the full book (the first one after subscribing, with ``trades``) or deltas.

    Example: ``{"type":"l2_updates","symbol":"BTCUSD","changes":[["buy","9122.04","0.00121425"]],
    "trades":[{...MarketTrade...}],"auction_events":[]}``. ``trades`` is None on a delta message.
    """

    type: Literal["l2_updates"] = "l2_updates"
    symbol: str
    changes: list[L2Change]
    trades: list[MarketTrade] | None = None


class MarketHeartbeat(WireModel):
    """A ``{"type":"heartbeat","timestamp":ms}`` message on the market data socket."""

    type: Literal["heartbeat"] = "heartbeat"
    timestamp: int | None = None


class MarketError(WireModel):
    """The venue's answer to a bad subscribe message: ``{"type":"error","reason":..,"message":..}``."""

    type: Literal["error"] = "error"
    reason: str = ""
    message: str = ""


class TickerV2(WireModel):
    """``GET /v2/ticker/{symbol}`` (https://docs.gemini.com/rest/market-data#get-ticker-v2).

    Example: ``{"symbol":"BTCUSD","open":"9121.76","high":"9440.66","low":"9106.51","close":"9347.66",
    "changes":["9365.1",...],"bid":"9345.70","ask":"9347.67"}`` (``changes``: 24 hourly prices, newest first).
    """

    symbol: str
    open: WireDecimal | None = None
    high: WireDecimal | None = None
    low: WireDecimal | None = None
    close: WireDecimal | None = None
    changes: list[WireDecimal | None] = Field(default_factory=list)
    bid: WireDecimal | None = None
    ask: WireDecimal | None = None
