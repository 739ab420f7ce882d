"""Roxom's REST API over httpx: orders, cancels, market data, balance, positions and the transaction log.

Every private request is signed (``console.venues.roxom.auth.RoxomSigner``: ``X-API-Key``/``X-API-Signature`` over
``METHOD:path[?query][:sorted body params]``, https://docs.roxom.com/reference/authentication); the query string
and the JSON body sent are exactly the ones signed. Success bodies are ``{"data": ..., "error": false}``; error
answers become the errors of ``console.venues.roxom.errors``. Prices are asked in BTC (``unit=btc``) everywhere, so
every price and amount the client returns is in BTC (quantities are contracts).

Endpoints (https://docs.roxom.com/reference/api-reference/...): ``POST /api/v1/orders``,
``POST /api/v1/orders/{orderId}/cancel``, ``POST /api/v1/orders/cancel-all``, ``GET /api/v1/orders/{orderId}``,
``GET /api/v1/orders?instType=perpetual``, ``GET /api/v1/market/instruments``, ``GET /api/v1/orderbook/snapshot``,
``GET /api/v1/accounts/balance``, ``GET /api/v1/positions``, ``GET /api/v1/accounts/transaction-log``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from console.domain.errors import network_cause
from console.venues.roxom.auth import RoxomSigner
from console.venues.roxom.errors import InvalidResponse, TransportError, error_from_roxom_answer
from console.venues.roxom.models import (
    BalanceData,
    CancelAllData,
    CreateOrderData,
    Instrument,
    OrderBookData,
    OrderDetailData,
    OrderListData,
    PositionsData,
    RestOrder,
    TransactionLogData,
    TransactionLogEntry,
)

__all__ = ["DEFAULT_TIMEOUT_S", "LOG_PAGE_LIMIT", "MAX_LOG_PAGES", "Observer", "RoxomRestClient", "decimal_text"]

#: ``observer(direction, path, data)``: told of every request (``"request"``), answer (``"response"``) and failure
#: (``"error"``); data holds the method, query, body and status, never a header (so never a signature).
Observer = Callable[[str, str, dict[str, Any]], None]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds a request may take before its outcome is unknown.
DEFAULT_TIMEOUT_S = 10.0
#: Transaction log entries asked per page (Roxom's maximum is 1000).
LOG_PAGE_LIMIT = 1000
#: Pages a transaction-log walk reads at most (a venue that kept giving cursors cannot keep it walking forever).
MAX_LOG_PAGES = 100
_INSTRUMENTS = TypeAdapter(list[Instrument])
_ANY: TypeAdapter[Any] = TypeAdapter(Any)


def decimal_text(value: Decimal) -> str:
    """A ``Decimal`` as the plain decimal string sent (``Decimal("1E-6")`` → ``"0.000001"``; no exponent)."""
    return format(value, "f")


class RoxomRestClient:
    """One Roxom account over REST.

    Args:
        base_url: e.g. ``"https://api.roxom.com"`` or the local venue's ``http://127.0.0.1:PORT``.
        signer: signs private requests (None: public endpoints only; a private call raises ``AuthenticationError``
            from the venue).
        timeout_s: per request, seconds (or an ``httpx.Timeout``, e.g. a longer connect than read); past it the
            outcome is unknown (``TransportError``).
        transport: an httpx transport for tests.
        observers: told of each request and answer (e.g. the journal); an observer that raises is logged.

    Raises (every method):
        TransportError: the network failed: the request's outcome is unknown (a place is never re-sent).
        InvalidResponse: a success status with a body that is not the documented JSON.
        ApiError (and subclasses): an error answer (``AuthenticationError``, ``ValidationError``,
            ``OrderNotFound``, ``CannotCancel``, ``RateLimited``, ``ServerError``).
    """

    def __init__(self, base_url: str, signer: RoxomSigner | None, *,
                 timeout_s: float | httpx.Timeout = DEFAULT_TIMEOUT_S,
                 transport: httpx.AsyncBaseTransport | None = None, observers: Sequence[Observer] = ()) -> None:
        self.signer = signer
        self.observers = list(observers)
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport)

    def __repr__(self) -> str:
        return f"RoxomRestClient({str(self._http.base_url)!r}, signer={self.signer!r})"

    @property
    def base_url(self) -> str:
        """The REST base URL."""
        return str(self._http.base_url)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- plumbing --------------------------------------------------------------------------------------------------
    def tell(self, direction: str, path: str, data: dict[str, Any]) -> None:
        """Tell every observer ``(direction, path, data)`` (the venue tells its stream's order updates too)."""
        for observer in self.observers:
            try:
                observer(direction, path, data)
            except Exception:  # a journal that fails must not stop trading
                log.exception("REST observer failed on %s %s", direction, path)

    async def _request(self, method: Literal["GET", "POST"], path: str, query: Mapping[str, Any] | None,
                       body: Mapping[str, Any] | None, tp: type[_T] | TypeAdapter[_T], *, private: bool) -> _T:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        qs = urlencode(params)
        url = path + (f"?{qs}" if qs else "")
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if private and self.signer is not None:
            headers = self.signer.headers(method, path, qs, body)
        content = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        if self.observers:
            self.tell("request", path, {"method": method, "query": params, "body": body})
        try:
            response = await self._http.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            error = TransportError(f"{method} {path}: {network_cause(exc)}")
            if self.observers:
                self.tell("error", path, {"method": method, "error": str(error)})
            raise error from exc
        if response.status_code >= 400:
            refused = error_from_roxom_answer(response.status_code, response.text)
            if self.observers:
                self.tell("error", path, {"method": method, "status": response.status_code,
                                           "reason": refused.reason, "message": refused.message})
            raise refused
        try:
            payload = response.json()
            data = payload["data"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidResponse(f"{method} {path}: not a Roxom success body: {response.text[:200]!r}") from exc
        if self.observers:
            self.tell("response", path, {"method": method, "status": response.status_code, "data": data})
        try:
            if isinstance(tp, TypeAdapter):
                return tp.validate_python(data)
            assert issubclass(tp, BaseModel)
            return tp.model_validate(data)
        except PydanticValidationError as exc:
            raise InvalidResponse(f"{method} {path}: unexpected shape: {exc.errors()[:2]}") from exc

    # -- orders ----------------------------------------------------------------------------------------------------
    async def place_order(self, *, symbol: str, side: str, order_type: str, qty: Decimal, px: Decimal | None = None,
                          trigger_px: Decimal | None = None, time_in_force: str = "gtc",
                          cancel_at_ms: int | None = None, post_only: bool = False,
                          client_order_id: str | None = None) -> str:
        """``POST /api/v1/orders`` (prices in BTC); returns the UUID v7 order id.

        Args:
            symbol: Roxom's symbol, e.g. ``"GOLD-BTC"``.
            side: ``"buy"``/``"sell"``; order_type: ``"limit"``, ``"stoplimit"``, ``"market"``, ``"stop"``.
            qty: contracts; px: limit price (BTC); trigger_px: stop trigger price (BTC).
            time_in_force: ``"gtc"``, ``"ioc"`` or ``"gtd"`` (with ``cancel_at_ms``, ms since the epoch).
            post_only: cancelled (not rejected) if it would cross.
            client_order_id: the console's id for the order (settles an ambiguous place).
        """
        body: dict[str, Any] = {
            "symbol": symbol, "instType": "perpetual", "side": side, "orderType": order_type,
            "qty": decimal_text(qty), "timeInForce": time_in_force, "unit": "btc",
        }
        if px is not None:
            body["px"] = decimal_text(px)
        if trigger_px is not None:
            body["triggerPx"] = decimal_text(trigger_px)
        if cancel_at_ms is not None:
            body["cancelAt"] = cancel_at_ms
        if post_only:
            body["postOnly"] = True
        if client_order_id is not None:
            body["clientOrderId"] = client_order_id
        created = await self._request("POST", "/api/v1/orders", None, body, CreateOrderData, private=True)
        return created.orderId

    async def cancel_order(self, order_id: str) -> None:
        """``POST /api/v1/orders/{orderId}/cancel``: the order goes ``pendingcancel``, then ``cancelled``.

        Raises:
            OrderNotFound: no such order. CannotCancel: it already ended (its status in ``order_status``).
        """
        await self._request("POST", f"/api/v1/orders/{quote(order_id, safe='')}/cancel", None, None, _ANY,
                            private=True)

    async def cancel_all(self) -> list[str]:
        """``POST /api/v1/orders/cancel-all``: every open order of the account (no symbol filter); returns the ids
        that went ``pendingcancel``."""
        data = await self._request("POST", "/api/v1/orders/cancel-all", None, None, CancelAllData, private=True)
        return data.cancelledOrderIds

    async def order(self, order_id: str) -> OrderDetailData:
        """``GET /api/v1/orders/{orderId}?unit=btc``: the order and its fills.

        Raises:
            OrderNotFound: no such order (or not this account's).
        """
        return await self._request("GET", f"/api/v1/orders/{quote(order_id, safe='')}", {"unit": "btc"}, None,
                                   OrderDetailData, private=True)

    async def orders(self, *, symbol: str | None = None, include_closed: bool = False) -> list[RestOrder]:
        """``GET /api/v1/orders?instType=perpetual`` (open orders; with ``include_closed`` the recent closed ones
        too). No pagination."""
        query = {"instType": "perpetual", "symbol": symbol, "unit": "btc",
                 "includeClosed": "true" if include_closed else None}
        return (await self._request("GET", "/api/v1/orders", query, None, OrderListData, private=True)).orders

    # -- market data -----------------------------------------------------------------------------------------------
    async def instruments(self) -> list[Instrument]:
        """``GET /api/v1/market/instruments?unit=btc`` (public)."""
        return await self._request("GET", "/api/v1/market/instruments", {"unit": "btc"}, None, _INSTRUMENTS,
                                   private=False)

    async def order_book(self, symbol: str, levels: int = 20) -> OrderBookData:
        """``GET /api/v1/orderbook/snapshot`` (public; ``levels`` 1–100), prices in BTC."""
        query = {"symbol": symbol, "instType": "perpetual", "levels": levels, "unit": "btc"}
        return await self._request("GET", "/api/v1/orderbook/snapshot", query, None, OrderBookData, private=False)

    # -- account ---------------------------------------------------------------------------------------------------
    async def balance(self) -> BalanceData:
        """``GET /api/v1/accounts/balance?unit=btc``."""
        return await self._request("GET", "/api/v1/accounts/balance", {"unit": "btc"}, None, BalanceData,
                                   private=True)

    async def positions(self, symbol: str) -> PositionsData:
        """``GET /api/v1/positions?instType=perpetual&symbol=…&unit=btc`` (``symbol`` is required)."""
        query = {"instType": "perpetual", "symbol": symbol, "unit": "btc"}
        return await self._request("GET", "/api/v1/positions", query, None, PositionsData, private=True)

    async def transaction_log_page(self, *, from_ms: int | None = None, to_ms: int | None = None,
                                   limit: int = LOG_PAGE_LIMIT, cursor: str | None = None) -> TransactionLogData:
        """One page of ``GET /api/v1/accounts/transaction-log`` (``unit=btc``; ``from``/``to`` in ms)."""
        query = {"from": from_ms, "to": to_ms, "limit": limit, "cursor": cursor, "unit": "btc"}
        return await self._request("GET", "/api/v1/accounts/transaction-log", query, None, TransactionLogData,
                                   private=True)

    async def transaction_log(self, *, from_ms: int | None = None, to_ms: int | None = None,
                              limit: int = LOG_PAGE_LIMIT, max_pages: int = MAX_LOG_PAGES
                              ) -> list[TransactionLogEntry]:
        """Every entry from ``from_ms`` to ``to_ms``, walking the cursor until it is null.

        The walk cannot loop: it stops at a cursor it has already followed (logged), a page with no entries, or
        after ``max_pages`` pages (logged: the rest is left out).
        """
        entries: list[TransactionLogEntry] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _ in range(max_pages):
            page = await self.transaction_log_page(from_ms=from_ms, to_ms=to_ms, limit=limit, cursor=cursor)
            entries.extend(page.logs)
            cursor = page.cursor
            if not cursor or not page.logs:
                return entries
            if cursor in seen:
                log.warning("transaction log: cursor %r repeated; walk stopped", cursor[:40])
                return entries
            seen.add(cursor)
        log.warning("transaction log: stopped after %d pages", max_pages)
        return entries

