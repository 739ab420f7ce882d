"""The help screen (``?``): every key of the console, generated from the bindings so it never drifts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


@dataclass(frozen=True, slots=True)
class KeyHelp:
    """One row of the help screen.

    Attributes:
        scope: where the key works, e.g. ``"Main screen"``.
        keys: the key(s) after the user's keymap, e.g. ``"a"`` or ``"n, escape"``.
        description: what it does.
        binding_id: the id to rebind it with in ``[keymap]``.
        action: the Textual action it runs.
        owner: the class that declares the binding.
    """

    scope: str
    keys: str
    description: str
    binding_id: str
    action: str
    owner: type


def binding_sources() -> list[tuple[str, type]]:
    """Every class of the console that declares bindings, with the scope name the help screen shows."""
    from console.tui.app import TradingConsoleApp
    from console.tui.screens.account_view import AccountView
    from console.tui.screens.confirm import ConfirmCancelAll, ConfirmProduction, ConfirmQuit
    from console.tui.screens.guard_confirm import GuardConfirm
    from console.tui.screens.history import HistoryScreen
    from console.tui.screens.main import MainScreen
    from console.tui.screens.sub_account import SubAccountScreen
    from console.tui.widgets.orders_table import OrdersTable
    from console.tui.widgets.side_toggle import SideToggle
    from console.tui.widgets.ticket import OrderTicket

    return [
        ("Anywhere", TradingConsoleApp),
        ("Main screen", MainScreen),
        ("Orders table", OrdersTable),
        ("Order ticket", OrderTicket),
        ("Ticket side control", SideToggle),
        ("Guard confirmation", GuardConfirm),
        ("Cancel preview", ConfirmCancelAll),
        ("Production start", ConfirmProduction),
        ("Quit with working orders", ConfirmQuit),
        ("Account views (history, fills, balances, fees, detail, wrap)", AccountView),
        ("Order history", HistoryScreen),
        ("Sub-account switcher", SubAccountScreen),
        ("Help", HelpScreen),
    ]


def _key_label(key: str) -> str:
    return ", ".join({"exclamation_mark": "!", "question_mark": "?"}.get(k.strip(), k.strip()) for k in key.split(","))


def key_help(keymap: dict[str, str] | None = None, sources: Iterable[tuple[str, type]] | None = None) -> list[KeyHelp]:
    """The help rows: each binding of each source class, its key taken from ``keymap`` when rebound."""
    keymap = keymap or {}
    rows: list[KeyHelp] = []
    for scope, owner in sources if sources is not None else binding_sources():
        for binding in owner.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                continue
            key = keymap.get(binding.id or "", binding.key)
            rows.append(KeyHelp(scope, _key_label(key), binding.description, binding.id or "", binding.action, owner))
    return rows


def help_text(app: App) -> str:
    """The help screen's text: one block per scope, one line per key, plus the command palette."""
    lines: list[str] = []
    scope = None
    for row in key_help(dict(getattr(app, "_keymap", {}))):
        if row.scope != scope:
            scope = row.scope
            lines.append(("" if not lines else "\n") + scope)
        lines.append(f"  {row.keys:<11} {row.description:<22} {row.binding_id}")
    palette = getattr(app, "COMMAND_PALETTE_BINDING", "ctrl+p")
    lines.append(f"\nCommand palette\n  {palette:<11} {'every action by name':<22} (textual)")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Every key the console knows, by where it works, with the binding id to rebind it in ``[keymap]``."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close help", id="help.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static('Keys  (rebind in config.toml: [keymap] "binding id" = "key")', id="title", markup=False)
            with VerticalScroll(id="keys"):
                yield Static(help_text(self.app), id="key-list", markup=False)
            yield Static("escape / q / ? closes", id="hint")
