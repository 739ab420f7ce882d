"""Desk configuration: flags, then ``TRADING_CONSOLE_*`` environment variables, then the TOML file (flags win).

The settings are typed models on pydantic-settings (https://docs.pydantic.dev/latest/concepts/pydantic_settings/),
which layers the three sources: keyword arguments (our flags) over ``EnvSettingsSource`` over
``TomlConfigSettingsSource``, merged table by table. Each field's docstring is its documentation:
:func:`sample_config` renders the README's "Configuration" block from the models, and a test checks it is current.

The file is ``$TRADING_CONSOLE_CONFIG`` if set, else ``$XDG_CONFIG_HOME/trading-console/config.toml`` (``~/.config``
when ``XDG_CONFIG_HOME`` is unset). Every setting has a dotted name (``guards.max_notional``); the environment
variable is that name upper-cased with dots as underscores behind ``TRADING_CONSOLE_`` (``TRADING_CONSOLE_GUARDS_
MAX_NOTIONAL``, ``TRADING_CONSOLE_GUARDS_MAX_QUANTITY_BTCUSD``); the flag is ``--set guards.max_notional=250000``.
Unknown names (in the file and in flags) and bad values are errors that name the setting and where it came from;
an environment variable that names no setting is ignored, as it always was.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from console.domain.flatten import DEFAULT_FLATTEN_BAND_BPS
from console.domain.guards import GuardLimits
from console.venues.roxom.auth import BodyEncoding, Padding, SigningScheme

CONFIG_ENV = "TRADING_CONSOLE_CONFIG"
ENV_PREFIX = "TRADING_CONSOLE_"

#: Where each source is named in an error message (the file is named by its path).
FLAGS_ORIGIN = "command line"
ENV_ORIGIN = "environment"


class ConfigError(ValueError):
    """The configuration is invalid; the message names the setting and its source (file, environment, flag)."""


# Every parser below raises ValueError with a predicate ("must be ..."); the error reads "<source>: <setting> <it>".

_OFF = ("", "off", "none", "false")


def _bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    value = str(raw).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def _optional_bool(raw: object) -> bool | None:
    if str(raw).strip().lower() in ("auto", ""):
        return None
    return _bool(raw)


def _one_of(*choices: str) -> Any:
    """A parser for a setting with a few named values (case-insensitive)."""
    def parse(raw: object) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise ValueError(f"must be {', '.join(choices[:-1])} or {choices[-1]}, got {raw!r}")
        return value
    return parse


def _str(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"must be a non-empty string, got {raw!r}")
    return raw.strip()


def _symbol(raw: object) -> str:
    return _str(raw).lower()


def _path(raw: object) -> Path:
    return Path(_str(raw)).expanduser()


def _symbols(raw: object) -> tuple[str, ...]:
    items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    symbols = tuple(str(s).strip().lower() for s in items if str(s).strip())
    if not symbols:
        raise ValueError("must name at least one symbol")
    return symbols


def _positive(raw: object) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        raise ValueError(f"must be a decimal number, got {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"must be a positive decimal, got {raw!r}")
    return value


def _limit(raw: object) -> Decimal | None:
    """A limit that ``false`` (or ``off``, ``none``, empty) turns off."""
    if raw is False or str(raw).strip().lower() in _OFF:
        return None
    return _positive(raw)


def _band(raw: object) -> Decimal:
    if raw is False or str(raw).strip().lower() in _OFF:
        raise ValueError("cannot be turned off")
    return _positive(raw)


def _milliseconds(raw: object) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"must be a whole number of milliseconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"must be >= 0, got {raw!r}")
    return value


Flag = Annotated[bool, BeforeValidator(_bool)]
Text = Annotated[str, BeforeValidator(_str)]

#: A per-symbol table as given: symbol → amount, or None where ``false`` removes the symbol's default.
_SYMBOL_TABLE = TypeAdapter(dict[str, Annotated[Decimal | None, BeforeValidator(_limit)]])


class CredentialsConfig(BaseModel):
    """``[credentials]``: where the API secret comes from when it is not in ``GEMINI_API_SECRET``."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    api_key: Annotated[str | None, BeforeValidator(_str)] = None
    """API key (public id), when the secret comes from a file or the keyring"""
    secret_file: Annotated[Path | None, BeforeValidator(_path)] = None
    """file holding the API secret; refused if group/world readable"""
    keyring: Flag = False
    """read the API secret from the OS keyring (needs the keyring package)"""


