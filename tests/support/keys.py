"""Post keys to an app as one burst, the way a terminal delivers a paste or keys that arrived together.

``Pilot.press`` waits for the app to go idle after every key, which hides any mistake in the order keys are
applied. :func:`post_keys` builds the same ``events.Key`` objects Pilot builds (Textual 8.2.8's
``App._press_keys``) and puts them all on the app's queue at once, with no wait in between.
"""

from __future__ import annotations

import asyncio
import unicodedata

from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key


def key_event(key: str) -> events.Key:
    """The ``events.Key`` Pilot would send for ``key`` (a key name such as ``"ctrl+u"``, or one character)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def post_keys(app: App, *keys: str | events.Event) -> None:
    """Queue every key (or event, e.g. ``events.Paste``) on ``app`` now, in order, without waiting between them."""
    for key in keys:
        event = key_event(key) if isinstance(key, str) else key
        event.set_sender(app)
        app.post_message(event)


async def settle_keys(pilot, timeout: float = 10.0) -> None:
    """Wait until the app has handled every message queued before this call (e.g. the keys of :func:`post_keys`),
    then until it is idle."""
    done = asyncio.Event()
    pilot.app.call_later(done.set)
    await asyncio.wait_for(done.wait(), timeout)
    await pilot.pause()
