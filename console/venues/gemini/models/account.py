"""Wire models of Gemini's account endpoints: balances, notional volume (fee rates) and trade volume."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from console.venues.gemini.models.base import WireDecimal, WireModel


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

