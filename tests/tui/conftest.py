"""Fixtures for the screen tests: a local exchange in its own thread, and the console wired to it."""

from __future__ import annotations

import pytest

from tests.support.console_app import make_app
from tests.support.exchange_thread import ExchangeThread
from tests.support.scenarios import SNAPSHOT_EXCHANGE_KWARGS


@pytest.fixture
def exchange():
    """A local exchange on a free loopback port with the market maker's book standing still."""
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=0.5) as running:
        yield running


@pytest.fixture
def snapshot_exchange():
    """The same with a fixed clock, so trade times never change (the pictures' header shows a fixed URL whatever
    port this exchange gets: ``tests.support.console_app.snapshot_app``)."""
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=60,
                        **SNAPSHOT_EXCHANGE_KWARGS) as running:
        yield running


@pytest.fixture
def console_app(exchange):
    return make_app(exchange.server.rest_url, exchange.server.ws_url)
