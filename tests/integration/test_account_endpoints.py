"""The REST client against the local exchange over loopback: history, trades, volumes, wrap, master keys, roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pydantic import SecretStr

from console.domain.model import ExecOption, Side
from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
    DEMO_MASTER_API_KEY,
    DEMO_MASTER_API_SECRET,
    ApiKey,
)
from console.exchange.server.app import ExchangeServer
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import AccountError, InsufficientFunds, OrderNotFound, OrderRejected, PermissionDenied
from console.venues.gemini.rest import GeminiRestClient
from tests.integration.conftest import MAKER_API_KEY, MAKER_API_SECRET


def client(exchange: ExchangeServer, key: str, secret: str, account: str | None = None) -> GeminiRestClient:
    return GeminiRestClient(exchange.rest_url, Credentials(api_key=key, api_secret=SecretStr(secret)), account=account)


@pytest.fixture
async def rest(exchange: ExchangeServer) -> AsyncIterator[GeminiRestClient]:
    async with client(exchange, DEMO_API_KEY, DEMO_API_SECRET) as c:
        yield c


@pytest.fixture
async def maker_rest(exchange: ExchangeServer) -> AsyncIterator[GeminiRestClient]:
    async with client(exchange, MAKER_API_KEY, MAKER_API_SECRET) as c:
        yield c


@pytest.fixture
async def auditor_rest(exchange: ExchangeServer) -> AsyncIterator[GeminiRestClient]:
    async with client(exchange, DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET) as c:
        yield c


@pytest.fixture
async def master_rest(exchange: ExchangeServer) -> AsyncIterator[GeminiRestClient]:
    async with client(exchange, DEMO_MASTER_API_KEY, DEMO_MASTER_API_SECRET, account="primary") as c:
        yield c


async def fill(rest: GeminiRestClient, maker: GeminiRestClient, side: Side, amount: str, price: str, cid: str):
    """The maker rests the other side, then ``rest`` takes it: one trade at ``price``."""
    other = Side.SELL if side is Side.BUY else Side.BUY
    await maker.new_order(symbol="btcusd", side=other, amount=Decimal(amount), price=Decimal(price))
    return await rest.new_order(symbol="btcusd", side=side, amount=Decimal(amount), price=Decimal(price),
                                client_order_id=cid, options=[ExecOption.IMMEDIATE_OR_CANCEL])


# -- order status --------------------------------------------------------------------------------------------------


async def test_order_status_by_either_id_with_trades(rest: GeminiRestClient, maker_rest: GeminiRestClient) -> None:
    taken = await fill(rest, maker_rest, Side.BUY, "0.02", "50000.00", "status-1")
    by_id = await rest.order_status(order_id=taken.order_id, include_trades=True)
    by_cid = await rest.order_status(client_order_id="status-1", include_trades=True)
    assert by_id == by_cid
    assert by_id.executed_amount == Decimal("0.02") and not by_id.is_live
    assert by_id.trades is not None and len(by_id.trades) == 1
    trade = by_id.trades[0]
    assert (trade.price, trade.amount, trade.type, trade.aggressor) == (
        Decimal("50000.00"), Decimal("0.02"), "Buy", True)
    assert trade.fee_amount == Decimal("3.5") and trade.fee_currency == "USD"  # 35 bps taker on 1000 USD
    assert (await rest.order_status(order_id=taken.order_id)).trades is None
    with pytest.raises(ValueError):
        await rest.order_status(order_id=taken.order_id, client_order_id="status-1")
    with pytest.raises(ValueError):
        await rest.order_status()
    with pytest.raises(OrderNotFound):
        await rest.order_status(client_order_id="no-such-order")


# -- orders history ------------------------------------------------------------------------------------------------


async def test_orders_history_walks_forward_without_duplicates(
    exchange: ExchangeServer, rest: GeminiRestClient, clock: list[int]
) -> None:
    start = clock[0]
    placed = []
    for i in range(7):
        clock[0] = start + (i // 2) * 1000  # pairs of orders share a millisecond: page boundaries split them
        order = await rest.new_order(symbol="btcusd" if i % 3 else "ethusd", side=Side.BUY,
                                     amount=Decimal("0.01"), price=Decimal("1000.00"), client_order_id=f"h-{i}")
        await rest.cancel_order(order.order_id)
        placed.append(order.order_id)
    await rest.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"), price=Decimal("1000.00"))  # live

    first_page = await rest.orders_history(limit_orders=3)  # no timestamp: the newest
    assert [o.order_id for o in first_page] == placed[::-1][:3]
    assert all(o.is_cancelled and o.trades == [] for o in first_page)

    walked = [o.order_id async for o in rest.iter_orders_history(page_size=2)]
    assert walked == placed  # oldest first, each once, the live order never
    btc_only = [o.order_id async for o in rest.iter_orders_history(symbol="btcusd", page_size=2)]
    assert btc_only == [oid for i, oid in enumerate(placed) if i % 3]
    newer = await rest.orders_history(timestamp=start + 2000)  # at or after that ms
    assert [o.order_id for o in newer] == placed[4:][::-1]
    assert [o.order_id for o in await rest.orders_history(timestamp=start + 2000, limit_orders=1)] == [placed[4]]
    with pytest.raises(ValueError):
        await rest.orders_history(limit_orders=501)


# -- my trades -----------------------------------------------------------------------------------------------------


async def test_mytrades_fields_breaks_and_walk(
    exchange: ExchangeServer, rest: GeminiRestClient, maker_rest: GeminiRestClient, clock: list[int]
) -> None:
    start = clock[0]
    for i in range(5):
        clock[0] = start + (i // 2) * 1000
        await fill(rest, maker_rest, Side.BUY if i % 2 else Side.SELL, "0.01", "50000.00", f"t-{i}")
    trades = await rest.my_trades(symbol="btcusd", limit_trades=500)
    assert len(trades) == 5 and [t.client_order_id for t in trades] == [f"t-{i}" for i in range(5)][::-1]
    assert all(t.is_auction_fill is False and t.is_clearing_fill is False and t.break_ is None for t in trades)
    assert {t.symbol for t in trades} == {"BTCUSD"}

    exchange.engine.break_trade(trades[0].tid, "full")
    exchange.engine.break_trade(trades[1].tid, "manual")
    again = await rest.my_trades()
    assert [t.break_ for t in again[:3]] == ["full", "manual", None]

    walked = [t.tid async for t in rest.iter_my_trades(page_size=2)]
    assert walked == [t.tid for t in trades][::-1]  # oldest first, each once across same-millisecond pages
    assert [t.tid async for t in rest.iter_my_trades(page_size=2, since_ms=start + 2000)] == [trades[0].tid]


# -- volumes and balances ------------------------------------------------------------------------------------------


async def test_trade_and_notional_volume_follow_fills_and_fee_tiers(
    exchange: ExchangeServer, maker_rest: GeminiRestClient
) -> None:
    whale = exchange.engine.add_account("whale", {"USD": "5000000", "BTC": "100"})
    exchange.add_api_key("account-WhaleKey000000000001", "whale-secret", account_id=whale)
    rest = client(exchange, "account-WhaleKey000000000001", "whale-secret")
    fees = await rest.notional_volume()
    assert (fees.api_maker_fee_bps, fees.api_taker_fee_bps, fees.notional_30d_volume) == (10, 35, 0)
    assert await rest.trade_volume() == []

    await fill(rest, maker_rest, Side.BUY, "0.5", "50000.00", "v-1")  # 25,000 USD taker
    volume = await rest.trade_volume()
    assert len(volume) == 1 and len(volume[0]) == 1
    day = volume[0][0]
    assert (day.symbol, day.base_currency, day.notional_currency) == ("btcusd", "BTC", "USD")
    assert (day.buy_taker_base, day.buy_taker_notional, day.buy_taker_count) == (Decimal("0.5"), 25000, 1)
    assert day.total_volume_base == Decimal("0.5") and day.sell_maker_count == 0

    await fill(rest, maker_rest, Side.SELL, "20", "50000.00", "v-2")  # +1,000,000 USD: the next tier
    fees = await rest.notional_volume()
    assert fees.notional_30d_volume == Decimal("1025000")
    assert (fees.api_maker_fee_bps, fees.api_taker_fee_bps) == (8, 30)
    assert fees.notional_1d_volume and fees.notional_1d_volume[0].notional_volume == Decimal("1025000")
    taken = await fill(rest, maker_rest, Side.BUY, "0.1", "50000.00", "v-3")
    trade = (await rest.order_status(order_id=taken.order_id, include_trades=True)).trades[0]
    assert trade.fee_amount == Decimal("15")  # 30 bps of 5,000 USD at the new tier
    await rest.close()


async def test_balances_show_funds_held_by_open_orders(rest: GeminiRestClient) -> None:
    before = {b.currency: b for b in await rest.balances()}
    await rest.new_order(symbol="btcusd", side=Side.SELL, amount=Decimal("1.5"), price=Decimal("90000.00"))
    after = {b.currency: b for b in await rest.balances()}
    assert after["BTC"].amount == before["BTC"].amount
    assert after["BTC"].amount - after["BTC"].available == Decimal("1.5")


# -- wrap ----------------------------------------------------------------------------------------------------------


async def test_wrap_only_for_wrap_enabled_symbols(rest: GeminiRestClient, auditor_rest: GeminiRestClient) -> None:
    assert (await rest.symbol_details("gusdusd")).wrap_enabled is True
    before = {b.currency: b.amount for b in await rest.balances()}
    receipt = await rest.wrap("gusdusd", amount=Decimal("125.50"), side=Side.BUY, client_order_id="wrap-1")
    assert (receipt.pair, receipt.side, receipt.quantity, receipt.totalSpend, receipt.fee) == (
        "GUSDUSD", "buy", Decimal("125.5"), Decimal("125.5"), 0)
    assert (receipt.quantityCurrency, receipt.totalSpendCurrency) == ("GUSD", "USD")
    after = {b.currency: b.amount for b in await rest.balances()}
    assert after["USD"] == before["USD"] - Decimal("125.5") and after["GUSD"] == before["GUSD"] + Decimal("125.5")
    await rest.wrap("gusdusd", amount=Decimal("25.5"), side=Side.SELL)
    assert {b.currency: b.amount for b in await rest.balances()}["GUSD"] == before["GUSD"] + 100

    with pytest.raises(OrderRejected) as refused:
        await rest.wrap("btcusd", amount=Decimal("1"), side=Side.BUY)
    assert refused.value.reason == "InvalidSymbol"
    with pytest.raises(InsufficientFunds):
        await rest.wrap("gusdusd", amount=Decimal("100000000"), side=Side.SELL)
    with pytest.raises(OrderRejected) as bad:
        await rest.wrap("gusdusd", amount=Decimal("0.001"), side=Side.BUY)
    assert bad.value.reason == "InvalidQuantity"
    with pytest.raises(PermissionDenied) as denied:
        await auditor_rest.wrap("gusdusd", amount=Decimal("1"), side=Side.BUY)
    assert denied.value.status == 403 and denied.value.reason == "MissingRole"


# -- roles ---------------------------------------------------------------------------------------------------------


async def test_auditor_reads_everything_and_trades_nothing(auditor_rest: GeminiRestClient) -> None:
    assert isinstance(await auditor_rest.orders_history(), list)
    assert isinstance(await auditor_rest.my_trades(), list)
    assert isinstance(await auditor_rest.trade_volume(), list)
    assert (await auditor_rest.notional_volume()).api_taker_fee_bps == 35
    assert await auditor_rest.balances()
    for call in (
        auditor_rest.heartbeat(),
        auditor_rest.cancel_all(),
        auditor_rest.cancel_session(),
        auditor_rest.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"), price=Decimal("1000.00")),
    ):
        with pytest.raises(PermissionDenied) as denied:
            await call
        assert denied.value.reason == "MissingRole" and denied.value.status == 403


# -- master keys ---------------------------------------------------------------------------------------------------


async def test_master_key_acts_on_the_named_sub_account(
    exchange: ExchangeServer, master_rest: GeminiRestClient, rest: GeminiRestClient
) -> None:
    assert master_rest.is_master_key and not rest.is_master_key
    primary = {b.currency: b.amount for b in await master_rest.balances()}
    assert primary == {b.currency: b.amount for b in await rest.balances()}
    master_rest.account = "secondary"
    secondary = {b.currency: b.amount for b in await master_rest.balances()}
    assert secondary == {"USD": Decimal("75000"), "BTC": Decimal("1.5"), "ETH": Decimal("20")}
    order = await master_rest.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.1"), price=Decimal("1000.00"))
    assert [o.order_id for o in await master_rest.active_orders()] == [order.order_id]
    assert await rest.active_orders() == []  # the primary account does not see it
    assert exchange.engine.active_orders(exchange.secondary_account_id)[0]["order_id"] == order.order_id


@pytest.mark.parametrize(
    ("account", "reason"), [(None, "MissingAccountName"), ("nosuch", "InvalidAccountName")]
)
async def test_master_key_needs_a_valid_account(exchange: ExchangeServer, account: str | None, reason: str) -> None:
    async with client(exchange, DEMO_MASTER_API_KEY, DEMO_MASTER_API_SECRET, account=account) as master:
        with pytest.raises(AccountError) as refused:
            await master.balances()
    assert refused.value.reason == reason and refused.value.status == 400


async def test_group_only_and_account_only_apis(master_rest: GeminiRestClient, rest: GeminiRestClient) -> None:
    with pytest.raises(AccountError) as not_group:
        await master_rest.heartbeat()  # master keys have no heartbeat sessions
    assert not_group.value.reason == "NotGroupApiCompatible"
    rest.account = "primary"
    with pytest.raises(AccountError) as group_only:
        await rest.balances()
    assert group_only.value.reason == "AccountsOnGroupOnlyApi"
    with pytest.raises(ValueError):
        rest.account = ""


def test_master_keys_cannot_require_heartbeat() -> None:
    with pytest.raises(ValueError):
        ApiKey("master-X", "s", 1, accounts={"primary": 1}, require_heartbeat=True)
    with pytest.raises(ValueError):
        ApiKey("master-X", "s", 1)
    with pytest.raises(ValueError):
        ApiKey("account-X", "s", 1, accounts={"primary": 1})


# -- Require Heartbeat through the client ------------------------------------------------------------------------


async def test_heartbeat_key_orders_cancelled_after_30_silent_seconds(
    exchange: ExchangeServer, clock: list[int]
) -> None:
    exchange.add_api_key("account-HeartbeatClient00001", "hb-client", require_heartbeat=True)
    async with client(exchange, "account-HeartbeatClient00001", "hb-client") as hb, client(
        exchange, DEMO_API_KEY, DEMO_API_SECRET
    ) as other:
        mine = await hb.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"), price=Decimal("1000.00"))
        theirs = await other.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"),
                                       price=Decimal("1000.00"))
        start = clock[0]
        clock[0] = start + 29_000
        await hb.orders_history()  # a read resets the timer like /v1/heartbeat
        clock[0] = start + 58_999
        assert exchange.expire_heartbeat_sessions() == {}
        await hb.heartbeat()
        clock[0] = start + 88_998
        assert exchange.expire_heartbeat_sessions() == {}
        clock[0] = start + 88_999  # 30 s after the heartbeat
        assert exchange.expire_heartbeat_sessions() == {
            "account-HeartbeatClient00001": {"cancelledOrders": [int(mine.order_id)], "cancelRejects": []}
        }
        status = await other.order_status(order_id=mine.order_id)
        assert status.is_cancelled and status.reason == "Requested"
        assert [o.order_id for o in await other.active_orders()] == [theirs.order_id]  # other sessions keep theirs
