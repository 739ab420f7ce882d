"""`trading-console doctor` against the local exchange over loopback: a PASS/FAIL line per check."""

from __future__ import annotations

import socket

import pytest

from console.doctor import main
from console.exchange.accounts import DEMO_API_KEY, DEMO_API_SECRET, DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET
from tests.support.exchange_thread import ExchangeThread


@pytest.fixture(scope="module")
def running():
    with ExchangeThread(port=0, simulator=False, heartbeat_interval_s=60) as exchange:
        yield exchange


def lines(capsys):
    return {line[6:28].strip(): line[:4] for line in capsys.readouterr().out.splitlines() if line[:4] in
            ("PASS", "FAIL", "INFO")}


def env(tmp_path, key, secret):
    return {"GEMINI_API_KEY": key, "GEMINI_API_SECRET": secret, "XDG_CONFIG_HOME": str(tmp_path)}


def test_every_check_passes_with_the_demo_trader_key(running, tmp_path, capsys):
    code = main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    result = lines(capsys)
    assert code == 0
    assert result == {"config": "PASS", "keyring": "INFO", "credentials": "PASS", "key format": "PASS",
                      "REST reachable": "PASS", "clock skew": "PASS", "read access": "PASS",
                      "Trader role": "PASS", "WebSocket": "PASS"}


def test_auditor_key_reads_but_cannot_trade(running, tmp_path, capsys):
    code = main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET))
    result = lines(capsys)
    assert code == 1 and result["read access"] == "PASS" and result["Trader role"] == "FAIL"
    assert result["WebSocket"] == "PASS"


def test_wrong_secret_and_bad_config_fail(running, tmp_path, capsys):
    (tmp_path / "trading-console").mkdir()
    (tmp_path / "trading-console" / "config.toml").write_text("bell = 'loud'\n")
    code = main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_API_KEY, "wrong-secret"))
    result = lines(capsys)
    assert code == 1 and result["config"] == "FAIL" and result["REST reachable"] == "PASS"
    assert result["read access"] == "FAIL" and result["WebSocket"] == "FAIL"


def test_unreachable_exchange(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["--rest-url", f"http://127.0.0.1:{port}"], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    result = lines(capsys)
    assert code == 1 and result["REST reachable"] == "FAIL" and result["WebSocket"] == "FAIL"
