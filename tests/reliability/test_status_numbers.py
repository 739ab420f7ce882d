"""Numbers in the status pane's texts follow console.domain.fmt: money at its currency's precision, grouped."""

from __future__ import annotations

import re
from decimal import Decimal

from console.domain.model import OrderState, Side
from tests.support.reliability import rig, wait_until


async def test_fill_text_rounds_the_fee_to_cents_and_shows_progress_without_trailing_zeros():
    """Issue 13: ``fee 11.22279025 USD`` and ``3.0 of 3 done``."""
    async with rig() as r:
        order = await r.place(Side.BUY, "50000.01", "0.01230")
        await wait_until(lambda: r.session.blotter.get(order.order_id).state is OrderState.LIVE)
        r.maker_order("sell", "50000.01", "0.01230")
        await wait_until(lambda: any(s.code == "Fill" for s in r.statuses), what="the fill's status entry")
        (fill,) = [s for s in r.statuses if s.code == "Fill"]
        mine = r.session.blotter.get(order.order_id)
        assert mine.fills[0].fee.as_tuple().exponent < -2  # the venue's fee carries more than cents
        assert re.search(r"fee \d+\.\d\d USD\)", fill.text), fill.text
        assert fill.text.endswith("; 0.0123 of 0.0123 done."), fill.text
        assert "@ 50,000.01" in fill.text and "BUY 0.0123 BTCUSD @ 50,000.01" in fill.subject
        assert mine.filled == Decimal("0.0123")
