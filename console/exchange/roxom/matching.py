"""The Roxom engine's matching: margin holds, stop triggers, price-time matching, fills into positions, closes."""

from __future__ import annotations

from decimal import Decimal

from console.exchange.roxom.model import (
    ASK_BAND,
    BID_BAND,
    EXPIRED_STATUS,
    REASON_IOC,
    REASON_NO_LIQUIDITY,
    REASON_POST_ONLY,
    REASON_SELF_TRADE,
    ZERO,
    Fill,
    Order,
    Position,
    TradeTick,
    _Book,
)
from console.exchange.roxom.updates import _UpdatesMixin

#: Closed orders kept per account for order-by-id and ``includeClosed`` (the simulator closes dozens a second).
CLOSED_ORDERS_KEPT = 10_000


class _MatchingMixin(_UpdatesMixin):
    """RoxomEngine's internals: run an order against its book and move it through its states."""

    def _margin_for(self, order: Order, book: _Book) -> Decimal:
        px = order.request.px if order.request.px is not None else book.mark()
        return order.remaining * px * self.instruments[order.request.symbol].margin_requirement

    @staticmethod
    def _stop_hit(order: Order, last_px: Decimal) -> bool:
        trigger = order.request.trigger_px
        assert trigger is not None
        return last_px >= trigger if order.is_buy else last_px <= trigger

    def _trigger(self, order: Order, book: _Book) -> None:
        order.is_triggered = True
        order.triggered_ms = self._clock_ns() // 1_000_000
        self._submit(order, book)

    def _submit(self, order: Order, book: _Book) -> None:
        """At the engine: post-only check, match, then rest or cancel the rest (IOC / market)."""
        request = order.request
        # A stop triggered while its cancel is pending stays pending cancel (it can still fill until the cancel ends).
        order.status = "pendingcancel" if order.cancel_requested else "submitted"
        self._emit(order, brief=order.cancel_requested)
        opposite = book.asks if order.is_buy else book.bids
        limit = request.px
        if limit is None:  # market (or triggered stop): at most the documented band from the touch
            touch = book.best_ask() if order.is_buy else book.best_bid()
            if touch is None:
                self._close_open(order, REASON_NO_LIQUIDITY)
                return
            limit = touch * ASK_BAND if order.is_buy else touch * BID_BAND
        if request.post_only:
            best = book.best_ask() if order.is_buy else book.best_bid()
            if best is not None and (best <= limit if order.is_buy else best >= limit):
                self._close_open(order, REASON_POST_ONLY)  # cancelled, not rejected (documented)
                return
        while order.remaining and opposite:
            best_px = book.best_ask() if order.is_buy else book.best_bid()
            assert best_px is not None
            if best_px > limit if order.is_buy else best_px < limit:
                break
            maker = opposite.levels[best_px][0]
            if maker.account_id == order.account_id:
                # Self-trade prevention cancels the older, resting order (documented) and matching goes on.
                self._remove(maker)
                self._close(maker, "partiallyfilledcancelled" if maker.executed else "cancelled", REASON_SELF_TRADE)
                continue
            qty = min(order.remaining, maker.remaining)
            self._trade(book, order, maker, best_px, qty)
            if not maker.remaining:
                self._remove(maker)
                self._close(maker, "filled", None)
        if not order.remaining:
            self._close(order, "filled", None)
        elif request.time_in_force == "ioc" or request.px is None:
            self._close_open(order, REASON_IOC if request.px is not None else REASON_NO_LIQUIDITY)
        else:
            (book.bids if order.is_buy else book.asks).add(order, limit)
            order.on_book = True
            self._touch(book.instrument.symbol)
        self._run_stops(book)

    def _close_open(self, order: Order, reason: str) -> None:
        self._close(order, "partiallyfilledcancelled" if order.executed else "cancelled", reason)

    def _trade(self, book: _Book, taker: Order, maker: Order, px: Decimal, qty: Decimal) -> None:
        spec = book.instrument
        now_ns = self._clock_ns()
        trade_id = self._new_id()
        for order, is_taker in ((maker, False), (taker, True)):
            account = self._accounts[order.account_id]
            fee = px * qty * (spec.taker_fee if is_taker else spec.maker_fee)
            position = account.positions.get(spec.symbol)
            if position is None or not position.qty:
                position = account.positions[spec.symbol] = Position(self._new_id())
            before_qty, before_balance = position.qty, account.balance
            pnl = self._apply_fill(position, qty if order.is_buy else -qty, px)
            account.balance += pnl - fee
            order.margin -= order.margin * qty / order.remaining if order.remaining else ZERO
            order.executed += qty
            order.notional += px * qty
            order.fees += fee
            fill = Fill(self._new_id(), trade_id, order.id, spec.symbol, order.request.side, qty, px, fee, pnl,
                        is_taker, now_ns // 1_000_000, before_qty, position.qty, before_balance, account.balance)
            order.fills.append(fill)
            account.log.append(fill)
            if not order.remaining:
                order.margin = ZERO
            elif order.status != "pendingcancel":
                order.status = "partiallyfilled"
            if order.remaining:  # the last fill is reported by the "filled" update
                self._emit(order, fill=fill)
            self._queue(order.account_id, self._position_message(account, spec.symbol, position, now_ns))
        book.last_px = px
        self._touch(spec.symbol, ("buy" if taker.is_buy else "sell", px, qty))

    @staticmethod
    def _apply_fill(position: Position, signed_qty: Decimal, px: Decimal) -> Decimal:
        """Net a fill into the position; returns the realized PnL in BTC."""
        qty = position.qty
        if not qty or (qty > 0) == (signed_qty > 0):
            total = abs(qty) + abs(signed_qty)
            position.entry_px = (abs(qty) * position.entry_px + abs(signed_qty) * px) / total
            position.qty = qty + signed_qty
            return ZERO
        closed = min(abs(qty), abs(signed_qty))
        pnl = closed * (px - position.entry_px) * (1 if qty > 0 else -1)
        position.qty = qty + signed_qty
        position.realized_pnl += pnl
        if not position.qty:
            position.entry_px = ZERO
        elif (position.qty > 0) != (qty > 0):
            position.entry_px = px
        return pnl

    def _run_stops(self, book: _Book) -> None:
        last = book.last_px
        if last is None or not book.stops:
            return
        hit = [o for o in book.stops if not o.closed and self._stop_hit(o, last)]
        book.stops = [o for o in book.stops if not o.closed and o not in hit]
        for order in hit:
            if not order.closed:
                self._trigger(order, book)

    def _remove(self, order: Order) -> None:
        """Take an order off its book (or the stop list) if it is there."""
        book = self._books[order.request.symbol]
        if order.on_book:
            px = order.request.px
            assert px is not None  # only limit prices rest
            (book.bids if order.is_buy else book.asks).remove(order, px)
            order.on_book = False
            self._touch(book.instrument.symbol)
        elif order in book.stops:
            book.stops.remove(order)

    def _close(self, order: Order, status: str, reason: str | None) -> None:
        order.status = status
        order.reason = reason
        order.margin = ZERO
        account = self._accounts[order.account_id]
        account.open_orders.pop(order.id, None)
        account.closed_ids.append(order.id)
        if len(account.closed_ids) > CLOSED_ORDERS_KEPT:
            self._orders.pop(account.closed_ids.popleft(), None)
        last_fill = order.fills[-1] if status == "filled" and order.fills else None
        self._emit(order, fill=last_fill, brief=status in ("cancelled", "partiallyfilledcancelled", EXPIRED_STATUS))

    def _touch(self, symbol: str, trade: TradeTick | None = None) -> None:
        trades = self._touched.setdefault(symbol, [])
        if trade is not None:
            trades.append(trade)
