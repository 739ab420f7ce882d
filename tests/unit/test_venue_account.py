"""The account service, market session and reference prices drive a venue only through the typed protocols of
``console.trading.venue_account``; Gemini's adapters implement them; one vocabulary for orders and fills."""

from __future__ import annotations

import ast
import inspect
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from console.domain.account import BalanceRow, FeeSummary, WrapReceipt
from console.domain.book import OrderBook
from console.domain.errors import VenueError
from console.domain.feed import FeedListener, FeedState, Quote
from console.domain.model import Fill, Liquidity, Order, OrderType, Side
from console.trading import venue_account
from console.trading.account import AccountService
from console.trading.market import MarketSession
from console.trading.reference_prices import last_price_source, live_book_source, quote_source
from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.errors import RequestTimeout
from console.venues.gemini.market_data import MarketDataClient
from console.venues.gemini.market_venue import GeminiQuotes

ROOT = Path(__file__).resolve().parents[2]
#: The modules that must talk to a venue through the protocols only (the TUI as a whole too).
VENUE_FREE = [
    ROOT / "console/trading/account.py",
    ROOT / "console/trading/market.py",
    ROOT / "console/trading/reference_prices.py",
    ROOT / "console/trading/venue_account.py",
    *sorted((ROOT / "console/tui").rglob("*.py")),
]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", VENUE_FREE, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_account_market_prices_and_views_import_no_venue(path: Path) -> None:
    assert [name for name in _imports(path) if name.startswith(("console.venues", "console.exchange"))] == []


