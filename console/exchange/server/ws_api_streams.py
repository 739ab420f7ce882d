"""The local exchange's new WebSocket API, part two: the connection object and the streams.

Subscriptions, the engine listeners that turn order events, balances, book changes and trades into stream messages,
and the timer of the periodic streams (https://docs.gemini.com/websocket/introduction, "Streams"). The socket, the
handshake and the methods are in :mod:`console.exchange.server.ws_api`; the shapes and the choices in
:mod:`console.exchange.server.ws_api_wire`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from console.exchange.engine import MatchingEngine
from console.exchange.keys import ApiKey
from console.exchange.server.ws_api_wire import (
    BAD_PARAMS,
    UNAUTHENTICATED,
    ErrorCode,
    RateLimit,
    StreamSpec,
    balance_update,
    order_update,
    parse_stream,
)

__all__ = ["Connection", "Refused", "StreamsMixin", "dumps", "window_count"]

log = logging.getLogger(__name__)


def dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


class Refused(Exception):
    """A request answered with an error (``error``, ``msg``)."""

    def __init__(self, error: ErrorCode, msg: str | None = None) -> None:
        super().__init__(msg or error.msg)
        self.error = error
        self.msg = msg or error.msg


def window_count(windows: dict[int, list[int]], index: int, limit: RateLimit, now_ms: int, add: int) -> int:
    """Add ``add`` to a fixed-window counter and return its count (CHOICE ws:rate-limits)."""
    start = now_ms - now_ms % limit.window_ms
    window = windows.get(index)
    if window is None or window[0] != start:
        window = windows[index] = [start, 0]
    window[1] += add
    return window[1]


@dataclass(eq=False)
class Connection:
    """One new-API socket: its key (None: market data only), subscriptions, outgoing queue and counters."""

    ws: web.WebSocketResponse
    key: ApiKey | None
    conn_id: int
    cancel_on_disconnect: bool
    snapshot: int
    queue: asyncio.Queue[str]
    transport: Any = None
    subs: dict[str, StreamSpec] = field(default_factory=dict)
    placed: set[int] = field(default_factory=set)  # live orders placed over this connection (cancelOnDisconnect)
    held: list[str] | None = None  # while a request runs: what it pushed, sent after its answer
    windows: dict[int, list[int]] = field(default_factory=dict)
    balances_sent: dict[str, str] = field(default_factory=dict)
    overflowed: bool = False

    def offer(self, text: str) -> None:
        """Send ``text`` (after the current request's answer, if one is running); never blocks the engine."""
        if self.held is not None:
            self.held.append(text)
            return
        self.put(text)

    def put(self, text: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning("new API connection %s fell %d messages behind; closing it with 1011", self.conn_id,
                        self.queue.maxsize)
            asyncio.get_running_loop().create_task(self._close(WSCloseCode.INTERNAL_ERROR, b"client too slow"))

    async def _close(self, code: int, message: bytes) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message)



class StreamsMixin:
    """Subscriptions and stream messages of :class:`~console.exchange.server.ws_api.WsApiHub` (which provides the
    attributes declared here)."""

    _engine: MatchingEngine
    _clock_ms: Callable[[], int]
    _fast_s: float
    _slow_every: int
    _by_account: dict[int, set[Connection]]
    _by_stream: dict[str, set[Connection]]
    _market_subs: int
    _market_attached: bool
    _update_id: dict[str, int]
    _pending_diff: dict[tuple[str, bool], tuple[int, dict[tuple[str, str], str]]]
    _last_ticker: dict[str, dict[str, Any]]

    def _book_message(self, symbol: str, limit: int, *, with_symbol: bool) -> dict[str, Any]:
        """``{"lastUpdateId", ("s",) "bids": [[price, qty]...], "asks": [...]}``; limit 0 = every level
        (CHOICE ws:push-envelope, ws:depth-snapshot)."""
        book = self._engine.book(symbol, limit, limit)
        out: dict[str, Any] = {"lastUpdateId": self._update_id.get(symbol, 0)}
        if with_symbol:
            out["s"] = symbol
        out["bids"] = [[level["price"], level["amount"]] for level in book["bids"]]
        out["asks"] = [[level["price"], level["amount"]] for level in book["asks"]]
        return out

    # -- subscriptions ---------------------------------------------------------------------------------------------
    def _streams(self, conn: Connection, params: object) -> list[StreamSpec]:
        """Parse a subscribe/unsubscribe array, all or nothing (CHOICE ws:subscribe)."""
        if not isinstance(params, list) or not params:
            raise Refused(BAD_PARAMS, "params must be a non-empty array of stream names")
        symbols = frozenset(self._engine.symbols())
        specs = []
        for name in params:
            spec = parse_stream(name, symbols)
            if spec is None:
                raise Refused(BAD_PARAMS, f"Unknown stream {name!r}")
            if spec.private and conn.key is None:
                raise Refused(UNAUTHENTICATED, f"Authentication required for {spec.name}")
            specs.append(spec)
        return specs

    def _subscribe(self, conn: Connection, spec: StreamSpec) -> None:
        if spec.name in conn.subs:
            return
        conn.subs[spec.name] = spec
        self._by_stream.setdefault(spec.name, set()).add(conn)
        if spec.symbol is not None:
            self._market_subs += 1
            self._attach_market()
        now_ms = self._clock_ms()
        if spec.kind in ("balances", "balances_1s") and conn.key is not None:
            current = self._balances(conn.key.account_id)
            if spec.kind == "balances":
                conn.balances_sent = current
            else:
                conn.offer(dumps(balance_update(current, now_ms)))
        elif spec.kind == "book_ticker" and spec.symbol is not None:  # CHOICE ws:book-ticker
            ticker = self._ticker(spec.symbol)
            if "b" in ticker or "a" in ticker:
                conn.offer(dumps(ticker))
        elif spec.kind == "diff_depth" and spec.symbol is not None and conn.snapshot:
            conn.offer(dumps(self._book_message(spec.symbol, max(conn.snapshot, 0), with_symbol=True)))

    def _unsubscribe(self, conn: Connection, name: str) -> None:
        spec = conn.subs.pop(name, None)
        if spec is None:
            return
        subs = self._by_stream.get(name)
        if subs is not None:
            subs.discard(conn)
            if not subs:
                del self._by_stream[name]
        if spec.symbol is not None:
            self._market_subs -= 1
            if not self._market_subs:
                self._detach_market()

    def _attach_market(self) -> None:
        # The engine tracks book changes only while a market listener exists: attach only while someone watches.
        if not self._market_attached:
            self._engine.add_market_listener(self._on_market)
            self._market_attached = True

    def _detach_market(self) -> None:
        if self._market_attached:
            self._engine.remove_market_listener(self._on_market)
            self._market_attached = False
            self._pending_diff.clear()
            self._last_ticker.clear()

    # -- engine listeners (synchronous) ----------------------------------------------------------------------------
    def _balances(self, account_id: int) -> dict[str, str]:
        return {b["currency"]: b["available"] for b in self._engine.balances(account_id)}

    def _on_events(self, account_id: int, events: list[dict[str, Any]]) -> None:
        """Engine order events → ``orders@…`` and ``balances@account`` messages of that account's connections."""
        conns = self._by_account.get(account_id)
        if not conns:
            return
        now_ms = self._clock_ms()
        updates: list[tuple[dict[str, Any], dict[str, Any]]] | None = None
        balances: dict[str, str] | None = None
        for conn in tuple(conns):
            key = conn.key
            assert key is not None  # only authenticated connections are listed by account
            for event in events:
                if event.get("type") in ("closed", "rejected") and conn.placed:
                    conn.placed.discard(int(event["order_id"]))
            every, own = "orders@account" in conn.subs, "orders@session" in conn.subs
            if every or own:
                if updates is None:
                    updates = []
                    for event in events:
                        update = order_update(event, now_ms * 1_000_000)
                        if update is not None:
                            updates.append((event, update))
                for event, update in updates:
                    if every or event.get("api_session") == key.key:
                        conn.offer(dumps(update))
            if "balances@account" in conn.subs:
                balances = balances if balances is not None else self._balances(account_id)
                changed = {a: f for a, f in balances.items() if conn.balances_sent.get(a) != f}
                if changed:
                    conn.balances_sent = dict(balances)
                    conn.offer(dumps(balance_update(changed, now_ms)))

    def _ticker(self, symbol: str) -> dict[str, Any]:
        book = self._engine.book(symbol, 1, 1)
        ticker: dict[str, Any] = {"u": self._update_id.get(symbol, 0), "E": self._clock_ms() * 1_000_000, "s": symbol}
        if book["bids"]:
            ticker["b"], ticker["B"] = book["bids"][0]["price"], book["bids"][0]["amount"]
        if book["asks"]:
            ticker["a"], ticker["A"] = book["asks"][0]["price"], book["asks"][0]["amount"]
        return ticker

    def _on_market(self, symbol: str, changes: list[tuple[str, str, str]], trades: list[dict[str, Any]]) -> None:
        """Engine level changes and public trades → bookTicker, diff depth (pending) and trade messages."""
        sym = symbol.lower()
        if changes:
            uid = self._update_id[sym] = self._update_id.get(sym, 0) + 1  # CHOICE ws:update-ids
            for fast in (True, False):
                name = f"{sym}@depth@100ms" if fast else f"{sym}@depth"
                if name in self._by_stream:
                    first, levels = self._pending_diff.get((sym, fast), (uid, {}))
                    for side, price, total in changes:
                        levels[(side, price)] = total
                    self._pending_diff[(sym, fast)] = (first, levels)
            watchers = self._by_stream.get(f"{sym}@bookTicker")
            if watchers:
                ticker = self._ticker(sym)
                last = self._last_ticker.get(sym)
                fields = ("b", "B", "a", "A")
                if last is None or any(last.get(f) != ticker.get(f) for f in fields):
                    self._last_ticker[sym] = ticker
                    text = dumps(ticker)
                    for conn in tuple(watchers):
                        conn.offer(text)
        watchers = self._by_stream.get(f"{sym}@trade")
        if trades and watchers:
            for trade in trades:
                text = dumps({"E": int(trade["timestampms"]) * 1_000_000, "s": sym, "t": trade["tid"],
                               "p": trade["price"], "q": trade["amount"], "m": trade["type"] == "sell"})
                for conn in tuple(watchers):
                    conn.offer(text)

    # -- timed streams ---------------------------------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        for tick in itertools.count(1):
            await asyncio.sleep(self._fast_s)
            try:
                self._flush_timed(fast=True)
                if tick % self._slow_every == 0:
                    self._flush_timed(fast=False)
            except Exception:
                log.exception("new API stream timer failed")

    def _flush_timed(self, *, fast: bool) -> None:
        now_ms = self._clock_ms()
        for (sym, is_fast), (first, levels) in list(self._pending_diff.items()):
            if is_fast != fast:
                continue
            del self._pending_diff[(sym, is_fast)]
            watchers = self._by_stream.get(f"{sym}@depth@100ms" if fast else f"{sym}@depth")
            if not watchers:
                continue
            text = dumps({
                "e": "depthUpdate", "E": now_ms * 1_000_000, "s": sym, "U": first, "u": self._update_id.get(sym, 0),
                "b": [[price, total] for (side, price), total in levels.items() if side == "buy"],
                "a": [[price, total] for (side, price), total in levels.items() if side == "sell"],
            })
            for conn in tuple(watchers):
                conn.offer(text)
        for name, watchers in list(self._by_stream.items()):
            spec = next(iter(watchers)).subs.get(name) if watchers else None
            if spec is None:
                continue
            if spec.kind == "partial_depth" and spec.fast == fast and spec.symbol is not None:
                text = dumps(self._book_message(spec.symbol, spec.levels, with_symbol=True))
                for conn in tuple(watchers):
                    conn.offer(text)
            elif spec.kind == "balances_1s" and not fast:
                for conn in tuple(watchers):
                    if conn.key is not None:
                        conn.offer(dumps(balance_update(self._balances(conn.key.account_id), now_ms)))