_LIMITS = GuardLimits()  # the domain's defaults are the configuration's defaults


class GuardsConfig(BaseModel):
    """``[guards]``: the pre-trade guard limits (:class:`console.domain.guards.GuardLimits` via :meth:`limits`).

    Numbers may be TOML numbers or strings (``"0.5"``); they become ``Decimal`` without passing through a float.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    price_band_pct: Annotated[Decimal, BeforeValidator(_band)] = _LIMITS.price_band_pct
    """soft band around the mid/last price, percent (default 5); also stop-limit orders"""
    hard_price_band_pct: Annotated[Decimal | None, BeforeValidator(_limit)] = _LIMITS.hard_price_band_pct
    """hard band, percent, cannot be overridden on screen (default 25; false: none)"""
    max_notional: Annotated[Decimal | None, BeforeValidator(_limit)] = _LIMITS.max_notional
    """soft maximum price × amount in quote currency (default 100000; false: none)"""
    hard_max_notional: Annotated[Decimal | None, BeforeValidator(_limit)] = _LIMITS.hard_max_notional
    """hard maximum notional, cannot be overridden on screen (default: none)"""
    duplicate_window_ms: Annotated[int, BeforeValidator(_milliseconds)] = _LIMITS.duplicate_window_ms
    """the same ticket again within this many ms asks first (default 2000; 0: off)"""
    require_reference: Flag = _LIMITS.require_reference
    """ask first when no market price can be fetched for the band check (default true)"""
    max_quantity: Mapping[str, Decimal] = Field(default_factory=lambda: dict(_LIMITS.max_quantity))
    """soft maximum amount per symbol, base currency; asks with the numbers (false: none)"""
    hard_max_quantity: Mapping[str, Decimal] = Field(default_factory=lambda: dict(_LIMITS.hard_max_quantity))
    """hard maximum amount per symbol, base currency; cannot be overridden on screen"""
    flatten_band_bps: Annotated[Decimal, BeforeValidator(_band)] = DEFAULT_FLATTEN_BAND_BPS
    """flatten (F) sells at bid − band / buys at ask + band, IOC; basis points, inside price_band_pct (default 50)"""

    @model_validator(mode="after")
    def _flatten_inside_band(self) -> GuardsConfig:
        """A flatten's limit must stay inside the price band, or every flatten would ask the band guard first."""
        if self.flatten_band_bps >= self.price_band_pct * 100:
            raise ValueError(f"flatten_band_bps ({self.flatten_band_bps}) must be below price_band_pct "
                             f"({self.price_band_pct}% = {self.price_band_pct * 100} bps)")
        return self

    @field_validator("max_quantity", "hard_max_quantity", mode="before")
    @classmethod
    def _per_symbol(cls, raw: object, info: ValidationInfo) -> dict[str, Decimal]:
        """Each symbol named replaces that symbol's default (``false`` removes it); the others keep theirs."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"must be a table of symbol = amount, e.g. [guards.{info.field_name}] btcusd = 2")
        assert info.field_name is not None
        table = dict(getattr(_LIMITS, info.field_name))
        for symbol, amount in _SYMBOL_TABLE.validate_python(raw).items():  # errors carry the symbol in their loc
            if not symbol.strip():
                raise ValueError(f"must name a symbol, e.g. {info.field_name}.btcusd")
            if amount is None:
                table.pop(symbol.strip().lower(), None)
            else:
                table[symbol.strip().lower()] = amount
        return table

    def limits(self) -> GuardLimits:
        """The domain's guard limits (its per-symbol tables read-only)."""
        return GuardLimits(
            price_band_pct=self.price_band_pct,
            hard_price_band_pct=self.hard_price_band_pct,
            max_notional=self.max_notional,
            hard_max_notional=self.hard_max_notional,
            duplicate_window_ms=self.duplicate_window_ms,
            require_reference=self.require_reference,
            max_quantity=MappingProxyType(dict(self.max_quantity)),
            hard_max_quantity=MappingProxyType(dict(self.hard_max_quantity)),
        )