def test_no_two_converters_share_a_name() -> None:
    """``fill_from_wire`` meant a ``/v1/mytrades`` trade in one module and an order event's fill in another."""
    defined: dict[str, list[str]] = {}
    for path in sorted((ROOT / "console").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and "_from_" in node.name:
                defined.setdefault(node.name, []).append(path.relative_to(ROOT).as_posix())
    assert {name: where for name, where in defined.items() if len(where) > 1} == {}


def _members(protocol: type) -> list[str]:
    return [name for name in vars(protocol) if not name.startswith("_")]


@pytest.mark.parametrize(
    ("protocol", "implementation"),
    [
        (venue_account.AccountVenue, GeminiAccountVenue),
        (venue_account.MarketDataFeed, MarketDataClient),
        (venue_account.ReferenceQuotes, GeminiQuotes),
    ],
)
def test_gemini_implements_the_protocols(protocol: type, implementation: type) -> None:
    """Every member, with the protocol's parameters (names, kinds, defaults) and the same sync/async kind."""
    for name in _members(protocol):
        wanted, got = getattr(protocol, name), getattr(implementation, name, None)
        assert got is not None, f"{implementation.__name__} lacks {name}"
        if isinstance(wanted, property):
            assert isinstance(got, (property, str)), name
            if wanted.fset is not None:
                assert isinstance(got, property) and got.fset is not None, f"{name} must be settable"
            continue
        assert inspect.iscoroutinefunction(wanted) == inspect.iscoroutinefunction(got), name
        assert inspect.isasyncgenfunction(got) or not inspect.isasyncgenfunction(wanted), name
        assert list(inspect.signature(wanted).parameters.values()) == list(
            inspect.signature(got).parameters.values()
        ), name


# --- the service over any venue ----------------------------------------------------------------------------------


def _order(order_id: str, created_ms: int) -> Order:
    return Order(order_id, None, "btcusd", Side.BUY, OrderType.LIMIT, Decimal("100"), Decimal("1"),
                 created_ms=created_ms)


def _fill(trade_id: str) -> Fill:
    return Fill(trade_id, "1", Decimal("100"), Decimal("1"), Decimal("0.1"), "USD", Liquidity.MAKER, symbol="btcusd",
                side=Side.BUY)


class FakeVenue:
    """An in-memory AccountVenue: what the service asked for is recorded in ``calls``."""

    name = "Fake"

    def __init__(self, *, master: bool = False) -> None:
        self._master = master
        self._account: str | None = None
        self.calls: list[str] = []

    @property
    def is_master_key(self) -> bool:
        return self._master

    @property
    def account(self) -> str | None:
        return self._account

    @account.setter
    def account(self, name: str | None) -> None:
        self._account = name

    async def can_trade(self) -> bool:
        return False

    async def closed_orders(self, *, symbol: str | None = None) -> AsyncIterator[Order]:
        for order in (_order("1", 1), _order("2", 2), _order("3", 3)):
            yield order

    async def recent_fills(self, *, symbol: str | None = None, limit: int = 500) -> list[Fill]:
        self.calls.append(f"recent_fills {limit}")
        return [_fill("9"), _fill("8")]

    async def all_fills(self, *, symbol: str | None = None, since_ms: int = 0) -> AsyncIterator[Fill]:
        for trade_id in ("7", "8", "9"):
            yield _fill(trade_id)

    async def order_detail(self, order_id: str) -> Order:
        return _order(order_id, 5)

    async def balances(self) -> list[BalanceRow]:
        return [BalanceRow(c, Decimal(2), Decimal(1), Decimal(1)) for c in ("USD", "BTC", "ETH")]

    async def fee_summary(self) -> FeeSummary:
        return FeeSummary(Decimal(10), Decimal(35), Decimal(0))

    async def wrap_enabled(self, symbol: str) -> bool:
        return symbol.lower() == "gusdusd"

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        self.calls.append(f"wrap {symbol} {amount}")
        return WrapReceipt("1", symbol.upper(), side, amount, "GUSD", amount, "USD", Decimal(0), "USD")


async def test_the_service_works_over_any_account_venue() -> None:
    venue = FakeVenue()
    service = AccountService(venue)
    assert [o.order_id for o in await service.closed_orders()] == ["3", "2", "1"]  # newest first
    assert [f.trade_id for f in await service.all_fills()] == ["9", "8", "7"]
    assert [f.trade_id for f in await service.fills(limit=2)] == ["9", "8"] and venue.calls == ["recent_fills 2"]
    assert [r.currency for r in await service.balances()] == ["BTC", "ETH", "USD"]
    assert await service.wrap_symbols(["BTCUSD", "GUSDUSD"]) == ["gusdusd"]
    assert not await service.can_trade() and service.venue_name == "Fake"
    with pytest.raises(ValueError, match="positive"):
        await service.wrap("gusdusd", Side.BUY, Decimal("-1"))
    assert venue.calls == ["recent_fills 2"]  # a refused amount sends nothing
    with pytest.raises(ValueError, match="master key"):
        service.switch_account("secondary")


def test_a_master_key_starts_on_the_first_sub_account_and_switches() -> None:
    venue = FakeVenue(master=True)
    service = AccountService(venue, ("primary", "secondary"))
    assert venue.account == "primary"
    service.switch_account("secondary")
    assert venue.account == service.account == "secondary"
    with pytest.raises(ValueError, match="unknown sub-account"):
        service.switch_account("nosuch")


# --- reference prices over any quote source ----------------------------------------------------------------------


class FakeQuotes:
    def __init__(self, top: Quote, ticker: Quote | Exception) -> None:
        self.top, self._ticker = top, ticker
        self.asked: list[str] = []

    async def book_top(self, symbol: str) -> Quote:
        self.asked.append("book_top")
        return self.top

    async def ticker(self, symbol: str) -> Quote:
        self.asked.append("ticker")
        if isinstance(self._ticker, Exception):
            raise self._ticker
        return self._ticker


async def test_reference_price_is_the_book_tops_mid_else_the_ticker() -> None:
    two_sided = FakeQuotes(Quote(Decimal("99"), Decimal("101")), Quote(last=Decimal("50")))
    assert await quote_source(two_sided)("btcusd") == (Decimal("100"), "mid")
    assert two_sided.asked == ["book_top"]
    one_sided = FakeQuotes(Quote(bid=Decimal("99")), Quote(last=Decimal("50")))
    assert await quote_source(one_sided)("btcusd") == (Decimal("50"), "last")
    failing = FakeQuotes(Quote(bid=Decimal("99")), RequestTimeout("read timeout"))
    assert isinstance(failing._ticker, VenueError)
    assert await quote_source(failing)("btcusd") == (None, "")
    assert await last_price_source(failing, None)("btcusd") is None
    assert await last_price_source(one_sided, None)("btcusd") == Decimal("50")


async def test_a_live_book_answers_before_the_quotes() -> None:
    class NoFeed:
        async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
            raise AssertionError("not run here")

    market = MarketSession(NoFeed(), "btcusd")
    market.book.set_level(Side.BUY, Decimal("10"), Decimal("1"))
    market.book.set_level(Side.SELL, Decimal("12"), Decimal("1"))
    quotes = FakeQuotes(Quote(Decimal("99"), Decimal("101")), Quote(last=Decimal("50")))
    source = live_book_source(market, quote_source(quotes))
    assert await source("btcusd") == (Decimal("100"), "mid")  # not live yet: the quotes answer
    market.state = FeedState.LIVE
    assert await source("btcusd") == (Decimal("11"), "mid")
    assert await source("ethusd") == (Decimal("100"), "mid")  # another symbol: the quotes again
