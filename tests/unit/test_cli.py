"""Command line: which venue a run trades on, and what it refuses."""

import pytest

from console.app.cli import UsageError, _parser, build_settings
from console.app.settings import Environment
from console.venues.gemini.urls import PRODUCTION, SANDBOX

KEYS = {"GEMINI_API_KEY": "account-abcdefghijklmnop1234", "GEMINI_API_SECRET": "s3cret-value"}


def settings(*argv, environ=KEYS):
    return build_settings(_parser().parse_args(list(argv)), environ)


def test_no_venue_means_the_embedded_local_exchange():
    assert settings(environ={}) is None


def test_sandbox_uses_sandbox_urls_and_environment_keys():
    s = settings("--sandbox")
    assert (s.environment, s.rest_url, s.ws_url) == (Environment.SANDBOX, SANDBOX.rest, SANDBOX.ws)
    assert s.credentials.api_key == KEYS["GEMINI_API_KEY"]
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.credentials)


def test_production_needs_its_flag():
    with pytest.raises(UsageError, match="--production"):
        settings("--rest-url", PRODUCTION.rest)
    s = settings("--production")
    assert s.environment is Environment.PRODUCTION and s.rest_url == PRODUCTION.rest


def test_real_venue_without_keys_is_refused():
    with pytest.raises(UsageError, match="GEMINI_API_KEY"):
        settings("--sandbox", environ={})
    with pytest.raises(UsageError):
        settings("--sandbox", environ={"GEMINI_API_KEY": "account-x"})


def test_custom_rest_url_derives_ws_url():
    s = settings("--rest-url", "http://127.0.0.1:8787/", "--symbols", "BTCUSD, solusd")
    assert (s.environment, s.rest_url, s.ws_url) == (Environment.LOCAL, "http://127.0.0.1:8787", "ws://127.0.0.1:8787")
    assert s.symbols == ("btcusd", "solusd")
    with pytest.raises(UsageError):
        settings("--rest-url", "ftp://example")


def test_sub_accounts_for_master_keys():
    s = settings("--sandbox", "--accounts", "primary, desk-b,", environ={**KEYS, "GEMINI_API_KEY": "master-abc"})
    assert s.sub_accounts == ("primary", "desk-b")
    assert settings("--sandbox").sub_accounts == ()


def test_low_bandwidth_flag_and_setting():
    from console.app.cli import _parser, build_config

    assert build_config(_parser().parse_args(["--low-bandwidth"]), {"XDG_CONFIG_HOME": "/nonexistent"}).low_bandwidth
    assert not build_config(_parser().parse_args([]), {"XDG_CONFIG_HOME": "/nonexistent"}).low_bandwidth
    via_set = _parser().parse_args(["--set", "low_bandwidth=true"])
    assert build_config(via_set, {"XDG_CONFIG_HOME": "/nonexistent"}).low_bandwidth
