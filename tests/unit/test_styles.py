"""Every stylesheet the app names exists, found from the one place that knows where styles live."""

from console.app.paths import styles_dir
from console.tui.app import STYLESHEETS, TradingConsoleApp


def test_every_named_stylesheet_exists():
    for name in STYLESHEETS:
        assert (styles_dir() / name).is_file(), name
    assert all(path.is_file() for path in TradingConsoleApp.CSS_PATH)


def test_no_hex_colours_in_python_or_styles():
    import re
    from pathlib import Path

    import console

    hex_colour = re.compile(r"#[0-9a-fA-F]{6}\b")
    for path in [*Path(console.__file__).parent.rglob("*.py"), *styles_dir().glob("*.tcss")]:
        text = path.read_text(encoding="utf-8")
        assert not hex_colour.search(text), path
