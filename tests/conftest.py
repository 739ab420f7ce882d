"""Suite-wide fixtures: the user's own configuration and credentials never leak into a test."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for name in ("GEMINI_API_KEY", "GEMINI_API_SECRET", "TRADING_CONSOLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
