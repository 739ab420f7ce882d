"""The order-event tap converts an event only for an observer that wants it (issue 15's benchmark: the latency
figure's observer cost a conversion per event of every order on a busy account)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from console.domain.latency import LatencyTracker
from console.venues.gemini.models import OrderEventWire
from console.venues.gemini.order_events import OrderEventBatch
from console.venues.gemini.tap import TappedOrderEvents, latency_observer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gemini"


def event(name: str, **changes: Any) -> OrderEventWire:
    return OrderEventWire.model_validate(json.loads((FIXTURES / name).read_text())[0] | changes)


class _Connection:
    """An order-events connection that hands out the given messages."""

    def __init__(self, messages: list[Any]) -> None:
        self._messages = list(messages)

    async def recv(self) -> Any:
        return self._messages.pop(0)

    async def close(self) -> None:
        pass


class _Client:
    def __init__(self, messages: list[Any]) -> None:
        self._messages = messages

    async def connect(self) -> _Connection:
        return _Connection(self._messages)


def _received(observers: list[Any], batch: OrderEventBatch) -> Any:
    async def run() -> Any:
        tapped = TappedOrderEvents(_Client([batch]), observers)  # type: ignore[arg-type]
        async with tapped.connect() as connection:
            return await connection.recv()

    return asyncio.run(run())


@pytest.fixture
def dumps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The order ids of the events converted to dicts."""
    converted: list[str] = []
    original = OrderEventWire.model_dump

    def model_dump(self: OrderEventWire, **kwargs: Any) -> dict[str, Any]:
        converted.append(self.order_id)
        return original(self, **kwargs)

    monkeypatch.setattr(OrderEventWire, "model_dump", model_dump)
    return converted


def test_the_latency_observer_costs_no_conversion_for_orders_it_does_not_time(dumps: list[str]) -> None:
    tracker = LatencyTracker()
    batch = OrderEventBatch([event("ws_accepted.json", order_id=str(n), client_order_id=f"other-{n}")
                             for n in range(50)], socket_sequence=1)
    assert _received([latency_observer(tracker, lambda: 0)], batch) is batch  # the session still gets it
    assert dumps == []
    assert tracker.status_text() == ""


def test_the_latency_observer_still_times_its_own_order_from_the_stream(dumps: list[str]) -> None:
    now = [1_000]
    tracker = LatencyTracker()
    observe = latency_observer(tracker, lambda: now[0])
    observe("request", "/v1/order/new", {"payload": {"client_order_id": "mine"}})
    now[0] = 1_012
    batch = OrderEventBatch([event("ws_accepted.json", order_id="1", client_order_id="other"),
                             event("ws_accepted.json", order_id="2", client_order_id="mine")], socket_sequence=1)
    _received([observe], batch)
    assert dumps == ["2"]
    assert tracker.for_order("2").ack_ms == 12 and tracker.for_order("mine").ack_ms == 12


def test_an_observer_without_interest_is_told_of_every_event_once(dumps: list[str]) -> None:
    seen: list[tuple[str, str, str]] = []
    tracker = LatencyTracker()
    batch = OrderEventBatch([event("ws_accepted.json", order_id=str(n)) for n in range(3)], socket_sequence=7)
    _received([lambda d, p, data: seen.append((d, p, data["order_id"])), latency_observer(tracker, lambda: 0)],
              batch)
    assert seen == [("event", "/v1/order/events", str(n)) for n in range(3)]
    assert dumps == ["0", "1", "2"]  # one conversion per event, shared by the observers told


def test_the_ws_api_venue_converts_an_order_update_only_for_an_observer_that_wants_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Gemini's WebSocket API venue gates its observers the same way: other orders' updates cost no conversion."""
    from console.venues.gemini.credentials import Credentials
    from console.venues.gemini.models.ws_api import OrderUpdate
    from console.venues.gemini.ws_venue import GeminiWsVenue

    converted: list[int] = []
    original = OrderUpdate.model_dump

    def model_dump(self: OrderUpdate, **kwargs: Any) -> dict[str, Any]:
        converted.append(self.order_id)
        return original(self, **kwargs)

    monkeypatch.setattr(OrderUpdate, "model_dump", model_dump)
    now = [1_000]
    tracker = LatencyTracker()
    observe = latency_observer(tracker, lambda: now[0])
    venue = GeminiWsVenue(None, "ws://127.0.0.1:1/ws", Credentials("account-test", "secret"),  # type: ignore[arg-type]
                          observers=[observe])
    observe("request", "/ws:order.place", {"payload": {"client_order_id": "mine"}})
    now[0] = 1_007
    sample = json.loads((FIXTURES / "ws_api" / "order_update_new.json").read_text())

    async def run() -> None:
        for n, client_order_id in enumerate(("other-1", "other-2", "mine")):
            await venue.events_from_update(OrderUpdate.model_validate(sample | {"i": 100 + n, "c": client_order_id}))

    asyncio.run(run())
    assert converted == [102]  # only the timed order's acknowledgement was converted for the latency observer
    assert tracker.for_order("mine").ack_ms == 7
