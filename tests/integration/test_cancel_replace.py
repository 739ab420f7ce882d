"""Cancel-replace over real loopback sockets against the local exchange (console.trading.replace).

The session under test cancels the old order, waits for the exchange's confirmation, then sends the replacement;
fills racing the cancel come from a second account, and faults (console/exchange/faults.py) hold, refuse or lose
the cancel's or the new order's answer. Every check of "never both live" is made against the exchange's own
engine, at the moment the console records the replacement as about to be sent.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from console.domain.model import Order, OrderState, Side
from console.exchange.faults import FaultKind
from console.trading.replace import ReplaceOutcome, ReplaceResult
from tests.support.reliability import Rig, rig, wait_until

#: The cancel and place paths of each order-entry API, as the exchange's fault plan names them.
PATHS = {"rest": ("/v1/order/cancel", "/v1/order/new"), "ws": ("/ws:order.cancel", "/ws:order.place")}
both_apis = pytest.mark.parametrize("api", ["rest", "ws"])


def watch_never_both_live(r: Rig, old_id: str) -> list[str]:
    """Record a problem whenever the console starts a new order while the exchange still has ``old_id`` live."""
    problems: list[str] = []

    def changed(orders: list[Order]) -> None:
        for order in orders:
            if order.state is OrderState.PENDING_NEW and r.exchange_order(old_id)["is_live"]:
                problems.append(f"{order.client_order_id} sent while #{old_id} is live at the exchange")

    r.session.blotter.add_listener(changed)
    return problems


def account_orders(r: Rig) -> list[dict]:
    """Every order the exchange holds for the session's account (open or not), by client order id."""
    return [r.exchange_order(oid) for cid_list in
            (ids for (acct, _cid), ids in r.server.engine._by_client_id.items() if acct == r.account)
            for oid in cid_list]


async def start_replace(r: Rig, old: Order, price: str, amount: str, filled_at_load: str = "0"
                        ) -> asyncio.Task[ReplaceResult]:
    new = r.session.prepare(r.ticket(old.side, price, amount))
    return asyncio.get_running_loop().create_task(
        r.session.replace(old.order_id, new, filled_at_load=Decimal(filled_at_load)))


def story(r: Rig) -> list[str]:
    return [s.text for s in r.statuses if s.code == "Replace"]


@both_apis
async def test_plain_replace_cancels_then_places_at_the_new_price(api):
    async with rig(session_kwargs={"api": api}) as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        problems = watch_never_both_live(r, old.order_id)
        result = await (await start_replace(r, old, "50100.00", "0.02"))
        assert result.outcome is ReplaceOutcome.REPLACED
        assert r.exchange_order(old.order_id)["is_cancelled"]
        assert result.new is not None and result.new.order_id
        new = r.exchange_order(result.new.order_id)
        assert (new["price"], new["original_amount"], new["is_live"]) == ("50100.00", "0.02", True)
        assert r.exchange_open_ids() == {result.new.order_id}
        assert problems == []
        short_a, short_b = old.order_id[-6:], result.new.order_id[-6:]
        assert story(r)[-1] == f"replaced #{short_a} by #{short_b}, nothing filled before the cancel."
        await r.settled()


@both_apis
async def test_a_fill_racing_the_cancel_comes_off_the_replacement(api):
    cancel_path, _ = PATHS[api]
    async with rig(session_kwargs={"api": api}) as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        problems = watch_never_both_live(r, old.order_id)
        # The cancel is held at the exchange; a fill lands on the old order before the cancel is processed.
        r.server.faults.arm(FaultKind.HANG, path=cancel_path, delay_s=5.0)
        task = await start_replace(r, old, "50100.00", "0.02")
        await wait_until(lambda: any(p == cancel_path for p, _ in r.server.faults.arrivals), what="cancel")
        r.maker_order("sell", "50000.00", "0.005")
        r.server.faults.clear()  # the cancel goes on to the engine now, after the fill
        result = await task
        assert result.outcome is ReplaceOutcome.REPLACED
        assert Decimal(r.exchange_order(old.order_id)["executed_amount"]) == Decimal("0.005")
        assert result.new is not None
        assert Decimal(r.exchange_order(result.new.order_id)["original_amount"]) == Decimal("0.015")
        assert problems == []
        assert f"replaced #{old.order_id[-6:]} by #{result.new.order_id[-6:]}, 0.005 filled before the cancel" \
            in story(r)[-1]
        await r.settled()


async def test_fills_before_loading_and_after_loading_the_original_amount_minus_all_fills_is_sent():
    async with rig() as r:
        old = await r.place(Side.BUY, "50000.00", "0.05")
        r.maker_order("sell", "50000.00", "0.01")  # filled before the ticket was loaded: the ticket shows 0.04
        await r.settled()
        loaded = r.session.blotter.get(old.order_id)
        assert loaded.filled == Decimal("0.01")
        r.maker_order("sell", "50000.00", "0.02")  # after loading, before the cancel
        await wait_until(lambda: r.session.blotter.get(old.order_id).filled == Decimal("0.03"))
        result = await (await start_replace(r, old, "49900.00", "0.04", filled_at_load="0.01"))
        assert result.outcome is ReplaceOutcome.REPLACED
        assert Decimal(r.exchange_order(result.new.order_id)["original_amount"]) == Decimal("0.02")  # 0.05 − 0.03
        assert "0.03 filled before the cancel" in story(r)[-1]


