"""The console's text fields and dropdowns: keys applied strictly in the order they were typed.

Textual 8.2.8's ``Input`` inserts a printable character in its own ``_on_key``, in the input's message queue, but
its bound keys (Backspace, arrows, Home/End, Ctrl+U, Ctrl+K...) and the screen's keys (Tab) do nothing there: the
key bubbles up to the app, which runs the binding later, in the app's queue. A burst of keys (a paste, or keys
SSH delivers together after a lag) is applied out of order: ``End Ctrl+U 0.001`` typed after a ``Tab`` can leave
``1`` in the amount field. Upstream issue: https://github.com/Textualize/textual/issues/6605 (open); pull request
https://github.com/Textualize/textual/pull/6631 runs a widget's own bindings inline in ``_on_key``.

Here the app applies each key to a focused :class:`TextInput` or :class:`Dropdown` completely, in the app's own
message handler, before it reads the next key: the field's own handling (insert the character, or pick the option
that starts with the letter), then the binding chain from the field up (the field's keys, the screen's Tab, the
app's keys), as Textual would once the key had bubbled up. A focus change by one key (Tab) is therefore in place
before the next key is routed, and a field's select-on-focus happens when focus arrives, not when its ``Focus``
event is processed later.

The Textual internals this takes (how the app hands a key to the focused widget, the binding chain, ``key_``
methods, a widget's message context, its bindings after the keymap) are in :mod:`console.tui.internals`, pinned to
Textual 8.2.8; ``tests/tui/test_keys_in_order.py`` fails if they change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App
from textual.message import Message
from textual.widgets import Input, Select
from textual.widgets.input import Selection

from console.tui.internals import (
    ForwardHook,
    binds_key,
    check_bindings,
    dispatch_key,
    input_key,
    input_paste,
    mark_forwarded,
    message_context,
)

__all__ = ["Dropdown", "InOrderKeys", "KeysInOrderApp", "TextInput", "binds_key"]


class KeysInOrderApp(App[Any]):
    """An app that applies every key (and paste) to a focused :class:`TextInput` or :class:`Dropdown` at once.

    Textual's own handling runs first (focus on app focus, priority bindings such as Ctrl+Q); where it would post the
    key to the focused field's queue, the field's part and then the binding chain run here instead, before the app
    handles its next message.
    """

    #: While :meth:`on_event` handles a key or a paste: the (field, event) pairs Textual forwarded to a field.
    _keys_in_order: list[tuple[_InOrder, events.Event]] | None = None

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            await super().on_event(event)
            return
        if isinstance(event, events.Key) and event.key.startswith("alt+") and event.character is not None \
                and len(event.character) == 1 and event.character.isprintable():
            # A terminal sends Alt+O as ESC then "o", so ESC followed at once by a key arrives as one Alt key:
            # Esc then o typed over a lagging SSH link (the two bytes in one packet) would type "o" into a field.
            # The console binds no Alt key, so such a key is what it was typed as: Esc, then the key.
            for key, character in (("escape", "\x1b"), (event.key[len("alt+"):], event.character)):
                split = events.Key(key, character)
                split.set_sender(self)
                await self.on_event(split)
            return
        taken: list[tuple[_InOrder, events.Event]] = []
        self._keys_in_order = taken
        try:
            await super().on_event(event)
        finally:
            self._keys_in_order = None
        for field, forwarded in taken:
            await field._apply_in_order(forwarded)


class _InOrder(ForwardHook):
    """Mixin for a focusable widget whose whole key handling :class:`KeysInOrderApp` runs in order."""

    #: Events the app applies in order to this widget (others go to its queue as usual).
    IN_ORDER: ClassVar[tuple[type[events.Event], ...]] = (events.Key,)

    def take_forwarded(self, event: events.Event) -> bool:
        """While :class:`KeysInOrderApp` handles a key: take it, to be applied before the app's next message."""
        slot = getattr(self.app, "_keys_in_order", None)
        if slot is not None and isinstance(event, self.IN_ORDER):
            mark_forwarded(event)
            slot.append((self, event))
            return True
        return False

    async def _apply_in_order(self, event: events.Event) -> None:
        """What Textual does with a key forwarded to this widget, without leaving the app's message handler."""
        with message_context(self):  # as in the widget's own queue
            if isinstance(event, events.Paste):
                self._paste(event)
                return
            assert isinstance(event, events.Key)
            if await self._own_key(event):
                return
        # The key was not the widget's: Textual would bubble it to the app, which runs the non-priority bindings
        # from the focused widget up (this widget's, its containers', the screen's, the app's), then key_ methods.
        # No console container between the field and the app handles keys itself.
        app = self.app
        if not await check_bindings(app, event.key):
            await dispatch_key(app, event)

    async def _own_key(self, event: events.Key) -> bool:
        """Apply ``event`` as the widget itself would (Textual's ``Widget._on_key``: its ``key_`` methods); True if it
        consumed it."""
        return await dispatch_key(self, event)

    def _paste(self, event: events.Paste) -> None:
        """Apply a paste as the widget itself would."""


