"""Plain-language texts and severities for every cancel, reject and cancel-reject reason code.

Sources: Gemini's cancel reasons of ``/v1/order/cancel`` (https://docs.gemini.com/rest/orders#cancel-order),
its error reasons (https://docs.gemini.com/rest/introduction#error-codes) and the new WebSocket API's rejection
and cancellation reasons. Unknown codes still get a sensible text, never an exception.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    """How loudly the status pane shows a reason.

    ``INFO``: the trader asked for it (a requested cancel). ``WARNING``: the market or an execution option
    ended the order as designed (IOC remainder, maker-or-cancel). ``ERROR``: the order never reached the book
    or the venue refused it. ``CRITICAL``: trading itself is stopped (market or exchange closed, auth failure).
    """

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class ReasonText:
    """A decoded reason: the venue's code, a plain-language explanation, a severity."""

    code: str
    text: str
    severity: Severity


#: The eight cancel reasons of ``/v1/order/cancel`` (plus ``AuctionCancelled`` from the new WebSocket API).
CANCEL_REASONS: dict[str, ReasonText] = {
    r.code: r
    for r in (
        ReasonText("Requested", "Cancelled at your request.", Severity.INFO),
        ReasonText(
            "MakerOrCancelWouldTake",
            "Maker-or-cancel order would have traded on arrival, so the whole order was cancelled unfilled.",
            Severity.WARNING,
        ),
        ReasonText(
            "ImmediateOrCancelWouldPost",
            "Immediate-or-cancel: what could trade now did; the unfilled remainder was cancelled instead of resting.",
            Severity.WARNING,
        ),
        ReasonText(
            "FillOrKillWouldNotFill",
            "Fill-or-kill could not fill completely at once, so the whole order was cancelled unfilled.",
            Severity.WARNING,
        ),
        ReasonText(
            "SelfCrossPrevented",
            "Would have traded against your own resting order on the other side; cancelled to prevent a self-trade.",
            Severity.WARNING,
        ),
        ReasonText(
            "ExceedsPriceLimits",
            "Not enough liquidity: filling further would move the price more than 5%, so the rest was cancelled.",
            Severity.WARNING,
        ),
        ReasonText(
            "MarketClosed", "The market for this symbol closed; its open orders were cancelled.", Severity.CRITICAL
        ),
        ReasonText(
            "TradingClosed", "The exchange closed for trading; all open orders were cancelled.", Severity.CRITICAL
        ),
        ReasonText("AuctionCancelled", "The auction was cancelled, and the auction order with it.", Severity.WARNING),
    )
}

