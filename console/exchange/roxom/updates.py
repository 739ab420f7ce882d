"""The Roxom engine's account messages: order, position and balance updates, queued and delivered to listeners."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from console.exchange.roxom.engine_state import _RoxomEngineState
from console.exchange.roxom.model import ZERO, Account, Fill, Order, Position

__all__ = ["to_unit"]


class _UpdatesMixin(_RoxomEngineState):
    """RoxomEngine's messages: what an order, position or balance change sends to the account listeners."""

    def _emit(self, order: Order, *, fill: Fill | None = None, brief: bool = False) -> None:
        self._queue(order.account_id, {"type": "order", "data": self.order_update(order, fill=fill, brief=brief)})

    def order_update(self, order: Order, *, fill: Fill | None = None, brief: bool = False) -> dict[str, Any]:
        """Roxom's ``orders`` channel message data (https://docs.roxom.com/reference/websockets/account-updates/orders).

        CHOICE: a ``brief`` update (pending cancel, cancelled, expired) carries only the fields the documentation
        says such an update may be limited to (plus ``reason``), so a client must merge partial updates.
        Prices in BTC, quantities in contracts, ``timestamp`` in ns.
        """
        account = self._accounts[order.account_id]
        avg = order.avg_px
        data: dict[str, Any] = {
            "orderId": order.id,
            "accountId": account.account_uuid,
            "symbol": order.request.symbol,
            "status": order.status,
            "remainingQty": _qty(order.remaining if not order.closed or order.status == "filled" else ZERO),
            "executedQty": _qty(order.executed),
            "avgPx": None if avg is None else _px(avg),
            "timestamp": self._clock_ns(),
        }
        if order.reason is not None or brief:
            data["reason"] = order.reason
        if brief:
            return data
        request = order.request
        data.update({
            "fillPx": None if fill is None else _px(fill.px),
            "filledFees": _btc(order.fees),
            "side": request.side,
            "orderType": request.order_type,
            "orderSize": _qty(request.qty),
            "limitPrice": None if request.px is None else _px(request.px),
            "clientOrderId": request.client_order_id,
            "entryPositionId": None,
            "exitPositionId": None,
            "reason": order.reason,
        })
        if fill is not None:
            position = account.positions.get(request.symbol)
            pid = position.position_id if position is not None else None
            opening = abs(fill.position_after) > abs(fill.position_before)
            data["entryPositionId" if opening else "exitPositionId"] = pid
        return data

    def _position_message(self, account: Account, symbol: str, position: Position, now_ns: int) -> dict[str, Any]:
        return {"type": "position", "data": [self.position_wire(account, symbol, position, "btc", now_ns)]}

    def position_wire(
        self, account: Account, symbol: str, position: Position, unit: str, now_ns: int
    ) -> dict[str, Any]:
        """One position, prices and money in ``unit`` (``GET /api/v1/positions`` element,
        https://docs.roxom.com/api-reference/positions/get-positions)."""
        book = self._books[symbol]
        mark = book.mark()
        spec = self.instruments[symbol]
        unrealized = (mark - position.entry_px) * position.qty if position.qty else ZERO
        return {
            "positionId": position.position_id,
            "accountId": account.account_uuid,
            "symbol": symbol,
            "instType": "perpetual",
            "side": "long" if position.qty >= 0 else "short",
            "status": "normal",
            "size": _qty(abs(position.qty)),
            "entryPrice": to_unit(position.entry_px, unit),
            "markPrice": to_unit(mark, unit),
            "unrealizedPnl": to_unit(unrealized, unit),
            "realizedPnl": to_unit(position.realized_pnl, unit),
            "margin": to_unit(abs(position.qty) * position.entry_px * spec.margin_requirement, unit),
            "leverage": str(int(1 / spec.margin_requirement)),
            # Chosen (not documented): where the initial margin is lost, maintenance margin and fees left out.
            "liquidationPrice": None if not position.qty else to_unit(
                position.entry_px * (1 - spec.margin_requirement if position.qty > 0
                                     else 1 + spec.margin_requirement), unit),
            "unit": unit,
            "timestamp": now_ns,
        }

    def _queue(self, account_id: int, message: dict[str, Any]) -> None:
        self._pending.setdefault(account_id, []).append(message)

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        now_ns = self._clock_ns()
        for account_id, messages in pending.items():
            account = self._accounts[account_id]
            before = account.published_balance
            if before is not None and before != account.balance:
                # the documented balance message (https://docs.roxom.com/reference/websockets/overview), amounts in BTC
                messages.append({"type": "balance", "data": {
                    "accountId": account.account_uuid, "balanceBefore": _btc(before),
                    "balanceAfter": _btc(account.balance), "amount": _btc(account.balance - before), "unit": "btc",
                    "updateType": "ordersettle", "timestamp": now_ns}})
            account.published_balance = account.balance
            for listener in list(self._listeners):
                for message in messages:
                    listener(account_id, message)
        if self._market_held:
            return
        touched, self._touched = self._touched, {}
        for symbol, trades in touched.items():
            for market_listener in list(self._market_listeners):
                market_listener(symbol, trades)

def _qty(value: Decimal) -> str:
    return f"{value:.2f}"


def _px(value: Decimal) -> str:
    return f"{value:.8f}"


def _btc(value: Decimal) -> str:
    return f"{value:.8f}"


def to_unit(value: Decimal, unit: str) -> str:
    """A BTC amount or price as a wire string: 8 decimals in ``btc``, whole sats (rounded half even) in ``sats``."""
    if unit == "sats":
        return str(int((value * 100_000_000).to_integral_value()))
    return _btc(value)
