"""The local Roxom venue's instruments: BTC-quoted perpetuals with their ticks, steps, limits, fees and start prices.

Roxom lists perpetuals such as ``US500-BTC``, ``GOLD-BTC`` and ``OIL-BTC``, priced in BTC, sized in contracts
(https://docs.roxom.com/reference/api-reference/market-data/instruments). The published instrument sample looks like
a template (``tickSize: 1`` everywhere, no quantity step, no minimum notional), so the numbers here are chosen
(docs/local-roxom.md, the "Instruments" row): a price tick of 100 sats (10 on OIL-BTC), a quantity step of 0.01
contracts, and the rulebook's pre-trade limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["DEFAULT_INSTRUMENTS", "SATS_PER_BTC", "Instrument"]

SATS_PER_BTC = Decimal(100_000_000)


@dataclass(frozen=True)
class Instrument:
    """One perpetual of the local Roxom venue. Prices and notionals in BTC, quantities in contracts.

    Attributes:
        symbol: e.g. ``"US500-BTC"``.
        base_asset / description: as in the instruments sample.
        tick_size: price increment in BTC, e.g. ``Decimal("0.000001")`` (100 sats).
        qty_step: quantity increment in contracts.
        min_qty / max_qty: order size limits in contracts.
        min_notional: smallest order notional (price × quantity) in BTC.
        max_limit_notional: largest limit order notional in BTC (rulebook: 2.5 BTC).
        max_market_notional: largest market order notional in BTC (rulebook: 0.5 BTC).
        maker_fee / taker_fee: fee rates (fractions of the notional), charged in BTC.
        margin_requirement: initial margin as a fraction of the notional (0.10 = 10x leverage).
        initial_price: the mid the simulated market starts from, in BTC.
    """

    symbol: str
    base_asset: str
    description: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    initial_price: Decimal
    max_limit_notional: Decimal = Decimal("2.5")
    max_market_notional: Decimal = Decimal("0.5")
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    margin_requirement: Decimal = Decimal("0.10")

    def wire(self, instrument_id: str) -> dict[str, Any]:
        """The element of ``GET /api/v1/market/instruments``: the documented sample's fields, with our numbers,
        plus ``qtyStep``, ``minQty``, ``maxQty``, ``minNotional``, ``maxLimitNotional`` and ``maxMarketNotional``
        (decimal strings in BTC / contracts) that the sample leaves out."""
        return {
            "instrumentId": instrument_id,
            "symbol": self.symbol,
            "instType": "perpetual",
            "baseAsset": self.base_asset,
            "quoteAsset": "BTC",
            "description": self.description,
            "status": "active",
            "min_order_size": str(self.min_qty),
            "max_order_size": str(self.max_qty),
            "tickSize": str(self.tick_size),
            "qtyStep": str(self.qty_step),
            "minQty": str(self.min_qty),
            "maxQty": str(self.max_qty),
            "minNotional": str(self.min_notional),
            "maxLimitNotional": str(self.max_limit_notional),
            "maxMarketNotional": str(self.max_market_notional),
            "contractSize": 1,
            "settlementCurrency": "BTC",
            "marginRequirement": str(self.margin_requirement),
            "makerFee": str(self.maker_fee),
            "takerFee": str(self.taker_fee),
            "fundingInterval": "8h",
            "maxLeverage": int(1 / self.margin_requirement),
            "tradingHours": {"start": "00:00:00", "end": "23:59:59", "timezone": "UTC"},
            "launchDate": "2024-01-01T00:00:00Z",
            "expiryDate": None,
        }


DEFAULT_INSTRUMENTS: dict[str, Instrument] = {
    spec.symbol: spec
    for spec in (
        Instrument("US500-BTC", "US500", "S&P 500 Index perpetual settled in Bitcoin", Decimal("0.000001"),
                   Decimal("0.01"), Decimal("0.01"), Decimal("10000"), Decimal("0.0001"), Decimal("0.052300")),
        Instrument("GOLD-BTC", "GOLD", "Gold perpetual settled in Bitcoin", Decimal("0.000001"),
                   Decimal("0.01"), Decimal("0.01"), Decimal("10000"), Decimal("0.0001"), Decimal("0.025200")),
        Instrument("OIL-BTC", "OIL", "WTI crude oil perpetual settled in Bitcoin", Decimal("0.0000001"),
                   Decimal("0.01"), Decimal("0.10"), Decimal("100000"), Decimal("0.0001"), Decimal("0.0006700")),
    )
}  # fmt: skip
