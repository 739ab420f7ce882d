"""The Roxom screen's picture scenario, shared by the snapshot test (tests/tui/test_roxom_snapshot.py) and
``scripts/screenshots.py``: the local Roxom venue in a child process with no market maker, the test fixture's key
(so the header's key id is stable) and a cancel that never completes while the picture is taken."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from console.app.config import load_config
from console.app.settings import Environment, RoxomKey, Settings, Venue
from console.app.wiring import build_console
from console.domain.model import OrderState
from console.domain.ticket import ClientOrderIds
from console.exchange.process import LocalExchangeInfo
from console.tui.app import TradingConsoleApp
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.widgets.depth_ladder import OWN_MARK, DepthLadder
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import SHOWN_URL, fixed_clock, settle_balances, wait_for, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RoxomChild:
    """Where the child venue listens and its key."""

    rest_url: str
    ws_url: str
    api_key: str
    private_key_path: str


@contextmanager
def slow_cancel_roxom(state: Path) -> Iterator[RoxomChild]:
    """The local Roxom venue (``python -m console.exchange --venue roxom``) with the fixture key in ``state`` and a
    10-minute cancel latency: a cancelled order stays ``pendingcancel``."""
    state.mkdir(parents=True, exist_ok=True)
    key = state / "demo-private-key.pem"
    shutil.copyfile(ROOT / "tests" / "fixtures" / "roxom" / "test_private_key.pem", key)
    os.chmod(key, 0o600)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "console.exchange", "--venue", "roxom", "--port", "0", "--ready-json",
         "--exit-with-stdin", "--no-simulator", "--cancel-latency-ms", "600000", "--state-dir", str(state),
         "--log-level", "WARNING"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        yield RoxomChild(ready["rest_url"], ready["ws_url"], ready["api_key"], ready["private_key_path"])
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.terminate()
        process.wait(timeout=10)


def roxom_console(info: LocalExchangeInfo, id_prefix: str, *, symbols: tuple[str, ...] = ("gold-btc", "us500-btc"),
                  **desk: str) -> TradingConsoleApp:
    """The console on a local Roxom venue started by ``LocalExchangeProcess`` (Pilot tests): the app factory with a
    fixed clock, client order ids ``id_prefix-…``, no toasts or bell, and ``desk`` as extra settings."""
    assert info.private_key_path is not None
    settings = Settings(environment=Environment.LOCAL, rest_url=info.rest_url, ws_url=info.ws_url, credentials=None,
                        symbols=symbols, desk=load_config({"toasts": "false", "bell": "false", **desk}, environ={}),
                        venue=Venue.ROXOM, roxom_key=RoxomKey(info.api_key, Path(info.private_key_path)))
    return build_console(settings, clock_ms=fixed_clock(), client_order_ids=ClientOrderIds(id_prefix)).app


def roxom_app(venue: RoxomChild) -> TradingConsoleApp:
    """The console on ``venue`` through the app factory, with a fixed clock, ids and shown URL."""
    settings = Settings(environment=Environment.LOCAL, rest_url=venue.rest_url, ws_url=venue.ws_url, credentials=None,
                        symbols=("gold-btc", "us500-btc", "oil-btc"),
                        desk=load_config({"toasts": "false", "bell": "false", "journal": "false"},
                                         environ={"XDG_CONFIG_HOME": "/nonexistent"}),
                        venue=Venue.ROXOM, roxom_key=RoxomKey(venue.api_key, Path(venue.private_key_path)))
    return build_console(settings, clock_ms=fixed_clock(), client_order_ids=ClientOrderIds("snapshot"),
                         measure_latency=False, shown_url=SHOWN_URL).app


async def order_cancelling(pilot) -> None:  # type: ignore[no-untyped-def]
    """Place 1 GOLD-BTC at 0.025000 from the ticket, then cancel it with `x`: the row shows ``cancelling``."""
    app = pilot.app
    await wait_until_ready(pilot)
    await pilot.press("o", *"0.025000", "tab", *"1.00", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
    await pilot.press("y")
    table = app.screen.query_one(OrdersTable)
    await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.state is OrderState.LIVE,
                   what="the live row")
    await pilot.press("escape", "x")
    await wait_for(pilot, lambda: table.selected_order.state is OrderState.PENDING_CANCEL, what="cancelling")
    assert app.market is not None
    await wait_for(pilot, lambda: app.market.book.best_bid is not None, what="the order in the book")
    ladder = app.screen.query_one(DepthLadder)
    # The ladder marks the level of an own order once the table's orders reach it: wait for that too, or the
    # picture races the mark.
    await wait_for(pilot, lambda: any(row.startswith(OWN_MARK) for row in ladder.visible_rows()),
                   what="the own-order mark on the ladder")
    await settle_balances(pilot)  # the margin the order holds, as the venue says it
    await pilot.pause()