#: Reject reasons: the order (or request) was refused and never reached the book.
REJECT_REASONS: dict[str, ReasonText] = {
    r.code: r
    for r in (
        ReasonText("InvalidPrice", "Price is not positive or not a multiple of the symbol's price increment.",
                   Severity.ERROR),
        ReasonText("LimitPriceOffTick", "Limit price is not on the symbol's price increment.", Severity.ERROR),
        ReasonText("InvalidQuantity",
                   "Amount is below the symbol's minimum order size or not a multiple of its quantity increment.",
                   Severity.ERROR),
        ReasonText("InvalidStopPrice", "Stop price is not positive or not on the symbol's price increment.",
                   Severity.ERROR),
        ReasonText("InvalidStopPriceBuy", "Stop-limit buy: the stop price must be below the limit price.",
                   Severity.ERROR),
        ReasonText("InvalidStopPriceSell", "Stop-limit sell: the stop price must be above the limit price.",
                   Severity.ERROR),
        ReasonText("InvalidStopPriceRatio", "Stop-limit: the limit price must be within 50% of the stop price.",
                   Severity.ERROR),
        ReasonText("InsufficientFunds",
                   "Not enough available balance for this order (open orders hold part of the balance).",
                   Severity.ERROR),
        ReasonText("MarketNotOpen", "The market is not accepting orders right now.", Severity.CRITICAL),
        ReasonText("AuctionNotOpen", "No auction is open for this symbol.", Severity.ERROR),
        ReasonText("InvalidSymbol", "The exchange does not list this symbol.", Severity.ERROR),
        ReasonText("UnknownInstrument", "The exchange does not list this symbol.", Severity.ERROR),
        ReasonText("InvalidSide", "Side must be buy or sell.", Severity.ERROR),
        ReasonText("InvalidOrderType", "The exchange does not accept this order type.", Severity.ERROR),
        ReasonText("ConflictingOptions", "Only one execution option may be given per order.", Severity.ERROR),
        ReasonText("UnsupportedOption",
                   "That execution option is not supported for this order (stop-limit orders take none).",
                   Severity.ERROR),
        ReasonText("OptionsMustBeArray", "Execution options must be sent as a list.", Severity.ERROR),
        ReasonText("MissingSymbol", "The order was sent without a symbol.", Severity.ERROR),
        ReasonText("MissingQuantity", "The order was sent without an amount.", Severity.ERROR),
        ReasonText("MissingPrice", "The order was sent without a limit price.", Severity.ERROR),
        ReasonText("MissingSide", "The order was sent without a side (buy or sell).", Severity.ERROR),
        ReasonText("MissingType", "The order was sent without an order type.", Severity.ERROR),
        ReasonText("MissingPayloadKey", "The request lacked a field the exchange requires.", Severity.ERROR),
        ReasonText("MissingOrderField", "The request named no order (order id or client order id missing).",
                   Severity.ERROR),
        ReasonText("InvalidJson", "The exchange could not read the request (its JSON payload was empty or malformed).",
                   Severity.ERROR),
        ReasonText("InvalidTimestampInPayload", "The request's timestamp is not a time the exchange accepts.",
                   Severity.ERROR),
        ReasonText("EndpointMismatch", "The signed request named a different endpoint than the one it was sent to.",
                   Severity.ERROR),
        ReasonText("EndpointNotFound", "The exchange has no such endpoint (or the request named none).",
                   Severity.ERROR),
        ReasonText("ClientOrderIdTooLong", "Client order id is too long.", Severity.ERROR),
        ReasonText("ClientOrderIdMustBeString", "Client order id must be a string.", Severity.ERROR),
        ReasonText("DuplicateOrder", "An order with this client order id already exists.", Severity.ERROR),
        ReasonText("InvalidTotalSpend", "The total spend is invalid.", Severity.ERROR),
        ReasonText("InsufficientLiquidity", "Not enough liquidity to fill the order.", Severity.WARNING),
        ReasonText("OrderNotFound", "The exchange has no open order with that id (already closed, or not yours).",
                   Severity.WARNING),
        ReasonText("IneligibleTiming", "The order cannot be cancelled at this moment (auction in progress).",
                   Severity.WARNING),
        ReasonText("RateLimit", "Too many requests: the exchange is rate limiting this key.", Severity.ERROR),
        ReasonText("InvalidNonce", "Request nonce was not higher than the last one used with this key.",
                   Severity.ERROR),
        ReasonText("MissingNonce", "Request carried no nonce.", Severity.ERROR),
        ReasonText("InvalidSignature", "The exchange rejected the request signature: check the API key and secret.",
                   Severity.CRITICAL),
        ReasonText("MissingApikeyHeader", "The request carried no API key header.", Severity.CRITICAL),
        ReasonText("MissingPayloadHeader", "The request carried no signed payload header.", Severity.CRITICAL),
        ReasonText("MissingSignatureHeader", "The request carried no signature header.", Severity.CRITICAL),
        ReasonText("MissingRole", "The API key lacks the role this action needs (Trader to trade).",
                   Severity.CRITICAL),
        ReasonText("AccountsOnGroupOnlyApi", "Only a master API key may name a sub-account; this key cannot.",
                   Severity.ERROR),
        ReasonText("NotGroupApiCompatible", "A master API key cannot use this endpoint.", Severity.ERROR),
        ReasonText("MissingAccountName", "A master API key must name the sub-account to act on.", Severity.ERROR),
        ReasonText("InvalidAccountName", "No sub-account of that name in this key's group.", Severity.ERROR),
        ReasonText("Maintenance", "The exchange is down for maintenance.", Severity.CRITICAL),
        ReasonText("System", "The exchange reported a technical problem.", Severity.ERROR),
        ReasonText("Timeout", "No answer from the exchange in time: the outcome is not known yet.", Severity.ERROR),
        ReasonText("Network", "The request could not reach the exchange.", Severity.ERROR),
        # Gemini's new WebSocket API (https://docs.gemini.com/websocket/introduction, "Error Codes") and the console's
        # own refusal while its order socket is down.
        ReasonText("InvalidParameters", "The exchange refused the request's parameters (-1013).", Severity.ERROR),
        ReasonText("UnsupportedOperation", "The exchange does not support this request (-1020).", Severity.ERROR),
        ReasonText("AuthenticationRequired",
                   "The exchange refused this API key at the WebSocket handshake (-1002): the new API needs a "
                   "Trader key created with a time-based nonce.", Severity.CRITICAL),
        ReasonText("InternalError", "The exchange failed while handling the request (-1000): its outcome is not "
                   "known yet.", Severity.ERROR),
        ReasonText("OrderRejected", "The exchange rejected the order (-2010) without naming a reason.",
                   Severity.ERROR),
        ReasonText("NotConnected", "The order socket is not connected: nothing was sent. Wait for the stream to be "
                   "live and send the order again.", Severity.ERROR),
    )
}


