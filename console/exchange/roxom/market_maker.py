"""Seeded market simulation for the local Roxom venue: a market maker's quotes and random taker flow."""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from console.exchange.roxom.engine import OrderRequest, RoxomEngine, RoxomError

__all__ = ["MarketMaker"]

#: Both simulation accounts start with this many BTC: deep enough never to run out of margin.
SIMULATION_BALANCE_BTC = Decimal(1_000_000)
#: Half spread and distance between quote levels in basis points of the mid (at least one tick each).
HALF_SPREAD_BPS = Decimal(2)
LEVEL_STEP_BPS = Decimal(2)
#: Chance per step and symbol of one taker order.
FLOW_PROBABILITY = 0.5


def _floor(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def _ceil(value: Decimal, tick: Decimal) -> Decimal:
    return (value / tick).to_integral_value(rounding=ROUND_CEILING) * tick


class MarketMaker:
    """Drives a :class:`RoxomEngine` through its public API so the local market looks alive.

    Opens two accounts: ``market-maker`` keeps ``levels`` quotes per side of every instrument around a seeded
    random-walk mid (in BTC), ``taker-flow`` sends immediate-or-cancel orders at the touch, so the last price moves
    and user orders near the touch fill. ``random.Random(seed)`` makes every choice.

    Args:
        engine: the engine to drive.
        seed: seed of the random numbers.
        symbols: instruments to quote; None for all.
        levels: quote levels per side.
        volatility_bps: largest move of a mid per step, basis points.
    """

    def __init__(
        self,
        engine: RoxomEngine,
        *,
        seed: int = 7,
        symbols: Iterable[str] | None = None,
        levels: int = 6,
        volatility_bps: Decimal = Decimal(4),
    ) -> None:
        self._engine = engine
        self._rng = random.Random(seed)
        self._symbols = list(symbols) if symbols is not None else list(engine.instruments)
        self._levels = levels
        self._volatility_bps = volatility_bps
        self.maker_id = engine.add_account("market-maker", SIMULATION_BALANCE_BTC)
        self.flow_id = engine.add_account("taker-flow", SIMULATION_BALANCE_BTC)
        self._mid = {s: engine.instruments[s].initial_price for s in self._symbols}

    def step(self) -> None:
        """Move every mid one random-walk step and requote; then maybe send taker flow."""
        for symbol in self._symbols:
            tick = self._engine.instruments[symbol].tick_size
            shock = Decimal(self._rng.randint(-1000, 1000)) / 1000 * self._volatility_bps / 10_000
            self._mid[symbol] = max(tick * 100, _floor(self._mid[symbol] * (1 + shock), tick))
        self.requote()
        self.flow()

    def requote(self) -> None:
        """Replace all quotes in one held market update (subscribers never see the book empty in between)."""
        engine = self._engine
        with engine.market_updates_held():
            engine.cancel_now(self.maker_id)
            for symbol in self._symbols:
                spec = engine.instruments[symbol]
                mid, tick = self._mid[symbol], spec.tick_size
                half = max(tick, _ceil(mid * HALF_SPREAD_BPS / 10_000, tick))
                step = max(tick, _floor(mid * LEVEL_STEP_BPS / 10_000, tick))
                for level in range(self._levels):
                    size = spec.qty_step * 50 * self._rng.randint(1, 20)
                    self._place(self.maker_id, symbol, "buy", size, _floor(mid - half, tick) - step * level, "gtc")
                    self._place(self.maker_id, symbol, "sell", size, _ceil(mid + half, tick) + step * level, "gtc")

    def flow(self) -> None:
        """Seeded IOC taker orders at the touch of some instruments."""
        engine = self._engine
        for symbol in self._symbols:
            if self._rng.random() >= FLOW_PROBABILITY:
                continue
            spec = engine.instruments[symbol]
            book = engine.book(symbol)
            side = "buy" if self._rng.random() < 0.5 else "sell"
            touch = book.best_ask() if side == "buy" else book.best_bid()
            if touch is not None:
                self._place(self.flow_id, symbol, side, spec.qty_step * 10 * self._rng.randint(1, 10), touch, "ioc")

    def _place(self, account_id: int, symbol: str, side: str, qty: Decimal, px: Decimal, tif: str) -> None:
        request = OrderRequest(symbol, side, "limit", qty, px, time_in_force=tif)
        try:
            self._engine.validate(request)
        except RoxomError:
            return  # e.g. a notional over the limit at this price: the simulation skips the order
        self._engine.place(account_id, request)
