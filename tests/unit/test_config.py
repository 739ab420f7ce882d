"""Desk configuration: file, environment and flags (flags win), validation, the documented sample."""

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from console.app.cli import UsageError, _parser, build_config, build_settings
from console.app.config import (
    ConfigError,
    CredentialsConfig,
    DeskConfig,
    GuardsConfig,
    RoxomConfig,
    TicketConfig,
    config_path,
    load_config,
    parse_set_flags,
    sample_config,
    setting_names,
)
from console.domain.guards import GuardLimits

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
    assert config.theme == "monochrome" and config.bell is False
    assert config.default_symbol == "ethusd" and config.symbols == ("btcusd", "ethusd")
    assert config.guards.price_band_pct == Decimal("3") and config.guards.max_notional == Decimal("50000")
    assert dict(config.keymap) == {"main.cancel_all": "ctrl+k", "main.focus_ticket": "n"}


def test_environment_beats_file_and_flags_beat_both(config_file, tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "TRADING_CONSOLE_THEME": "textual-light",
               "TRADING_CONSOLE_GUARDS_MAX_NOTIONAL": "7000", "TRADING_CONSOLE_BELL": "on"}
    config = load_config({}, environ)
    assert config.theme == "textual-light" and config.guards.max_notional == Decimal("7000")
    assert config.bell is True
    config = load_config(parse_set_flags(["guards.max_notional=9000", "theme=nord"]), environ)
    assert config.theme == "nord" and config.guards.max_notional == Decimal("9000")
    assert config.guards.price_band_pct == Decimal("3")  # still from the file


def test_cli_flags_reach_the_settings(config_file, tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    args = _parser().parse_args(["--rest-url", "http://127.0.0.1:1", "--theme", "textual-light",
                                 "--set", "bell=true"])
    settings = build_settings(args, {**environ, "GEMINI_API_KEY": "account-x", "GEMINI_API_SECRET": "y"})
    assert settings.desk.theme == "textual-light" and settings.desk.bell is True
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
    assert config.source is None and config.theme == "textual-dark" and config.bell is True
    assert config.guards.price_band_pct == Decimal("5")


def test_sample_config_documents_every_setting_and_parses_when_uncommented(tmp_path):
    sample = sample_config()
    for name in setting_names():
        if not name.endswith(".*"):
            assert f"# {name.split('.')[-1]} = " in sample
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
    assert config.theme == "textual-dark" and config.keymap == {"main.cancel_all": "ctrl+k"}
    assert config.guards.price_band_pct == Decimal("5") and config.bell is True


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


def test_a_bad_value_in_the_file_names_the_file_and_the_setting(tmp_path):
    path = tmp_path / "c.toml"
    for text, setting in [('bell = "loud"\n', "bell must be true or false"),
                          ('[guards]\nmax_notional = "lots"\n', "guards.max_notional must be a decimal number"),
                          ("[guards]\nduplicate_window_ms = -1\n", "guards.duplicate_window_ms must be >= 0"),
                          ("[guards.hard_max_quantity]\nethusd = 0\n", "guards.hard_max_quantity.ethusd must be a "
                                                                       "positive decimal"),
                          ('[credentials]\nsecret = "x"\n', "unknown setting 'credentials.secret'")]:
        path.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_config({}, {}, path)
        assert str(caught.value).startswith(f"{path}: {setting}")
    # The source named is the one whose value won: the same bad value from a flag names the command line.
    path.write_text("[guards]\nmax_notional = 5\n")
    with pytest.raises(ConfigError, match="^command line: guards.max_notional must be a decimal number"):
        load_config({"guards.max_notional": "lots"}, {}, path)


def test_settings_are_typed_attributes_and_money_stays_decimal(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('journal_path = "~/j.sqlite3"\ncancel_on_exit = "auto"\n\n[credentials]\napi_key = "k"\n'
                    'secret_file = "~/secret"\n\n[guards]\nmax_notional = 0.1\nhard_max_notional = 1e3\n'
                    "hard_price_band_pct = false\n")
    config = load_config({}, {"TRADING_CONSOLE_CREDENTIALS_KEYRING": "yes"}, path)
    assert config.journal_path == Path("~/j.sqlite3").expanduser() and config.cancel_on_exit is None
    assert config.credentials.api_key == "k" and config.credentials.secret_file == Path("~/secret").expanduser()
    assert config.credentials.keyring is True
    limits = config.guards.limits()
    assert limits == GuardLimits(max_notional=Decimal("0.1"), hard_max_notional=Decimal("1000"),
                                 hard_price_band_pct=None)
    assert type(limits.max_notional) is Decimal and str(limits.max_notional) == "0.1"
    with pytest.raises(ValidationError):
        config.bell = False  # built once and passed down: frozen


def test_defaults_do_not_read_the_environment_and_unknown_variables_are_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADING_CONSOLE_THEME", "nord")
    assert DeskConfig().theme == "textual-dark" and DeskConfig().guards.limits() == GuardLimits()
    config = load_config({}, {"XDG_CONFIG_HOME": str(tmp_path), "TRADING_CONSOLE_GUARDS_NOSUCH": "1",
                              "TRADING_CONSOLE_NOSUCH": "1", "TRADING_CONSOLE_SYMBOLS": "BTCUSD, solusd",
                              "TRADING_CONSOLE_GUARDS": "not json", "TRADING_CONSOLE_KEYMAP": '{"main.quit": "x"}',
                              "TRADING_CONSOLE_KEYMAP_MAIN_QUIT": "x"})
    assert config.symbols == ("btcusd", "solusd") and config.guards == DeskConfig().guards and config.keymap == {}


def test_every_setting_is_documented_in_its_model():
    sample = sample_config()
    for name in setting_names():
        assert name.split(".")[0] in {"credentials", "guards", "keymap", "roxom", "ticket"} or f"# {name} = " in sample
    for model in (DeskConfig, CredentialsConfig, GuardsConfig, RoxomConfig, TicketConfig):
        for name, field in model.model_fields.items():
            assert field.description or name == "guards", f"{model.__name__}.{name} has no docstring"
