"""The engine's shared state, declared once for the type checker: the base class of MatchingEngine's mixins.

MatchingEngine is assembled from mixins (``matching``, ``wire``, ``fees``, ``funds``, ``queries``) whose methods
read attributes that ``MatchingEngine.__init__`` sets and call methods that another mixin defines. ``_EngineState``
declares those attributes (annotations only: no class attribute, no runtime cost) and, for the type checker only,
the methods one part calls on another, so every mixin is checked against the same declarations.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from console.exchange.engine.common import EventListener, MarketListener
from console.exchange.engine.model import _Account, _BookSide, _Market, _Order, _Trade


class _EngineState:
    """What MatchingEngine's parts share: attributes set in ``MatchingEngine.__init__``, methods across mixins."""

    _clock_ms: Callable[[], int]
    _maker_rate: Decimal
    _taker_rate: Decimal
    _fee_tiers: tuple[tuple[Decimal, int, int], ...]  # (30-day USD volume from, maker bps, taker bps)
    _hold_factor: Decimal
    _band: Decimal
    _next_id: int
    _first_id: int
    _markets: dict[str, _Market]
    _accounts: dict[int, _Account]
    _orders: dict[int, _Order]
    _by_client_id: dict[tuple[int, str], list[int]]
    _listeners: list[EventListener]
    _batch: dict[int, list[dict[str, Any]]]
    _market_listeners: list[MarketListener]
    _dirty_levels: dict[str, dict[tuple[bool, Decimal], None]]  # symbol -> touched (is_bid, price)
    _new_trades: dict[str, list[_Trade]]
    _market_held: int
    _triggered: deque[_Order]
    _trading_open: bool
    _fees: dict[str, Decimal]
    _broken_tids: set[int]
    _now: int

    if TYPE_CHECKING:
        # Defined by MatchingEngine (core) or a sibling mixin; declared here so each mixin type-checks alone.

        def _new_id(self) -> int: ...

        def _market(self, symbol: object) -> _Market: ...

        @staticmethod
        def _avg_price(order: _Order, market: _Market) -> str: ...

        def _order_wire(self, order: _Order) -> dict[str, Any]: ...

        def _emit(self, order: _Order, event_type: str) -> dict[str, Any] | None: ...

        def _flush(self) -> None: ...

        @staticmethod
        def _public_trade_wire(trade: _Trade, *, broken: bool = False) -> dict[str, Any]: ...

        def _execution_wire(self, trade: _Trade, aggressor: bool) -> dict[str, Any]: ...

        @staticmethod
        def _levels_wire(side: _BookSide, limit: int) -> list[dict[str, str]]: ...

        @staticmethod
        def _expire_volume(market: _Market, now_ms: int) -> None: ...

        def _fee_bps(self, account: _Account) -> tuple[int, int]: ...

        def _usd_value(self, currency: str, amount: Decimal) -> Decimal: ...

        def _record_volume(self, account: _Account, usd: Decimal) -> None: ...
