"""The help screen (``?``): every key of the console, generated from the bindings so it never drifts.

The app hands the screen its rows (the classes that declare bindings, and the keymap from the desk configuration):
this module imports no other part of the console's TUI, so the app can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.app import ComposeResult
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


def _key_label(key: str) -> str:
    return ", ".join({"exclamation_mark": "!", "question_mark": "?"}.get(k.strip(), k.strip()) for k in key.split(","))


def key_help(keymap: Mapping[str, str], sources: Iterable[tuple[str, type]]) -> list[KeyHelp]:
    """The help rows: each binding of each source class, its key taken from ``keymap`` when rebound.

    Args:
        keymap: binding id → key(s), the desk configuration's ``[keymap]`` (what the app gave ``set_keymap``).
        sources: (scope shown, class declaring ``BINDINGS``) pairs, e.g. the app's ``binding_sources()``.
    """
    rows: list[KeyHelp] = []
    for scope, owner in sources:
        for binding in owner.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                continue
            key = keymap.get(binding.id or "", binding.key)
            rows.append(KeyHelp(scope, _key_label(key), binding.description, binding.id or "", binding.action, owner))
    return rows


def help_text(rows: Iterable[KeyHelp], palette_key: str = "ctrl+p") -> str:
    """The help screen's text: one block per scope, one line per key, plus the command palette's key."""
    lines: list[str] = []
    scope = None
    for row in rows:
        if row.scope != scope:
            scope = row.scope
            lines.append(("" if not lines else "\n") + scope)
        lines.append(f"  {row.keys:<11} {row.description:<22} {row.binding_id}")
    lines.append(f"\nCommand palette\n  {palette_key:<11} {'every action by name':<22} (textual)")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Every key the console knows, by where it works, with the binding id to rebind it in ``[keymap]``.

    Args:
        rows: the keys to list (:func:`key_help`), from the app that opens the screen.
        palette_key: the key that opens the command palette.
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss(None)", "Close help", id="help.close")]

    def __init__(self, rows: Iterable[KeyHelp], palette_key: str = "ctrl+p") -> None:
        super().__init__()
        self.rows = list(rows)
        self.palette_key = palette_key

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static('Keys  (rebind in config.toml: [keymap] "binding id" = "key")', id="title", markup=False)
            with VerticalScroll(id="keys"):
                yield Static(help_text(self.rows, self.palette_key), id="key-list", markup=False)
            yield Static("escape / q / ? closes", id="hint")
