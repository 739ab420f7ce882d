"""The main screen over ``--api ws``: the header names the WebSocket API and its cancel-on-disconnect."""

from __future__ import annotations

from console.app.config import load_config
from console.exchange.keys import DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from tests.support import scenarios
from tests.support.console_app import snapshot_app


def test_main_screen_over_the_ws_api(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    desk = load_config({"toasts": "false", "bell": "false", "api": "ws", "cancel_on_disconnect": "true"}, environ={})
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url, desk=desk,
                       api_key=DEMO_WS_API_KEY, api_secret=DEMO_WS_API_SECRET,
                       ws_api_url=snapshot_exchange.server.ws_api_url)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.main_screen)
