"""Pydantic models of Gemini's wire JSON: REST responses and order events, field for field.

Field names are Gemini's (including its camelCase ones); extra fields are ignored, so a new field Gemini adds
does not break parsing. Every price and amount is a ``Decimal`` parsed from the wire string; a decimal field
holding ``""``, ``"abc"``, ``NaN``, ``Infinity`` or a boolean fails validation (it never becomes 0). Timestamps
keep their wire names: ``timestamp`` is seconds, ``timestampms`` milliseconds, both as ``int``.

These models are the protocol only; ``console.gemini.convert`` turns them into domain objects.

Speed: distinct decimal strings are parsed once, through a bounded cache (``DECIMAL_CACHE_SIZE``). JSON mode
(``model_validate_json``) parses and validates in one pass. ``validate_json_exact`` runs it with ``strict=True``
and ``context=EXACT_DECIMALS`` (a JSON number with a fraction in a decimal field refused, not rounded through a
float): it accepts only what Python mode, given ``json.loads(text, parse_float=Decimal)``, turns into the same
fields, and its callers (the order events decoder, the REST client for JSON arrays such as ``/v1/orders``) fall
back to that reference on any refusal.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationInfo,
    model_validator,
)
from pydantic_core import CoreSchema, core_schema

_T = TypeVar("_T")
_DECIMAL_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


#: How many distinct decimal strings the parse cache keeps before it starts afresh (prices and amounts repeat:
#: a busy stream re-sends the same few thousand texts).
DECIMAL_CACHE_SIZE = 16384
_decimal_cache: dict[str, Decimal] = {}


def decimal_from_text(text: str) -> Decimal:
    """Parse a wire decimal string such as ``"64250.00"`` or ``"1E-8"`` (exponent kept: ``"1.0"`` ≠ ``"1.00"``).

    Each distinct text is parsed once: the result (immutable) is kept in a cache of at most
    ``DECIMAL_CACHE_SIZE`` entries, emptied when full. Only texts that parse are cached.

    Raises:
        ValueError: ``text`` is not a finite decimal (``""``, ``"abc"``, ``"NaN"``, ``"Infinity"``, ``" 1"``,
            ``"1,000"``, ``"1_000"``...).
    """
    value = _decimal_cache.get(text)
    if value is not None:
        return value
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"not a decimal string: {text[:40]!r}")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise ValueError(f"not a decimal string: {text[:40]!r}") from exc
    if len(_decimal_cache) >= DECIMAL_CACHE_SIZE:
        _decimal_cache.clear()
    _decimal_cache[text] = value
    return value


def _to_decimal(value: Any) -> Decimal:
    """Parse a wire decimal: a decimal string (the normal case), an int, or a float (taken by its shortest repr)."""
    if type(value) is str:
        return decimal_from_text(value)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("decimal must be finite")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest text that round-trips, so the JSON number 1e-8 becomes Decimal("1E-8"),
        # not the binary float's 1.0000000000000000209e-08.
        text = repr(value)
        if not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError("decimal must be finite")
        return Decimal(text)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise ValueError(f"not a decimal string: {value[:40]!r}")
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
            raise ValueError(f"not a decimal string: {value[:40]!r}") from exc
    raise ValueError(f"expected a decimal string, got {type(value).__name__}")


#: Validation context for JSON mode that refuses a JSON number with a fraction in a decimal field instead of
#: taking it through the float the JSON parser made of it (``validate_json(..., context=EXACT_DECIMALS)``).
EXACT_DECIMALS: dict[str, bool] = {"exact_decimals": True}


def _json_to_decimal(value: Any, info: ValidationInfo) -> Decimal:
    """JSON mode: as ``_to_decimal``, but under ``EXACT_DECIMALS`` a JSON number with a fraction is refused."""
    if type(value) is str:
        return decimal_from_text(value)
    if type(value) is float and info.context and info.context.get("exact_decimals"):
        raise ValueError("a JSON number with a fraction, not exact: parse it with parse_float=Decimal")
    return _to_decimal(value)


class _WireDecimalSchema:
    """Validation of ``WireDecimal``: ``_to_decimal`` in Python mode; in JSON mode a string goes straight to
    ``decimal_from_text`` (no ``ValidationInfo`` made), anything else to ``_json_to_decimal``."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        text = core_schema.chain_schema(
            [core_schema.str_schema(strict=True), core_schema.no_info_plain_validator_function(decimal_from_text)]
        )
        other = core_schema.with_info_before_validator_function(_json_to_decimal, inner)
        return core_schema.json_or_python_schema(
            json_schema=core_schema.union_schema([text, other], mode="left_to_right"),
            python_schema=core_schema.no_info_before_validator_function(_to_decimal, inner),
        )


