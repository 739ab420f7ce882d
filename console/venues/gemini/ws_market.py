"""Market data over Gemini's new WebSocket API as a ``MarketDataFeed`` (``console.trading.venue_account``): the
ladder and the trades panel of one symbol when the console runs ``--api ws``.

https://docs.gemini.com/websocket/introduction ("Streams"). The feed opens a market-data-only connection (no
signature) with the connection parameter ``snapshot=-1``, subscribes ``{symbol}@depth@100ms`` (diff depth every
100 ms) and ``{symbol}@trade``, and reads:

* the snapshot ``{"lastUpdateId", "bids", "asks"}`` sent on subscribing (CHOICE ws:depth-snapshot of the local
  exchange; the documentation describes the parameter, not the message): it replaces the book in one step;
* ``depthUpdate`` diffs ``{"U": first id, "u": last id, "b", "a"}``; levels are new totals, ``"0"`` removes one. A
  diff whose ``u`` ≤ the snapshot's ``lastUpdateId`` is old and skipped; each later one must start right after the
  previous (``U`` ≤ last ``u`` + 1 ≤ ``u``), else updates were lost;
* trades ``{"t", "p", "q", "m"}`` (``m``: the buyer is the maker, so the taker sold). The stream sends no trade
  history: after each snapshot the feed reads the recent trades once over REST (``/v1/trades``).

The book is only ``LIVE`` while it is known to be right, with the same state machine as the market data v2 client
(:class:`~console.venues.gemini.market_data.MarketDataClient`): on any doubt the feed drops the socket, says
``RESYNCING``, and reconnects with capped back-off for a fresh snapshot:

* a diff before the snapshot, a gap in the update ids, or a diff that leaves the book crossed;
* an unreadable frame (the client skips it and counts it: the book may have missed a change);
* silence: the diff stream is quiet while the book is, so after a third of ``stall_timeout_s`` without a message
  the feed sends ``ping``; no answer within the rest of it makes the book ``STALE`` (then ``RESYNCING``);
* the socket closing or failing.
"""

from __future__ import annotations

import asyncio
import logging
import random

from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.domain.model import Side
from console.util.backoff import capped_delay_s, jittered
from console.venues.gemini.errors import GeminiError
from console.venues.gemini.models.ws_api import DepthSnapshot, DepthUpdate, Level, TradeMessage
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.ws_api import WsApiClient, WsApiDisconnected, WsApiError, WsApiRequestTimeout

__all__ = ["GeminiWsMarketFeed", "WsResync"]

log = logging.getLogger(__name__)

#: Recent trades read over REST after each snapshot (the trades panel's history).
RECENT_TRADES = 50


class WsResync(Exception):
    """The book can no longer be trusted; ``str()`` says why. ``went_live``: it had been LIVE on that connection."""

    def __init__(self, reason: str, went_live: bool) -> None:
        super().__init__(reason)
        self.went_live = went_live


def _trade(message: TradeMessage) -> Trade:
    """A ``@trade`` message as a domain trade: ``m`` (buyer is maker) means the taker sold."""
    return Trade(message.trade_id, message.event_time_ns // 1_000_000, message.price, message.quantity,
                 Side.SELL if message.buyer_is_maker else Side.BUY)