#: The mixin for any other focusable console widget whose keys can move focus or act (the orders table, the status
#: pane, the side control): with it, ``o 64000`` typed fast from the orders table moves focus to the price field
#: *before* ``64000`` is routed, instead of queueing the digits at the table behind the ``o``. Put it first among
#: the bases: ``class OrdersTable(InOrderKeys, ScrollView)``.
InOrderKeys = _InOrder


class TextInput(_InOrder, Input):
    """A single-line text field that applies keys and pastes in the order they arrive (see the module docstring).

    Takes :class:`textual.widgets.Input`'s arguments. ``select_on_focus`` (default True) selects the whole value
    when focus arrives, in order with the keys around it: ``Tab`` then ``5`` into a field holding ``1`` gives ``5``.
    """

    IN_ORDER = (events.Key, events.Paste)

    def __init__(self, *args: Any, select_on_focus: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, select_on_focus=False, **kwargs)  # Input would select when the event is processed
        self.select_all_on_focus = select_on_focus

    def post_message(self, message: Message) -> bool:
        # Screen.set_focus posts Focus the moment focus moves; select here so the next key sees the selection.
        if isinstance(message, events.Focus) and self.select_all_on_focus and not message.from_app_focus:
            self.selection = Selection(0, len(self.value))
        return super().post_message(message)

    async def _own_key(self, event: events.Key) -> bool:
        await input_key(self, event)  # printable: inserted (or replaces the selection), event stopped
        return event.is_printable

    def _paste(self, event: events.Paste) -> None:
        input_paste(self, event)


def _plain(label: object) -> str:
    return label.plain if isinstance(label, Text) else str(label)


class Dropdown(_InOrder, Select[Any]):
    """A dropdown where a letter picks the option: the first whose label starts with it, the next one on a repeat.

    A printable key on a closed dropdown always stays in it (an unmatched letter does nothing), so a screen's
    letter keys never fire from here; the dropdown's own keys (Enter, Space, Up, Down open the list) still work.
    Takes :class:`textual.widgets.Select`'s arguments.
    """

    def __init__(self, options: Iterable[tuple[Any, Any]], **kwargs: Any) -> None:
        options = list(options)
        super().__init__(options, **kwargs)
        self._choices = options

    def set_options(self, options: Iterable[tuple[Any, Any]]) -> None:
        options = list(options)
        self._choices = options
        super().set_options(options)

    def select_by_letter(self, letter: str) -> bool:
        """Pick the option whose label starts with ``letter`` (any case), after the current one; True if found."""
        values = [value for label, value in self._choices]
        matches = [i for i, (label, _) in enumerate(self._choices) if _plain(label)[:1].lower() == letter.lower()]
        if not matches:
            return False
        current = values.index(self.value) if self.value in values else -1
        following = [i for i in matches if i > current]
        self.value = values[(following or matches)[0]]
        return True

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        """A printable key is the dropdown's (Textual then leaves the screen's bindings for it out of the chain),
        except the dropdown's own keys (Space opens the list)."""
        return character is not None and character.isprintable() and not binds_key(self, key)

    async def _own_key(self, event: events.Key) -> bool:
        if not self.check_consume_key(event.key, event.character):
            return False
        assert event.character is not None
        self.select_by_letter(event.character)
        return True

    async def on_key(self, event: events.Key) -> None:
        # Reached only in an app that does not route keys in order (KeysInOrderApp calls _own_key itself). Textual
        # dispatches a class's on_key where it has no _on_key, so it runs where the private name ran before.
        if await self._own_key(event):
            event.stop()
            event.prevent_default()