class RoxomConfig(BaseModel):
    """``[roxom]``: the points of Roxom's request signing its documentation leaves open.

    https://docs.roxom.com/reference/authentication states an RSA signature over SHA-256 of ``METHOD:path[?query]
    [:body params]`` with the body params "sorted alphabetically by key" and "concatenated with an ampersand", and
    shows an ``openssl dgst -sha256 -sign`` command; it names neither the padding nor the form of each param. The
    defaults are the reading the page implies; the alternatives are the other reading of the same words. Confirm both
    against Roxom's sandbox. The embedded local Roxom venue verifies with the same choice.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    signature_padding: Annotated[Literal["pkcs1v15", "pss"], BeforeValidator(_one_of("pkcs1v15", "pss"))] = "pkcs1v15"
    """RSA signature padding: pkcs1v15 (what the documented openssl command makes) or pss (MGF1-SHA-256)"""
    body_encoding: Annotated[
        Literal["key=value", "values"], BeforeValidator(_one_of("key=value", "values"))] = "key=value"
    """body params in the string to sign, sorted by key, joined by &: key=value pairs, or the values alone"""
    keyring: Flag = False
    """read the private key PEM from the OS keyring (user: ROXOM_API_KEY) when ROXOM_PRIVATE_KEY_FILE is unset"""

    def signing_scheme(self) -> SigningScheme:
        """The signer's settings (:class:`console.venues.roxom.auth.SigningScheme`)."""
        return SigningScheme(padding=Padding(self.signature_padding), body_encoding=BodyEncoding(self.body_encoding))

    def venue_args(self) -> tuple[str, ...]:
        """The embedded local Roxom venue's options that make it verify with these choices."""
        return ("--signature-padding", self.signature_padding, "--body-encoding", self.body_encoding)


class TicketConfig(BaseModel):
    """``[ticket]``: what the order ticket and the trading hotkeys (``B``/``S``/``K``/``J``) start from."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    default_size: Mapping[str, Decimal] = Field(default_factory=dict, examples=[{"btcusd": "0.01"}])
    """amount per symbol (base currency) for the B/S/K/J hotkeys; the symbol's last ticket wins until restart"""

    @field_validator("default_size", mode="before")
    @classmethod
    def _per_symbol(cls, raw: object) -> dict[str, Decimal]:
        """``symbol = amount`` (decimal string or number); ``false`` leaves the symbol without a default size."""
        if not isinstance(raw, Mapping):
            raise ValueError('must be a table of symbol = amount, e.g. [ticket.default_size] btcusd = "0.01"')
        table: dict[str, Decimal] = {}
        for symbol, amount in _SYMBOL_TABLE.validate_python(raw).items():  # errors carry the symbol in their loc
            if not symbol.strip():
                raise ValueError("must name a symbol, e.g. default_size.btcusd")
            if amount is not None:
                table[symbol.strip().lower()] = amount
        return table


def _flat_keymap(raw: object) -> dict[str, object]:
    """``{"main": {"cancel_all": "k"}}`` (a bare dotted TOML key) → ``{"main.cancel_all": "k"}``."""
    if not isinstance(raw, Mapping):
        raise ValueError('must be a table of binding id = key(s), e.g. [keymap] "main.cancel_all" = "ctrl+k"')
    flat: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{inner}": v for inner, v in _flat_keymap(value).items()})
        else:
            flat[str(key)] = value
    return flat


