"""Every cancel reason of /v1/order/cancel and the reject reasons decode to plain language."""

import pytest

from console.orders.reasons import CANCEL_REASONS, REJECT_REASONS, Severity, explain

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
