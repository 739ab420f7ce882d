"""Wire shapes of the local exchange's new WebSocket API: the choices table, stream names, messages, error codes.

Gemini's current WebSocket API (``wss://ws.gemini.com``, https://docs.gemini.com/websocket/introduction) is served
by :mod:`console.exchange.server.ws_api`; this module holds what it sends and what it chose where the documentation
is silent. Every such choice is a row of :data:`WS_API_CHOICES` (mirrored in docs/local-exchange.md, section "The
new WebSocket API"), so correcting one means editing one row and the constant it names.

Pure functions over the engine's JSON (no sockets, no asyncio): the order events the engine emits (the v1 order
events shapes, https://docs.gemini.com/websocket/archived/order-events) become the new API's order updates, the
engine's order objects become ``order.place`` results, and its balances become ``balanceUpdate`` messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "BAD_PARAMS",
    "DEFAULT_DEPTH_LIMIT",
    "DEFAULT_RATE_LIMITS",
    "INTERNAL",
    "MAX_DEPTH_LIMIT",
    "ORDER_REJECTED",
    "PARAM_ERROR_REASONS",
    "RATE_LIMITED",
    "TIME_IN_FORCE_OPTIONS",
    "UNAUTHENTICATED",
    "UNSUPPORTED",
    "WS_API_CHOICES",
    "WS_API_DOC_URL",
    "WS_API_PATH",
    "ErrorCode",
    "RateLimit",
    "StreamSpec",
    "balance_update",
    "error_body",
    "order_result",
    "order_status",
    "order_update",
    "parse_stream",
    "reject_reason",
]

#: Where the new API is documented (auth, message format, methods, streams).
WS_API_DOC_URL = "https://docs.gemini.com/websocket/introduction"

#: The path of the new API on the local exchange's one port. Gemini serves it at the root of its own host
#: (``wss://ws.gemini.com``); the local exchange keeps one port for everything, whose root is REST, so the new API
#: takes the shortest free path. A client takes the whole URL (``ws_api_url``), so nothing else depends on it.
#: (CHOICE ws:path)
WS_API_PATH = "/ws"


@dataclass(frozen=True)
class ErrorCode:
    """One documented error of the new API: JSON-RPC-like ``code``, the HTTP-like ``status`` and a default text."""

    code: int
    status: int
    msg: str


# The documented error codes (https://docs.gemini.com/websocket/introduction, "Message Format").
INTERNAL = ErrorCode(-1000, 500, "Internal error")
UNAUTHENTICATED = ErrorCode(-1002, 401, "Authentication required")
RATE_LIMITED = ErrorCode(-1003, 429, "Too many requests")
BAD_PARAMS = ErrorCode(-1013, 400, "Invalid parameters")
UNSUPPORTED = ErrorCode(-1020, 400, "Unsupported operation")
ORDER_REJECTED = ErrorCode(-2010, 400, "Order rejected")


@dataclass(frozen=True)
class RateLimit:
    """One rate-limit counter as ``conninfo`` lists it (https://docs.gemini.com/websocket/introduction).

    Attributes:
        kind: ``"REQUEST_WEIGHT"``, ``"ORDERS"`` or ``"CONNECTION_ATTEMPTS"``.
        interval: ``"SECOND"``, ``"MINUTE"`` or ``"DAY"``.
        interval_num: how many intervals one window spans (``ORDERS`` per 10 seconds: ``"SECOND"``, 10).
        limit: the most counted in one window; one more is answered -1003.
    """

    kind: str
    interval: str
    interval_num: int
    limit: int

    @property
    def window_ms(self) -> int:
        """The window's length in ms."""
        unit = {"SECOND": 1_000, "MINUTE": 60_000, "DAY": 86_400_000}[self.interval]
        return unit * self.interval_num

    def to_json(self, count: int) -> dict[str, Any]:
        """The ``rateLimits`` entry with the current ``count``."""
        return {
            "rateLimitType": self.kind,
            "interval": self.interval,
            "intervalNum": self.interval_num,
            "limit": self.limit,
            "count": count,
        }


#: The limits ``conninfo`` documents (https://docs.gemini.com/websocket/introduction).
DEFAULT_RATE_LIMITS: Final = (
    RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 30_000),
    RateLimit("ORDERS", "SECOND", 10, 1_000),
    RateLimit("ORDERS", "DAY", 1, 1_000_000),
    RateLimit("CONNECTION_ATTEMPTS", "MINUTE", 5, 300),
)

#: ``depth``: default and largest ``limit`` (https://docs.gemini.com/websocket/introduction).
DEFAULT_DEPTH_LIMIT = 100
MAX_DEPTH_LIMIT = 5000