#: Roxom's cancel and reject reasons (lower-case codes of its order updates; the documentation lists none, so these
#: are the local Roxom venue's, docs/local-roxom.md, "Reasons"; https://docs.roxom.com/reference/api-reference/orders/status).
ROXOM_REASONS: dict[str, ReasonText] = {
    r.code: r
    for r in (
        ReasonText("usercancel", "Cancelled at your request.", Severity.INFO),
        ReasonText("postonlywouldcross",
                   "Post-only order would have traded on arrival, so the venue cancelled it (not rejected) unfilled.",
                   Severity.WARNING),
        ReasonText("selftradeprevention",
                   "Self-trade prevention: an incoming order of yours reached this resting one, so the venue "
                   "cancelled the older, resting order.", Severity.WARNING),
        ReasonText("immediateorcancel",
                   "Immediate-or-cancel: what could trade now did; the unfilled remainder was cancelled.",
                   Severity.WARNING),
        ReasonText("noliquidity", "No liquidity to trade against, so the order was cancelled.", Severity.WARNING),
        ReasonText("gtdexpired", "Good-till-date order reached its cancel time and expired.", Severity.INFO),
        ReasonText("accountinactive",
                   "The account is restricted (inactive): the venue stopped its orders and accepts no new ones.",
                   Severity.CRITICAL),
        ReasonText("insufficientmargin", "Not enough available margin for this order's initial margin.",
                   Severity.ERROR),
    )
}


def explain(code: str | None, *, cancel: bool = False) -> ReasonText:
    """Decode a reason code into plain language.

    Args:
        code: the venue's ``reason`` string, e.g. ``"MakerOrCancelWouldTake"``; None or ``""`` when absent.
        cancel: True when the code came with a cancel, so an absent code reads as a plain cancel.

    Returns:
        The matching :class:`ReasonText`; an unknown code returns a generic text carrying the code.
    """
    if not code:
        if cancel:
            return ReasonText("", "Cancelled (the exchange gave no reason).", Severity.WARNING)
        return ReasonText("", "Rejected (the exchange gave no reason).", Severity.ERROR)
    known = CANCEL_REASONS.get(code) or REJECT_REASONS.get(code) or ROXOM_REASONS.get(code)
    if known is not None:
        return known
    return ReasonText(code, f"The exchange answered {code!r}.", Severity.WARNING if cancel else Severity.ERROR)
