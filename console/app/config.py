"""Desk configuration: flags, then ``TRADING_CONSOLE_*`` environment variables, then the TOML file (flags win).

The file is ``$TRADING_CONSOLE_CONFIG`` if set, else ``$XDG_CONFIG_HOME/trading-console/config.toml`` (``~/.config``
when ``XDG_CONFIG_HOME`` is unset). Every setting has a dotted name (``guards.max_notional``); the environment
variable is that name upper-cased with dots as underscores behind ``TRADING_CONSOLE_`` (``TRADING_CONSOLE_GUARDS_
MAX_NOTIONAL``); the flag is ``--set guards.max_notional=250000``. The README's "Configuration" section shows the
whole file. Unknown names and bad values are errors that name the setting and where it came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from console.domain.guards import PER_SYMBOL, GuardLimits

CONFIG_ENV = "TRADING_CONSOLE_CONFIG"
ENV_PREFIX = "TRADING_CONSOLE_"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the setting and its source (file, environment, flag)."""


def _bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _optional_bool(text: Any) -> bool | None:
    if str(text).strip().lower() in ("auto", ""):
        return None
    return _bool(text)


def _str(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected a non-empty string, got {text!r}")
    return text.strip()


def _symbol(text: Any) -> str:
    return _str(text).lower()


def _path(text: Any) -> Path:
    return Path(_str(text)).expanduser()


def _symbols(text: Any) -> tuple[str, ...]:
    items = text if isinstance(text, list) else str(text).split(",")
    symbols = tuple(str(s).strip().lower() for s in items if str(s).strip())
    if not symbols:
        raise ValueError("expected at least one symbol")
    return symbols


#: Every top-level setting: name → (parser, default, one-line documentation).
SCHEMA: dict[str, tuple[Callable[[Any], Any], Any, str]] = {
    "theme": (_str, "textual-dark", "Textual theme name, or 'monochrome' (bold/reverse/underline, no colour)"),
    "symbols": (_symbols, None, "symbols the ticket offers (list or comma-separated); --symbols wins"),
    "default_symbol": (_symbol, None, "symbol the ticket starts on (default: the first of symbols)"),
    "bell": (_bool, True, "ring the terminal bell on fills and rejects"),
    "toasts": (_bool, True, "show a toast on fills and rejects"),
    "cancel_on_exit": (_optional_bool, None,
                       "cancel this session's orders on quit, SIGHUP or crash (auto: on outside LOCAL)"),
    "heartbeat": (_bool, False, "send /v1/heartbeat every 15 s (for a key created with Require Heartbeat)"),
    "journal": (_bool, True, "keep the SQLite journal of requests, responses and order events"),
    "journal_path": (_path, None, "journal file (default: $XDG_STATE_HOME/trading-console/journal.sqlite3)"),
    "credentials.api_key": (_str, None, "API key (public id), when the secret comes from a file or the keyring"),
    "credentials.secret_file": (_path, None, "file holding the API secret; refused if group/world readable"),
    "credentials.keyring": (_bool, False, "read the API secret from the OS keyring (needs the keyring package)"),
}

GUARD_DOCS = {
    "price_band_pct": "soft band around the mid/last price, percent (default 5); also stop-limit orders",
    "hard_price_band_pct": "hard band, percent, cannot be overridden on screen (default 25; false: none)",
    "max_notional": "soft maximum price × amount in quote currency (default 100000; false: none)",
    "hard_max_notional": "hard maximum notional, cannot be overridden on screen (default: none)",
    "duplicate_window_ms": "the same ticket again within this many ms asks first (default 2000; 0: off)",
    "require_reference": "ask first when no market price can be fetched for the band check (default true)",
}

#: Per-symbol guard tables (``[guards.max_quantity]``: symbol = amount); a symbol named replaces its default.
PER_SYMBOL_GUARD_DOCS = {
    "max_quantity": "soft maximum amount per symbol, base currency; asks with the numbers (false: none)",
    "hard_max_quantity": "hard maximum amount per symbol, base currency; cannot be overridden on screen",
}


@dataclass(frozen=True)
class DeskConfig:
    """The desk settings after merging every source.

    Attributes:
        values: top-level settings by dotted name (see :data:`SCHEMA`), defaults filled in.
        guards: the pre-trade guard limits.
        keymap: binding id → key(s), e.g. ``{"main.cancel_all": "ctrl+k"}`` (Textual ``App.set_keymap``).
        source: the config file that was read, or None when there was none.
    """

    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType(
        {name: default for name, (_, default, _) in SCHEMA.items()}))
    guards: GuardLimits = field(default_factory=GuardLimits)
    keymap: Mapping[str, str] = field(default_factory=dict)
    source: Path | None = None

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def get(self, name: str) -> Any:
        """The value of a dotted setting name, e.g. ``"credentials.secret_file"``."""
        return self.values[name]


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the config file is looked for (it need not exist)."""
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "trading-console" / "config.toml"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"guards": {"max_notional": 1}}`` → ``{"guards.max_notional": 1}`` (keymap ids may be dotted or quoted)."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    by_env = {ENV_PREFIX + name.replace(".", "_").upper(): name for name in SCHEMA}
    by_env.update({ENV_PREFIX + "GUARDS_" + name.upper(): f"guards.{name}" for name in GUARD_DOCS})
    found = {by_env[k]: v for k, v in environ.items() if k in by_env}
    # TRADING_CONSOLE_GUARDS_MAX_QUANTITY_BTCUSD=5 → guards.max_quantity.btcusd (the hard_ prefix is longer, so
    # it is tried first).
    for key, value in environ.items():
        for table in sorted(PER_SYMBOL_GUARD_DOCS, key=len, reverse=True):
            prefix = f"{ENV_PREFIX}GUARDS_{table.upper()}_"
            if key.startswith(prefix) and key[len(prefix):]:
                found[f"guards.{table}.{key[len(prefix):].lower()}"] = value
                break
    return found


def parse_set_flags(items: list[str] | None) -> dict[str, str]:
    """Turn ``--set name=value`` flags into a dict.

    Raises:
        ConfigError: an item without ``=``.
    """
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--set expects name=value, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def load_config(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
    path: Path | None = None,
) -> DeskConfig:
    """Merge the three sources into a :class:`DeskConfig` (flags > environment > file > defaults).

    Args:
        flags: dotted name → value from the command line (``--set``, ``--theme``...).
        environ: the environment (``os.environ``; tests pass a dict).
        path: the config file (default: :func:`config_path`); a missing file is fine unless ``path`` was given.

    Raises:
        ConfigError: unreadable or invalid TOML, an unknown setting, a bad value; the message names the source.
    """
    explicit = path is not None or bool(environ.get(CONFIG_ENV))
    file_path = path or config_path(environ)
    sources: list[tuple[str, dict[str, Any]]] = []
    source: Path | None = None
    if file_path.is_file():
        try:
            table = tomllib.loads(file_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file_path}: cannot read: {exc.strerror}") from None
        sources.append((str(file_path), _flatten(table)))
        source = file_path
    elif explicit:
        raise ConfigError(f"{file_path}: config file not found")
    sources.append(("environment", _env_settings(environ)))
    sources.append(("command line", dict(flags or {})))

    values = {name: default for name, (_, default, _) in SCHEMA.items()}
    guards: dict[str, Any] = {}
    keymap: dict[str, str] = {}
    for origin, settings in sources:
        for name, raw in settings.items():
            if name.startswith("keymap."):
                keymap[name[len("keymap."):]] = _checked(origin, name, _str, raw)
            elif name.startswith("guards."):
                guard = name[len("guards."):]
                table, dot, symbol = guard.partition(".")
                if guard not in GUARD_DOCS and not (table in PER_SYMBOL_GUARD_DOCS and dot and symbol):
                    raise ConfigError(f"{origin}: unknown setting {name!r}")
                guards[name[len("guards."):]] = raw
            elif name in SCHEMA:
                values[name] = _checked(origin, name, SCHEMA[name][0], raw)
            else:
                raise ConfigError(f"{origin}: unknown setting {name!r}")
    try:
        limits = GuardLimits.from_mapping(guards)
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"guards: {exc}") from None
    return DeskConfig(values=MappingProxyType(values), guards=limits, keymap=keymap, source=source)


def _checked(origin: str, name: str, parse: Callable[[Any], Any], raw: Any) -> Any:
    try:
        return parse(raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{origin}: {name}: {exc}") from None


def sample_config() -> str:
    """The complete config file with every setting, its default and its documentation (README, ``doctor``)."""
    lines = ["# trading-console configuration (TOML). Every setting is optional.", ""]
    for name, (_, default, doc) in SCHEMA.items():
        if "." in name:
            continue
        lines.append(f"# {doc}")
        lines.append(f"# {name} = {_toml(default)}")
    lines += ["", "[credentials]  # the API secret itself never goes in this file"]
    for name, (_, default, doc) in SCHEMA.items():
        if name.startswith("credentials."):
            lines.append(f"# {doc}")
            lines.append(f"# {name.split('.', 1)[1]} = {_toml(default)}")
    lines += ["", "[guards]"]
    for name, doc in GUARD_DOCS.items():
        lines.append(f"# {doc}")
        lines.append(f"# {name} = {_toml(getattr(GuardLimits(), name))}")
    for table, doc in PER_SYMBOL_GUARD_DOCS.items():
        lines += ["", f"[guards.{table}]  # {doc}"]
        lines += [f"# {symbol} = {_toml(amount)}" for symbol, amount in PER_SYMBOL[table].items()]
    lines += ["", "[keymap]", "# binding id = key(s); `?` in the console lists every id and key",
              '# "main.cancel_all" = "ctrl+k"']
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if value is None:
        return "(unset by default)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'
