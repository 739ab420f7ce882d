"""Venue-neutral account values the account views show: balances, fees and volumes, wrap receipts, history status.

Orders and fills of the views are the domain's :class:`~console.domain.model.Order` and
:class:`~console.domain.model.Fill`; what is here has no order-model counterpart. A venue adapter builds these from
its wire answers (``console.venues.<venue>``); every amount is a ``Decimal``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from console.domain.model import Order, OrderState, Side


class HistoryStatus(enum.StrEnum):
    """How a closed order ended, as the order history shows it (``LIVE`` only for an order detail)."""

    FILLED = "filled"
    PARTIALLY_FILLED = "partial"  # cancelled after some fills
    CANCELLED = "cancelled"
    LIVE = "live"

    @classmethod
    def of(cls, order: Order) -> HistoryStatus:
        """The history status of ``order``.

        A cancelled (or rejected) order with fills is ``PARTIALLY_FILLED``, without fills ``CANCELLED``; an order
        that may still rest or fill (an open state) is ``LIVE``; every other order ended ``FILLED``.
        """
        if order.state in (OrderState.CANCELLED, OrderState.REJECTED):
            return cls.PARTIALLY_FILLED if order.filled > 0 else cls.CANCELLED
        if order.state.is_open:
            return cls.LIVE
        return cls.FILLED


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One currency's balance: ``total`` = ``available`` + ``held`` (held by open orders), decimals."""

    currency: str
    total: Decimal
    available: Decimal
    held: Decimal


@dataclass(frozen=True, slots=True)
class SymbolVolume:
    """Traded volume of one symbol summed over the days the venue reports.

    Attributes:
        symbol: lowercase, e.g. ``"btcusd"``; base_currency / quote_currency: e.g. ``"BTC"`` / ``"USD"``.
        base_volume: total base amount traded; notional: total quote notional (maker + taker, buy + sell).
        maker_count / taker_count: number of maker and taker executions.
    """

    symbol: str
    base_currency: str
    quote_currency: str
    base_volume: Decimal
    notional: Decimal
    maker_count: int
    taker_count: int


@dataclass(frozen=True, slots=True)
class FeeSummary:
    """Fee rates and volumes: maker/taker fees in basis points, 30-day notional (USD), per-symbol volume."""

    maker_bps: Decimal
    taker_bps: Decimal
    notional_30d: Decimal
    volumes: tuple[SymbolVolume, ...] = ()


@dataclass(frozen=True, slots=True)
class WrapReceipt:
    """What a wrap did: ``quantity`` of ``quantity_currency`` for ``total_spend`` of ``spend_currency``."""

    order_id: str
    pair: str
    side: Side
    quantity: Decimal
    quantity_currency: str
    total_spend: Decimal
    spend_currency: str
    fee: Decimal
    fee_currency: str
