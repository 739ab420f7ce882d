"""The local exchange's order events WebSocket over real loopback sockets, and the exchange as a child process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, FUND_MANAGER
from console.exchange.process import LocalExchangeProcess
from console.exchange.server.app import ExchangeServer
from tests.integration.conftest import WAIT_S, PrivateClient, Signer

EVENTS_PATH = "/v1/order/events"
SECOND_KEY = "account-SecondTraderKey00001"
SECOND_SECRET = "second-trader-secret"


async def open_events(
    exchange: ExchangeServer, query: str = "heartbeat=false", signer: Signer | None = None
) -> ClientConnection:
    """Open an order events socket for ``signer`` (the demo Trader key by default); heartbeats off by default."""
    signer = signer or Signer(DEMO_API_KEY, DEMO_API_SECRET)
    url = f"{exchange.ws_url}{EVENTS_PATH}" + (f"?{query}" if query else "")
    return await asyncio.wait_for(connect(url, additional_headers=signer.headers(EVENTS_PATH)), WAIT_S)


async def receive(ws: ClientConnection) -> Any:
    """The next message, decoded; fails after WAIT_S seconds."""
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))


async def subscribe(exchange: ExchangeServer, query: str = "heartbeat=false", signer: Signer | None = None):
    """Open a socket and consume its subscription_ack; return ``(ws, ack)``."""
    ws = await open_events(exchange, query, signer)
    ack = await receive(ws)
    assert ack["type"] == "subscription_ack"
    return ws, ack


def types(message: list[dict]) -> list[str]:
    return [event["type"] for event in message]


async def place(
    client: PrivateClient, side: str, amount: str, price: str, symbol: str = "btcusd", **extra: Any
) -> dict:
    return await client.ok(
        "/v1/order/new", symbol=symbol, amount=amount, price=price, side=side, type="exchange limit", **extra
    )


async def test_handshake_with_bad_signature_is_an_http_error(exchange: ExchangeServer) -> None:
    signer = Signer(DEMO_API_KEY, "wrong-secret")
    with pytest.raises(InvalidStatus) as caught:
        await open_events(exchange, signer=signer)
    assert caught.value.response.status_code == 400
    assert json.loads(caught.value.response.body) == {
        "result": "error",
        "reason": "InvalidSignature",
        "message": "InvalidSignature",  # Gemini's sandbox: the message is the reason
    }


async def test_handshake_without_a_role_for_events_is_403(exchange: ExchangeServer) -> None:
    exchange.add_api_key("account-FundManagerKey000001", "fm-secret", roles=[FUND_MANAGER])
    with pytest.raises(InvalidStatus) as caught:
        await open_events(exchange, signer=Signer("account-FundManagerKey000001", "fm-secret"))
    assert caught.value.response.status_code == 403
    assert json.loads(caught.value.response.body)["reason"] == "MissingRole"


async def test_handshake_request_must_name_the_path_without_query(exchange: ExchangeServer) -> None:
    signer = Signer(DEMO_API_KEY, DEMO_API_SECRET)
    url = f"{exchange.ws_url}{EVENTS_PATH}?symbolFilter=btcusd"
    with pytest.raises(InvalidStatus) as caught:
        headers = signer.headers(f"{EVENTS_PATH}?symbolFilter=btcusd")
        await asyncio.wait_for(connect(url, additional_headers=headers), WAIT_S)
    assert json.loads(caught.value.response.body)["reason"] == "EndpointMismatch"
    # Signed with the bare path, the same URL with its query string is accepted.
    ws = await asyncio.wait_for(connect(url, additional_headers=signer.headers(EVENTS_PATH)), WAIT_S)
    assert (await receive(ws))["type"] == "subscription_ack"
    await ws.close()


async def test_subscription_ack_echoes_parsed_filters(exchange: ExchangeServer) -> None:
    ws, ack = await subscribe(
        exchange,
        "symbolFilter=BTCUSD&symbolFilter=ethusd&apiSessionFilter=UI&eventTypeFilter=fill&eventTypeFilter=closed"
        "&heartbeat=false",
    )
    assert set(ack) == {"type", "accountId", "subscriptionId", "symbolFilter", "apiSessionFilter", "eventTypeFilter"}
    assert ack["accountId"] == exchange.demo_account_id
    assert re.fullmatch(rf"ws-order-events-{exchange.demo_account_id}-[0-9a-v]{{20}}", ack["subscriptionId"])
    assert ack["symbolFilter"] == ["btcusd", "ethusd"]
    assert ack["apiSessionFilter"] == ["UI"]
    assert ack["eventTypeFilter"] == ["fill", "closed"]
    await ws.close()


async def test_initial_snapshot_lists_active_orders(exchange: ExchangeServer, trader: PrivateClient) -> None:
    first = await place(trader, "buy", "0.01", "50000.00", client_order_id="a")
    second = await place(trader, "sell", "1", "3500.00", symbol="ethusd")
    ws, _ack = await subscribe(exchange)
    initial = await receive(ws)
    assert types(initial) == ["initial", "initial"]
    assert [e["order_id"] for e in initial] == [first["order_id"], second["order_id"]]
    assert all(e["socket_sequence"] == 0 for e in initial)
    event = initial[0]
    assert "event_id" not in event
    assert event["api_session"] == DEMO_API_KEY
    assert event["client_order_id"] == "a"
    assert (event["symbol"], event["side"], event["order_type"], event["price"]) == (
        "btcusd",
        "buy",
        "exchange limit",
        "50000.00",
    )
    assert (event["is_live"], event["is_cancelled"], event["remaining_amount"]) == (True, False, "0.01")
    await ws.close()


async def test_no_initial_message_without_active_orders(exchange: ExchangeServer) -> None:
    ws, _ack = await subscribe(exchange, "heartbeat=true")
    first = await receive(ws)  # CHOICE (server.SEND_EMPTY_INITIAL): no empty [] snapshot, the heartbeat comes first
    assert first["type"] == "heartbeat" and first["socket_sequence"] == 0
    await ws.close()


async def test_resting_order_then_crossing_order_lifecycle(
    exchange: ExchangeServer, trader: PrivateClient, maker: PrivateClient
) -> None:
    ws, _ack = await subscribe(exchange)
    order = await place(trader, "buy", "0.5", "64000.00", client_order_id="life-1")

    booked = await receive(ws)
    assert types(booked) == ["accepted", "booked"]
    assert {e["socket_sequence"] for e in booked} == {0}
    assert all(e["order_id"] == order["order_id"] and e["client_order_id"] == "life-1" for e in booked)
    assert all(re.fullmatch(r"\d+", e["event_id"]) for e in booked)
    assert booked[1]["is_live"] is True

    await place(maker, "sell", "0.2", "64000.00")  # partial fill of the resting order
    partial = await receive(ws)
    assert types(partial) == ["fill"] and partial[0]["socket_sequence"] == 1
    fill = partial[0]["fill"]
    assert set(fill) == {"trade_id", "liquidity", "price", "amount", "fee", "fee_currency"}
    assert (fill["liquidity"], fill["price"], fill["amount"]) == ("Maker", "64000.00", "0.2")
    assert fill["fee_currency"] == "USD"
    assert (partial[0]["executed_amount"], partial[0]["remaining_amount"]) == ("0.2", "0.3")

    await place(maker, "sell", "0.3", "64000.00")
    done = await receive(ws)
    assert types(done) == ["fill", "closed"]
    assert {e["socket_sequence"] for e in done} == {2}
    assert (done[1]["is_live"], done[1]["remaining_amount"], done[1]["executed_amount"]) == (False, "0", "0.5")

    # The taker side: an order that crosses at once gets accepted → fill → closed, never booked.
    await place(maker, "buy", "0.1", "64000.00")
    taker = await place(trader, "sell", "0.1", "64000.00")
    crossed = await receive(ws)
    assert types(crossed) == ["accepted", "fill", "closed"]
    assert crossed[1]["fill"]["liquidity"] == "Taker" and crossed[0]["order_id"] == taker["order_id"]
    assert {e["socket_sequence"] for e in crossed} == {3}
    await ws.close()


async def test_cancel_gives_cancelled_then_closed(exchange: ExchangeServer, trader: PrivateClient) -> None:
    ws, _ack = await subscribe(exchange)
    order = await place(trader, "sell", "1", "70000.00")
    assert types(await receive(ws)) == ["accepted", "booked"]
    await trader.ok("/v1/order/cancel", order_id=int(order["order_id"]))
    cancelled = await receive(ws)
    assert types(cancelled) == ["cancelled", "closed"]
    assert cancelled[0]["reason"] == "Requested" and cancelled[0]["is_cancelled"] is True
    assert {e["socket_sequence"] for e in cancelled} == {1}
    await ws.close()


async def test_rejected_order_event(exchange: ExchangeServer, trader: PrivateClient) -> None:
    ws, _ack = await subscribe(exchange)
    response = await trader.post(
        "/v1/order/new", symbol="btcusd", amount="1000", price="64000.00", side="buy", type="exchange limit"
    )
    assert response.status_code == 406
    [rejected] = await receive(ws)
    assert (rejected["type"], rejected["reason"], rejected["socket_sequence"]) == ("rejected", "InsufficientFunds", 0)
    await ws.close()


async def test_symbol_filter(exchange: ExchangeServer, trader: PrivateClient) -> None:
    await place(trader, "buy", "0.01", "50000.00")  # btcusd: not in the snapshot either
    ws, _ack = await subscribe(exchange, "symbolFilter=ETHUSD&heartbeat=false")
    await place(trader, "buy", "0.01", "50001.00")
    eth = await place(trader, "buy", "1", "3000.00", symbol="ethusd")
    message = await receive(ws)
    assert types(message) == ["accepted", "booked"]
    assert {e["order_id"] for e in message} == {eth["order_id"]}
    assert message[0]["socket_sequence"] == 0  # filtered-out batches are not messages and use no sequence number
    await ws.close()


async def test_event_type_filter_without_initial(
    exchange: ExchangeServer, trader: PrivateClient, maker: PrivateClient
) -> None:
    resting = await place(trader, "buy", "0.5", "64000.00")
    ws, ack = await subscribe(exchange, "eventTypeFilter=fill&eventTypeFilter=Closed&heartbeat=false")
    assert ack["eventTypeFilter"] == ["fill", "closed"]
    await place(trader, "buy", "0.01", "50000.00")  # accepted + booked: filtered out entirely
    await place(maker, "sell", "0.5", "64000.00")
    message = await receive(ws)  # no initial array came first: "initial" was not whitelisted
    assert types(message) == ["fill", "closed"]
    assert {e["order_id"] for e in message} == {resting["order_id"]}
    assert message[0]["socket_sequence"] == 0
    await ws.close()


async def test_event_type_filter_with_initial(exchange: ExchangeServer, trader: PrivateClient) -> None:
    resting = await place(trader, "buy", "0.5", "60000.00")
    ws, _ack = await subscribe(exchange, "eventTypeFilter=initial&eventTypeFilter=cancelled&heartbeat=false")
    initial = await receive(ws)
    assert types(initial) == ["initial"] and initial[0]["order_id"] == resting["order_id"]
    await trader.ok("/v1/order/cancel", order_id=int(resting["order_id"]))
    assert types(await receive(ws)) == ["cancelled"]
    await ws.close()


async def test_api_session_filter(exchange: ExchangeServer, http: httpx.AsyncClient, trader: PrivateClient) -> None:
    exchange.add_api_key(SECOND_KEY, SECOND_SECRET)
    second = PrivateClient(http, Signer(SECOND_KEY, SECOND_SECRET))
    ws, _ack = await subscribe(exchange, f"apiSessionFilter={SECOND_KEY}&heartbeat=false")
    await place(trader, "buy", "0.01", "50000.00")
    theirs = await place(second, "buy", "0.01", "50001.00")
    message = await receive(ws)
    assert {(e["order_id"], e["api_session"]) for e in message} == {(theirs["order_id"], SECOND_KEY)}
    assert message[0]["socket_sequence"] == 0
    await ws.close()


async def test_other_accounts_events_are_not_delivered(
    exchange: ExchangeServer, trader: PrivateClient, maker: PrivateClient
) -> None:
    ws, _ack = await subscribe(exchange)
    await place(maker, "buy", "0.01", "50000.00")
    mine = await place(trader, "buy", "0.01", "49000.00")
    message = await receive(ws)
    assert {e["order_id"] for e in message} == {mine["order_id"]}
    await ws.close()


async def test_heartbeats_and_socket_sequence(exchange: ExchangeServer, trader: PrivateClient) -> None:
    await place(trader, "buy", "0.01", "50000.00")
    ws, ack = await subscribe(exchange, "")  # heartbeat defaults to true (server.HEARTBEAT_DEFAULT)
    trace_id = ack["subscriptionId"].rsplit("-", 1)[1]
    initial = await receive(ws)
    assert types(initial) == ["initial"] and initial[0]["socket_sequence"] == 0

    heartbeats = [await receive(ws) for _ in range(3)]
    for index, heartbeat in enumerate(heartbeats):
        assert set(heartbeat) == {"type", "timestampms", "sequence", "trace_id", "socket_sequence"}
        assert heartbeat["type"] == "heartbeat"
        assert heartbeat["sequence"] == index
        assert heartbeat["socket_sequence"] == index + 1
        assert heartbeat["trace_id"] == trace_id
        assert isinstance(heartbeat["timestampms"], int)

    await place(trader, "sell", "1", "70000.00")
    expected = 4
    while True:  # heartbeats may interleave; every message still advances socket_sequence by exactly 1
        message = await receive(ws)
        if isinstance(message, dict):
            assert message["type"] == "heartbeat" and message["socket_sequence"] == expected
        else:
            assert types(message) == ["accepted", "booked"]
            assert {e["socket_sequence"] for e in message} == {expected}
            break
        expected += 1
    await ws.close()


async def test_ping_is_answered(exchange: ExchangeServer) -> None:
    ws, _ack = await subscribe(exchange)
    pong = await ws.ping(b"are-you-there")
    latency = await asyncio.wait_for(pong, WAIT_S)
    assert latency >= 0
    await ws.close()


async def test_slow_client_is_closed_with_1011_and_engine_never_blocks() -> None:
    server = ExchangeServer(port=0, simulator=False, ws_queue_size=3)
    await server.start()
    try:
        ws, _ack = await subscribe(server)
        # Ten engine actions back to back without yielding to the loop: the socket's queue (3) overflows at once.
        for i in range(10):
            server.engine.place_order(
                server.demo_account_id,
                "UI",
                symbol="btcusd",
                side="buy",
                order_type="exchange limit",
                amount="0.001",
                price=f"{50000 + i}.00",
            )
        with pytest.raises(ConnectionClosed) as caught:
            while True:
                await asyncio.wait_for(ws.recv(), WAIT_S)
        assert caught.value.rcvd is not None and caught.value.rcvd.code == 1011
        assert server.engine.open_order_count(server.demo_account_id) == 10
    finally:
        await server.stop()


async def test_stop_closes_sockets_with_going_away(exchange: ExchangeServer) -> None:
    ws, _ack = await subscribe(exchange)
    await exchange.stop()
    with pytest.raises(ConnectionClosed) as caught:
        await asyncio.wait_for(ws.recv(), WAIT_S)
    assert caught.value.rcvd is not None and caught.value.rcvd.code == 1001


async def test_child_process_serves_rest_and_stops() -> None:
    exchange = LocalExchangeProcess()
    try:
        info = await asyncio.to_thread(exchange.start, simulator=False, timeout_s=15)
        assert info.api_key == DEMO_API_KEY
        assert info.api_secret.get_secret_value() == DEMO_API_SECRET
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", info.rest_url)
        assert info.ws_url == info.rest_url.replace("http://", "ws://")
        async with httpx.AsyncClient(base_url=info.rest_url, timeout=WAIT_S) as http:
            symbols = (await http.get("/v1/symbols")).json()
            assert "btcusd" in symbols
        log_path = exchange.log_path
        assert log_path is not None and log_path.exists()
    finally:
        await asyncio.to_thread(exchange.stop)
    assert exchange.info is None and exchange.pid is None
    assert not log_path.exists()
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(base_url=info.rest_url, timeout=WAIT_S) as http:
            await http.get("/v1/symbols")


def _run_cli_until_stdin_closes() -> tuple[dict, int, str]:
    """Start ``python -m console.exchange --ready-json --exit-with-stdin``, read its ready line, close its stdin."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.exchange", "--port", "0", "--no-simulator"]
        + ["--ready-json", "--exit-with-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GEMINI_API_SECRET")},
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None and proc.stderr is not None
        ready = json.loads(proc.stdout.readline())
        proc.stdin.close()  # what happens when the parent dies
        code = proc.wait(timeout=WAIT_S)
        return ready, code, proc.stderr.read().decode() + proc.stdout.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_cli_ready_line_and_exit_with_stdin() -> None:
    ready, code, rest_of_output = await asyncio.to_thread(_run_cli_until_stdin_closes)
    assert set(ready) == {"rest_url", "ws_url", "api_key", "ws_api_url", "ws_api_key"}
    assert ready["api_key"] == DEMO_API_KEY
    assert ready["ws_api_url"] == ready["ws_url"] + "/ws" and ready["ws_api_key"] == "account-LocalDemoTimeNonce01"
    assert code == 0
    assert "Order events:  ws://127.0.0.1:" in rest_of_output  # the human banner went to stderr
    assert DEMO_API_SECRET in rest_of_output  # the built-in demo secret is the only one ever printed


