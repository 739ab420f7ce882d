"""The one place that knows where the app's stylesheets live, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the ``console`` package


def styles_dir() -> Path:
    """Return the directory holding every ``.tcss`` file of the app.

    In a source checkout (and an editable install) that is the top-level ``styles/`` folder; in a wheel,
    hatch's ``force-include`` ships the same folder as ``console/_styles``.

    Raises:
        FileNotFoundError: if neither location exists (a broken install).
    """
    for candidate in (_PACKAGE_DIR / "_styles", _PACKAGE_DIR.parent / "styles"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"styles directory not found next to {_PACKAGE_DIR}")
