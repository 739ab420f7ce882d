"""Every cancel reason of /v1/order/cancel and the reject reasons decode to plain language."""

import re
from pathlib import Path

import pytest

from console.domain.reasons import CANCEL_REASONS, REJECT_REASONS, Severity, explain
from console.exchange.server.app import ORDER_NEW_REQUIRED

EIGHT_CANCEL_REASONS = [
    "MakerOrCancelWouldTake",
    "ExceedsPriceLimits",
    "SelfCrossPrevented",
    "ImmediateOrCancelWouldPost",
    "FillOrKillWouldNotFill",
    "Requested",
    "MarketClosed",
    "TradingClosed",
]


@pytest.mark.parametrize("code", EIGHT_CANCEL_REASONS)
def test_each_cancel_reason_is_known(code):
    decoded = explain(code, cancel=True)
    assert decoded is CANCEL_REASONS[code]
    assert code not in decoded.text and len(decoded.text) > 20


@pytest.mark.parametrize(
    "code",
    ["InvalidPrice", "InvalidQuantity", "InvalidStopPriceBuy", "InvalidStopPriceSell", "InsufficientFunds",
     "ConflictingOptions", "UnsupportedOption", "MarketNotOpen", "InvalidSymbol", "InvalidNonce", "MissingRole"],
)
def test_reject_reasons_are_known(code):
    assert explain(code) is REJECT_REASONS[code]


def test_severities_order_by_gravity():
    assert explain("Requested").severity is Severity.INFO
    assert explain("ImmediateOrCancelWouldPost").severity is Severity.WARNING
    assert explain("InvalidPrice").severity is Severity.ERROR
    assert explain("TradingClosed").severity is Severity.CRITICAL


def test_unknown_and_missing_codes_still_explain():
    unknown = explain("SomethingNew")
    assert unknown.code == "SomethingNew" and "SomethingNew" in unknown.text
    assert explain(None, cancel=True).text.startswith("Cancelled")
    assert explain("").text.startswith("Rejected")


@pytest.mark.parametrize(
    "code", ["MissingSymbol", "MissingQuantity", "MissingPrice", "MissingSide", "MissingType", "InvalidJson"]
)
def test_reasons_of_gemini_sandbox_answers_are_decoded(code):
    decoded = explain(code)
    assert decoded is REJECT_REASONS[code] and code not in decoded.text


def _reasons_the_local_exchange_answers() -> set[str]:
    """Reason codes written in the local exchange's source: errors it raises, cancels it makes, missing fields."""
    codes: set[str] = set()
    for source in (Path(__file__).resolve().parents[2] / "console" / "exchange").rglob("*.py"):
        text = source.read_text()
        codes |= set(re.findall(r'ExchangeError\(\s*"([A-Za-z]+)"', text))
        codes |= set(re.findall(r'_error_response\(\s*\d+,\s*"([A-Za-z]+)"', text))
        codes |= set(re.findall(r'_cancel\(\w+, "([A-Za-z]+)"', text))
        codes |= set(re.findall(r'"(Missing[A-Z][A-Za-z]+)"', text))
    return codes


def test_every_reason_the_local_exchange_answers_is_decoded():
    codes = _reasons_the_local_exchange_answers() | set(ORDER_NEW_REQUIRED.values())
    assert {"MissingQuantity", "InvalidJson", "SelfCrossPrevented", "InsufficientFunds"} <= codes  # the scan works
    undecoded = sorted(code for code in codes if code not in CANCEL_REASONS and code not in REJECT_REASONS)
    assert undecoded == []