async def test_child_that_is_not_ready_in_time_is_reported_and_killed() -> None:
    exchange = LocalExchangeProcess()
    with pytest.raises(RuntimeError, match="did not start: no ready line within 0.001 s"):
        await asyncio.to_thread(exchange.start, simulator=False, timeout_s=0.001)
    assert exchange.pid is None and exchange.log_path is None


async def test_master_key_streams_every_sub_account_with_account_name(exchange: ExchangeServer) -> None:
    from console.exchange.keys import DEMO_MASTER_API_KEY, DEMO_MASTER_API_SECRET

    engine = exchange.engine
    engine.place_order(exchange.demo_account_id, "UI", symbol="btcusd", side="buy", order_type="exchange limit",
                       amount="0.01", price="1000.00")
    master = Signer(DEMO_MASTER_API_KEY, DEMO_MASTER_API_SECRET)
    ws, _ack = await subscribe(exchange, signer=master)
    try:
        initial = await receive(ws)
        assert types(initial) == ["initial"] and initial[0]["account_name"] == "primary"
        engine.place_order(exchange.secondary_account_id, "UI", symbol="btcusd", side="buy",
                           order_type="exchange limit", amount="0.01", price="1000.00")
        batch = await receive(ws)
        assert types(batch) == ["accepted", "booked"]
        assert {event["account_name"] for event in batch} == {"secondary"}
    finally:
        await ws.close()
    # Naming one sub-account narrows the stream to it.
    url = f"{exchange.ws_url}{EVENTS_PATH}?heartbeat=false"
    headers = master.headers_for(master.payload(EVENTS_PATH, account="secondary"))
    one = await asyncio.wait_for(connect(url, additional_headers=headers), WAIT_S)
    try:
        assert (await receive(one))["type"] == "subscription_ack"
        initial = await receive(one)
        assert [e["account_name"] for e in initial] == ["secondary"]
    finally:
        await one.close()
