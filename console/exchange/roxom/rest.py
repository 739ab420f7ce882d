"""The Roxom server's REST handlers: orders, instruments, the book snapshot, balance, positions, transaction log."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal

from aiohttp import web

from console.exchange.roxom.auth import _AuthMixin, _json
from console.exchange.roxom.engine import RoxomError, to_unit
from console.exchange.roxom.streams import DEPTH_LEVELS
from console.exchange.roxom.wire import (
    fill_wire,
    log_wire,
    ok,
    order_wire,
    parse_order_request,
    parse_unit,
)

#: The book snapshot's ``levels`` at most (documented max 100; the default is ``DEPTH_LEVELS``).
MAX_BOOK_LEVELS = 100
#: Transaction log ``limit``: 1..1000, default 100 (documented).
LOG_LIMIT_DEFAULT = 100
LOG_LIMIT_MAX = 1000


class _RestMixin(_AuthMixin):
    """RoxomServer's REST endpoints (https://docs.roxom.com/reference/api-reference/...)."""

    # -- orders ----------------------------------------------------------------------------------------------------

    async def _place(self, request: web.Request) -> web.Response:
        key, body = await self._authed(request)
        order_request = parse_order_request(body)
        self.engine.validate(order_request)
        order = self.engine.place(key.account_id, order_request)
        return _json(ok({"orderId": order.id}))

    async def _list_orders(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        query = request.query
        if query.get("instType") is None:
            raise RoxomError(400, "Validation error", "instType is required")
        if query["instType"] != "perpetual":
            raise RoxomError(400, "Validation error", "instType must be 'perpetual' on this venue")
        unit = parse_unit(query.get("unit"), "btc")
        symbol = query.get("symbol")
        include_closed = query.get("includeClosed", "false").lower() == "true"
        account = self.engine.account(key.account_id)
        orders = self.engine.orders(key.account_id, symbol=symbol, include_closed=include_closed)
        return _json(ok({"orders": [order_wire(o, account.account_uuid, unit) for o in orders]}))

    async def _get_order(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        unit = parse_unit(request.query.get("unit"), "btc")
        order = self.engine.order(key.account_id, request.match_info["orderId"])
        account = self.engine.account(key.account_id)
        return _json(ok({
            "order": order_wire(order, account.account_uuid, unit),
            "fills": [fill_wire(f, unit) for f in order.fills],
        }))

    async def _cancel(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        order = self.engine.request_cancel(key.account_id, request.match_info["orderId"])
        self._queue_cancel(order.id)
        return _json(ok({"success": True}))

    async def _cancel_all(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        orders = self.engine.cancel_all_requests(key.account_id)
        for order in orders:
            self._queue_cancel(order.id)
        return _json(ok({"cancelledOrderIds": [o.id for o in orders]}))

    async def _restriction(self, request: web.Request) -> web.Response:
        """Local only: ``{"restricted": true}`` restricts the caller's account (its orders go ``inactive``)."""
        key, body = await self._authed(request)
        restricted = body.get("restricted")
        if not isinstance(restricted, bool):
            raise RoxomError(400, "Validation error", "restricted must be a boolean")
        self.engine.set_restricted(key.account_id, restricted)
        return _json(ok({"restricted": restricted}))

    # -- market data -----------------------------------------------------------------------------------------------

    async def _instruments(self, request: web.Request) -> web.Response:
        ids = self.engine.instrument_ids
        return _json(ok([spec.wire(ids[symbol]) for symbol, spec in self.engine.instruments.items()]))

    def _symbol(self, value: str | None) -> str:
        if value is None:
            raise RoxomError(400, "Validation error", "symbol is required")
        if value not in self.engine.instruments:
            raise RoxomError(400, "Market not available", f"unknown symbol {value!r}")
        return value

    async def _orderbook(self, request: web.Request) -> web.Response:
        query = request.query
        symbol = self._symbol(query.get("symbol"))
        unit = parse_unit(query.get("unit"), "btc")
        try:
            levels = int(query.get("levels", DEPTH_LEVELS))
        except ValueError:
            raise RoxomError(400, "Validation error", "levels must be an integer") from None
        if not 1 <= levels <= MAX_BOOK_LEVELS:
            raise RoxomError(400, "Validation error", f"levels must be within 1..{MAX_BOOK_LEVELS}")
        book = self.engine.book(symbol)

        def side(is_bid: bool) -> list[dict[str, str]]:
            total = Decimal(0)
            out = []
            for px, size in book.levels(is_bid, levels):
                total += px * size  # CHOICE: cumulative notional in the unit, best level first
                out.append({"price": to_unit(px, unit), "size": f"{size:.2f}", "total": to_unit(total, unit)})
            return out

        bid, ask = book.best_bid(), book.best_ask()
        return _json(ok({
            "instrumentId": self.engine.instrument_ids[symbol],
            "buys": side(True),
            "sells": side(False),
            "buySellVersus": {
                "buy": None if bid is None else to_unit(bid, unit),
                "sell": None if ask is None else to_unit(ask, unit),
            },
        }))

    # -- account ---------------------------------------------------------------------------------------------------

    async def _balance(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        unit = parse_unit(request.query.get("unit"), "sats")
        account = self.engine.account(key.account_id)
        return _json(ok({
            "balances": [{
                "asset": "BTC",
                "assetClass": "crypto",
                "available": to_unit(self.engine.available(key.account_id), unit),
                "current": to_unit(account.balance, unit),
                "lockedInOrders": to_unit(self.engine.locked(key.account_id), unit),
            }],
            "unit": unit,
            "lastUpdated": self._clock_ns() // 1_000_000,
        }))

    async def _positions(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        symbol = self._symbol(request.query.get("symbol"))
        unit = parse_unit(request.query.get("unit"), "sats")
        account = self.engine.account(key.account_id)
        position = account.positions.get(symbol)
        positions = []
        if position is not None and position.qty:
            positions.append(self.engine.position_wire(account, symbol, position, unit, self._clock_ns()))
        return _json(ok({"positions": positions}))

    async def _transaction_log(self, request: web.Request) -> web.Response:
        """Fills oldest first; ``cursor`` is opaque (CHOICE: the next entry's index); null on the last page."""
        key, _ = await self._authed(request)
        query = request.query
        unit = parse_unit(query.get("unit"), "sats")
        now_ms = self._clock_ns() // 1_000_000
        try:
            start = int(query.get("from", now_ms - 365 * 86_400_000))
            end = int(query.get("to", now_ms))
            limit = int(query.get("limit", LOG_LIMIT_DEFAULT))
        except ValueError:
            raise RoxomError(400, "Validation error", "from, to and limit must be integers") from None
        if not 1 <= limit <= LOG_LIMIT_MAX:
            raise RoxomError(400, "Validation error", f"limit must be within 1..{LOG_LIMIT_MAX}")
        cursor = query.get("cursor")
        offset = 0
        if cursor:
            try:
                offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("log:"))
            except (ValueError, binascii.Error):
                raise RoxomError(400, "Validation error", "cursor is not one this venue gave") from None
        entries = [f for f in self.engine.account(key.account_id).log if start <= f.time_ms <= end]
        page = entries[offset : offset + limit]
        more = offset + limit < len(entries)
        next_cursor = base64.urlsafe_b64encode(f"log:{offset + limit}".encode()).decode() if more else None
        return _json(ok({"logs": [log_wire(f, unit) for f in page], "cursor": next_cursor}))
