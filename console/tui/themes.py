"""The console's extra Textual theme: ``monochrome``, for terminals (and people) without colour.

Every colour is a shade of grey, so state must show through text style alone: the stylesheet's
``App.-monochrome`` rules give each state its own bold / reverse / underline / dim combination.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

MONOCHROME = "monochrome"

_WHITE = "rgb(255,255,255)"
_BLACK = "rgb(0,0,0)"

MONOCHROME_THEME = Theme(
    name=MONOCHROME,
    primary=_WHITE,
    secondary=_WHITE,
    accent=_WHITE,
    warning=_WHITE,
    error=_WHITE,
    success=_WHITE,
    foreground=_WHITE,
    background=_BLACK,
    surface=_BLACK,
    panel="rgb(40,40,40)",
    dark=True,
)


def register(app: App[Any]) -> None:
    """Make the console's themes available to ``app`` (call before setting ``app.theme``)."""
    if MONOCHROME not in app.available_themes:
        app.register_theme(MONOCHROME_THEME)