#: ``timeInForce`` → the engine's execution option (None: good till cancel).
TIME_IN_FORCE_OPTIONS: Final[Mapping[str, str | None]] = {
    "GTC": None,
    "IOC": "immediate-or-cancel",
    "FOK": "fill-or-kill",
    "MOC": "maker-or-cancel",
}

#: Engine reasons that mean the request itself was malformed (raised before the order has an id, no event):
#: answered -1013 rather than -2010.
PARAM_ERROR_REASONS: Final = frozenset(
    {
        "InvalidSide",
        "InvalidOrderType",
        "OptionsMustBeArray",
        "ConflictingOptions",
        "UnsupportedOption",
        "ClientOrderIdMustBeString",
        "ClientOrderIdTooLong",
    }
)

#: Engine reject reasons renamed to the new API's documented ``r`` values; the others pass through unchanged.
_REJECT_REASONS: Final[Mapping[str, str]] = {
    "InvalidSymbol": "UnknownInstrument",
    "InvalidStopPriceBuy": "InvalidStopPrice",
    "InvalidStopPriceSell": "InvalidStopPrice",
    "InvalidStopPriceRatio": "InvalidStopPrice",
}

# Every behaviour chosen where the documentation (WS_API_DOC_URL) is silent or marked UNCONFIRMED. Keys are short
# names used in comments (``CHOICE ws:<key>``) and in docs/local-exchange.md.
WS_API_CHOICES: Final[Mapping[str, str]] = {
    "path": f"The new API is served at {WS_API_PATH} on the exchange's one port (Gemini: the root of ws.gemini.com).",
    "handshake-failure": "A handshake that fails authentication gets no upgrade: HTTP 401 with the body "
    '{"id": null, "status": 401, "error": {"code": -1002, "msg": ...}} (bad query parameters: 400/-1013, too many '
    "connection attempts: 429/-1003). A handshake without any auth header is accepted as a market-data-only "
    "connection.",
    "handshake-nonce": "X-GEMINI-NONCE must be whole seconds within 30 s of server time and X-GEMINI-PAYLOAD must "
    "decode to exactly that text; the nonce is not required to increase (one handshake per second would be the "
    "limit otherwise), as for time-based keys on REST.",
    "key-kind": "Only Trader, account-level keys with a time-based nonce may authenticate; a counter-nonce key, "
    "a master key or a key without the Trader role is refused with -1002.",
    "time": 'time answers {"id", "status": 200, "result": {"serverTime": <Unix ms>}}.',
    "list-subscriptions": "list_subscriptions answers the stream names in the order subscribed (result null when "
    "none).",
    "subscribe": "subscribe/unsubscribe are all-or-nothing: one unknown stream name (-1013) or one private stream "
    "on an unauthenticated connection (-1002) and nothing changes. Symbols in stream names are case-insensitive "
    "and listed in lowercase; unsubscribing a stream not subscribed is no error.",
    "push-envelope": "Stream messages are pushed bare, exactly as the documented samples (no stream-name envelope); "
    "partial depth and diff-depth snapshots carry an extra 's' (the symbol) so two symbols can be told apart.",
    "answer-first": "The answer to a request is sent before the stream messages the request caused (e.g. the "
    "NEW/OPEN order updates of order.place).",
    "order-place-result": "order.place answers result = {symbol, orderId, clientOrderId?, transactTime (ns), "
    "price, stopPrice?, origQty, executedQty, status (the X vocabulary), timeInForce, type, side, reason? "
    "(CANCELED only)} after the order's immediate processing, plus a top-level rateLimits array.",
    "order-cancel-result": "order.cancel (params orderId) answers the same order object; an order already "
    "closed comes back with its final status (no error), as REST /v1/order/cancel does. An unknown orderId is "
    "-2010 'OrderNotFound: ...'.",
    "cancel-all-result": "order.cancel_all and order.cancel_session answer result = "
    '{"cancelledOrders": [order ids], "cancelRejects": []} (REST\'s details) plus rateLimits.',
    "session": "A session is an API key, as on REST: orders@session streams the orders this key placed (over "
    "either API) and order.cancel_session cancels them. cancelOnDisconnect=true cancels only the orders placed "
    "over the dropped connection (reason Requested), never another connection's or REST's.",
    "reject-reason": "-2010 msg is '<r>: <message>' (r as in the order stream: UnknownInstrument, "
    "InsufficientFunds, InvalidPrice, InvalidQuantity, InvalidStopPrice, MarketNotOpen, DuplicateOrder...), so "
    "a client can read the reason. Malformed parameters are -1013.",
    "duplicate-order": "order.place with the clientOrderId of a live order of the account is rejected -2010 "
    "DuplicateOrder (no order, no event).",
    "market-orders": "type MARKET and eventOutcome are -1020 unsupported: the local engine has limit and "
    "stop-limit orders only. timeInForce defaults to GTC; IOC/FOK/MOC map to immediate-or-cancel/fill-or-kill/"
    "maker-or-cancel; stopPrice makes a stop-limit order.",
    "order-times": "E and T of order updates are the server clock at delivery in ns (the engine keeps ms: the last "
    "six digits are zero); trade E is the trade's time in ns.",
    "order-update-fields": "CANCELED carries r and Z (cumulative executed) when not zero; NEW/OPEN carry p, q, z "
    "(and P for stop-limit orders, whose o is LIMIT); fills carry Z (this fill), L, t, z. The engine's closed "
    "event has no counterpart.",
    "balances": "balanceUpdate: E and u in ms as in the documented sample, B = [{a: asset, f: available}]; "
    "balances@account sends the assets whose available amount changed after each engine action; "
    "balances@account@1s sends every asset at once and then every second.",
    "book-ticker": "bookTicker is sent on subscribe (when the book has a side) and whenever the best price or "
    "size changes; an empty side's fields are omitted.",
    "depth-snapshot": "With snapshot != 0, subscribing a diff-depth stream first sends {lastUpdateId, s, bids, "
    "asks} (all levels when negative, else the top N); apply diffs whose u > lastUpdateId.",
    "update-ids": "u / lastUpdateId count the engine's book changes per symbol while some connection watches "
    "market data.",
    "rate-limits": "Every request weighs 1. REQUEST_WEIGHT and ORDERS count per connection, in fixed windows; "
    "CONNECTION_ATTEMPTS counts every handshake to the exchange. Order method answers carry rateLimits.",
    "bad-frame": "A frame that is not a JSON object, or has an id that is not a string or number, is answered -1013 "
    "with id null; a missing or unknown method is -1020; params of the wrong JSON type are -1013.",
    "slow-client": "A connection whose outgoing queue overflows is closed with 1011.",
}


