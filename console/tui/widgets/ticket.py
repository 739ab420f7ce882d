"""The order ticket: symbol, side, type, price, stop price, amount and execution option, errors beside each field."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from console.orders.fmt import fmt_price
from console.orders.model import ExecOption, OrderType, Side, SymbolRules
from console.orders.ticket import TicketInput
from console.tui.messages import TicketSubmitted, TicketSymbolChanged
from console.tui.widgets.fields import Dropdown, TextInput

_NO_OPTION = "none"
_OPTIONS = [("none", _NO_OPTION)] + [(o.value, o.value) for o in ExecOption]
_ERROR_FIELDS = ("symbol", "type", "price", "stop_price", "amount", "option")


def _fmt(value) -> str:
    return format(value.normalize(), "f")


def _text(value: Decimal | None) -> str:
    return fmt_price(value)


class OrderTicket(Vertical):
    """A limit / stop-limit order ticket.

    Messages up: :class:`TicketSubmitted` when the trader presses Enter in a field or the Place button;
    :class:`TicketSymbolChanged` when the trader picks another symbol.
    Attributes down: the screen calls :meth:`set_rules`, :meth:`show_errors`, :meth:`clear_errors`,
    :meth:`set_quote` (best bid / ask / last / spread of the ticket's symbol) and :meth:`set_price` (price keys).
    """

    def __init__(self, symbols: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._symbols = symbols
        self._rules: Mapping[str, SymbolRules] = {}
        self.border_title = "Order ticket"

    def compose(self) -> ComposeResult:
        symbol_options = [(s.upper(), s) for s in self._symbols]
        yield Static("bid —  ask —", id="quote-touch", classes="quote -stale")
        yield Static("last —  spread —", id="quote-last", classes="quote -stale")
        yield from self._row("Symbol", Dropdown(symbol_options, value=self._symbols[0], allow_blank=False,
                                              compact=True, id="symbol"))
        yield from self._row("Side", Dropdown([("BUY", Side.BUY.value), ("SELL", Side.SELL.value)],
                                            value=Side.BUY.value, allow_blank=False, compact=True, id="side"))
        yield from self._row("Type", Dropdown([("limit", OrderType.LIMIT.value),
                                             ("stop-limit", OrderType.STOP_LIMIT.value)],
                                            value=OrderType.LIMIT.value, allow_blank=False, compact=True, id="type"))
        yield from self._row("Price", TextInput(placeholder="limit price", compact=True, id="price"))
        yield from self._row("Stop", TextInput(placeholder="stop price (stop-limit)", compact=True, id="stop_price",
                                           disabled=True))
        yield from self._row("Amount", TextInput(placeholder="amount", compact=True, id="amount"))
        yield from self._row("Option", Dropdown(_OPTIONS, value=_NO_OPTION, allow_blank=False, compact=True,
                                              id="option"))
        yield Static("", id="rules-hint")
        yield Button("Place order ⏎", id="place", compact=True, variant="primary")

    @staticmethod
    def _row(label: str, field: Input | Select) -> ComposeResult:
        """A labelled field and, right under it, the line its error appears on."""
        with Horizontal(classes="ticket-row"):
            yield Label(label)
            yield field
        yield Static("", id=f"error-{field.id}", classes="field-error")

    # -- attributes down ------------------------------------------------------------------------------------
    def set_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """Give the ticket the symbols' trading rules (tick size, minimum) to show as a hint."""
        self._rules = rules
        self._show_rules_hint()

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Show one message beside each field in error; clear the others."""
        for name in _ERROR_FIELDS:
            label = self.query_one(f"#error-{name}", Static)
            message = errors.get(name, "")
            label.update(message)
            label.set_class(bool(message), "-visible")
            widget = self.query_one(f"#{name}")
            widget.set_class(bool(message), "-invalid")

    def clear_errors(self) -> None:
        """Remove every error message."""
        self.show_errors({})

    def read(self) -> TicketInput:
        """What the fields hold now, as a :class:`TicketInput` (not validated)."""
        option = self.query_one("#option", Select).value
        return TicketInput(
            symbol=str(self.query_one("#symbol", Select).value),
            side=Side(self.query_one("#side", Select).value),
            order_type=OrderType(self.query_one("#type", Select).value),
            price=self.query_one("#price", Input).value,
            amount=self.query_one("#amount", Input).value,
            stop_price=self.query_one("#stop_price", Input).value,
            option=None if option == _NO_OPTION else ExecOption(str(option)),
        )

    @property
    def symbol(self) -> str:
        """The selected symbol, lowercase."""
        return str(self.query_one("#symbol", Select).value)

    @property
    def side(self) -> Side:
        """The selected side."""
        return Side(self.query_one("#side", Select).value)

    def set_quote(
        self, bid: Decimal | None, ask: Decimal | None, last: Decimal | None, spread: Decimal | None, *, live: bool
    ) -> None:
        """Show the book's touch, last trade and spread; ``live`` False dims them (the book is not trusted)."""
        touch = self.query_one("#quote-touch", Static)
        line = self.query_one("#quote-last", Static)
        # One line each at the ticket's width: a new quote repaints the line, never the screen's layout.
        for widget, text in ((touch, f"bid {_text(bid)}  ask {_text(ask)}"),
                             (line, f"last {_text(last)}  spread {_text(spread)}")):
            if str(widget.content) != text:
                widget.update(text, layout=False)
            widget.set_class(not live, "-stale")

    def set_price(self, price: Decimal) -> None:
        """Put ``price`` in the price field (plain decimal text, e.g. ``"64250.00"``) and clear its error."""
        field = self.query_one("#price", Input)
        field.value = format(price, "f")
        field.cursor_position = len(field.value)
        self.query_one("#error-price", Static).update("")
        self.query_one("#error-price", Static).remove_class("-visible")
        field.remove_class("-invalid")

    def focus_first(self) -> None:
        """Put the cursor in the price field."""
        self.query_one("#price", Input).focus()

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Plain keys (letters, digits, ``?``) typed anywhere in the ticket belong to the ticket: the screen's and
        the app's bindings for them (``s`` cancel session, ``q`` quit, ``h`` history...) are left out of the binding
        chain while focus is here. Ctrl keys (the price keys) and Escape still reach the screen."""
        return character is not None and character.isprintable()

    # -- events -------------------------------------------------------------------------------------------------
    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        is_stop = event.value == OrderType.STOP_LIMIT.value
        self.query_one("#stop_price", Input).disabled = not is_stop
        option = self.query_one("#option", Select)
        if is_stop:
            option.value = _NO_OPTION
        option.disabled = is_stop

    @on(Select.Changed, "#symbol")
    def _symbol_changed(self) -> None:
        self._show_rules_hint()
        self.post_message(TicketSymbolChanged(self.symbol))

    @on(Input.Submitted)
    @on(Button.Pressed, "#place")
    def _submit(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.post_message(TicketSubmitted(self.read()))

    def _show_rules_hint(self) -> None:
        symbol = str(self.query_one("#symbol", Select).value)
        rules = self._rules.get(symbol)
        hint = self.query_one("#rules-hint", Static)
        if rules is None:
            hint.update("")
            return
        hint.update(
            f"tick {_fmt(rules.price_increment)} · qty step {_fmt(rules.quantity_increment)} · "
            f"min {_fmt(rules.min_order_size)} {rules.base_currency}"
        )
