"""Sub-account switcher for master keys: pick the sub-account every call acts on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class SubAccountScreen(ModalScreen[str | None]):
    """Lists the master key's sub-accounts; ``Enter`` picks one, ``Esc`` keeps the current one.

    Args:
        names: the sub-account nicknames.
        current: the one in use (marked).
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Keep", id="subaccount.keep")]

    def __init__(self, names: tuple[str, ...], current: str | None) -> None:
        super().__init__()
        self.names = names
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="subaccount-dialog"):
            yield Static("Act on which sub-account? (master key)", id="subaccount-title")
            yield OptionList(
                *(Option(f"{'● ' if n == self.current else '  '}{n}", id=n) for n in self.names),
                id="subaccount-list",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.names:
            options.highlighted = self.names.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