class DeskConfig(BaseSettings):
    """The desk settings after merging every source (see the module docstring).

    ``DeskConfig()`` is the built-in defaults; :func:`load_config` reads the flags, environment and file.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,  # TRADING_CONSOLE_GUARDS_MAX_NOTIONAL: split once, after the section's name
        case_sensitive=False,
        validate_default=False,  # the defaults are typed values already; the parsers are for what sources give
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )

    venue: Literal["gemini", "roxom"] = "gemini"
    """venue to trade on: gemini or roxom (--venue wins; with no URL, its embedded local venue)"""
    theme: Text = "textual-dark"
    """Textual theme name, or 'monochrome' (bold/reverse/underline, no colour)"""
    symbols: Annotated[tuple[str, ...] | None, NoDecode, BeforeValidator(_symbols)] = None
    """symbols the ticket offers (list or comma-separated); --symbols wins"""
    default_symbol: Annotated[str | None, BeforeValidator(_symbol)] = None
    """symbol the ticket starts on (default: the first of symbols)"""
    watchlist: Annotated[tuple[str, ...] | None, NoDecode, BeforeValidator(_symbols)] = None
    """symbols the watchlist (t) shows, any the venue lists (list or comma-separated; default: symbols)"""
    low_bandwidth: Flag = False
    """fewer bytes to the terminal (over SSH): ladder and trades once a second, orders 10 times, one colour"""
    bell: Flag = True
    """ring the terminal bell on fills and rejects"""
    toasts: Flag = True
    """show a toast on fills and rejects"""
    fill_alerts: Annotated[Literal["done", "each", "off"], BeforeValidator(_one_of("done", "each", "off"))] = "done"
    """which fills toast and ring (with toasts/bell on): done (once per order, when it completes), each, off"""
    cancel_on_exit: Annotated[bool | None, BeforeValidator(_optional_bool)] = None
    """cancel this session's orders on quit, SIGHUP or crash (auto: on outside LOCAL)"""
    heartbeat: Flag = False
    """send /v1/heartbeat every 15 s (for a key created with Require Heartbeat)"""
    api: Annotated[Literal["rest", "ws"], BeforeValidator(_one_of("rest", "ws"))] = "rest"
    """rest (REST + /v1/order/events) or ws (Gemini's WebSocket API, time-based-nonce keys); --api wins"""
    time_based_nonce: Annotated[bool | None, BeforeValidator(_optional_bool)] = None
    """the key was created with a time-based nonce (seconds, ±30 s), not a counter (auto: yes when api is ws)"""
    cancel_on_disconnect: Annotated[bool | None, BeforeValidator(_optional_bool)] = None
    """api ws: the exchange cancels this session's orders when its socket drops (auto: on outside LOCAL)"""
    journal: Flag = True
    """keep the SQLite journal of requests, responses and order events"""
    journal_path: Annotated[Path | None, BeforeValidator(_path)] = None
    """journal file (default: $XDG_STATE_HOME/trading-console/journal.sqlite3)"""
    credentials: CredentialsConfig = Field(default_factory=CredentialsConfig)
    """the API secret itself never goes in this file"""
    guards: GuardsConfig = Field(default_factory=GuardsConfig)
    roxom: RoxomConfig = Field(default_factory=RoxomConfig)
    """Roxom: the signing choices to confirm against its sandbox; the private key from the keyring"""
    ticket: TicketConfig = Field(default_factory=TicketConfig)
    """the order ticket and the trading hotkeys"""
    keymap: Annotated[Mapping[str, Text], BeforeValidator(_flat_keymap)] = Field(
        default_factory=dict, examples=[{"main.cancel_all": "ctrl+k"}])
    """binding id = key(s); `?` in the console lists every id and key"""

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The config file that was read, or None when there was none."""
        return self._source

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (keyword arguments) first, then the environment and the file :func:`load_config` chose."""
        return (init_settings, *_LOADING.get())


