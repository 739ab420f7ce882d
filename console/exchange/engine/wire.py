"""Wire shapes of the engine: orders, events, trades and book levels as Gemini JSON, and their delivery to listeners."""

from __future__ import annotations

from typing import Any

from console.exchange.engine.choices import AVG_PRICE_EXTRA_DECIMALS, REST_ORDER_TYPES, STOP_LIMIT
from console.exchange.engine.common import _ZERO, _fmt, _fmt_norm, _raw, _to_decimal
from console.exchange.engine.model import _BookSide, _Market, _Order, _Trade
from console.exchange.engine.state import _EngineState

#: The fields of an order event that follow the order's state, in wire order (set on every event).
_EVENT_STATE_FIELDS = dict.fromkeys(
    ("is_live", "is_cancelled", "is_hidden", "avg_execution_price", "executed_amount", "remaining_amount")
)


class _WireMixin(_EngineState):
    """MatchingEngine's wire serialisation and event delivery (methods of MatchingEngine)."""

    # ------------------------------------------------------------------------------------------------------------
    # internals: wire shapes and events

    @staticmethod
    def _avg_price(order: _Order, market: _Market) -> str:
        """The average price text (CHOICES 15): exact average, 8 decimals past the price's, zeros trimmed to them."""
        if not order.executed:
            return market.zero_price
        # Trimmed on the text: the same result as normalize() and re-quantizing, without Decimal.as_tuple(),
        # which alone cost ~5% of the engine's time.
        text = _fmt((order.notional / order.executed).quantize(market.avg_quantum))
        extra = AVG_PRICE_EXTRA_DECIMALS
        digits = text[-extra:].rstrip("0")
        if digits:
            return text[:-extra] + digits
        return text[: -extra - 1] if text[-extra - 1] == "." else text[:-extra]  # no "." left for whole prices

    def _order_wire(self, order: _Order) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "order_id": order.id_str,
            "id": order.id_str,
            "symbol": order.symbol,
            "exchange": "gemini",
            "avg_execution_price": order.avg_str,
            "side": "buy" if order.is_buy else "sell",
            "type": REST_ORDER_TYPES[order.order_type],
            "timestamp": str(order.timestamp_ms // 1000),
            "timestampms": order.timestamp_ms,
            "is_live": not order.done and bool(order.remaining),
            "is_cancelled": order.is_cancelled,
            "is_hidden": order.hidden,
            "was_forced": False,
            "executed_amount": order.executed_str,
            "remaining_amount": order.remaining_str,
            "original_amount": order.original_str,
            "price": order.price_str,
            "options": list(order.options),
        }
        if order.client_order_id is not None:
            wire["client_order_id"] = order.client_order_id
        if order.is_cancelled:
            wire["reason"] = order.reason
        if order.stop_price is not None:
            wire["stop_price"] = _fmt(order.stop_price)
        return wire

    def _event_wire(self, order: _Order, event_type: str, event_id: int | None) -> dict[str, Any]:
        template = order.event_template
        if template is None:
            template = order.event_template = self._event_template(order)
        # Copying a dict whose keys are already in wire order and overwriting the changing values is ~3x cheaper
        # than building the event key by key, and events are most of what an order costs.
        event = template.copy()
        event["type"] = event_type
        if event_id is None:
            del event["event_id"]  # `initial` events have none; the other keys keep their order
        else:
            event["event_id"] = str(event_id)
        event["is_live"] = not order.done and bool(order.remaining)
        event["is_cancelled"] = order.is_cancelled
        event["is_hidden"] = order.hidden
        event["avg_execution_price"] = order.avg_str
        event["executed_amount"] = order.executed_str
        event["remaining_amount"] = order.remaining_str
        return event

    @classmethod
    def _event_template(cls, order: _Order) -> dict[str, Any]:
        """Every field of the order's events in wire order; those that change (type, event_id, state) are None."""
        template = {
            "type": None,
            "order_id": order.id_str,
            "event_id": None,
            **cls._event_identity(order),
            "original_amount": order.original_str,
            "price": order.price_str,
        }
        if order.stop_price is not None:
            template["stop_price"] = _fmt(order.stop_price)
        template.update(_EVENT_STATE_FIELDS)
        return template

    @staticmethod
    def _event_identity(order: _Order) -> dict[str, Any]:
        """Who placed the order and what it is: session, ids, symbol, side, type, submit time."""
        base: dict[str, Any] = {"api_session": order.api_session}
        if order.client_order_id is not None:
            base["client_order_id"] = order.client_order_id
        base["symbol"] = order.symbol
        base["side"] = "buy" if order.is_buy else "sell"
        base["order_type"] = order.order_type
        if order.behavior is not None:
            base["behavior"] = order.behavior
        base["timestamp"] = str(order.timestamp_ms // 1000)
        base["timestampms"] = order.timestamp_ms
        return base

    def _emit(self, order: _Order, event_type: str) -> dict[str, Any] | None:
        """Queue an order event for this action's flush; returns it (for fields to append), None without listeners."""
        event_id = self._next_id
        self._next_id = event_id + 1
        if not self._listeners:
            return None
        event = self._event_wire(order, event_type, event_id)
        batch = self._batch.get(order.account_id)
        if batch is None:
            self._batch[order.account_id] = [event]
        else:
            batch.append(event)
        return event

    def _emit_rejected(self, order: _Order, reason: str, amount: object, price: object, stop: object) -> None:
        event_id = self._new_id()
        if not self._listeners:
            return
        event: dict[str, Any] = {
            "type": "rejected",
            "order_id": str(order.id),
            "event_id": str(event_id),
            "reason": reason,
            **self._event_identity(order),
            "is_live": False,
        }
        parsed_amount = _to_decimal(amount)
        if amount is not None:
            event["original_amount"] = _fmt(parsed_amount) if parsed_amount is not None else _raw(amount)
        if price is not None:
            event["price"] = _fmt(order.price) if order.price else _raw(price)
        if order.order_type == STOP_LIMIT and stop is not None:
            event["stop_price"] = _fmt(order.stop_price) if order.stop_price is not None else _raw(stop)
        self._batch.setdefault(order.account_id, []).append(event)

    def _flush(self) -> None:
        """Deliver this action's events: one listener call per account, accounts in order of first event."""
        if (self._dirty_levels or self._new_trades) and not self._market_held:
            self._flush_market()
        if not self._batch:
            return
        batch, self._batch = self._batch, {}
        listeners = tuple(self._listeners)
        for account_id, events in batch.items():
            for listener in listeners:
                listener(account_id, events)

    def _flush_market(self) -> None:
        """Deliver this action's level changes and public trades: one market listener call per symbol."""
        dirty, self._dirty_levels = self._dirty_levels, {}
        fresh, self._new_trades = self._new_trades, {}
        listeners = tuple(self._market_listeners)
        for symbol in dict.fromkeys([*dirty, *fresh]):
            market = self._markets[symbol]
            changes: list[tuple[str, str, str]] = []
            for is_bid, price in dirty.get(symbol, ()):
                level = (market.bids if is_bid else market.asks).levels.get(price)
                total = level.total if level is not None and level.count else _ZERO
                changes.append(("buy" if is_bid else "sell", _fmt(price), _fmt(total)))
            trades = [self._public_trade_wire(t) for t in fresh.get(symbol, ())]
            for listener in listeners:
                listener(market.upper, changes, trades)

    @staticmethod
    def _public_trade_wire(trade: _Trade, *, broken: bool = False) -> dict[str, Any]:
        """A trade in the ``GET /v1/trades`` shape (``type`` = the taker's side)."""
        return {
            "timestamp": trade.timestamp_ms // 1000,
            "timestampms": trade.timestamp_ms,
            "tid": trade.tid,
            "price": _fmt(trade.price),
            "amount": _fmt(trade.amount),
            "exchange": "gemini",
            "type": "buy" if trade.taker_is_buy else "sell",
            "broken": broken,
        }

    def _execution_wire(self, trade: _Trade, aggressor: bool) -> dict[str, Any]:
        """One side of a trade in the ``/v1/mytrades`` shape: the taker's side when ``aggressor``, else the maker's."""
        if aggressor:
            is_buy, fee, order_id = trade.taker_is_buy, trade.taker_fee, trade.taker_order_id
            client_order_id, broken = trade.taker_client_order_id, trade.taker_broken
        else:
            is_buy, fee, order_id = not trade.taker_is_buy, trade.maker_fee, trade.maker_order_id
            client_order_id, broken = trade.maker_client_order_id, trade.maker_broken
        wire: dict[str, Any] = {
            "price": _fmt(trade.price),
            "amount": _fmt(trade.amount),
            "timestamp": trade.timestamp_ms // 1000,
            "timestampms": trade.timestamp_ms,
            "type": "Buy" if is_buy else "Sell",
            "aggressor": aggressor,
            "fee_currency": trade.fee_currency,
            "fee_amount": _fmt_norm(fee),
            "tid": trade.tid,
            "order_id": str(order_id),
        }
        if client_order_id is not None:
            wire["client_order_id"] = client_order_id
        wire["exchange"] = "gemini"
        wire["is_auction_fill"] = False
        wire["is_clearing_fill"] = False
        wire["symbol"] = self._markets[trade.symbol].upper
        if broken is not None:
            wire["break"] = broken
        return wire

    @staticmethod
    def _levels_wire(side: _BookSide, limit: int) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for level in side.iter_levels():
            if limit and len(out) >= limit:
                break
            out.append(
                {"price": _fmt(level.price), "amount": _fmt(level.total), "timestamp": str(level.updated_ms // 1000)}
            )
        return out
