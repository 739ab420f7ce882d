"""What the local exchange chose where Gemini's docs are silent (CHOICES) and the constants carrying it."""

from __future__ import annotations

from decimal import Decimal

CHOICES = """Behaviour chosen where Gemini's public documentation is silent or unclear (see docs/local-exchange.md).

Each choice names the constant that carries it, when there is one, so it is easy to change.

1. Rejects after an id (InvalidQuantity, InvalidPrice, InvalidStopPrice*, MarketNotOpen, InsufficientFunds)
   emit ONE `rejected` event (with `reason`) to the placing account, then raise ExchangeError. Pure parse errors
   (InvalidSymbol, InvalidSide, InvalidOrderType, options errors, client order id errors) get no id and emit
   nothing. A rejected order is not stored: order_status on its id is 404. Why: the docs' `rejected` sample
   carries an order id, so only a request that got that far can be named in an event.
2. The `rejected` event carries the fields of the docs' sample only: type, order_id, event_id, reason,
   api_session, client_order_id (if any), symbol, side, order_type, behavior (if any), timestamp, timestampms,
   is_live (false), original_amount, price, stop_price (stop orders). original_amount / price / stop_price echo
   the request's text when it did not parse, and are left out when the request had none.
3. Every other event carries the full common field set (including executed_amount and remaining_amount on
   `accepted`, which the docs' abbreviated sample leaves out): the client never has to guess a missing field.
4. `timestamp` / `timestampms` in order events and order objects are the order's SUBMIT time (the docs' field
   description); the docs' samples that show later times on `closed` are treated as inconsistent.
5. Reject order: parse checks, then quantity, price, stop price (InvalidStopPrice, then InvalidStopPriceBuy /
   InvalidStopPriceSell, then InvalidStopPriceRatio), then MarketNotOpen, then InsufficientFunds (406).
   Options: OptionsMustBeArray, then UnsupportedOption for an unknown element, then ConflictingOptions for
   more than one, then UnsupportedOption for any option on a stop-limit order. `auction-only` and
   `indication-of-interest` are unsupported here (no auctions).
6. Stop direction follows the create-order text and the observed message: buy needs stop_price < price, sell
   needs stop_price > price (strict). Ratio: |price - stop_price| <= 50% of stop_price (STOP_PRICE_MAX_RATIO).
   A `stop_price` sent with a plain "exchange limit" order is ignored.
7. Holds (full reserve): buy = remaining x price x (1 + max(maker, taker) fee) in quote currency (= the taker
   fee with the default rates), sell = remaining amount in base currency. Released per fill and on cancel.
8. Self-cross prevention cancels the TAKER when its next match would be against a resting order of the same
   account (SELF_CROSS_RULE): it first trades with other accounts' orders ahead of that one in price-time priority,
   then its remainder is cancelled with SelfCrossPrevented; the resting order stays. Fill-or-kill counts only the
   liquidity ahead of the account's own first order; maker-or-cancel is cancelled as MakerOrCancelWouldTake as
   for any cross. Untriggered stops are not on the book and never count. See docs/local-exchange.md.
9. Price band: reference = last trade price, else the mid, else the order's own price, taken when the order
   arrives (or triggers). A crossing level beyond the band stops the sweep and cancels the remainder with
   ExceedsPriceLimits, also for immediate-or-cancel; fill-or-kill counts only liquidity inside the band and
   cancels whole with FillOrKillWouldNotFill.
10. Stop-limit: triggers on trade prices (buy when a trade is >= stop_price, sell when <= stop_price),
    including the last trade price already known at placement (STOP_TRIGGERS_ON_LAST_AT_PLACEMENT).
    Triggered stops queue and run after the order whose trade triggered them, in trigger order. While
    untriggered: is_live true, is_hidden true, not on the book. On trigger the order gets no new `accepted`.
11. Cancel reasons: cancel_order, cancel_all and cancel_session all use "Requested" (REQUESTED_CANCEL_REASON,
    SESSION_CANCEL_REASON); heartbeat expiry is the server's call of cancel_session. Their `cancelled` events
    carry `cancel_command_id` (one id per request); MarketClosed / TradingClosed / option cancels do not.
12. `cancel_rejected` is never emitted: cancels run synchronously and always succeed on a live order; an
    unknown id is a 404 (no order to name), and a cancel of an already closed order returns its status unchanged
    without an event, because `closed` must stay an order's last event.
13. Trading closed (set_trading_open(False)): every live order is cancelled with TradingClosed and new orders are
    rejected with MarketNotOpen (TRADING_CLOSED_REJECT_REASON, HTTP 400 as in Gemini's error codes); symbol_details
    reports "closed" meanwhile. Symbol status: "closed" and "cancel_only" reject new orders with MarketNotOpen
    (NOT_OPEN_STATUSES); only "closed" cancels resting orders (MarketClosed); "post_only" and "limit_only"
    behave like "open" (every order here is a limit order).
14. order_status with a client_order_id that matches several orders returns the most recent one; order_id wins
    when both are given; `trades` (include_trades) lists the /v1/mytrades objects of that order, oldest first.
15. avg_execution_price: "0.00"-style zero at the symbol's price decimals before any fill; afterwards the exact
    average rounded to 8 decimals past the price increment, trailing zeros trimmed down to the price decimals.
16. Ticker bid / ask / last are null (None) when the book side is empty or nothing traded yet (a market opens
    with a trade, CHOICES 26, unless the server is told not to); volume is the rolling last 24 hours.
    limit_trades is capped at MAX_LIMIT_TRADES (500, the documented maximum); since/timestamp filters are
    inclusive (trades at or after the given time).
17. Input leniency: side and order type are matched case-insensitively ("BUY", "Exchange Limit"); symbols in
    any case; amounts and prices may be strings, ints, Decimals or JSON floats (read via their repr). A price with
    more decimals than the increment but on it ("64250.000") is echoed at the increment's decimals ("64250.00").
18. Memory: each account keeps its last CLOSED_ORDERS_KEPT closed orders and TRADES_KEPT executions; each symbol
    keeps its last TRADES_KEPT public trades. Older ones are forgotten (order_status then answers 404).
19. /v1/orders/history: closed orders (filled or cancelled) only, newest submit time first (ties: higher id
    first), each with its `trades` (the /v1/mytrades objects, oldest first). limit_orders defaults to 50 and is
    capped at MAX_LIMIT_ORDERS (500). Documented (https://developer.gemini.com/trading/rest-api/orders/list-past-orders,
    "How to retrieve your order history"): the list is sorted by timestamp descending; the full history is read
    by a first request with `timestamp: 0, limit_orders: 500`, then `timestamp` = the page's highest timestamp + 1,
    until an empty list. Not documented: what `timestamp` bounds. Chosen: an INCLUSIVE LOWER bound on the submit
    time (s, or ms when >= 1e12), the one reading under which that recipe works; with it the page holds the
    OLDEST `limit_orders` orders at or after it (still newest first); without it, the newest. The same reading
    as /v1/mytrades (CHOICES 20), whose reference calls `timestamp` "on or after". See docs/local-exchange.md.
20. /v1/mytrades with `timestamp`: the OLDEST `limit_trades` trades at or after it, newest first within the
    page; without `timestamp`, the newest `limit_trades`. Only this reading lets a client walk its whole history
    with the one documented lower bound: next timestamp = the page's newest timestampms (inclusive, so
    same-millisecond trades come again and are dropped by tid).
21. Fees come from FEE_TIERS by the account's 30-day notional volume in USD (trades of non-USD quotes count at the
    quote currency's last price against USD, when the exchange lists that pair). The first tier is the engine's
    maker/taker bps. /v1/notionalvolume reports the account's current tier for api_*, web_* and fix_* alike;
    /v1/tradevolume lists one object per symbol and UTC day with traded volume, as one inner array per symbol.
    Volumes and notionals go out as JSON numbers, as in the docs' examples: computed in Decimal, rounded (USD
    notional to cents), then written through float's shortest repr, which keeps every digit up to 15 significant
    ones; the client reads JSON numbers back as Decimal. Balances and fees stay decimal strings.
22. /v1/wrap/:symbol converts at price 1 with no fee for symbols whose details say wrap_enabled (gusdusd); any
    other symbol is InvalidSymbol (400). Amount checks use the symbol's increments (InvalidQuantity); funds must
    be available net of holds (InsufficientFunds, 406). `orderId` comes from the engine's id counter; a wrap is
    a conversion, not an order: it leaves no order, no order events, no trade.
23. Broken trades: break_trade(tid, "manual" | "full") is an operator action (no API). It marks both sides'
    /v1/mytrades objects with `break` and the public trade with `broken: true`; balances, fees, volumes and the
    orders' executed amounts stay as they were (how Gemini settles a break is not documented).
24. REST order objects of stop-limit orders say `"type": "stop-limit"` (REST_ORDER_TYPES), as Gemini's sandbox and
    its documentation example do; requests still send "exchange stop limit", and order events keep
    "exchange stop limit" in `order_type` (their stop-limit value is not documented).
25. An amount above the symbol's maximum order size (SymbolSpec.max_amount(), undocumented on Gemini) is
    InvalidQuantity (400), checked with the other quantity rules, so before funds: Gemini's sandbox answered an
    absurd amount that way, not with InsufficientFunds.
26. Opening trades: open_markets() gives every market without a trade one opening trade at its seeded mid
    (SymbolSpec.initial_price) for its min_order_size, taker side "buy", so `last` is a price from the first
    second (Gemini's pubticker always has one; a fresh local market had null). It shows where public trades
    show (/v1/trades, the market data trades, both tickers, the 24 h volume) and belongs to no account: no
    /v1/mytrades entry, balance change, fee or account volume. Its tid comes from just below first_order_id
    (one per market, in symbol order) so the ids of orders and later trades do not move.
"""