#: The environment and file sources of the :func:`load_config` call under way (none: ``DeskConfig()`` is defaults).
_LOADING: ContextVar[tuple[PydanticBaseSettingsSource, ...]] = ContextVar("_LOADING", default=())


class _Environment(EnvSettingsSource):
    """``TRADING_CONSOLE_*`` from a given mapping (tests pass a dict), with the per-symbol guard names folded in.

    ``TRADING_CONSOLE_GUARDS_MAX_QUANTITY_BTCUSD`` → ``guards.max_quantity.btcusd`` (the library splits a nested name
    once, giving ``max_quantity_btcusd``); a nested name that is no setting is dropped, like any other unknown
    variable. A section or the keymap is never read whole (``TRADING_CONSOLE_GUARDS`` as JSON): the keymap comes from
    the file or ``--set`` only, as it always did.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = {name.lower(): value for name, value in environ.items()}  # case-insensitive, as configured

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        value, key, is_complex = super().get_field_value(field, field_name)
        if _is_table(field) or _is_section(field):
            value = None  # a section's settings come one variable each (explode_env_vars); a table's not at all
        return value, key, is_complex

    def explode_env_vars(self, field_name: str, field: FieldInfo, env_vars: Mapping[str, str | None]) -> dict[str, Any]:
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return {}  # the keymap (the only top-level table): not from the environment
        exploded = super().explode_env_vars(field_name, field, env_vars)
        tables = sorted((name for name, f in model.model_fields.items() if _is_table(f)), key=len, reverse=True)
        folded: dict[str, Any] = {}
        for name, value in exploded.items():
            if name in model.model_fields:
                folded[name] = value
                continue
            for table in tables:  # hard_max_quantity before max_quantity: the longer name first
                if name.startswith(table + "_") and name[len(table) + 1:]:
                    folded.setdefault(table, {})[name[len(table) + 1:]] = value
                    break
        return folded


def _is_table(field: FieldInfo) -> bool:
    """A setting whose value is a table of names (per-symbol limits, the keymap), not a section of settings."""
    default = field.get_default(call_default_factory=True)
    return isinstance(default, Mapping)


def _is_section(field: FieldInfo) -> bool:
    """A setting that is a table of settings (``[credentials]``, ``[guards]``)."""
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _sections(model: type[BaseModel]) -> Iterator[tuple[str, type[BaseModel]]]:
    for name, field in model.model_fields.items():
        if _is_section(field):
            assert isinstance(field.annotation, type)
            yield name, field.annotation


def setting_names() -> list[str]:
    """Every setting's dotted name, in the order of the sample file; a table of names ends in ``.*``."""
    def walk(model: type[BaseModel], prefix: str) -> Iterator[str]:
        sections = dict(_sections(model))
        for name, field in model.model_fields.items():
            if name in sections:
                yield from walk(sections[name], f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}" + (".*" if _is_table(field) else "")
    return list(walk(DeskConfig, ""))


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the config file is looked for (it need not exist)."""
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "trading-console" / "config.toml"


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


def _nest_flags(flags: Mapping[str, Any]) -> dict[str, Any]:
    """``{"guards.max_quantity.btcusd": "5"}`` → ``{"guards": {"max_quantity": {"btcusd": "5"}}}``.

    Raises:
        ConfigError: a name that is no setting (a table's name alone, e.g. ``guards.max_quantity``, is none either).
    """
    names = setting_names()
    tables = [name[:-1] for name in names if name.endswith(".*")]  # "keymap.", "guards.max_quantity."...
    nested: dict[str, Any] = {}
    for name, value in flags.items():
        table = next((t for t in tables if name.startswith(t) and name[len(t):]), None)
        if table is None and name not in names:
            raise ConfigError(f"{FLAGS_ORIGIN}: unknown setting {name!r}")
        *path, last = table.rstrip(".").split(".") + [name[len(table):]] if table else name.split(".")
        node = nested
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


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
        ConfigError: unreadable or invalid TOML, an unknown setting, a bad value; the message names the setting and
            its source (the file's path, ``environment`` or ``command line``).
    """
    explicit = path is not None or bool(environ.get(CONFIG_ENV))
    file_path = path or config_path(environ)
    nested = _nest_flags(flags or {})
    sources: list[tuple[str, PydanticBaseSettingsSource]] = [(ENV_ORIGIN, _Environment(DeskConfig, environ))]
    source: Path | None = None
    if file_path.is_file():
        try:
            sources.append((str(file_path), TomlConfigSettingsSource(DeskConfig, toml_file=file_path)))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file_path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file_path}: cannot read: {exc.strerror}") from None
        source = file_path
    elif explicit:
        raise ConfigError(f"{file_path}: config file not found")
    token = _LOADING.set(tuple(s for _, s in sources))
    try:
        config = DeskConfig(**nested)
    except ValidationError as exc:
        given = [(FLAGS_ORIGIN, nested)] + [(origin, s()) for origin, s in sources]
        raise ConfigError("; ".join(_explain(error, given) for error in exc.errors())) from None
    finally:
        _LOADING.reset(token)
    config._source = source
    return config


