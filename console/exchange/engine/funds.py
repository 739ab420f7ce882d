"""Balances, collected fees and wraps of the engine."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import Any

from console.exchange.engine.common import (
    _CONTEXT,
    _ZERO,
    ExchangeError,
    _exact,
    _fmt,
    _fmt_norm,
    _is_multiple,
    _raw,
    _to_decimal,
)
from console.exchange.engine.state import _EngineState
from console.exchange.engine.validation import _parse_client_order_id, _parse_side


class _FundsMixin(_EngineState):
    """MatchingEngine's balances and wraps (methods of MatchingEngine)."""

    def balances(self, account_id: int) -> list[dict[str, str]]:
        """Balances (``POST /v1/balances``, https://docs.gemini.com/rest/fund-management#get-available-balances), one
        entry per currency the account has held.

        Returns:
            e.g. ``[{"type": "exchange", "currency": "BTC", "amount": "5", "available": "4.5",
            "availableForWithdrawal": "4.5"}]``; ``available`` excludes holds of live orders.
        """
        account = self._accounts[account_id]
        out = []
        with localcontext(_CONTEXT):
            for currency, amount in account.balances.items():
                available = _fmt_norm(amount - account.holds.get(currency, _ZERO))
                out.append(
                    {
                        "type": "exchange",
                        "currency": currency,
                        "amount": _fmt_norm(amount),
                        "available": available,
                        "availableForWithdrawal": available,
                    }
                )
        return out

    def fees_collected(self) -> dict[str, Decimal]:
        """Total fees the exchange has charged, per currency (for conservation checks and statistics)."""
        return dict(self._fees)

    @_exact
    def wrap(
        self, account_id: int, symbol: object, *, amount: object, side: object, client_order_id: object = None
    ) -> dict[str, Any]:
        """Wrap or unwrap at price 1 (``POST /v1/wrap/:symbol``, CHOICES 22).

        https://docs.gemini.com/rest/orders#wrap-order

        Args:
            account_id: the account.
            symbol: a wrap-enabled symbol such as ``"GUSDUSD"`` (any case).
            amount: base amount, a decimal string.
            side: ``"buy"`` (quote → base) or ``"sell"`` (base → quote).
            client_order_id: optional, checked like an order's.

        Returns:
            ``{"orderId": 73000000042, "pair": "GUSDUSD", "price": "1", "priceCurrency": "USD", "side": "buy",
            "quantity": "1", "quantityCurrency": "GUSD", "totalSpend": "1", "totalSpendCurrency": "USD", "fee": "0",
            "feeCurrency": "USD", "depositFee": "0", "depositFeeCurrency": "USD"}``.

        Raises:
            ExchangeError: InvalidSymbol (unknown or not wrap-enabled), InvalidSide, ClientOrderId*, InvalidQuantity
                (400), InsufficientFunds (406).
        """
        account = self._accounts[account_id]
        market = self._market(symbol)
        spec = market.spec
        if not spec.wrap_enabled:
            raise ExchangeError("InvalidSymbol", f"Symbol {market.upper} is not enabled for wrapping", 400)
        is_buy = _parse_side(side, market.upper)
        _parse_client_order_id(client_order_id)
        qty = _to_decimal(amount)
        if qty is None or qty <= 0 or qty < spec.min_order_size or not _is_multiple(qty, spec.tick_size):
            raise ExchangeError("InvalidQuantity", f"Invalid quantity for symbol {market.upper}: {_raw(amount)}", 400)
        base, quote = spec.base_currency, spec.quote_currency
        spend_currency = quote if is_buy else base
        available = account.balances.get(spend_currency, _ZERO) - account.holds.get(spend_currency, _ZERO)
        if qty > available:
            raise ExchangeError(
                "InsufficientFunds", f"Insufficient {spend_currency} to wrap {_fmt(qty)} {market.upper}", 406
            )
        get_currency = base if is_buy else quote
        account.balances[spend_currency] = account.balances.get(spend_currency, _ZERO) - qty
        account.balances[get_currency] = account.balances.get(get_currency, _ZERO) + qty
        text = _fmt_norm(qty)
        return {
            "orderId": self._new_id(),
            "pair": market.upper,
            "price": "1",
            "priceCurrency": quote,
            "side": "buy" if is_buy else "sell",
            "quantity": text,
            "quantityCurrency": base,
            "totalSpend": text,
            "totalSpendCurrency": quote,
            "fee": "0",
            "feeCurrency": quote,
            "depositFee": "0",
            "depositFeeCurrency": quote,
        }
