"""The ticket's side control: two states, BUY or SELL, in the side's colour; it never wraps round."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from console.domain.model import Side
from console.tui.widgets.fields import InOrderKeys

_BUY = " BUY "
_SELL = " SELL "


class SideToggle(InOrderKeys, Widget, can_focus=True):
    """Shows ``BUY  SELL`` with the chosen side lit in its colour (``$success`` buy, ``$error`` sell).

    A dropdown wrapped round (``Up`` on BUY gave SELL), so a stray arrow key changed the side unseen. Here no arrow
    key cycles: ``b`` / ``left`` choose BUY, ``s`` / ``right`` choose SELL (pressing them again changes nothing),
    and ``space`` flips, the one key that changes the side whatever it was. ``up`` / ``down`` are not bound.

    Messages up: :class:`SideToggle.Changed` when the side changes (never when it is set to what it was).
    """

    BINDINGS = [
        Binding("b,left", "choose('buy')", "Buy", show=False, id="ticket.side_buy"),
        Binding("s,right", "choose('sell')", "Sell", show=False, id="ticket.side_sell"),
        Binding("space", "flip", "Flip side", show=False, id="ticket.side_flip"),
    ]

    COMPONENT_CLASSES = {"side-toggle--buy", "side-toggle--sell", "side-toggle--off"}

    #: The chosen side.
    value: reactive[Side] = reactive(Side.BUY)

    class Changed(Message):
        """The side changed to ``side``."""

        def __init__(self, toggle: SideToggle, side: Side) -> None:
            super().__init__()
            self.toggle = toggle
            self.side = side

        @property
        def control(self) -> SideToggle:
            return self.toggle

    def __init__(self, side: Side = Side.BUY, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(SideToggle.value, side)

    def on_mount(self) -> None:
        self._show(self.value)

    def watch_value(self, side: Side) -> None:
        self._show(side)
        self.post_message(self.Changed(self, side))

    def _show(self, side: Side) -> None:
        self.set_class(side is Side.BUY, "-buy")
        self.set_class(side is Side.SELL, "-sell")

    def flip(self) -> None:
        """Change to the other side."""
        self.value = Side.SELL if self.value is Side.BUY else Side.BUY

    def action_choose(self, side: str) -> None:
        self.value = Side(side)

    def action_flip(self) -> None:
        self.flip()

    def on_click(self, event: events.Click) -> None:
        """A click on ``BUY`` chooses BUY, anywhere right of it SELL."""
        self.value = Side.BUY if event.x < len(_BUY) else Side.SELL

    def render(self) -> Text:
        off = self.get_component_rich_style("side-toggle--off")
        buy = self.get_component_rich_style("side-toggle--buy") if self.value is Side.BUY else off
        sell = self.get_component_rich_style("side-toggle--sell") if self.value is Side.SELL else off
        text = Text()
        text.append(_BUY, style=buy)
        text.append(" ")
        text.append(_SELL, style=sell)
        return text