def _explain(error: Any, given: list[tuple[str, dict[str, Any]]]) -> str:
    """One validation error as ``<source>: <setting> <what is wrong>``, the source being the one whose value won."""
    loc = [str(part) for part in error["loc"]]
    name = ".".join(loc)
    origin = next((o for o, values in given if _has(values, name.split("."))), "configuration")
    if error["type"] == "extra_forbidden":
        return f"{origin}: unknown setting {name!r}"
    if error["type"] == "value_error":
        return f"{origin}: {name} {error['ctx']['error']}"
    return f"{origin}: {name}: {error['msg']}"


def _has(values: object, loc: list[str]) -> bool:
    """Whether ``values`` holds ``loc``, as nested tables or as a dotted key (``keymap.main.cancel_all`` is either
    ``{"keymap": {"main.cancel_all": ...}}`` or ``{"keymap": {"main": {"cancel_all": ...}}}``)."""
    if not loc:
        return True
    if not isinstance(values, Mapping):
        return False
    return any(".".join(loc[:i]) in values and _has(values[".".join(loc[:i])], loc[i:]) for i in range(1, len(loc) + 1))


def sample_config() -> str:
    """The complete config file with every setting, its default and its documentation (README, ``doctor``)."""
    lines = ["# trading-console configuration (TOML). Every setting is optional.", ""]
    _sample_section(DeskConfig, "", lines)
    return "\n".join(lines) + "\n"


def _sample_section(model: type[BaseModel], prefix: str, lines: list[str]) -> None:
    """Append ``model``'s settings, then each of its sections and tables after a blank line and its header."""
    sections = dict(_sections(model))
    fields = model.model_fields
    for name, field in fields.items():
        if name not in sections and not _is_table(field):
            lines.append(f"# {field.description}")
            lines.append(f"# {name} = {_toml(field.get_default(call_default_factory=True))}")
    for name, field in fields.items():
        if name in sections:
            lines.extend(["", f"[{prefix}{name}]" + (f"  # {field.description}" if field.description else "")])
            _sample_section(sections[name], f"{prefix}{name}.", lines)
        elif _is_table(field):
            default = field.get_default(call_default_factory=True)
            if default:  # a table with defaults: the documentation on its header, then every default
                lines.extend(["", f"[{prefix}{name}]  # {field.description}"])
                lines.extend(f"# {key} = {_toml(value)}" for key, value in default.items())
            else:  # an empty table: the documentation, then an example
                lines.extend(["", f"[{prefix}{name}]", f"# {field.description}"])
                for example in field.examples or []:
                    lines.extend(f'# "{key}" = {_toml(value)}' for key, value in example.items())


def _toml(value: object) -> str:
    if value is None:
        return "(unset by default)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return f'"{value}"'
