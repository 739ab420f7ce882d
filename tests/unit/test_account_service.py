"""The account views' wire → domain conversions (Gemini's account adapter), on Gemini's documented sample payloads
(https://docs.gemini.com/rest/orders, https://docs.gemini.com/rest/fund-management)."""

from __future__ import annotations

from decimal import Decimal

from console.domain.account import HistoryStatus
from console.domain.model import Liquidity, Side
from console.venues.gemini.account_venue import volumes_from_wire
from console.venues.gemini.convert import fill_from_my_trade, order_from_status
from console.venues.gemini.models import MyTrade, OrderStatus, TradeVolumeDay

STATUS = {"order_id": "123456789012345", "id": "123456789012345", "symbol": "btcusd", "exchange": "gemini",
          "avg_execution_price": "400.00", "side": "buy", "type": "exchange limit", "timestamp": "1494870642",
          "timestampms": 1494870642156, "is_live": False, "is_cancelled": False, "is_hidden": False,
          "was_forced": False, "executed_amount": "3", "remaining_amount": "0", "options": [], "price": "400.00",
          "original_amount": "3"}
TRADE = {"price": "3648.09", "amount": "0.0027343246", "timestamp": 1547232911, "timestampms": 1547232911021,
         "type": "Buy", "aggressor": True, "fee_currency": "USD", "fee_amount": "0.024937655575035",
         "tid": 107317526, "order_id": "107317524", "exchange": "gemini", "is_clearing_fill": False,
         "symbol": "BTCUSD"}


def test_order_states_from_the_status_flags() -> None:
    assert HistoryStatus.of(order_from_status(OrderStatus.model_validate(STATUS))) is HistoryStatus.FILLED
    partial = {**STATUS, "is_cancelled": True, "executed_amount": "1", "remaining_amount": "2", "reason": "Requested"}
    order = order_from_status(OrderStatus.model_validate(partial))
    assert (HistoryStatus.of(order), order.reason, order.open_amount) == (HistoryStatus.PARTIALLY_FILLED,
                                                                          "Requested", 2)
    cancelled = {**STATUS, "is_cancelled": True, "executed_amount": "0", "remaining_amount": "3"}
    assert HistoryStatus.of(order_from_status(OrderStatus.model_validate(cancelled))) is HistoryStatus.CANCELLED
    live = {**STATUS, "is_live": True, "executed_amount": "0", "remaining_amount": "3", "trades": [TRADE]}
    order = order_from_status(OrderStatus.model_validate(live))
    assert HistoryStatus.of(order) is HistoryStatus.LIVE and order.fills[0].trade_id == "107317526"


def test_order_detail_fields_the_views_show() -> None:
    """The order detail shows the venue's own type text and its hidden / forced flags (venue-neutral fields)."""
    stop = {**STATUS, "type": "exchange stop limit", "stop_price": "390.00", "is_live": True, "is_hidden": True,
            "executed_amount": "0", "remaining_amount": "3"}
    order = order_from_status(OrderStatus.model_validate(stop))
    assert (order.venue_type, order.hidden, order.forced) == ("exchange stop limit", True, False)
    assert order_from_status(OrderStatus.model_validate({**STATUS, "was_forced": True})).forced


def test_fill_from_the_mytrades_sample_and_a_broken_trade() -> None:
    fill = fill_from_my_trade(MyTrade.model_validate(TRADE))
    assert (fill.symbol, fill.side, fill.liquidity, fill.broken) == ("btcusd", Side.BUY, Liquidity.TAKER, None)
    assert fill.fee == Decimal("0.024937655575035") and fill.client_order_id is None
    broken = fill_from_my_trade(MyTrade.model_validate({**TRADE, "aggressor": False, "break": "full"}))
    assert (broken.liquidity, broken.broken) == (Liquidity.MAKER, "full")


def test_trade_volume_is_summed_per_symbol() -> None:
    day = {"symbol": "btcusd", "base_currency": "BTC", "notional_currency": "USD", "data_date": "2019-01-10",
           "total_volume_base": 8.06021756, "buy_maker_notional": 15.03, "buy_maker_count": 3,
           "sell_taker_notional": 1.5, "sell_taker_count": 1}
    days = [[TradeVolumeDay.model_validate(day), TradeVolumeDay.model_validate({**day, "data_date": "2019-01-11"})]]
    (volume,) = volumes_from_wire(days)
    assert volume.base_volume == Decimal("16.12043512") and volume.notional == Decimal("33.06")
    assert (volume.maker_count, volume.taker_count) == (6, 2)
