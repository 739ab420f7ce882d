"""Matching of the engine: validation after the id, the sweep, trades, resting, cancels, stops."""

from __future__ import annotations

import heapq
from collections import deque
from decimal import Decimal

from console.exchange.engine.choices import (
    CLOSED_ORDERS_KEPT,
    FILL_OR_KILL,
    IMMEDIATE_OR_CANCEL,
    MAKER_OR_CANCEL,
    NOT_OPEN_STATUSES,
    STOP_LIMIT,
    STOP_PRICE_MAX_RATIO,
    TRADING_CLOSED_REJECT_REASON,
)
from console.exchange.engine.common import _ONE, _ZERO, ExchangeError, _dollars, _fmt, _fmt_amount, _fmt_norm, _raw
from console.exchange.engine.model import _Account, _BookSide, _Market, _Order, _OwnPrices, _Trade
from console.exchange.engine.state import _EngineState


class _MatchingMixin(_EngineState):
    """MatchingEngine's validation, matching, cancels and stops (methods of MatchingEngine)."""

    # ------------------------------------------------------------------------------------------------------------
    # internals: validation after the id

    def _validate(
        self, order: _Order, market: _Market, account: _Account, amount: object, price: object, stop: object
    ) -> None:
        spec = market.spec
        parsed = market.parse_amount(amount)
        if parsed is None:
            raise ExchangeError("InvalidQuantity", f"Invalid quantity for symbol {market.upper}: {_raw(amount)}")
        qty, qty_text = parsed
        parsed = market.parse_price(price)
        if parsed is None:
            raise ExchangeError("InvalidPrice", f"Invalid price for symbol {market.upper}: {_raw(price)}")
        px, order.price_str = parsed
        order.original = order.remaining = qty
        order.price = px
        order.original_str = order.remaining_str = qty_text
        order.avg_str = market.zero_price
        if order.order_type == STOP_LIMIT:
            parsed = market.parse_price(stop)
            if parsed is None:
                raise ExchangeError("InvalidStopPrice", f"Invalid stop price for symbol {market.upper}: {_raw(stop)}")
            sp = order.stop_price = parsed[0]
            if order.is_buy and not sp < px:
                raise ExchangeError(
                    "InvalidStopPriceBuy",
                    f"Stop Price: {_dollars(sp)} must be lower than Price: {_dollars(px)} for Stop Limit buy Orders",
                )
            if not order.is_buy and not sp > px:
                raise ExchangeError(
                    "InvalidStopPriceSell",
                    f"Stop Price: {_dollars(sp)} must be higher than Price: {_dollars(px)} for Stop Limit sell Orders",
                )
            if abs(px - sp) > sp * STOP_PRICE_MAX_RATIO:
                raise ExchangeError(
                    "InvalidStopPriceRatio",
                    f"Limit Price: {_dollars(px)} must be within 50% of Stop Price: {_dollars(sp)}",
                )
        if not self._trading_open:
            raise ExchangeError(TRADING_CLOSED_REJECT_REASON, f"Trading is closed; market {market.upper} is not open")
        if market.status in NOT_OPEN_STATUSES:
            raise ExchangeError("MarketNotOpen", f"Market {market.upper} is not open (status {market.status})")
        if order.is_buy:
            order.hold_currency = spec.quote_currency
            order.hold_unit = px * self._hold_factor
            order.hold = qty * order.hold_unit
        else:
            order.hold_currency = spec.base_currency
            order.hold = qty
        currency = order.hold_currency
        available = account.balances.get(currency, _ZERO) - account.holds.get(currency, _ZERO)
        if available < order.hold:
            raise ExchangeError(
                "InsufficientFunds",
                f"Failed to place {'buy' if order.is_buy else 'sell'} order on symbol '{market.upper}' for price "
                f"{_dollars(px)} and quantity {_fmt(qty)} {spec.base_currency} due to insufficient funds",
                406,
            )

    # ------------------------------------------------------------------------------------------------------------
    # internals: matching

    def _execute(self, order: _Order, market: _Market) -> None:
        """Run an accepted limit order (or a triggered stop) against the book: fill, then rest or cancel."""
        is_buy = order.is_buy
        price = order.price
        opposite = market.asks if is_buy else market.bids
        behavior = order.behavior
        if behavior == MAKER_OR_CANCEL:
            best = opposite.best()
            if best is not None and ((best <= price) if is_buy else (best >= price)):
                self._cancel(order, "MakerOrCancelWouldTake")
            else:
                self._rest(order, market)
            return
        band_limit = None  # only worked out once the order meets the book: most orders never do
        if behavior == FILL_OR_KILL:
            band_limit = self._band_limit(order, market)
            if not self._can_fill(opposite, order, band_limit, self._own_reached(order, market)):
                self._cancel(order, "FillOrKillWouldNotFill")
                return
        while order.remaining:
            best = opposite.best()
            if best is None or ((best > price) if is_buy else (best < price)):
                break
            if band_limit is None:
                band_limit = self._band_limit(order, market)  # before the order's first trade: as it arrived
            if (best > band_limit) if is_buy else (best < band_limit):
                self._cancel(order, "ExceedsPriceLimits")
                return
            if not self._match_level(market, opposite, best, order):
                self._cancel(order, "SelfCrossPrevented")  # CHOICES 8: the next match was the account's own order
                return
        if not order.remaining:
            self._close_filled(order)
        elif behavior == IMMEDIATE_OR_CANCEL:
            self._cancel(order, "ImmediateOrCancelWouldPost")
        else:
            self._rest(order, market)

    def _band_limit(self, order: _Order, market: _Market) -> Decimal:
        """The furthest price the order may trade at (CHOICES 9): reference = last trade, else mid, else its price."""
        reference = market.last_price
        if reference is None:
            reference = market.mid()
            if reference is None:
                reference = order.price
        return reference * (_ONE + self._band) if order.is_buy else reference * (_ONE - self._band)

    def _own_reached(self, order: _Order, market: _Market) -> _OwnPrices | None:
        """The account's resting prices on the other side when the order's price reaches one of them, else None."""
        own = self._accounts[order.account_id].own.get((market.symbol, not order.is_buy))
        if own is None or not own.prices:
            return None
        return own if ((order.price >= own.prices[0]) if order.is_buy else (order.price <= own.prices[-1])) else None

    @staticmethod
    def _can_fill(opposite: _BookSide, order: _Order, band_limit: Decimal, own: _OwnPrices | None) -> bool:
        """Whether the book holds enough for the whole order inside its limit and the band, ahead of its own orders."""
        need = order.remaining
        is_buy = order.is_buy
        limit = min(order.price, band_limit) if is_buy else max(order.price, band_limit)
        for level in opposite.iter_levels():
            if (level.price > limit) if is_buy else (level.price < limit):
                return False
            if own is not None and level.price in own.counts:  # only what rests ahead of the account's own order
                for maker in level.orders:
                    if maker.on_book:
                        if maker.account_id == order.account_id:
                            return False
                        need -= maker.remaining
                        if need <= 0:
                            return True
                continue
            need -= level.total
            if need <= 0:
                return True
        return False

    def _match_level(self, market: _Market, opposite: _BookSide, price: Decimal, taker: _Order) -> bool:
        """Match the taker against one level in time priority; False when it stopped at its own account's order."""
        level = opposite.levels[price]
        if self._market_listeners:
            self._dirty_levels.setdefault(market.symbol, {})[(opposite.is_bid, price)] = None
        queue = level.orders
        account_id = taker.account_id
        while taker.remaining and level.count:
            maker = queue[0]
            if not maker.on_book:
                queue.popleft()
                level.dead -= 1
                continue
            if maker.account_id == account_id:
                return False  # CHOICES 8: the level keeps this order, so it is never emptied here
            qty = taker.remaining if taker.remaining < maker.remaining else maker.remaining
            level.total -= qty
            self._trade(market, taker, maker, price, qty)
            if not maker.remaining:
                queue.popleft()
                level.count -= 1
                maker.on_book = False
                self._accounts[maker.account_id].own[(market.symbol, maker.is_buy)].remove(price)
                self._close_filled(maker)
        if not level.count:
            opposite.remove_level(price)
        return True

    def _trade(self, market: _Market, taker: _Order, maker: _Order, price: Decimal, qty: Decimal) -> None:
        spec = market.spec
        base, quote = spec.base_currency, spec.quote_currency
        notional = price * qty
        maker_account = self._accounts[maker.account_id]
        taker_account = self._accounts[taker.account_id]
        maker_fee = notional * self._fee_bps(maker_account)[0] / 10_000
        taker_fee = notional * self._fee_bps(taker_account)[1] / 10_000
        usd = self._usd_value(quote, notional)
        self._record_volume(maker_account, usd)
        if taker_account is not maker_account:
            self._record_volume(taker_account, usd)
        trade = _Trade(self._new_id(), market.symbol, price, qty, self._now, taker, taker_fee, maker, maker_fee, quote)
        taker.last_trade = maker.last_trade = trade
        for order, account, fee, aggressor in (
            (taker, taker_account, taker_fee, True),
            (maker, maker_account, maker_fee, False),
        ):
            balances = account.balances
            if order.is_buy:
                balances[base] = balances.get(base, _ZERO) + qty
                balances[quote] = balances.get(quote, _ZERO) - notional - fee
            else:
                balances[base] = balances.get(base, _ZERO) - qty
                balances[quote] = balances.get(quote, _ZERO) + notional - fee
            order.executed += qty
            order.remaining -= qty
            order.notional += notional
            order.avg_str = self._avg_price(order, market)
            order.executed_str = _fmt_amount(order.executed)
            order.remaining_str = _fmt_amount(order.remaining)
            release = order.hold if not order.remaining else (qty * order.hold_unit if order.is_buy else qty)
            order.hold -= release
            account.holds[order.hold_currency] -= release
            account.executions.append(trade)
            account.aggressors.append(aggressor)
        self._fees[quote] = self._fees.get(quote, _ZERO) + maker_fee + taker_fee
        market.trades.append(trade)
        market.last_price = price
        if self._market_listeners:
            self._new_trades.setdefault(market.symbol, []).append(trade)
        market.volume.append((self._now, qty, notional))
        market.volume_base += qty
        market.volume_quote += notional
        if len(market.volume) > 4096:
            self._expire_volume(market, self._now)
        if self._listeners:
            trade_id, amount = str(trade.tid), _fmt(qty)
            for order, liquidity, fee in ((taker, "Taker", taker_fee), (maker, "Maker", maker_fee)):
                event = self._emit(order, "fill")
                assert event is not None  # there are listeners
                event["fill"] = {
                    "trade_id": trade_id,
                    "liquidity": liquidity,
                    "price": maker.price_str,  # = _fmt(price): the trade is at the maker's price
                    "amount": amount,
                    "fee": _fmt_norm(fee),
                    "fee_currency": quote,
                }
        else:
            self._next_id += 2  # the two fill events' ids, so ids do not depend on who listens
        if market.buy_stops or market.sell_stops:
            self._collect_triggered(market, price)

    def _rest(self, order: _Order, market: _Market) -> None:
        (market.bids if order.is_buy else market.asks).add(order, self._now)
        order.on_book = True
        if self._market_listeners:
            self._dirty_levels.setdefault(market.symbol, {})[(order.is_buy, order.price)] = None
        account = self._accounts[order.account_id]
        own = account.own.get((market.symbol, order.is_buy))
        if own is None:
            own = account.own[(market.symbol, order.is_buy)] = _OwnPrices()
        own.add(order.price)
        self._emit(order, "booked")

    def _close_filled(self, order: _Order) -> None:
        order.done = True
        account = self._accounts[order.account_id]
        del account.open_orders[order.id]
        self._retire(account, order)
        self._emit_closed(order)

    def _emit_closed(self, order: _Order) -> None:
        """Emit an order's last event; its event template is not needed after it (memory of closed orders)."""
        self._emit(order, "closed")
        order.event_template = None

    def _cancel(self, order: _Order, reason: str, cancel_command_id: int | None = None) -> None:
        market = self._markets[order.symbol]
        account = self._accounts[order.account_id]
        if order.on_book:
            side = market.bids if order.is_buy else market.asks
            level = side.levels[order.price]
            if self._market_listeners:
                self._dirty_levels.setdefault(market.symbol, {})[(order.is_buy, order.price)] = None
            level.count -= 1
            level.total -= order.remaining
            order.on_book = False
            account.own[(market.symbol, order.is_buy)].remove(order.price)
            if not level.count:
                side.remove_level(order.price)
            else:
                level.dead += 1
                if level.dead > 16 and level.dead > level.count:
                    level.orders = deque(o for o in level.orders if o.on_book)
                    level.dead = 0
        elif order.hidden:
            market.stop_dead += 1
            if market.stop_dead > 64 and market.stop_dead * 2 > len(market.buy_stops) + len(market.sell_stops):
                market.buy_stops = [e for e in market.buy_stops if not e[2].done and e[2] is not order]
                market.sell_stops = [e for e in market.sell_stops if not e[2].done and e[2] is not order]
                heapq.heapify(market.buy_stops)
                heapq.heapify(market.sell_stops)
                market.stop_dead = 0
        order.done = True
        order.is_cancelled = True
        order.reason = reason
        if order.hold:
            account.holds[order.hold_currency] -= order.hold
            order.hold = _ZERO
        del account.open_orders[order.id]
        self._retire(account, order)
        event = self._emit(order, "cancelled")
        if event is not None:
            event["reason"] = reason
            if cancel_command_id is not None:
                event["cancel_command_id"] = str(cancel_command_id)
        self._emit_closed(order)

    def _cancel_many(self, orders: list[_Order], reason: str) -> dict[str, list[int]]:
        cancelled: list[int] = []
        if orders:
            self._now = self._clock_ms()
            command_id = self._new_id()
            for order in orders:
                self._cancel(order, reason, cancel_command_id=command_id)
                cancelled.append(order.id)
            self._flush()
        return {"cancelledOrders": cancelled, "cancelRejects": []}

    def _retire(self, account: _Account, order: _Order) -> None:
        """Remember a closed order, forgetting the account's oldest closed order past CLOSED_ORDERS_KEPT."""
        account.closed_ids.append(order.id)
        if len(account.closed_ids) > CLOSED_ORDERS_KEPT:
            old = self._orders.pop(account.closed_ids.popleft(), None)
            if old is not None and old.client_order_id is not None:
                key = (old.account_id, old.client_order_id)
                ids = self._by_client_id.get(key)
                if ids is not None:
                    ids.remove(old.id)
                    if not ids:
                        del self._by_client_id[key]

    # ------------------------------------------------------------------------------------------------------------
    # internals: stops

    @staticmethod
    def _stop_hit(order: _Order, trade_price: Decimal) -> bool:
        stop = order.stop_price
        assert stop is not None
        return trade_price >= stop if order.is_buy else trade_price <= stop

    @staticmethod
    def _push_stop(market: _Market, order: _Order) -> None:
        stop = order.stop_price
        assert stop is not None
        if order.is_buy:
            heapq.heappush(market.buy_stops, (stop, order.id, order))
        else:
            heapq.heappush(market.sell_stops, (-stop, order.id, order))

    def _collect_triggered(self, market: _Market, trade_price: Decimal) -> None:
        heap = market.buy_stops
        while heap and heap[0][0] <= trade_price:
            order = heapq.heappop(heap)[2]
            if order.done:
                market.stop_dead -= 1
            else:
                self._triggered.append(order)
        heap = market.sell_stops
        negative = -trade_price
        while heap and heap[0][0] <= negative:
            order = heapq.heappop(heap)[2]
            if order.done:
                market.stop_dead -= 1
            else:
                self._triggered.append(order)

    def _run_triggered(self) -> None:
        queue = self._triggered
        while queue:
            order = queue.popleft()
            if order.done:
                continue
            order.hidden = False
            self._execute(order, self._markets[order.symbol])