class GeminiWsMarketFeed:
    """Keeps one symbol's book live from the new API's ``@depth@100ms`` and ``@trade`` streams.

    Args:
        url: the new API's URL (``wss://ws.gemini.com``; the local exchange's ``ws_api_url``).
        rest: a REST client for the recent trades after each snapshot (public; None: the trades panel starts
            empty and fills from the stream).
        stall_timeout_s: seconds without proof of life (a message or an answered ``ping``) before the book is STALE.
        open_timeout_s: seconds allowed for the handshake.
        backoff_initial_s / backoff_cap_s: reconnect delays (doubling, with jitter), seconds.
        rng: randomness for the jitter (tests pass a seeded one).

    Attributes:
        resyncs: times the feed dropped a connection to resynchronise; last_resync_reason: the last reason.
    """

    def __init__(
        self,
        url: str,
        rest: GeminiRestClient | None = None,
        *,
        stall_timeout_s: float = 15.0,
        open_timeout_s: float = 10.0,
        backoff_initial_s: float = 0.2,
        backoff_cap_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self._rest = rest
        self.stall_timeout_s = stall_timeout_s
        self.open_timeout_s = open_timeout_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self.resyncs = 0
        self.last_resync_reason = ""
        #: The open connection (tests drop it to see the feed resynchronise).
        self.api: WsApiClient | None = None

    def __repr__(self) -> str:
        return f"GeminiWsMarketFeed(url={self.url!r})"

    async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        """Keep ``book`` live for ``symbol`` (e.g. ``"btcusd"``) until cancelled; never raises on the wire."""
        attempt = 0
        listener.state_changed(FeedState.CONNECTING, "")
        while True:
            try:
                await self._stream_once(symbol.lower(), book, listener)
                went_live, reason = False, "stream ended"  # not reached: a connection ends by WsResync
            except WsResync as exc:
                went_live, reason = exc.went_live, str(exc)
            self.resyncs += 1
            self.last_resync_reason = reason
            log.info("market data %s over the WS API: resync (%s)", symbol, reason)
            stalled = reason.startswith("stream stalled")
            if not stalled:  # a stalled book stays STALE while the feed waits to reconnect
                listener.state_changed(FeedState.RESYNCING, reason)
            attempt = 0 if went_live else attempt + 1
            delay = capped_delay_s(attempt, self._backoff_initial_s, self._backoff_cap_s, max_exponent=16)
            await asyncio.sleep(jittered(delay, self._rng))
            if stalled:
                listener.state_changed(FeedState.RESYNCING, reason)

    async def _stream_once(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        """One connection: subscribe, read until doubt (raises :class:`WsResync`, the socket closed)."""
        api = WsApiClient(self.url, None, snapshot=-1, request_timeout_s=self.stall_timeout_s,
                          open_timeout_s=self.open_timeout_s)
        self.api = api
        live = False
        try:
            try:
                await api.connect()
                await api.subscribe([f"{symbol}@depth@100ms", f"{symbol}@trade"])
            except (WsApiError, WsApiDisconnected, WsApiRequestTimeout) as exc:
                raise WsResync(f"connection failed: {exc}", False) from None
            last_id: int | None = None
            quiet_s = self.stall_timeout_s / 3
            while True:
                bad_before = api.bad_frames
                try:
                    message = await api.next_message(timeout_s=quiet_s)
                except TimeoutError:
                    try:  # a quiet book sends nothing: prove the link alive
                        await api.request("ping", timeout_s=self.stall_timeout_s - quiet_s)
                    except (WsApiRequestTimeout, WsApiDisconnected, WsApiError):
                        listener.state_changed(FeedState.STALE, f"stream stalled {self.stall_timeout_s:g} s")
                        raise WsResync(f"stream stalled {self.stall_timeout_s:g} s", live) from None
                    continue
                except WsApiDisconnected:
                    raise WsResync("stream closed by the venue", live) from None
                if api.bad_frames != bad_before:
                    raise WsResync("unreadable frame", live)
                if isinstance(message, DepthSnapshot) and message.symbol in (None, symbol):
                    book.clear()
                    self._apply(book, message.bids, message.asks)
                    last_id = message.last_update_id
                    await self._recent_trades(symbol, book)
                    live = True
                    listener.state_changed(FeedState.LIVE, "")
                    listener.book_changed(book)
                    if book.trades:
                        listener.trades_added(list(reversed(book.trades)))
                elif isinstance(message, DepthUpdate) and message.symbol.lower() == symbol:
                    if last_id is None:
                        raise WsResync("depth update before the snapshot", live)
                    if message.last_update_id <= last_id:
                        continue  # already in the snapshot
                    if not message.first_update_id <= last_id + 1 <= message.last_update_id:
                        raise WsResync(f"depth updates lost (after {last_id}, got {message.first_update_id})", live)
                    self._apply(book, message.bids, message.asks)
                    last_id = message.last_update_id
                    listener.book_changed(book)
                elif isinstance(message, TradeMessage) and message.symbol.lower() == symbol:
                    trade = _trade(message)
                    newest = book.trades[0].trade_id if book.trades else None
                    book.add_trades([trade])
                    if newest is None or trade.trade_id > newest:
                        listener.trades_added([trade])
        finally:
            api.abort()  # a doubtful stream gets no close handshake
            await api.close()

    def _apply(self, book: OrderBook, bids: list[Level], asks: list[Level]) -> None:
        """Set each level's new total; a crossed book afterwards is doubt.

        Raises:
            WsResync: a bad level, or the book crossed.
        """
        try:
            for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
                for price, amount in levels:
                    book.set_level(side, price, amount)
        except ValueError as exc:
            raise WsResync(f"bad level: {exc}", True) from None
        bid, ask = book.best_bid, book.best_ask
        if bid is not None and ask is not None and bid >= ask:
            raise WsResync(f"book crossed (bid {bid} >= ask {ask})", True)

    async def _recent_trades(self, symbol: str, book: OrderBook) -> None:
        """The trades panel's history (``/v1/trades``), which the stream does not send; a failure is logged."""
        if self._rest is None:
            return
        try:
            trades = await self._rest.public_trades(symbol, limit_trades=RECENT_TRADES)
        except GeminiError as exc:
            log.warning("recent trades of %s not read (%s): the panel fills from the stream", symbol, exc)
            return
        sides = {"buy": Side.BUY, "sell": Side.SELL}
        book.add_trades(Trade(t.tid, t.timestampms, t.price, t.amount, sides[t.type])
                        for t in trades if t.type in sides and not t.broken)
