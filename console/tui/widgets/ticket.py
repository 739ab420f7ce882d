"""The order ticket: symbol, side, type, price, stop price, amount and execution option, errors beside each field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from console.domain.fmt import fmt_money, fmt_price, fmt_qty
from console.domain.model import ExecOption, Order, OrderType, Side, SymbolRules
from console.domain.replace import short_id
from console.domain.ticket import OPTION_SHORT, TicketInput, parse_decimal, stop_triggers_at_once
from console.tui.messages import TicketSubmitted, TicketSymbolChanged
from console.tui.widgets.fields import Dropdown, TextInput
from console.tui.widgets.side_toggle import SideToggle

_NO_OPTION = "none"
_OPTIONS = [("none", _NO_OPTION)] + [(o.value, o.value) for o in ExecOption]
_ERROR_FIELDS = ("symbol", "side", "type", "price", "stop_price", "amount", "option")


@dataclass(frozen=True, slots=True)
class ReplaceTarget:
    """The order the ticket replaces (replace mode, key ``e`` on an order).

    Attributes:
        order_id: the venue's id of the order to cancel.
        filled_at_load: its executed amount when it was loaded (fills after it come off the replacement).
    """

    order_id: str
    filled_at_load: Decimal

    @property
    def label(self) -> str:
        """``#`` and the order's short id (its last 6 characters), as the replace status lines show it."""
        return f"#{short_id(self.order_id)}"



def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _number(text: str) -> Decimal | None:
    try:
        return parse_decimal(text, "value")
    except ValueError:
        return None


