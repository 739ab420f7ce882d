"""Desk configuration: file, environment and flags (flags win), validation, the documented sample."""

import tomllib
from decimal import Decimal

import pytest

from console.app.cli import UsageError, _parser, build_config, build_settings
from console.app.config import ConfigError, config_path, load_config, parse_set_flags, sample_config

FILE = """
theme = "monochrome"
bell = false
default_symbol = "ETHUSD"
symbols = ["btcusd", "ethusd"]

[guards]
price_band_pct = 3
max_notional = "50000"

[keymap]
"main.cancel_all" = "ctrl+k"
main.focus_ticket = "n"
"""


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config" / "trading-console" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(FILE)
    return path


def test_file_in_xdg_config_home_is_read(config_file, tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert config_path(environ) == config_file
    config = load_config({}, environ)
    assert config.source == config_file
    assert config.get("theme") == "monochrome" and config.get("bell") is False
    assert config.get("default_symbol") == "ethusd" and config.get("symbols") == ("btcusd", "ethusd")
    assert config.guards.price_band_pct == Decimal("3") and config.guards.max_notional == Decimal("50000")
    assert dict(config.keymap) == {"main.cancel_all": "ctrl+k", "main.focus_ticket": "n"}


def test_environment_beats_file_and_flags_beat_both(config_file, tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "TRADING_CONSOLE_THEME": "textual-light",
               "TRADING_CONSOLE_GUARDS_MAX_NOTIONAL": "7000", "TRADING_CONSOLE_BELL": "on"}
    config = load_config({}, environ)
    assert config.get("theme") == "textual-light" and config.guards.max_notional == Decimal("7000")
    assert config.get("bell") is True
    config = load_config(parse_set_flags(["guards.max_notional=9000", "theme=nord"]), environ)
    assert config.get("theme") == "nord" and config.guards.max_notional == Decimal("9000")
    assert config.guards.price_band_pct == Decimal("3")  # still from the file


def test_cli_flags_reach_the_settings(config_file, tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    args = _parser().parse_args(["--rest-url", "http://127.0.0.1:1", "--theme", "textual-light",
                                 "--set", "bell=true"])
    settings = build_settings(args, {**environ, "GEMINI_API_KEY": "account-x", "GEMINI_API_SECRET": "y"})
    assert settings.desk.get("theme") == "textual-light" and settings.desk.get("bell") is True
    assert settings.symbols == ("btcusd", "ethusd")  # from the file; --symbols would win


def test_errors_name_the_setting_and_the_source(tmp_path):
    with pytest.raises(ConfigError, match="environment: bell"):
        load_config({}, {"TRADING_CONSOLE_BELL": "loud", "XDG_CONFIG_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="unknown setting 'colour'"):
        load_config({"colour": "red"}, {"XDG_CONFIG_HOME": str(tmp_path)})
    bad = tmp_path / "bad.toml"
    bad.write_text("theme = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config({}, {}, bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config({}, {"TRADING_CONSOLE_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(UsageError, match="configuration"):
        build_config(_parser().parse_args(["--set", "guards.max_notional=abc"]), {"XDG_CONFIG_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="name=value"):
        parse_set_flags(["bell"])


def test_no_file_means_defaults(tmp_path):
    config = load_config({}, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert config.source is None and config.get("theme") == "textual-dark" and config.get("bell") is True
    assert config.guards.price_band_pct == Decimal("5")


def test_sample_config_documents_every_setting_and_parses_when_uncommented(tmp_path):
    sample = sample_config()
    from console.app.config import GUARD_DOCS, SCHEMA

    for name in SCHEMA:
        assert f"# {name.split('.')[-1]} = " in sample
    for name in GUARD_DOCS:
        assert f"# {name} = " in sample
    # Uncomment every setting that has a default, under its table, and check the whole file loads.
    text = []
    for line in sample.splitlines():
        if line.startswith("["):
            text.append(line.split("  #")[0])
        elif line.startswith("# ") and " = " in line and "unset" not in line and "binding id" not in line:
            text.append(line[2:])
    path = tmp_path / "c.toml"
    path.write_text("\n".join(text))
    tomllib.loads(path.read_text())
    config = load_config({}, {}, path)
    assert config.get("theme") == "textual-dark" and config.keymap == {"main.cancel_all": "ctrl+k"}
    assert config.guards.price_band_pct == Decimal("5") and config.get("bell") is True


def test_readme_shows_the_whole_config_file():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert sample_config() in readme


def test_per_symbol_maximum_quantity_from_file_environment_and_flags(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[guards.max_quantity]\nbtcusd = "3"\nethusd = 45\n\n[guards.hard_max_quantity]\nbtcusd = 9\n')
    config = load_config({}, {}, path)
    assert config.guards.max_quantity["btcusd"] == Decimal("3")
    assert config.guards.max_quantity["ethusd"] == Decimal("45")
    assert config.guards.hard_max_quantity["btcusd"] == Decimal("9")
    environ = {"TRADING_CONSOLE_GUARDS_MAX_QUANTITY_BTCUSD": "4",
               "TRADING_CONSOLE_GUARDS_HARD_MAX_QUANTITY_ETHUSD": "50"}
    config = load_config(parse_set_flags(["guards.max_quantity.ethusd=46"]), environ, path)
    assert config.guards.max_quantity["btcusd"] == Decimal("4")
    assert config.guards.max_quantity["ethusd"] == Decimal("46")
    assert config.guards.hard_max_quantity["ethusd"] == Decimal("50")
    with pytest.raises(ConfigError, match="guards.max_quantity.btcusd must be a positive decimal"):
        load_config({"guards.max_quantity.btcusd": "-1"}, {}, path)
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config({"guards.max_quantity": "1"}, {}, path)
