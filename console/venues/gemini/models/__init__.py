"""Pydantic models of Gemini's wire JSON: REST responses and order events, field for field.

Field names are Gemini's (including its camelCase ones); extra fields are ignored, so a new field Gemini adds
does not break parsing. Every price and amount is a ``Decimal`` parsed from the wire string; a decimal field
holding ``""``, ``"abc"``, ``NaN``, ``Infinity`` or a boolean fails validation (it never becomes 0). Timestamps
keep their wire names: ``timestamp`` is seconds, ``timestampms`` milliseconds, both as ``int``.

These models are the protocol only; ``console.venues.gemini.convert`` turns them into domain objects.

Speed: distinct decimal strings are parsed once, through a bounded cache (``DECIMAL_CACHE_SIZE``). JSON mode
(``model_validate_json``) parses and validates in one pass. ``validate_json_exact`` runs it with ``strict=True``
and ``context=EXACT_DECIMALS`` (a JSON number with a fraction in a decimal field refused, not rounded through a
float): it accepts only what Python mode, given ``json.loads(text, parse_float=Decimal)``, turns into the same
fields, and its callers (the order events decoder, the REST client for JSON arrays such as ``/v1/orders``) fall
back to that reference on any refusal.

The package re-exports every model; its modules by area: ``base`` (decimal parsing, ids, ``WireModel``, the error
body), ``orders`` (order status, your trades, cancel-all, heartbeat, wrap), ``account`` (balances, volumes),
``market`` (symbols, tickers, book, public trades, the v2 market socket), ``events`` (the order events socket).
"""

from console.venues.gemini.models.account import (
    Balance,
    NotionalDay,
    NotionalVolume,
    TradeVolumeDay,
)
from console.venues.gemini.models.base import (
    DECIMAL_CACHE_SIZE,
    EXACT_DECIMALS,
    DigitsInt,
    ErrorResponse,
    IdStr,
    WireDecimal,
    WireModel,
    WireSide,
    decimal_from_text,
    validate_json_exact,
)
from console.venues.gemini.models.events import (
    ORDER_EVENT_TYPES,
    FillWire,
    HeartbeatMessage,
    OrderEventType,
    OrderEventWire,
    SubscriptionAck,
)
from console.venues.gemini.models.market import (
    Book,
    BookLevel,
    L2Change,
    L2Updates,
    MarketError,
    MarketHeartbeat,
    MarketTrade,
    PublicTrade,
    PubTicker,
    SymbolDetails,
    TickerV2,
    TickerVolume,
)
from console.venues.gemini.models.orders import (
    CancelAllDetails,
    CancelAllResponse,
    HeartbeatResponse,
    MyTrade,
    OrderStatus,
    WrapResponse,
)

__all__ = [
    "Balance",
    "Book",
    "BookLevel",
    "CancelAllDetails",
    "CancelAllResponse",
    "DECIMAL_CACHE_SIZE",
    "DigitsInt",
    "EXACT_DECIMALS",
    "ErrorResponse",
    "FillWire",
    "HeartbeatMessage",
    "HeartbeatResponse",
    "IdStr",
    "L2Change",
    "L2Updates",
    "MarketError",
    "MarketHeartbeat",
    "MarketTrade",
    "MyTrade",
    "NotionalDay",
    "NotionalVolume",
    "ORDER_EVENT_TYPES",
    "OrderEventType",
    "OrderEventWire",
    "OrderStatus",
    "PubTicker",
    "PublicTrade",
    "SubscriptionAck",
    "SymbolDetails",
    "TickerV2",
    "TickerVolume",
    "TradeVolumeDay",
    "WireDecimal",
    "WireModel",
    "WireSide",
    "WrapResponse",
    "decimal_from_text",
    "validate_json_exact",
]
