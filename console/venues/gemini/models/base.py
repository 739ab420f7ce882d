"""Shared wire types of the Gemini models: exact decimal parsing, ids, ``WireModel`` and the error body."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationInfo,
)
from pydantic_core import CoreSchema, core_schema

_T = TypeVar("_T")
_DECIMAL_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


#: How many distinct decimal strings the parse cache keeps before it starts afresh (prices and amounts repeat:
#: a busy stream re-sends the same few thousand texts).
DECIMAL_CACHE_SIZE = 16384
_decimal_cache: dict[str, Decimal] = {}


def decimal_from_text(text: str) -> Decimal:
    """Parse a wire decimal string such as ``"64250.00"`` or ``"1E-8"`` (exponent kept: ``"1.0"`` ≠ ``"1.00"``).

    Each distinct text is parsed once: the result (immutable) is kept in a cache of at most
    ``DECIMAL_CACHE_SIZE`` entries, emptied when full. Only texts that parse are cached.

    Raises:
        ValueError: ``text`` is not a finite decimal (``""``, ``"abc"``, ``"NaN"``, ``"Infinity"``, ``" 1"``,
            ``"1,000"``, ``"1_000"``...).
    """
    value = _decimal_cache.get(text)
    if value is not None:
        return value
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"not a decimal string: {text[:40]!r}")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise ValueError(f"not a decimal string: {text[:40]!r}") from exc
    if len(_decimal_cache) >= DECIMAL_CACHE_SIZE:
        _decimal_cache.clear()
    _decimal_cache[text] = value
    return value


def _to_decimal(value: Any) -> Decimal:
    """Parse a wire decimal: a decimal string (the normal case), an int, or a float (taken by its shortest repr)."""
    if type(value) is str:
        return decimal_from_text(value)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("decimal must be finite")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest text that round-trips, so the JSON number 1e-8 becomes Decimal("1E-8"),
        # not the binary float's 1.0000000000000000209e-08.
        text = repr(value)
        if not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError("decimal must be finite")
        return Decimal(text)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value):
            raise ValueError(f"not a decimal string: {value[:40]!r}")
        try:
            return Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
            raise ValueError(f"not a decimal string: {value[:40]!r}") from exc
    raise ValueError(f"expected a decimal string, got {type(value).__name__}")


#: Validation context for JSON mode that refuses a JSON number with a fraction in a decimal field instead of
#: taking it through the float the JSON parser made of it (``validate_json(..., context=EXACT_DECIMALS)``).
EXACT_DECIMALS: dict[str, bool] = {"exact_decimals": True}


def _json_to_decimal(value: Any, info: ValidationInfo) -> Decimal:
    """JSON mode: as ``_to_decimal``, but under ``EXACT_DECIMALS`` a JSON number with a fraction is refused."""
    if type(value) is str:
        return decimal_from_text(value)
    if type(value) is float and info.context and info.context.get("exact_decimals"):
        raise ValueError("a JSON number with a fraction, not exact: parse it with parse_float=Decimal")
    return _to_decimal(value)


class _WireDecimalSchema:
    """Validation of ``WireDecimal``: ``_to_decimal`` in Python mode; in JSON mode a string goes straight to
    ``decimal_from_text`` (no ``ValidationInfo`` made), anything else to ``_json_to_decimal``."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        text = core_schema.chain_schema(
            [core_schema.str_schema(strict=True), core_schema.no_info_plain_validator_function(decimal_from_text)]
        )
        other = core_schema.with_info_before_validator_function(_json_to_decimal, inner)
        return core_schema.json_or_python_schema(
            json_schema=core_schema.union_schema([text, other], mode="left_to_right"),
            python_schema=core_schema.no_info_before_validator_function(_to_decimal, inner),
        )


def validate_json_exact(adapter: TypeAdapter[_T], text: str) -> _T | None:
    """Validate ``text`` in one strict pass of pydantic-core's JSON parser; None where the reference might differ.

    The reference is ``adapter.validate_python(json.loads(text, parse_float=Decimal))`` with ``NaN`` and
    ``Infinity`` refused. This pass takes each field only from its own JSON type (``strict=True``) and refuses a
    JSON number with a fraction in a decimal field (``EXACT_DECIMALS``), so whatever it accepts, the reference
    turns into the same values. It returns None when it refuses anything, and when ``text`` holds ``NaN`` or
    ``Infinity`` (this parser reads them as numbers): the caller then takes the reference path, which says what
    is wrong.
    """
    if "NaN" in text or "Infinity" in text:
        return None
    try:
        # The adapter's own validator: TypeAdapter.validate_json is a Python wrapper around this same call.
        return cast(_T, adapter.validator.validate_json(text, strict=True, context=EXACT_DECIMALS))
    except ValueError:  # ValidationError, invalid JSON included
        return None


def _digits_to_int(value: Any) -> Any:
    """A string of ASCII digits (``"1547220404"``) as an int, so that strict validation takes it too.

    Anything else goes on unchanged to the int validator (lax: it takes what it always took).
    """
    if type(value) is str and len(value) <= 18 and value.isascii() and value.isdigit():
        return int(value)
    return value


class _IdSchema:
    """Validation of ``IdStr``: ``_to_id`` then ``str``; in JSON mode a JSON string goes straight to ``str``."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        inner = handler(source)
        python = core_schema.no_info_before_validator_function(_to_id, inner)
        json = core_schema.union_schema([core_schema.str_schema(strict=True), python], mode="left_to_right")
        return core_schema.json_or_python_schema(json_schema=json, python_schema=python)


def _to_id(value: Any) -> Any:
    """Accept an id sent as a JSON number as well as a string (Gemini documents strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: A price or amount: decimal string on the wire (JSON numbers accepted, floats via their shortest repr).
WireDecimal = Annotated[Decimal, _WireDecimalSchema]
#: An int Gemini sends as a string of digits (``timestamp``); a JSON integer is accepted too.
DigitsInt = Annotated[int, BeforeValidator(_digits_to_int)]
#: An id Gemini documents as a string of digits (a JSON integer is accepted and turned into its digits).
IdStr = Annotated[str, _IdSchema]
WireSide = Literal["buy", "sell"]


class WireModel(BaseModel):
    """Base of every wire model: immutable, extra fields ignored, fields settable by name or alias."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ErrorResponse(WireModel):
    """Error body of any non-200 answer (https://docs.gemini.com/rest/error-codes).

    Example: ``{"result":"error","reason":"MissingRole","message":"To access this endpoint, ..."}``.
    """

    result: Literal["error"]
    reason: str
    message: str = ""

