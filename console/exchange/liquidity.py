"""Seeded market simulation for the local exchange: a market maker's quotes and random taker flow."""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.symbols import SIMULATED_SYMBOLS, SymbolSpec

MARKET_MAKER_NAME = "market-maker"
TAKER_FLOW_NAME = "taker-flow"
MARKET_MAKER_SESSION = "mm-session"
TAKER_FLOW_SESSION = "flow-session"

#: Starting balance of both simulation accounts in every currency they trade: deep enough never to run out.
SIMULATION_BALANCE = Decimal("1000000000000")
#: Half the quoted spread and the distance between quote levels, in basis points of the mid (at least one
#: price increment each).
HALF_SPREAD_BPS = Decimal("0.5")
LEVEL_STEP_BPS = Decimal("1")
#: Quote sizes are 1..QUOTE_LOTS_MAX lots, taker orders 1..FLOW_LOTS_MAX lots (a lot is defined in ``_lot``).
QUOTE_LOTS_MAX = 20
FLOW_LOTS_MAX = 5
#: A lot is worth at least this much in quote currency for pairs quoted in these currencies (a desk-sized
#: book: BTCUSD levels of 0.1 to 2 BTC).
LOT_MIN_NOTIONAL = Decimal(2000)
FIAT_LIKE = frozenset({"USD", "USDT", "USDC", "GUSD", "EUR", "GBP", "SGD", "AUD", "CAD"})
#: Chance that a symbol gets one taker order in a ``step_flow``, and that ``step`` runs ``step_flow``.
FLOW_PROBABILITY = 0.6
STEP_FLOW_PROBABILITY = 0.7
#: How far (in quote levels) a taker order's limit reaches past the touch.
FLOW_REACH_LEVELS = 2
#: Fraction of the gap between the mid and the last trade price that the mid closes at each ``step_mid``.
MID_PULL_TO_LAST = Decimal("0.5")


def _floor_to(value: Decimal, increment: Decimal) -> Decimal:
    return (value / increment).to_integral_value(rounding=ROUND_FLOOR) * increment


def _ceil_to(value: Decimal, increment: Decimal) -> Decimal:
    return (value / increment).to_integral_value(rounding=ROUND_CEILING) * increment


def _lot(spec: SymbolSpec) -> Decimal:
    """Size unit of the simulation: the minimum order size times a power of ten.

    For fiat-like quotes the lot is the smallest such size worth at least LOT_MIN_NOTIONAL at the start price;
    for crypto quotes it is ten minimum sizes.
    """
    lot = spec.min_order_size
    if spec.quote_currency not in FIAT_LIKE:
        return lot * 10
    while lot * spec.initial_price < LOT_MIN_NOTIONAL:
        lot *= 10
    return lot