class OrderTicket(Vertical):
    """A limit / stop-limit order ticket.

    The side is a two-state control (:class:`SideToggle`); its colour runs through the ticket (``-buy`` /
    ``-sell`` classes) and the Place button says what it will send, e.g. ``BUY 0.5 ETHUSD ≈ 1,575.00 USD``.
    ``ctrl+s`` flips the side from any field (Textual's Input does not use it). Changing the symbol clears the
    price and stop price and brings back that symbol's last amount.

    Messages up: :class:`TicketSubmitted` when the trader presses Enter in a field or the Place button;
    :class:`TicketSymbolChanged` when the trader picks another symbol.
    Attributes down: the screen calls :meth:`set_rules`, :meth:`show_errors`, :meth:`clear_errors`,
    :meth:`set_quote` (best bid / ask / last / spread of the ticket's symbol), :meth:`set_price` (price keys) and
    :meth:`set_balances` (available balance per currency), :meth:`load_replace` (replace mode: the title and the
    Place button say Replace) and :meth:`leave_replace` (Esc); a symbol change leaves replace mode too.
    """

    BINDINGS = [
        Binding("ctrl+s", "flip_side", "Flip side", id="ticket.flip_side"),
    ]

    def __init__(self, symbols: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._symbols = symbols
        self._rules: Mapping[str, SymbolRules] = {}
        self._available: Mapping[str, Decimal] | None = None
        self._last: Decimal | None = None
        #: The amount last typed per symbol: a symbol change brings back its own, never the previous symbol's.
        self._amounts: dict[str, str] = {}
        self._shown_symbol = symbols[0]
        #: The order being replaced (replace mode), None for a new order.
        self.replacing: ReplaceTarget | None = None
        self.border_title = "Order ticket"

    def compose(self) -> ComposeResult:
        symbol_options = [(s.upper(), s) for s in self._symbols]
        yield Static("bid —  ask —", id="quote-touch", classes="quote -stale")
        yield Static("last —  spread —", id="quote-last", classes="quote -stale")
        yield from self._row("Symbol", Dropdown(symbol_options, value=self._symbols[0], allow_blank=False,
                                              compact=True, id="symbol"))
        yield from self._row("Side", SideToggle(Side.BUY, id="side"))
        yield from self._row("Type", Dropdown([("limit", OrderType.LIMIT.value),
                                             ("stop-limit", OrderType.STOP_LIMIT.value)],
                                            value=OrderType.LIMIT.value, allow_blank=False, compact=True, id="type"))
        yield from self._row("Price", TextInput(placeholder="limit price", compact=True, id="price"))
        yield from self._row("Stop", TextInput(placeholder="stop price (stop-limit)", compact=True, id="stop_price",
                                           disabled=True))
        yield Static("", id="stop-warning")
        yield from self._row("Amount", TextInput(placeholder="amount", compact=True, id="amount"))
        yield from self._row("Option", Dropdown(_OPTIONS, value=_NO_OPTION, allow_blank=False, compact=True,
                                              id="option"))
        yield Static("", id="rules-hint")
        yield Button("BUY", id="place", compact=True, variant="success")

    @staticmethod
    def _row(label: str, field: Input | Select[str] | SideToggle) -> ComposeResult:
        """A labelled field and, right under it, the line its error appears on."""
        with Horizontal(classes="ticket-row", id=f"row-{field.id}"):
            yield Label(label)
            yield field
        yield Static("", id=f"error-{field.id}", classes="field-error")

    def on_mount(self) -> None:
        self._show_side()

    # -- attributes down ------------------------------------------------------------------------------------
    def set_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """Give the ticket the symbols' trading rules (tick size, minimum) to show as a hint."""
        self._rules = rules
        self._show_rules_hint()
        self._show_summary()

    def set_balances(self, available: Mapping[str, Decimal] | None) -> None:
        """Show the available balance (not held by open orders) of the symbol's currencies.

        Args:
            available: upper-case currency → available amount, e.g. ``{"USD": Decimal("98000.00")}``; None when
                the balances could not be read (the line shows a dash).
        """
        self._available = available
        self._show_available()

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Show one message beside each field in error; clear the others."""
        for name in _ERROR_FIELDS:
            label = self.query_one(f"#error-{name}", Static)
            message = errors.get(name, "")
            if str(label.content) != message:  # an update lays the whole screen out again: only on a change
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
            side=self.side,
            order_type=OrderType(str(self.query_one("#type", Select).value)),  # allow_blank=False: always a str
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
        return self.query_one("#side", SideToggle).value

    @side.setter
    def side(self, side: Side) -> None:
        self.query_one("#side", SideToggle).value = side

    def set_quote(
        self, bid: Decimal | None, ask: Decimal | None, last: Decimal | None, spread: Decimal | None, *, live: bool
    ) -> None:
        """Show the book's touch, last trade and spread; ``live`` False dims them (the book is not trusted)."""
        touch = self.query_one("#quote-touch", Static)
        line = self.query_one("#quote-last", Static)
        # One line each at the ticket's width: a new quote repaints the line, never the screen's layout.
        for widget, text in ((touch, f"bid {fmt_price(bid)}  ask {fmt_price(ask)}"),
                             (line, f"last {fmt_price(last)}  spread {fmt_price(spread)}")):
            if str(widget.content) != text:
                widget.update(text, layout=False)
            widget.set_class(not live, "-stale")
        if last != self._last:
            self._last = last
            self._show_stop_warning()

    def select_symbol(self, symbol: str) -> None:
        """Move the ticket to ``symbol`` (lowercase, one the ticket offers), as if the trader picked it: the price
        and stop clear and :class:`TicketSymbolChanged` follows (the book moves). No-op for one it does not offer.
        """
        if symbol in self._symbols:
            self.query_one("#symbol", Select).value = symbol

    def set_price(self, price: Decimal) -> None:
        """Put ``price`` in the price field (plain decimal text, e.g. ``"64250.00"``) and clear its error."""
        field = self.query_one("#price", Input)
        field.value = format(price, "f")
        field.cursor_position = len(field.value)
        self.query_one("#error-price", Static).update("")
        self.query_one("#error-price", Static).remove_class("-visible")
        field.remove_class("-invalid")

    def remembered_amount(self, symbol: str) -> str | None:
        """The amount text of ``symbol``'s last ticket this run (placed, or left when the symbol changed), or None."""
        return self._amounts.get(symbol)

    def load_hotkey(self, side: Side, price: Decimal, amount: Decimal) -> None:
        """Make the ticket a plain limit order for a trading hotkey: ``side``, ``price`` and ``amount`` (decimals,
        shown as plain text), no stop price, no execution option; errors cleared.

        A hotkey always places a new order: replace mode is left first (focus can leave a replace by Tab, and a
        hotkey there must not cancel the loaded order).
        """
        self.leave_replace()
        self.side = side
        self.query_one("#type", Select).value = OrderType.LIMIT.value
        self.query_one("#option", Select).value = _NO_OPTION
        self.query_one("#stop_price", Input).value = ""
        self.query_one("#amount", Input).value = format(amount, "f")
        self.set_price(price)
        self.clear_errors()

    def submit(self) -> None:
        """Send the ticket as it is, as the Place button does (a hotkey's order takes the ticket's own path)."""
        self._amounts[self.symbol] = self.query_one("#amount", Input).value
        self.post_message(TicketSubmitted(self.read()))

    def focus_first(self) -> None:
        """Put the cursor in the price field, at once: ``Widget.focus`` would wait for the app's queue, behind the
        keys typed right after ``o`` (console/tui/widgets/fields.py applies those in order)."""
        self.screen.set_focus(self.query_one("#price", Input))

    def load_replace(self, order: Order) -> None:
        """Replace mode: load ``order`` (symbol, side, type, price, stop price, option, amount = its remaining).

        The border title and the Place button say Replace; Esc (:meth:`leave_replace`) or a symbol change leave it.
        """
        self.leave_replace()
        if order.symbol != self.symbol:
            self.query_one("#symbol", Select).value = order.symbol
            self._symbol_changed()  # at once (not when the Changed message arrives), so it cannot undo the load
        self.side = order.side
        self.query_one("#type", Select).value = order.order_type.value
        self._apply_type(order.order_type is OrderType.STOP_LIMIT)
        self.query_one("#price", Input).value = format(order.price, "f")
        stop = self.query_one("#stop_price", Input)
        stop.value = format(order.stop_price, "f") if order.stop_price is not None else ""
        self.query_one("#amount", Input).value = format(order.open_amount, "f")
        self.query_one("#option", Select).value = order.options[0].value if order.options else _NO_OPTION
        self.replacing = ReplaceTarget(order.order_id, order.filled)
        self.border_title = f"Replace {self.replacing.label}"
        self.add_class("-replace")
        self.clear_errors()
        self._show_summary()

    def leave_replace(self) -> None:
        """Back to a new order (the fields keep what they hold)."""
        if self.replacing is None:
            return
        self.replacing = None
        self.border_title = "Order ticket"
        self.remove_class("-replace")
        self._show_summary()

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Plain keys (letters, digits, ``?``) typed anywhere in the ticket belong to the ticket: the screen's and
        the app's bindings for them (``s`` cancel session, ``q`` quit, ``h`` history...) are left out of the binding
        chain while focus is here. Ctrl keys (the price keys) and Escape still reach the screen."""
        return character is not None and character.isprintable()

    @property
    def place_label(self) -> str:
        """What the Place button says on one line, e.g. ``"BUY 0.5 ETHUSD ≈ 1,575.00 USD"``."""
        return str(self.query_one("#place", Button).label).replace("\n", " ")

    @property
    def stop_warning(self) -> str:
        """The warning under the stop price ("" when none), e.g. that the stop triggers at once."""
        return str(self.query_one("#stop-warning", Static).content)

    @property
    def available(self) -> Mapping[str, Decimal] | None:
        """The available balances last given by :meth:`set_balances` (None before, or when they could not be read)."""
        return self._available

    @property
    def available_text(self) -> str:
        """The available balance on the bottom border, e.g. ``"avail 98,000.00 USD"`` (buy) or ``"avail 10 BTC"``
        (sell)."""
        return str(self.border_subtitle)

    # -- events -------------------------------------------------------------------------------------------------
    def action_flip_side(self) -> None:
        """Flip BUY ↔ SELL (``ctrl+s``, from any field of the ticket)."""
        self.query_one("#side", SideToggle).flip()

    @on(SideToggle.Changed)
    def _side_changed(self) -> None:
        self._show_side()

    @on(Input.Changed)
    @on(Select.Changed, "#option")
    def _field_changed(self) -> None:
        self._show_summary()

    @on(Select.Changed, "#type")
    def _type_changed(self, event: Select.Changed) -> None:
        self._apply_type(event.value == OrderType.STOP_LIMIT.value)

    def _apply_type(self, is_stop: bool) -> None:
        self.query_one("#stop_price", Input).disabled = not is_stop
        option = self.query_one("#option", Select)
        if is_stop:
            option.value = _NO_OPTION
        option.disabled = is_stop
        # Only the rows the order type uses are shown (a limit order has no stop price, a stop-limit no option).
        self.set_class(is_stop, "-stop")
        self._show_summary()

    @on(Select.Changed, "#symbol")
    def _symbol_changed(self) -> None:
        symbol = self.symbol
        if symbol != self._shown_symbol:
            self.leave_replace()  # the order being replaced is of the previous symbol
            # A price typed for one symbol is never right for another (a BTC price on an ETH ticket), and the
            # amount is the new symbol's own last amount, never the previous symbol's.
            amount = self.query_one("#amount", Input)
            self._amounts[self._shown_symbol] = amount.value
            self._shown_symbol = symbol
            self.query_one("#price", Input).value = ""
            self.query_one("#stop_price", Input).value = ""
            amount.value = self._amounts.get(symbol, "")
            self._last = None
            self.clear_errors()
        self._show_rules_hint()
        self._show_summary()
        self.post_message(TicketSymbolChanged(symbol))

    @on(Input.Submitted)
    @on(Button.Pressed, "#place")
    def _submit(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.submit()

    # -- what the ticket shows ----------------------------------------------------------------------------------
    def _currencies(self) -> tuple[str, str]:
        """(base, quote) of the ticket's symbol, e.g. ``("BTC", "USD")``."""
        rules = self._rules.get(self.symbol)
        if rules is not None:
            return rules.base_currency.upper(), rules.quote_currency.upper()
        return self.symbol[:-3].upper(), self.symbol[-3:].upper()

    def _show_side(self) -> None:
        side = self.side
        self.set_class(side is Side.BUY, "-buy")
        self.set_class(side is Side.SELL, "-sell")
        self.query_one("#place", Button).variant = "success" if side is Side.BUY else "error"
        self._show_summary()

    def _show_summary(self) -> None:
        """The Place button's label and the stop warning, from the fields as they are now."""
        button = self.query_one("#place", Button)
        text = self._place_text()
        if str(button.label) != text:
            lines_before = str(button.label).count("\n")
            button.label = text
            if text.count("\n") != lines_before:
                button.refresh(layout=True)  # Button's label does not re-layout: its height follows the lines here
        self._show_stop_warning()
        self._show_available()

    def _place_text(self) -> str:
        """``BUY 0.5 ETHUSD ≈ 1,575.00 USD`` (``stop 64,000.00`` for a stop-limit, the option's short name), in as
        few lines as the button's width allows, never breaking inside a part."""
        ticket = self.read()
        _, quote = self._currencies()
        amount = _number(ticket.amount)
        price = _number(ticket.price)
        shown_amount = fmt_qty(amount) if amount is not None else "?"
        parts = [f"{ticket.side.value.upper()} {shown_amount} {ticket.symbol.upper()}"]
        if self.replacing is not None:
            parts.insert(0, f"REPLACE {self.replacing.label}:")
        if ticket.order_type is OrderType.STOP_LIMIT:
            stop = _number(ticket.stop_price)
            parts.append(f"stop {fmt_price(stop) if stop is not None else '?'}")
        if price is not None and amount is not None:
            parts.append(f"≈ {fmt_money(price * amount, quote)}")
        if ticket.option is not None:
            parts.append(OPTION_SHORT[ticket.option])
        button = self.query_one("#place", Button)
        width = button.size.width - 2 * button.styles.line_pad if button.size.width else 1_000
        lines = [parts[0]]
        for part in parts[1:]:
            if len(lines[-1]) + 1 + len(part) <= width:
                lines[-1] += " " + part
            else:
                lines.append(part)
        return "\n".join(lines)

    def on_resize(self) -> None:
        self._show_summary()  # the label's lines follow the button's width

    def _show_stop_warning(self) -> None:
        ticket = self.read()
        warning = self.query_one("#stop-warning", Static)
        text = ""
        if ticket.order_type is OrderType.STOP_LIMIT and self._last is not None:
            stop = _number(ticket.stop_price)
            if stop is not None and stop_triggers_at_once(ticket.side, stop, self._last):
                text = f"⚠ Triggers at once: last {fmt_price(self._last)}"
        if str(warning.content) != text:
            warning.update(text)
        warning.set_class(bool(text), "-visible")
        # The warning takes the rules hint's place, so the ticket still fits 80x24 with it.
        self.set_class(bool(text), "-stop-warning")

    def _show_available(self) -> None:
        """The balance the order would spend, on the bottom border: the quote currency for a buy, the base
        currency for a sell; ``-short`` when the order needs more than that."""
        base, quote = self._currencies()
        rules = self._rules.get(self.symbol)
        # A contract (a Roxom perpetual) is margined in the quote currency on either side, and the margin is not a
        # simple function of the ticket: the balance shown is the quote currency's, never flagged short.
        contracts = rules is not None and rules.quantity_unit is not None
        currency = quote if self.side is Side.BUY or contracts else base
        if self._available is None:
            self.border_subtitle = f"avail — {currency}"
            self.remove_class("-short")
            return
        available = self._available.get(currency, Decimal(0))
        ticket = self.read()
        amount, price = _number(ticket.amount), _number(ticket.price)
        need = amount if self.side is Side.SELL else (amount * price if amount and price else None)
        if contracts:
            need = None
        self.border_subtitle = f"avail {fmt_money(available, currency)}"
        self.set_class(need is not None and need > available, "-short")

    def _show_rules_hint(self) -> None:
        symbol = str(self.query_one("#symbol", Select).value)
        rules = self._rules.get(symbol)
        hint = self.query_one("#rules-hint", Static)
        if rules is None:
            hint.update("")
            return
        hint.update(
            f"tick {_fmt(rules.price_increment)} · qty step {_fmt(rules.quantity_increment)} · "
            f"min {_fmt(rules.min_order_size)} {rules.amount_unit}"
        )