LIMIT = "exchange limit"
STOP_LIMIT = "exchange stop limit"
ORDER_TYPES = (LIMIT, STOP_LIMIT)
#: Request type -> the ``type`` of REST order objects (CHOICES 24).
REST_ORDER_TYPES = {LIMIT: LIMIT, STOP_LIMIT: "stop-limit"}
MAKER_OR_CANCEL = "maker-or-cancel"
IMMEDIATE_OR_CANCEL = "immediate-or-cancel"
FILL_OR_KILL = "fill-or-kill"
SUPPORTED_OPTIONS = frozenset({MAKER_OR_CANCEL, IMMEDIATE_OR_CANCEL, FILL_OR_KILL})
#: Gemini's ConflictingOptions message, word for word as its sandbox answered (it names auction-only, which the
#: local exchange does not support).
CONFLICTING_OPTIONS_MESSAGE = (
    "A single order supports at most one of these options: "
    "['maker-or-cancel', 'immediate-or-cancel', 'auction-only', 'fill-or-kill']"
)
#: CHOICES 8: who is cancelled when an order would trade with its own account. Gemini's cancel reason table only
#: says "SelfCrossPrevented" and gives no matching rule (https://docs.gemini.com/rest/orders), so the common rule
#: is taken: cancel the taker (its unfilled remainder) when its NEXT match is against the same account.
SELF_CROSS_RULE = "cancel-taker-at-own-order"
#: ``len(client_order_id) >= CLIENT_ORDER_ID_MAX_LEN`` is rejected with ClientOrderIdTooLong ("under 100 chars").
CLIENT_ORDER_ID_MAX_LEN = 100
STOP_PRICE_MAX_RATIO = Decimal("0.5")
STOP_TRIGGERS_ON_LAST_AT_PLACEMENT = True
REQUESTED_CANCEL_REASON = "Requested"
SESSION_CANCEL_REASON = "Requested"
TRADING_CLOSED_REJECT_REASON = "MarketNotOpen"
SYMBOL_STATUSES = frozenset({"open", "closed", "cancel_only", "post_only", "limit_only"})
NOT_OPEN_STATUSES = frozenset({"closed", "cancel_only"})
MAX_LIMIT_TRADES = 500
MAX_LIMIT_ORDERS = 500
DEFAULT_LIMIT_ORDERS = 50
#: 30-day notional volume (USD) at which each fee tier starts → (maker bps, taker bps). The first tier's rates are
#: replaced by the engine's ``maker_fee_bps`` / ``taker_fee_bps`` (CHOICES 21).
FEE_TIERS: tuple[tuple[Decimal, int, int], ...] = (
    (Decimal(0), 10, 35),
    (Decimal(1_000_000), 8, 30),
    (Decimal(5_000_000), 5, 25),
    (Decimal(50_000_000), 2, 20),
)
FEE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
CLOSED_ORDERS_KEPT = 10_000
TRADES_KEPT = 10_000
AVG_PRICE_EXTRA_DECIMALS = 8
VOLUME_WINDOW_MS = 24 * 60 * 60 * 1000
