"""Fee tiers and traded volumes of the engine: 30-day account volume, 24 h market volume, volume reports."""

from __future__ import annotations

import time
from decimal import Decimal, localcontext
from typing import Any

from console.exchange.engine.choices import FEE_WINDOW_MS, VOLUME_WINDOW_MS
from console.exchange.engine.common import _CONTEXT, _ZERO, _exact
from console.exchange.engine.model import _Account, _Market
from console.exchange.engine.state import _EngineState


class _FeesMixin(_EngineState):
    """MatchingEngine's fee tiers and volumes (methods of MatchingEngine)."""

    def fee_bps(self, account_id: int) -> tuple[int, int]:
        """The account's current ``(maker bps, taker bps)`` from its 30-day USD notional volume (CHOICES 21)."""
        with localcontext(_CONTEXT):
            return self._fee_bps(self._accounts[account_id])

    @_exact
    def notional_volume(self, account_id: int) -> dict[str, Any]:
        """``POST /v1/notionalvolume`` shape (https://docs.gemini.com/rest/fund-management#get-notional-volume): fee bps
        of the account's tier and its USD volume.

        Returns:
            e.g. ``{"web_maker_fee_bps": 10, "web_taker_fee_bps": 35, "web_auction_fee_bps": 10,
            "api_maker_fee_bps": 10, ..., "notional_30d_volume": 1250.5, "last_updated_ms": 1700000000000,
            "date": "2023-11-14", "notional_1d_volume": [{"date": "2023-11-14", "notional_volume": 1250.5}]}``;
            volumes are JSON numbers as in the docs' example (rounded to cents).
        """
        account = self._accounts[account_id]
        now = self._clock_ms()
        self._expire_account_volume(account, now)
        maker, taker = self._fee_bps(account)
        per_day: dict[str, Decimal] = {}
        for ts_ms, usd in account.volume:
            day = _utc_date(ts_ms)
            per_day[day] = per_day.get(day, _ZERO) + usd
        body: dict[str, Any] = {}
        for channel in ("web", "api", "fix"):
            body[f"{channel}_maker_fee_bps"] = maker
            body[f"{channel}_taker_fee_bps"] = taker
            body[f"{channel}_auction_fee_bps"] = maker
        body["notional_30d_volume"] = _cents(account.volume_usd)
        body["api_notional_30d_volume"] = _cents(account.volume_usd)
        body["last_updated_ms"] = now
        body["date"] = _utc_date(now)
        body["notional_1d_volume"] = [
            {"date": day, "notional_volume": _cents(value)} for day, value in sorted(per_day.items(), reverse=True)
        ]
        return body

    @_exact
    def trade_volume(self, account_id: int) -> list[list[dict[str, Any]]]:
        """``POST /v1/tradevolume`` shape (https://docs.gemini.com/rest/fund-management#get-trade-volume): one inner
        array per symbol, one object per UTC day.

        Counts the account's kept executions (maker/taker, buy/sell) with base amounts and quote notionals as JSON
        numbers, as in the docs' example. Symbols the account never traded are left out.
        """
        account = self._accounts[account_id]
        rows: dict[str, dict[str, dict[str, Any]]] = {}
        for trade, aggressor in zip(account.executions, account.aggressors, strict=True):
            market = self._markets[trade.symbol]
            day = _utc_date(trade.timestamp_ms)
            row = rows.setdefault(trade.symbol, {}).get(day)
            if row is None:
                row = rows[trade.symbol][day] = {
                    "symbol": trade.symbol,
                    "base_currency": market.spec.base_currency,
                    "notional_currency": market.spec.quote_currency,
                    "data_date": day,
                    "total_volume_base": _ZERO,
                    "maker_buy_sell_ratio": 0,
                    **{
                        f"{side}_{role}_{what}": (0 if what == "count" else _ZERO)
                        for side in ("buy", "sell")
                        for role in ("maker", "taker")
                        for what in ("base", "notional", "count")
                    },
                }
            is_buy = trade.taker_is_buy if aggressor else not trade.taker_is_buy
            prefix = f"{'buy' if is_buy else 'sell'}_{'taker' if aggressor else 'maker'}"
            row[f"{prefix}_base"] += trade.amount
            row[f"{prefix}_notional"] += trade.amount * trade.price
            row[f"{prefix}_count"] += 1
            row["total_volume_base"] += trade.amount
        out: list[list[dict[str, Any]]] = []
        for symbol in sorted(rows):
            days = []
            for day in sorted(rows[symbol]):
                row = rows[symbol][day]
                maker_buys, maker_sells = row["buy_maker_base"], row["sell_maker_base"]
                row["maker_buy_sell_ratio"] = float(maker_buys / maker_sells) if maker_sells else 0
                days.append({k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()})
            out.append(days)
        return out

    @staticmethod
    def _expire_volume(market: _Market, now_ms: int) -> None:
        window = market.volume
        horizon = now_ms - VOLUME_WINDOW_MS
        while window and window[0][0] < horizon:
            _, qty, notional = window.popleft()
            market.volume_base -= qty
            market.volume_quote -= notional

    def _fee_bps(self, account: _Account) -> tuple[int, int]:
        volume = account.volume_usd
        maker, taker = self._fee_tiers[0][1], self._fee_tiers[0][2]
        for start, tier_maker, tier_taker in self._fee_tiers:
            if volume >= start:
                maker, taker = tier_maker, tier_taker
        return maker, taker

    def _usd_value(self, currency: str, amount: Decimal) -> Decimal:
        if currency == "USD":
            return amount
        market = self._markets.get(f"{currency.lower()}usd")
        if market is None or market.last_price is None:
            return _ZERO
        return amount * market.last_price

    def _record_volume(self, account: _Account, usd: Decimal) -> None:
        if usd:
            account.volume.append((self._now, usd))
            account.volume_usd += usd
            if len(account.volume) > 4096:
                self._expire_account_volume(account, self._now)

    @staticmethod
    def _expire_account_volume(account: _Account, now_ms: int) -> None:
        horizon = now_ms - FEE_WINDOW_MS
        window = account.volume
        while window and window[0][0] < horizon:
            account.volume_usd -= window.popleft()[1]


def _utc_date(ts_ms: int) -> str:
    """``"2026-11-22"``: the UTC date of a time in ms."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts_ms // 1000))


def _cents(value: Decimal) -> float:
    """A USD volume as the JSON number Gemini sends (rounded to cents); volumes are reports, not balances."""
    return float(value.quantize(Decimal("0.01")))