@both_apis
async def test_old_order_filled_completely_meanwhile_nothing_is_sent(api):
    cancel_path, _ = PATHS[api]
    async with rig(session_kwargs={"api": api}) as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.server.faults.arm(FaultKind.HANG, path=cancel_path, delay_s=5.0)
        task = await start_replace(r, old, "50100.00", "0.02")
        await wait_until(lambda: any(p == cancel_path for p, _ in r.server.faults.arrivals), what="cancel")
        r.maker_order("sell", "50000.00", "0.02")
        r.server.faults.clear()
        result = await task
        assert result.outcome is ReplaceOutcome.NOTHING_LEFT and result.new is None
        assert r.session.blotter.get(old.order_id).state is OrderState.FILLED
        assert sum(p == PATHS[api][1] for p, _ in r.server.faults.arrivals) == 1  # the old order's only
        assert len(account_orders(r)) == 1  # the old order only: nothing new at the exchange
        assert "filled completely" in story(r)[-1] and "nothing sent" in story(r)[-1]
        await r.settled()


async def test_cancel_refused_nothing_is_sent_and_the_reason_is_decoded():
    async with rig() as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.server.faults.arm(FaultKind.HTTP_ERROR, status=404, reason="OrderNotFound", path="/v1/order/cancel")
        result = await (await start_replace(r, old, "50100.00", "0.02"))
        assert result.outcome is ReplaceOutcome.CANCEL_REFUSED and result.new is None
        assert r.session.blotter.get(old.order_id).state is OrderState.LIVE  # back to working, as it is
        assert r.exchange_open_ids() == {old.order_id}
        assert len(account_orders(r)) == 1
        line = story(r)[-1]
        assert "cancel was refused" in line and "OrderNotFound" in line and "no open order with that id" in line
        await r.settled()


@both_apis
async def test_lost_cancel_answer_the_replacement_waits_until_the_cancel_is_confirmed(api):
    cancel_path, _ = PATHS[api]
    async with rig(session_kwargs={"api": api}) as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        problems = watch_never_both_live(r, old.order_id)
        r.server.faults.arm(FaultKind.DROP_REQUEST, path=cancel_path, count=None)  # every cancel is lost
        task = await start_replace(r, old, "50100.00", "0.02")
        await wait_until(lambda: sum(p == cancel_path for p, _ in r.server.faults.arrivals) >= 3,
                         what="the cancel to be retried")
        assert not task.done()
        assert r.session.blotter.get(old.order_id).state is OrderState.PENDING_CANCEL
        assert r.exchange_open_ids() == {old.order_id}  # nothing new while the old order's fate is unknown
        r.maker_order("sell", "50000.00", "0.005")  # it can still fill meanwhile
        r.server.faults.clear()  # the next retry gets through
        result = await task
        assert result.outcome is ReplaceOutcome.REPLACED and problems == []
        assert Decimal(r.exchange_order(result.new.order_id)["original_amount"]) == Decimal("0.015")
        assert any(s.code == "PendingCancel" for s in r.statuses)
        await r.settled()
        assert len(account_orders(r)) == 2


async def test_cancel_never_confirmed_abandons_the_replace_and_sends_nothing():
    async with rig() as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.session.replace_confirm_timeout_s = 0.5
        r.server.faults.arm(FaultKind.DROP_REQUEST, path="/v1/order/cancel", count=None)
        result = await (await start_replace(r, old, "50100.00", "0.02"))
        assert result.outcome is ReplaceOutcome.CANCEL_UNCONFIRMED and result.new is None
        assert "not confirmed" in story(r)[-1] and "not sent" in story(r)[-1]
        r.server.faults.clear()  # the cancel goes on being retried, and ends the old order: still nothing new
        await wait_until(lambda: r.session.blotter.get(old.order_id).state is OrderState.CANCELLED)
        await r.settled()
        assert len(account_orders(r)) == 1


@pytest.mark.parametrize(("api", "kind"), [("rest", FaultKind.DROP_RESPONSE), ("rest", FaultKind.DROP_REQUEST),
                                           ("ws", FaultKind.DROP_RESPONSE)])
async def test_lost_answer_on_the_place_leg_is_settled_by_client_order_id_never_resent(api, kind):
    async with rig(session_kwargs={"api": api}) as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        r.server.faults.arm(kind, path=PATHS[api][1])
        result = await (await start_replace(r, old, "50100.00", "0.02"))
        assert result.outcome is ReplaceOutcome.REPLACED and result.new is not None
        cid = result.new.client_order_id
        assert r.exchange_order(old.order_id)["is_cancelled"]
        expected = OrderState.LIVE if kind is FaultKind.DROP_RESPONSE else OrderState.REJECTED  # NotReceived
        await wait_until(lambda: r.session.blotter.by_client_order_id(cid).state is expected)
        await r.settled()
        assert r.placements(cid) == (1 if kind is FaultKind.DROP_RESPONSE else 0)  # never sent twice
        if result.new.state is OrderState.UNKNOWN:
            assert "no answer yet" in story(r)[-1] and "never re-sends" in story(r)[-1]


async def test_an_order_not_replaceable_sends_nothing():
    async with rig() as r:
        old = await r.place(Side.BUY, "50000.00", "0.02")
        await r.settled()
        await r.session.cancel(old.order_id)
        await r.settled()
        result = await (await start_replace(r, old, "50100.00", "0.02"))
        assert result.outcome is ReplaceOutcome.NOT_REPLACEABLE and "cancelled" in result.text
        assert len(account_orders(r)) == 1