# -- stream names -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamSpec:
    """A parsed stream name.

    Attributes:
        name: the normalised name (symbol lowercase), e.g. ``"btcusd@depth5@100ms"``.
        kind: ``orders_session``, ``orders_account``, ``balances``, ``balances_1s``, ``book_ticker``,
            ``partial_depth``, ``diff_depth`` or ``trade``.
        symbol: lowercase symbol for market streams, else None.
        levels: 5, 10 or 20 for partial depth, else 0.
        fast: True for the ``@100ms`` variants of the depth streams.
    """

    name: str
    kind: str
    symbol: str | None = None
    levels: int = 0
    fast: bool = False

    @property
    def private(self) -> bool:
        """True for the account streams (they need an authenticated connection)."""
        return self.symbol is None


_ACCOUNT_STREAMS: Final[Mapping[str, str]] = {
    "orders@session": "orders_session",
    "orders@account": "orders_account",
    "balances@account": "balances",
    "balances@account@1s": "balances_1s",
}


def parse_stream(name: object, symbols: frozenset[str]) -> StreamSpec | None:
    """Parse a stream name (https://docs.gemini.com/websocket/introduction, "Streams"); None if unknown.

    Args:
        name: e.g. ``"btcusd@bookTicker"``, ``"BTCUSD@depth10@100ms"``, ``"orders@account"``.
        symbols: the listed symbols, lowercase.
    """
    if not isinstance(name, str):
        return None
    if name in _ACCOUNT_STREAMS:
        return StreamSpec(name, _ACCOUNT_STREAMS[name])
    symbol, sep, rest = name.partition("@")
    symbol = symbol.lower()
    if not sep or symbol not in symbols:
        return None
    if rest == "bookTicker":
        return StreamSpec(f"{symbol}@bookTicker", "book_ticker", symbol)
    if rest == "trade":
        return StreamSpec(f"{symbol}@trade", "trade", symbol)
    depth, _, speed = rest.partition("@")
    if speed not in ("", "100ms"):
        return None
    fast = speed == "100ms"
    if depth == "depth":
        return StreamSpec(f"{symbol}@{rest}", "diff_depth", symbol, fast=fast)
    if depth in ("depth5", "depth10", "depth20"):
        return StreamSpec(f"{symbol}@{rest}", "partial_depth", symbol, levels=int(depth[5:]), fast=fast)
    return None


# -- messages -----------------------------------------------------------------------------------------------------


def error_body(request_id: object, error: ErrorCode, msg: str | None = None) -> dict[str, Any]:
    """The error answer ``{"id", "status", "error": {"code", "msg"}}``."""
    return {"id": request_id, "status": error.status, "error": {"code": error.code, "msg": msg or error.msg}}


