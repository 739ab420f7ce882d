"""Suite-wide fixtures: the user's own configuration and credentials never leak into a test."""

import os

import pytest

# The browser test needs Chromium and is slow: only `make browser-test` (which sets this variable) collects it.
collect_ignore = [] if os.environ.get("TRADING_CONSOLE_BROWSER_TEST") else ["browser"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for name in ("GEMINI_API_KEY", "GEMINI_API_SECRET", "TRADING_CONSOLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
