"""The local exchange server's private REST endpoints: authentication, account resolution, order/account handlers.

https://docs.gemini.com/rest/orders and https://docs.gemini.com/rest/fund-management
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from console.exchange.auth import require_role, verify_private_request
from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.keys import ApiKey, KeyStore
from console.exchange.server.events import ORDER_EVENTS_PATH
from console.exchange.server.payload import (
    _bool_field,
    _dumps,
    _int_field,
    _ok,
    _order_id_field,
    _require,
    _require_order_fields,
)

__all__ = ["MASTER_INCOMPATIBLE_PATHS", "PrivateEndpointsMixin"]

# CHOICE: endpoints a master key may not call even with an "account" (NotGroupApiCompatible,
# https://docs.gemini.com/rest/error-codes). Gemini says master keys do not support cancel-on-disconnect via
# heartbeat (https://developer.gemini.com/authentication/api-key), so /v1/heartbeat is the one such endpoint here;
# every other private endpoint is a single-account endpoint that takes "account". The role is checked before the
# account (MissingRole first), so an Auditor master key gets MissingRole there, as on any Trader-only endpoint.
MASTER_INCOMPATIBLE_PATHS = frozenset({"/v1/heartbeat"})


class PrivateEndpointsMixin:
    """The private REST handlers of :class:`~console.exchange.server.app.ExchangeServer` (which provides the attributes
    declared here)."""

    _engine: MatchingEngine
    _keystore: KeyStore
    _clock_ms: Callable[[], int]

    def _authenticate(self, request: web.Request) -> tuple[ApiKey, dict[str, Any]]:
        """Authenticate a private request against its URL path and check the key's role for it.

        The request body is never read: the payload header is authoritative
        (https://docs.gemini.com/websocket/overview/requests/private-api).
        """
        key, payload = verify_private_request(request.headers, request.path, self._keystore, self._clock_ms())
        route = request.match_info.route.resource
        require_role(key, route.canonical if route is not None else request.path)
        return self._resolve_account(key, payload, request.path), payload

    def _resolve_account(self, key: ApiKey, payload: Mapping[str, Any], path: str) -> ApiKey:
        """Return ``key`` acting on the account the payload names (master keys), checking ``account``
        (https://developer.gemini.com/authentication/api-key).

        Raises:
            ExchangeError (400): ``AccountsOnGroupOnlyApi`` (``account`` from an account-level key),
                ``NotGroupApiCompatible`` (a master key on :data:`MASTER_INCOMPATIBLE_PATHS`),
                ``MissingAccountName`` (a master key without ``account``), ``InvalidAccountName`` (no such
                sub-account in the key's group, or not a string).
        """
        name = payload.get("account")
        if not key.is_master:
            if name is not None:
                raise ExchangeError(
                    "AccountsOnGroupOnlyApi",
                    "The 'account' field is only accepted from master API keys; this key acts on its own account",
                    400,
                )
            return key
        if path in MASTER_INCOMPATIBLE_PATHS:
            raise ExchangeError("NotGroupApiCompatible", f"{path} cannot be called with a master API key", 400)
        if name is None:
            if path == ORDER_EVENTS_PATH:
                return key
            raise ExchangeError(
                "MissingAccountName", "A master API key must name the sub-account in the payload's 'account'", 400
            )
        if not isinstance(name, str) or name not in key.accounts:
            raise ExchangeError("InvalidAccountName", f"No account named {_dumps(name)} in this group", 400)
        return dataclasses.replace(key, account_id=key.accounts[name], accounts={name: key.accounts[name]})

    def _private_route(
        self, handler: Callable[[ApiKey, dict[str, Any]], object]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def route(request: web.Request) -> web.Response:
            key, payload = self._authenticate(request)
            return _ok(handler(key, payload))

        route.__name__ = getattr(handler, "__name__", "route")
        return route

    # -- private endpoints (each returns the JSON body of a 200 response) ----------------------------------------------

    def _order_new(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/new`` (https://docs.gemini.com/rest/orders#new-order) → the order object.

        Only presence is checked here; the engine parses and validates every value (symbol, side, type, decimals,
        options, client order id), so its reasons and its ``rejected`` events stay in one place.
        """
        _require_order_fields(p)
        return self._engine.place_order(
            key.account_id,
            key.key,
            symbol=p["symbol"],
            side=p["side"],
            order_type=p["type"],
            amount=p["amount"],
            price=p["price"],
            stop_price=p.get("stop_price"),
            options=p.get("options"),
            client_order_id=p.get("client_order_id"),
        )

    def _order_cancel(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel`` (https://docs.gemini.com/rest/orders#cancel-order) → the order object."""
        order_id = _order_id_field(p)
        if order_id is None:
            raise ExchangeError("MissingOrderField", "The payload is missing the required key 'order_id'", 400)
        return self._engine.cancel_order(key.account_id, order_id, key.key)

    def _order_cancel_all(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel/all`` (https://docs.gemini.com/rest/orders#cancel-all-active-orders) →
        ``{"result": "ok", "details": {...}}``."""
        return {"result": "ok", "details": self._engine.cancel_all(key.account_id)}

    def _order_cancel_session(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel/session`` (https://docs.gemini.com/rest/orders#cancel-all-session-orders) →
        ``{"result": "ok", "details": {...}}``."""
        return {"result": "ok", "details": self._engine.cancel_session(key.account_id, key.key)}

    def _order_status(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/status`` (https://docs.gemini.com/rest/orders#order-status) → the order object (with
        ``trades`` when ``include_trades``)."""
        order_id = _order_id_field(p)
        client_order_id = p.get("client_order_id")
        if client_order_id is not None and not isinstance(client_order_id, str):
            raise ExchangeError("ClientOrderIdMustBeString", "client_order_id must be a string", 400)
        # Neither identifier → MissingOrderField; both → order_id wins (the engine's documented choice 14).
        if order_id is None and client_order_id is None:
            raise ExchangeError("MissingOrderField", "The payload needs order_id or client_order_id", 400)
        include_trades = bool(_bool_field(p, "include_trades"))
        return self._engine.order_status(
            key.account_id, order_id=order_id, client_order_id=client_order_id, include_trades=include_trades
        )

    def _orders(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/orders`` (https://docs.gemini.com/rest/orders#get-active-orders) → array of live order objects."""
        return self._engine.active_orders(key.account_id)

    def _balances(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/balances`` (https://docs.gemini.com/rest/fund-management#get-available-balances) → array of
        balance objects."""
        return self._engine.balances(key.account_id)

    def _heartbeat(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/heartbeat`` (https://docs.gemini.com/rest/orders#heartbeat) → ``{"result": "ok"}`` (authentication
        already reset the timer)."""
        return {"result": "ok"}

    def _mytrades(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades) → array of the account's trades,
        newest first."""
        symbol = p.get("symbol")  # the engine checks it (InvalidSymbol)
        limit_trades = _int_field(p, "limit_trades")
        timestamp = _int_field(p, "timestamp", "InvalidTimestampInPayload")
        kwargs: dict[str, Any] = {}
        if limit_trades is not None:
            kwargs["limit_trades"] = limit_trades
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return self._engine.my_trades(key.account_id, symbol, **kwargs)

    def _orders_history(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/orders/history`` → closed orders, newest first, each with ``trades`` (CHOICES 19).

        https://developer.gemini.com/trading/rest-api/orders/list-past-orders
        """
        limit_orders = _int_field(p, "limit_orders")
        timestamp = _int_field(p, "timestamp", "InvalidTimestampInPayload")
        kwargs: dict[str, Any] = {}
        if limit_orders is not None:
            kwargs["limit_orders"] = limit_orders
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return self._engine.orders_history(key.account_id, p.get("symbol"), **kwargs)

    def _tradevolume(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/tradevolume`` (https://docs.gemini.com/rest/fund-management#get-trade-volume) → one array per
        symbol of per-day volume objects."""
        return self._engine.trade_volume(key.account_id)

    def _notionalvolume(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/notionalvolume`` (https://docs.gemini.com/rest/fund-management#get-notional-volume) → fee bps of
        the account's tier and its 30-day notional volume."""
        return self._engine.notional_volume(key.account_id)

    async def _wrap(self, request: web.Request) -> web.Response:
        """``POST /v1/wrap/:symbol`` (https://docs.gemini.com/rest/orders#wrap-order) → the wrap receipt; only for
        wrap-enabled symbols (CHOICES 22).

        The payload's ``request`` names the full path (``"/v1/wrap/GUSDUSD"``); the symbol comes from the URL.
        """
        key, p = self._authenticate(request)
        for name in ("amount", "side"):
            _require(p, name)
        receipt = self._engine.wrap(
            key.account_id,
            request.match_info["symbol"],
            amount=p["amount"],
            side=p["side"],
            client_order_id=p.get("client_order_id"),
        )
        return _ok(receipt)