def validate_json_exact(adapter: TypeAdapter[_T], text: str) -> _T | None:
    """Validate ``text`` in one strict pass of pydantic-core's JSON parser; None where the reference might differ.

    The reference is ``adapter.validate_python(json.loads(text, parse_float=Decimal))`` with ``NaN`` and
    ``Infinity`` refused. This pass takes each field only from its own JSON type (``strict=True``) and refuses a
    JSON number with a fraction in a decimal field (``EXACT_DECIMALS``), so whatever it accepts, the reference
    turns into the same values. It returns None when it refuses anything, and when ``text`` holds ``NaN`` or
    ``Infinity`` (this parser reads them as numbers): the caller then takes the reference path, which says what
    is wrong.
    """
    if "NaN" in text or "Infinity" in text:
        return None
    try:
        return adapter.validate_json(text, strict=True, context=EXACT_DECIMALS)
    except ValueError:  # ValidationError, invalid JSON included
        return None


def _digits_to_int(value: Any) -> Any:
    """A string of ASCII digits (``"1547220404"``) as an int, so that strict validation takes it too.

    Anything else goes on unchanged to the int validator (lax: it takes what it always took).
    """
    if type(value) is str and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return value


class _IdSchema:
    """Validation of ``IdStr``: ``_to_id`` then ``str``; in JSON mode a JSON string goes straight to ``str``."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        python = core_schema.no_info_before_validator_function(_to_id, inner)
        json = core_schema.union_schema([core_schema.str_schema(strict=True), python], mode="left_to_right")
        return core_schema.json_or_python_schema(json_schema=json, python_schema=python)


def _to_id(value: Any) -> Any:
    """Accept an id sent as a JSON number as well as a string (Gemini documents strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: A price or amount: decimal string on the wire (JSON numbers accepted, floats via their shortest repr).
WireDecimal = Annotated[Decimal, _WireDecimalSchema]
#: An int Gemini sends as a string of digits (``timestamp``); a JSON integer is accepted too.
DigitsInt = Annotated[int, BeforeValidator(_digits_to_int)]
#: An id Gemini documents as a string of digits (a JSON integer is accepted and turned into its digits).
IdStr = Annotated[str, _IdSchema]
WireSide = Literal["buy", "sell"]


class WireModel(BaseModel):
    """Base of every wire model: immutable, extra fields ignored, fields settable by name or alias."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ErrorResponse(WireModel):
    """Error body of any non-200 answer (https://docs.gemini.com/rest/error-codes).

    Example: ``{"result":"error","reason":"MissingRole","message":"To access this endpoint, ..."}``.
    """

    result: Literal["error"]
    reason: str
    message: str = ""


class MyTrade(WireModel):
    """One of your trades, from ``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades).

    Example::

        {"price":"3648.09","amount":"0.0027343246","timestamp":1547232911,"timestampms":1547232911021,
         "type":"Buy","aggressor":true,"fee_currency":"USD","fee_amount":"0.024937655575035","tid":107317526,
         "order_id":"107317524","exchange":"gemini","is_clearing_fill":false,"symbol":"BTCUSD"}

    Attributes:
        price / amount: execution price (quote) and amount (base), decimals.
        timestamp: seconds; timestampms: ms.
        type: ``"Buy"`` or ``"Sell"`` (capitalised, unlike elsewhere).
        aggressor: True when this side took liquidity (taker).
        fee_amount / fee_currency: fee charged.
        tid: trade id (JSON number); order_id: string; client_order_id: if the order had one.
        symbol: uppercase here, e.g. ``"BTCUSD"``.
        break_: ``"manual"`` or ``"full"`` on broken trades only (wire name ``break``).
    """

    price: WireDecimal
    amount: WireDecimal
    timestamp: int
    timestampms: int
    type: Literal["Buy", "Sell"]
    aggressor: bool
    fee_currency: str
    fee_amount: WireDecimal
    tid: int
    order_id: IdStr
    client_order_id: str | None = None
    exchange: str = "gemini"
    is_auction_fill: bool = False
    is_clearing_fill: bool = False
    symbol: str
    break_: str | None = Field(default=None, alias="break")


class OrderStatus(WireModel):
    """The common order object returned by order/new, order/cancel, order/status, orders and orders/history.

    https://docs.gemini.com/rest/orders#order-status. Example::

        {"order_id":"106817811","id":"106817811","symbol":"BTCUSD","exchange":"gemini",
         "avg_execution_price":"3632.8508430064554","side":"buy","type":"exchange limit","timestamp":"1547220404",
         "timestampms":1547220404836,"is_live":true,"is_cancelled":false,"is_hidden":false,"was_forced":false,
         "executed_amount":"3.7567928949","remaining_amount":"1.2432071051","client_order_id":"20190110-4738721",
         "options":[],"price":"3633.00","original_amount":"5"}

    Attributes:
        order_id / id: the order id (digits, as a string).
        client_order_id: only when the order was given one.
        symbol: usually lowercase (``"btcusd"``); the order/new example echoes ``"BTCUSD"``.
        type: ``"exchange limit"``, ``"stop-limit"`` (Gemini's answer for stop-limit orders; ``"exchange stop limit"``
            is the request's type and is accepted too; also seen: ``"exchange market"``).
        side: ``"buy"`` / ``"sell"``.
        price / avg_execution_price / executed_amount / remaining_amount / original_amount: decimals
            (``remaining_amount`` optional: absent on market orders).
        stop_price: trigger price of a stop-limit order, when Gemini sends it.
        options: execution options as sent, e.g. ``["maker-or-cancel"]``.
        timestamp: submit time in seconds (a string on the wire); timestampms: ms (a number).
        is_live: on the book; is_cancelled: cancelled (``reason`` says why); is_hidden: untriggered stop or hidden.
        trades: with ``include_trades`` (and in orders/history), the order's trades.
    """

    order_id: IdStr
    id: IdStr | None = None
    client_order_id: str | None = None
    symbol: str
    exchange: str = "gemini"
    avg_execution_price: WireDecimal
    side: WireSide
    type: str
    timestamp: DigitsInt
    timestampms: int
    is_live: bool
    is_cancelled: bool
    is_hidden: bool = False
    was_forced: bool = False
    executed_amount: WireDecimal
    remaining_amount: WireDecimal | None = None
    original_amount: WireDecimal
    price: WireDecimal
    stop_price: WireDecimal | None = None
    options: list[str] = Field(default_factory=list)
    reason: str | None = None
    trades: list[MyTrade] | None = None


class CancelAllDetails(WireModel):
    """``details`` of a cancel/all or cancel/session answer: order ids as JSON integers."""

    cancelRejects: list[int] = Field(default_factory=list)
    cancelledOrders: list[int] = Field(default_factory=list)


class CancelAllResponse(WireModel):
    """Answer of ``POST /v1/order/cancel/all`` and ``/v1/order/cancel/session``.

    https://docs.gemini.com/rest/orders#cancel-all-active-orders. Example::

        {"result":"ok","details":{"cancelRejects":[],"cancelledOrders":[330429106,330429079,330429082]}}
    """

    result: str
    details: CancelAllDetails


class HeartbeatResponse(WireModel):
    """Answer of ``POST /v1/heartbeat``: ``{"result":"ok"}`` (https://docs.gemini.com/rest/orders#heartbeat)."""

    result: str


class Balance(WireModel):
    """One currency of ``POST /v1/balances`` (https://docs.gemini.com/rest/fund-management#get-available-balances).

    Example: ``{"type":"exchange","currency":"BTC","amount":"5.0","available":"4.5","availableForWithdrawal":"4.5",
    "pendingWithdrawal":"0.25","pendingDeposit":"0.25"}``.

    Attributes:
        amount: total balance; available: not held by open orders; availableForWithdrawal: withdrawable now.
        pendingWithdrawal / pendingDeposit: only with ``showPendingBalances``.
    """

    type: str
    currency: str
    amount: WireDecimal
    available: WireDecimal
    availableForWithdrawal: WireDecimal
    pendingWithdrawal: WireDecimal | None = None
    pendingDeposit: WireDecimal | None = None


class NotionalDay(WireModel):
    """One entry of ``notional_1d_volume``: ``{"date": "2019-02-22", "notional_volume": 75}``."""

    date: str
    notional_volume: WireDecimal


class NotionalVolume(WireModel):
    """Fee rates and volume, ``POST /v1/notionalvolume`` (https://docs.gemini.com/rest/fund-management).

    Fee rates are basis points (``api_maker_fee_bps / 10000`` is the maker fee rate). Example (abridged):
    ``{"api_maker_fee_bps":10,"api_taker_fee_bps":35,"notional_30d_volume":150,"last_updated_ms":1551371446000,
    "date":"2019-02-28",...}``.
    """

    api_maker_fee_bps: WireDecimal
    api_taker_fee_bps: WireDecimal
    api_auction_fee_bps: WireDecimal | None = None
    web_maker_fee_bps: WireDecimal | None = None
    web_taker_fee_bps: WireDecimal | None = None
    fix_maker_fee_bps: WireDecimal | None = None
    fix_taker_fee_bps: WireDecimal | None = None
    notional_30d_volume: WireDecimal | None = None
    api_notional_30d_volume: WireDecimal | None = None
    last_updated_ms: int | None = None
    date: str | None = None
    notional_1d_volume: list[NotionalDay] = Field(default_factory=list)


class TradeVolumeDay(WireModel):
    """One symbol and day of ``POST /v1/tradevolume`` (https://docs.gemini.com/rest/fund-management#get-trade-volume).

    The answer is an array of arrays of these. Example (abridged): ``{"symbol":"btcusd","base_currency":"BTC",
    "notional_currency":"USD","data_date":"2019-01-10","total_volume_base":8.06021756,"maker_buy_sell_ratio":1,
    "buy_maker_base":4.03010878,"buy_maker_notional":15.03,"buy_maker_count":3,...,"sell_taker_count":0}``.
    Amounts (base) and notionals (quote) are JSON numbers in the docs, parsed exactly as decimals here.
    """

    symbol: str
    base_currency: str
    notional_currency: str
    data_date: str
    total_volume_base: WireDecimal
    maker_buy_sell_ratio: WireDecimal = Decimal(0)
    buy_maker_base: WireDecimal = Decimal(0)
    buy_maker_notional: WireDecimal = Decimal(0)
    buy_maker_count: int = 0
    sell_maker_base: WireDecimal = Decimal(0)
    sell_maker_notional: WireDecimal = Decimal(0)
    sell_maker_count: int = 0
    buy_taker_base: WireDecimal = Decimal(0)
    buy_taker_notional: WireDecimal = Decimal(0)
    buy_taker_count: int = 0
    sell_taker_base: WireDecimal = Decimal(0)
    sell_taker_notional: WireDecimal = Decimal(0)
    sell_taker_count: int = 0


class WrapResponse(WireModel):
    """Answer of ``POST /v1/wrap/:symbol`` (https://docs.gemini.com/rest/orders#wrap-order).

    Example: ``{"orderId":429135395,"pair":"GUSDUSD","price":"1","priceCurrency":"USD","side":"buy",
    "quantity":"1","quantityCurrency":"GUSD","totalSpend":"1","totalSpendCurrency":"USD","fee":"0",
    "feeCurrency":"USD","depositFee":"0","depositFeeCurrency":"USD"}``.
    """

    orderId: int
    pair: str
    price: WireDecimal
    priceCurrency: str
    side: WireSide
    quantity: WireDecimal
    quantityCurrency: str
    totalSpend: WireDecimal
    totalSpendCurrency: str
    fee: WireDecimal
    feeCurrency: str
    depositFee: WireDecimal | None = None
    depositFeeCurrency: str | None = None


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


# --- Order events WebSocket (https://docs.gemini.com/websocket/archived/order-events) ---

#: Event types that describe an order (they arrive inside JSON arrays).
ORDER_EVENT_TYPES = frozenset(
    {"initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"}
)
OrderEventType = Literal["initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"]


class SubscriptionAck(WireModel):
    """First message of the order events stream: the filters as Gemini parsed them.

    https://docs.gemini.com/websocket/order-events/response. Example::

        {"type":"subscription_ack","accountId":5365,"subscriptionId":"ws-order-events-5365-b8bk32clqeb13g9tk8p0",
         "symbolFilter":["btcusd"],"apiSessionFilter":["UI"],"eventTypeFilter":["fill","closed"]}
    """

    type: Literal["subscription_ack"]
    accountId: int
    subscriptionId: str
    symbolFilter: list[str] = Field(default_factory=list)
    apiSessionFilter: list[str] = Field(default_factory=list)
    eventTypeFilter: list[str] = Field(default_factory=list)


class HeartbeatMessage(WireModel):
    """Order events heartbeat, a single JSON object every five seconds.

    Example: ``{"type":"heartbeat","timestampms":1547742998508,"sequence":31,"trace_id":"b8biknoqppr32kc7gfgg",
    "socket_sequence":37}``. ``sequence`` counts heartbeats; ``socket_sequence`` counts every message.
    """

    type: Literal["heartbeat"]
    timestampms: int
    sequence: int
    trace_id: str | None = None
    socket_sequence: int


class FillWire(WireModel):
    """The ``fill`` object of a ``fill`` event: ``{"trade_id":"557315","liquidity":"Maker","price":"0.01514",
    "amount":"481.95988631","fee":"0.0182421816968335","fee_currency":"BTC"}``.

    Attributes:
        liquidity: ``"Maker"`` or ``"Taker"``.
        price / amount / fee: decimals of this execution only (not cumulative).
    """

    trade_id: IdStr
    liquidity: str
    price: WireDecimal
    amount: WireDecimal
    fee: WireDecimal
    fee_currency: str


class OrderEventWire(WireModel):
    """One order event from inside an order events array (https://docs.gemini.com/websocket/order-events/response).

    Example (a ``fill``)::

        {"type":"fill","order_id":"556309","api_session":"UI","symbol":"ethbtc","side":"sell",
         "order_type":"exchange limit","timestamp":"1478729284","timestampms":1478729284169,"is_live":true,
         "is_cancelled":false,"is_hidden":false,"avg_execution_price":"0.01514","executed_amount":"481.95988631",
         "remaining_amount":"303.06099969","original_amount":"785.020886","price":"0.01514",
         "fill":{"trade_id":"557315","liquidity":"Maker","price":"0.01514","amount":"481.95988631",
                 "fee":"0.0182421816968335","fee_currency":"BTC"},"socket_sequence":471177}

    Attributes:
        type: ``initial``, ``accepted``, ``rejected``, ``booked``, ``fill``, ``cancelled``, ``cancel_rejected``,
            ``closed``.
        order_id: string; event_id: string, absent on ``initial`` (and in some samples).
        api_session: the key that placed the order, or ``"UI"``; account_name: with master keys.
        behavior: ``immediate-or-cancel`` / ``fill-or-kill`` / ``maker-or-cancel`` when the order has one.
        order_type: e.g. ``"exchange limit"``, ``"market buy"``, ``"auction-only limit"``.
        timestamp: submit time, seconds (string on the wire); timestampms: ms.
        avg_execution_price / executed_amount / remaining_amount / original_amount / price: cumulative decimals,
            each possibly absent (market buys have no amounts, only ``total_spend``; ``accepted`` has no executed).
        reason: on ``rejected``, ``cancel_rejected`` (and maybe ``cancelled``); cancel_command_id: on cancel events.
        fill: on ``fill`` events.
        socket_sequence: per-connection message counter.
    """

    type: OrderEventType
    socket_sequence: int
    order_id: IdStr
    event_id: IdStr | None = None
    account_name: str | None = None
    api_session: str | None = None
    client_order_id: str | None = None
    symbol: str
    side: WireSide
    behavior: str | None = None
    order_type: str
    timestamp: DigitsInt
    timestampms: int
    is_live: bool
    is_cancelled: bool = False
    is_hidden: bool = False
    avg_execution_price: WireDecimal | None = None
    executed_amount: WireDecimal | None = None
    remaining_amount: WireDecimal | None = None
    original_amount: WireDecimal | None = None
    price: WireDecimal | None = None
    stop_price: WireDecimal | None = None
    total_spend: WireDecimal | None = None
    reason: str | None = None
    cancel_command_id: IdStr | None = None
    fill: FillWire | None = None


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
