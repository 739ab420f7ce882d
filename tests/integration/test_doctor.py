"""`trading-console doctor` against the local exchange over loopback: a PASS/FAIL line per check."""

from __future__ import annotations

import socket

import pytest

from console.app.config import load_config
from console.app.doctor import check_credentials, main
from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
    DEMO_WS_API_KEY,
    DEMO_WS_API_SECRET,
)
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
                      "order API": "INFO", "Trader role": "PASS", "WebSocket": "PASS"}


def test_a_nonce_kind_mismatch_is_named_from_the_invalid_nonce_text(running, tmp_path, capsys):
    # The time-based demo key signed with a counter (ms) nonce: Gemini says "not within 30 seconds".
    code = main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_WS_API_KEY, DEMO_WS_API_SECRET))
    out = capsys.readouterr().out
    assert code == 1 and "FAIL  nonce kind" in out and "time_based_nonce = true" in out
    # Told so, it passes and says which API it can use.
    code = main(["--rest-url", running.server.rest_url, "--set", "time_based_nonce=true"],
                env(tmp_path, DEMO_WS_API_KEY, DEMO_WS_API_SECRET))
    out = capsys.readouterr().out
    assert "PASS  read access" in out and "INFO  order API" in out and "--api ws" in out
    # A counter key signed with seconds: "has not increased" (its last nonce, in ms, is far above).
    main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    capsys.readouterr()
    code = main(["--rest-url", running.server.rest_url, "--set", "time_based_nonce=true"],
                env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    out = capsys.readouterr().out
    assert code == 1 and "FAIL  nonce kind" in out and "counter nonce" in out


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


@pytest.mark.parametrize(("key", "says"), [
    ("account-abc", "key …bc: has 3 letters/digits after 'account-'; Gemini's key ids have at least 8"),
    ("account-AbCdEf-Gh1234523", "key account-…4523: has '-' at character 15: after 'account-' a key id has "
                                 "only letters and digits"),
    ("account-AbCd EfGh1234523", "has ' ' at character 13"),
    ("Account-AbCdEfGh1234523", "starts with 'Account-': Gemini's prefix is lowercase 'account-'"),
    ("AbCdEfGh1234523xyz", "does not start with 'account-' or 'master-'"),
])
def test_key_format_says_what_is_wrong_with_the_key(key, says):
    checks, _ = check_credentials({"GEMINI_API_KEY": key, "GEMINI_API_SECRET": "s3cret"}, load_config({}, {}))
    (fmt,) = [c for c in checks if c.name == "key format"]
    assert fmt.ok is False and says in fmt.detail and "is not account-" not in fmt.detail
    assert key.strip() not in fmt.detail  # masked


def test_key_format_passes_gemini_shaped_keys():
    for key in ("account-AbCdEfGh12345678", "master-AbCdEfGh12345678"):
        checks, _ = check_credentials({"GEMINI_API_KEY": key, "GEMINI_API_SECRET": "s3cret"}, load_config({}, {}))
        assert [c.ok for c in checks if c.name == "key format"] == [True]


def test_unreachable_exchange_names_the_cause(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    main(["--rest-url", f"http://127.0.0.1:{port}"], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    out = capsys.readouterr().out
    (rest,) = [line for line in out.splitlines() if "REST reachable" in line]
    (ws,) = [line for line in out.splitlines() if "WebSocket" in line]
    assert rest.endswith(f"http://127.0.0.1:{port}: ConnectError: Connection refused")
    assert "Connection refused" in ws


def test_an_unknown_host_is_named_as_a_name_lookup_failure(tmp_path, capsys):
    # .invalid never resolves (RFC 6761): what a trader without DNS (or with a typo) sees
    main(["--rest-url", "http://exchange.invalid"], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    out = capsys.readouterr().out
    (rest,) = [line for line in out.splitlines() if "REST reachable" in line]
    assert "ConnectError:" in rest and "exchange.invalid" in rest
    assert rest.split("ConnectError: ", 1)[1] not in ("", "ConnectError")  # the resolver's words, not only a class


def test_over_ssh_it_suggests_the_low_bandwidth_mode(running, tmp_path, capsys):
    ssh = {**env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET), "SSH_CONNECTION": "203.0.113.7 50022 10.0.0.5 22"}
    assert main(["--rest-url", running.server.rest_url], ssh) == 0
    out = capsys.readouterr().out
    assert "INFO  SSH" in out and "--low-bandwidth" in out
    assert main(["--rest-url", running.server.rest_url, "--low-bandwidth"], ssh) == 0
    assert "low-bandwidth mode is on" in capsys.readouterr().out
    main(["--rest-url", running.server.rest_url], env(tmp_path, DEMO_API_KEY, DEMO_API_SECRET))
    assert "SSH" not in capsys.readouterr().out  # not over SSH: no hint