class MarketSimulator:
    """Drives a ``MatchingEngine`` through its public API only, so the local market looks alive.

    Two accounts are opened on the engine: ``market-maker`` (session ``mm-session``) keeps ``levels`` quotes
    on each side of every simulated symbol around a random-walk mid, and ``taker-flow`` (session
    ``flow-session``) sends immediate-or-cancel orders that trade at the touch, so the last price moves and user
    orders near the touch fill. Every random choice comes from ``random.Random(seed)``: the same seed on an
    engine in the same state gives the same orders, books and trades.

    Args:
        engine: the engine to drive.
        seed: seed of the simulation's random numbers.
        symbols: symbols to simulate (any case); None for the engine's symbols among
            :data:`~console.exchange.symbols.SIMULATED_SYMBOLS` (every symbol but wrap-enabled pairs when the engine
            lists none of those); the others stay quiet books.
        levels: quote levels per side.
        volatility_bps: largest move of a mid per ``step_mid``, in basis points (uniform in ±volatility_bps).

    Raises:
        ExchangeError: ``InvalidSymbol`` for a symbol the engine does not list.
        ValueError: ``levels`` < 1 or a negative volatility.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        *,
        seed: int = 7,
        symbols: Iterable[str] | None = None,
        levels: int = 8,
        volatility_bps: Decimal | float | int | str = Decimal(3),
    ) -> None:
        if levels < 1:
            raise ValueError("levels must be at least 1")
        self._engine = engine
        self._rng = random.Random(seed)
        if symbols is None:  # wrap-enabled pairs convert at 1 through /v1/wrap: nothing to make a market in
            quotable = [name for name in engine.symbols() if not engine.symbol_spec(name).wrap_enabled]
            names = [name for name in quotable if name in SIMULATED_SYMBOLS] or quotable
        else:
            names = [s.lower() for s in symbols]
        self._specs: dict[str, SymbolSpec] = {name: engine.symbol_spec(name) for name in names}
        self._levels = levels
        self._volatility_bps = Decimal(str(volatility_bps))
        if self._volatility_bps < 0:
            raise ValueError("volatility_bps must not be negative")
        currencies: dict[str, Decimal] = {}
        for spec in self._specs.values():
            currencies[spec.base_currency] = SIMULATION_BALANCE
            currencies[spec.quote_currency] = SIMULATION_BALANCE
        self.market_maker_id = engine.add_account(MARKET_MAKER_NAME, currencies)
        self.taker_flow_id = engine.add_account(TAKER_FLOW_NAME, currencies)
        self._mid: dict[str, Decimal] = {
            name: spec.initial_price.quantize(spec.quote_increment) for name, spec in self._specs.items()
        }
        self._lots = {name: _lot(spec) for name, spec in self._specs.items()}

    @property
    def symbols(self) -> list[str]:
        """The simulated symbols, lowercase."""
        return list(self._specs)

    def mid(self, symbol: str) -> Decimal:
        """The simulation's current mid price of a symbol (quote currency)."""
        return self._mid[symbol.lower()]

    def start_quotes(self) -> None:
        """Quote every symbol around its mid (initially the symbol's ``initial_price``), ``levels`` per side."""
        self._requote()

    def step_mid(self) -> None:
        """Move every mid one seeded random-walk step (pulled towards the last trade price), then re-quote.

        The market maker cancels all its quotes (one ``cancel_session``) and places fresh ones around the new
        mids, with the engine's market updates held so market data subscribers see one update per symbol (never
        the empty book in between); fresh quotes may trade with user orders the mid has moved through.
        """
        for name, spec in self._specs.items():
            mid = self._mid[name]
            last = self._engine.last_price(name)
            if last is not None:
                mid += (last - mid) * MID_PULL_TO_LAST
            shock = Decimal(self._rng.randint(-1000, 1000)) / 1000 * self._volatility_bps / 10_000
            mid = (mid * (1 + shock)).quantize(spec.quote_increment)
            self._mid[name] = max(mid, spec.quote_increment * 100)
        self._requote()

    def step_flow(self) -> None:
        """Send seeded immediate-or-cancel taker orders (either side) that trade at the touch of some symbols."""
        rng = self._rng
        for name, spec in self._specs.items():
            if rng.random() >= FLOW_PROBABILITY:
                continue
            is_buy = rng.random() < 0.5
            lots = rng.randint(1, FLOW_LOTS_MAX)
            reach = rng.randint(0, FLOW_REACH_LEVELS)
            bid, ask = self._engine.best_bid_ask(name)
            step = self._step(spec, self._mid[name])
            if is_buy:
                if ask is None:
                    continue
                price = ask + step * reach
            else:
                if bid is None:
                    continue
                price = bid - step * reach
                if price <= 0:
                    continue
            self._place(self.taker_flow_id, TAKER_FLOW_SESSION, name, is_buy, self._lots[name] * lots, price,
                        ["immediate-or-cancel"])  # fmt: skip

    def step(self) -> None:
        """One simulation tick: ``step_mid``, then ``step_flow`` with probability STEP_FLOW_PROBABILITY."""
        self.step_mid()
        if self._rng.random() < STEP_FLOW_PROBABILITY:
            self.step_flow()

    # ------------------------------------------------------------------------------------------------------------

    @staticmethod
    def _step(spec: SymbolSpec, mid: Decimal) -> Decimal:
        return max(spec.quote_increment, _floor_to(mid * LEVEL_STEP_BPS / 10_000, spec.quote_increment))

    def _requote(self) -> None:
        with self._engine.market_updates_held():  # the public book moves to the new quotes in one update
            self._requote_now()

    def _requote_now(self) -> None:
        engine = self._engine
        engine.cancel_session(self.market_maker_id, MARKET_MAKER_SESSION)
        rng = self._rng
        for name, spec in self._specs.items():
            mid = self._mid[name]
            tick = spec.quote_increment
            half = max(tick, _ceil_to(mid * HALF_SPREAD_BPS / 10_000, tick))
            step = self._step(spec, mid)
            lot = self._lots[name]
            sizes = [(lot * rng.randint(1, QUOTE_LOTS_MAX), lot * rng.randint(1, QUOTE_LOTS_MAX))
                     for _ in range(self._levels)]  # fmt: skip
            # bids first, then asks: the maker's own quotes never cross each other
            for level, (bid_size, _) in enumerate(sizes):
                price = _floor_to(mid - half, tick) - step * level
                if price > 0:
                    self._place(self.market_maker_id, MARKET_MAKER_SESSION, name, True, bid_size, price, None)
            for level, (_, ask_size) in enumerate(sizes):
                price = _ceil_to(mid + half, tick) + step * level
                self._place(self.market_maker_id, MARKET_MAKER_SESSION, name, False, ask_size, price, None)

    def _place(
        self,
        account_id: int,
        session: str,
        symbol: str,
        is_buy: bool,
        amount: Decimal,
        price: Decimal,
        options: list[str] | None,
    ) -> None:
        try:
            self._engine.place_order(
                account_id,
                session,
                symbol=symbol,
                side="buy" if is_buy else "sell",
                order_type="exchange limit",
                amount=format(amount.normalize(), "f"),
                price=format(price, "f"),
                options=options,
            )
        except ExchangeError:
            pass  # market closed, trading closed: the simulation simply skips the order
