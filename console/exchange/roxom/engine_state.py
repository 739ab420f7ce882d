"""The Roxom engine's shared state, declared once for the type checker: the base class of RoxomEngine's mixins.

RoxomEngine is assembled from mixins (``updates``, then ``matching`` on top of it) whose methods read attributes
that ``RoxomEngine.__init__`` sets. ``_RoxomEngineState`` declares those attributes (annotations only: no class
attribute, no runtime cost), so every mixin is checked against the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.exchange.roxom.instruments import Instrument
from console.exchange.roxom.model import Account, AccountListener, MarketListener, Order, TradeTick, _Book


class _RoxomEngineState:
    """What RoxomEngine's parts share: the attributes set in ``RoxomEngine.__init__``."""

    _clock_ns: Callable[[], int]
    _new_id: Callable[[], str]
    instruments: dict[str, Instrument]
    instrument_ids: dict[str, str]
    _books: dict[str, _Book]
    _accounts: dict[int, Account]
    _orders: dict[str, Order]
    _seq: int
    _listeners: list[AccountListener]
    _market_listeners: list[MarketListener]
    _touched: dict[str, list[TradeTick]]
    _pending: dict[int, list[dict[str, Any]]]
    _market_held: int