def reject_reason(engine_reason: str) -> str:
    """The new API's ``r`` for an engine reject reason (``InvalidStopPriceBuy`` → ``InvalidStopPrice``)."""
    return _REJECT_REASONS.get(engine_reason, engine_reason)


def order_status(order: Mapping[str, Any]) -> str:
    """The ``X`` status of an engine order object (``/v1/order/status`` shape)."""
    if order.get("is_cancelled"):
        return "CANCELED"
    if Decimal(str(order.get("remaining_amount", "0"))) == 0:
        return "FILLED"
    if Decimal(str(order.get("executed_amount", "0"))) > 0:
        return "PARTIALLY_FILLED"
    if order.get("is_hidden"):  # an untriggered stop-limit order: accepted, not on the book yet
        return "NEW"
    return "OPEN"


def order_result(order: Mapping[str, Any], time_in_force: str, now_ns: int) -> dict[str, Any]:
    """The ``order.place`` / ``order.cancel`` result for an engine order object (CHOICE ws:order-place-result)."""
    result: dict[str, Any] = {"symbol": str(order["symbol"]).upper(), "orderId": int(order["order_id"])}
    if order.get("client_order_id") is not None:
        result["clientOrderId"] = order["client_order_id"]
    result["transactTime"] = now_ns
    result["price"] = order["price"]
    if order.get("stop_price") is not None:
        result["stopPrice"] = order["stop_price"]
    result["origQty"] = order["original_amount"]
    result["executedQty"] = order["executed_amount"]
    result["status"] = order_status(order)
    result["timeInForce"] = time_in_force
    result["type"] = "LIMIT"
    result["side"] = str(order["side"]).upper()
    if order.get("is_cancelled") and order.get("reason"):
        result["reason"] = order["reason"]
    return result


def _nonzero(text: object) -> bool:
    return text is not None and Decimal(str(text)) != 0


def order_update(event: Mapping[str, Any], now_ns: int) -> dict[str, Any] | None:
    """One engine order event → one ``orders@…`` message, or None for events with no counterpart (``closed``)
    (CHOICE ws:order-times, ws:order-update-fields).

    https://docs.gemini.com/websocket/introduction ("Order Events"); e.g. a ``booked`` event becomes
    ``{"E": 1759291847686856000, "s": "BTCUSD", "i": 73000000001, "c": "my-1", "S": "BUY", "o": "LIMIT",
    "X": "OPEN", "p": "1.00", "q": "0.01", "z": "0.01", "T": 1759291847686856000}``.
    """
    kind = event.get("type")
    out: dict[str, Any] = {"E": now_ns, "s": str(event["symbol"]).upper(), "i": int(event["order_id"])}
    if event.get("client_order_id") is not None:
        out["c"] = event["client_order_id"]
    out["S"] = str(event["side"]).upper()
    out["o"] = "LIMIT"
    if kind in ("accepted", "booked", "rejected", "fill"):
        if event.get("price") is not None:
            out["p"] = event["price"]
        if event.get("stop_price") is not None:
            out["P"] = event["stop_price"]
        if event.get("original_amount") is not None:
            out["q"] = event["original_amount"]
    if kind == "accepted":
        out["X"] = "NEW"
        out["z"] = event["remaining_amount"]
    elif kind == "booked":
        out["X"] = "OPEN"
        out["z"] = event["remaining_amount"]
    elif kind == "fill":
        fill = event["fill"]
        out["X"] = "PARTIALLY_FILLED" if _nonzero(event["remaining_amount"]) else "FILLED"
        out["z"] = event["remaining_amount"]
        out["Z"] = fill["amount"]
        out["L"] = fill["price"]
        out["t"] = int(fill["trade_id"])
    elif kind == "cancelled":
        out["X"] = "CANCELED"
        if event.get("reason"):
            out["r"] = reject_reason(str(event["reason"]))
        if _nonzero(event.get("executed_amount")):
            out["Z"] = event["executed_amount"]
    elif kind == "rejected":
        out["X"] = "REJECTED"
        out["r"] = reject_reason(str(event.get("reason", "")))
    else:
        return None
    out["T"] = now_ns
    return out


def balance_update(balances: Mapping[str, str], now_ms: int) -> dict[str, Any]:
    """A ``balanceUpdate`` message for ``{asset: available}`` (CHOICE ws:balances).

    e.g. ``{"e": "balanceUpdate", "E": 1768250434780, "u": 1768250434780, "B": [{"a": "USD", "f": "207.39"}]}``.
    """
    return {"e": "balanceUpdate", "E": now_ms, "u": now_ms, "B": [{"a": a, "f": f} for a, f in balances.items()]}
