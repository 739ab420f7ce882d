"""SVG snapshot of a cancel-replace: the story line in the status pane, and the ticket in replace mode."""

from __future__ import annotations

from tests.support import scenarios
from tests.support.console_app import snapshot_app


def test_cancel_replace(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.cancel_replace)
