"""Regenerate screenshots/*.svg: each state reached through the real pipeline against the local exchange.

Run with ``make screenshots``. The pictures are the same scenarios the snapshot tests check, built the same way
(``snapshot_app``: the app factory's console, its header showing a fixed URL whatever free port the exchange got).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import account_scenarios, roxom_scenarios, scenarios  # noqa: E402
from tests.support.console_app import snapshot_app  # noqa: E402
from tests.support.exchange_thread import ExchangeThread  # noqa: E402

SHOTS = [
    # (file name, terminal size, seed resting orders first, scenario)
    ("main-screen.svg", (120, 36), True, scenarios.main_screen),
    ("main-screen-80x24.svg", (80, 24), True, scenarios.main_screen),
    ("ticket-validation-errors.svg", (120, 36), False, scenarios.ticket_errors),
    ("cancel-all-preview.svg", (120, 36), True, scenarios.cancel_all_confirmation),
    ("status-pane-reasons.svg", (120, 36), False, scenarios.status_reasons),
    ("ticket-and-ladder.svg", (120, 36), True, scenarios.ticket_and_ladder, [scenarios.seed_trades]),
    ("guard-confirmation.svg", (120, 36), False, scenarios.guard_confirmation),
    ("ticket-sell-stop.svg", (120, 36), False, scenarios.ticket_sell_stop, [scenarios.seed_trades]),
    ("help-screen-80x24.svg", (80, 24), False, scenarios.help_screen),
    ("watchlist.svg", (120, 36), False, scenarios.watchlist, [scenarios.seed_trades]),
    ("cancel-replace.svg", (120, 36), True, scenarios.cancel_replace),
    ("scoped-cancel.svg", (120, 36), True, scenarios.scoped_cancel_preview),
    ("flatten.svg", (120, 36), False, scenarios.flatten_confirmation),
]


ACCOUNT_SHOTS = [
    # (file name, key role, scenario): the account views at 80x24, same states as their snapshot tests
    ("order-history.svg", "trader", account_scenarios.history_view),
    ("fills.svg", "trader", account_scenarios.fills_view),
    ("balances.svg", "trader", account_scenarios.balances_view),
    ("fees-and-volume.svg", "trader", account_scenarios.fees_view),
    ("order-detail.svg", "trader", account_scenarios.order_detail_view),
    ("wrap.svg", "trader", account_scenarios.wrap_view),
    ("sub-account-switcher.svg", "master", account_scenarios.sub_account_switcher),
    ("read-only-auditor.svg", "auditor", account_scenarios.read_only),
    ("positions.svg", "trader", account_scenarios.positions_view),
]


def _run(app, size: tuple[int, int], scenario) -> str:
    out: dict[str, str] = {}

    async def auto_pilot(pilot) -> None:
        await scenario(pilot)
        await pilot.pause()
        out["svg"] = app.export_screenshot(title="Trading console")
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return out["svg"]


#: Roxom's screen: (file name, terminal size, scenario) against the local Roxom venue with a slow cancel.
ROXOM_SHOTS = [
    ("roxom-pending-cancel.svg", (120, 36), roxom_scenarios.order_cancelling),
]


def shoot_roxom(name: str, size: tuple[int, int], scenario) -> Path:
    with tempfile.TemporaryDirectory(prefix="screenshots-roxom-") as state, \
            roxom_scenarios.slow_cancel_roxom(Path(state)) as venue:
        svg = _run(roxom_scenarios.roxom_app(venue), size, scenario)
    path = ROOT / "screenshots" / name
    path.write_text(svg, encoding="utf-8")
    return path


def shoot_account(name: str, role: str, scenario) -> Path:
    with account_scenarios.account_exchange() as exchange:
        account_scenarios.seed_account_activity(exchange)
        svg = _run(account_scenarios.app_for(exchange, role), (80, 24), scenario)
    path = ROOT / "screenshots" / name
    path.write_text(svg, encoding="utf-8")
    return path


def shoot(name: str, size: tuple[int, int], seed_orders: bool, scenario, seeds=()) -> Path:
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=60,
                        **scenarios.SNAPSHOT_EXCHANGE_KWARGS) as exchange:
        if seed_orders:
            scenarios.seed_resting_orders(exchange)
        for seed in seeds:
            seed(exchange)
        svg = _run(snapshot_app(exchange.server.rest_url, exchange.server.ws_url), size, scenario)
    path = ROOT / "screenshots" / name
    path.write_text(svg, encoding="utf-8")
    return path


def main() -> int:
    (ROOT / "screenshots").mkdir(exist_ok=True)
    # The console keeps its journal and nonce high-water marks under $XDG_STATE_HOME: the screenshots' consoles
    # use a throw-away one, not the user's.
    with tempfile.TemporaryDirectory(prefix="screenshots-state-") as state:
        os.environ["XDG_STATE_HOME"] = state
        return _shoot_all()


def _shoot_all() -> int:
    for name, size, seed_orders, scenario, *extra in SHOTS:
        print(shoot(name, size, seed_orders, scenario, *extra).relative_to(ROOT))
    for name, role, scenario in ACCOUNT_SHOTS:
        print(shoot_account(name, role, scenario).relative_to(ROOT))
    for name, size, scenario in ROXOM_SHOTS:
        print(shoot_roxom(name, size, scenario).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
