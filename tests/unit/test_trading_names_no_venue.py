"""The trading session talks to a venue only through ``console.trading.venue``: it imports and names no venue."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TRADING = Path(__file__).resolve().parents[2] / "console" / "trading"
#: Modules of console/trading that still reach Gemini's clients directly (account views, market data, reference
#: prices, the journal's tap); they move onto venue interfaces in their own change. Everything else must not.
NOT_YET_NEUTRAL = {"journal.py"}
NEUTRAL = sorted(p.name for p in TRADING.glob("*.py") if p.name not in NOT_YET_NEUTRAL)
#: What a venue-neutral module may not name: a venue's package, or a venue by name (any case).
VENUE_WORDS = ("venues", "gemini", "roxom")


def _offences(path: Path) -> list[str]:
    """Imports of ``console.venues…`` and identifiers naming a venue (strings and docstrings are not code)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        else:
            continue
        found += [f"{path.name}:{getattr(node, 'lineno', '?')}: {name}" for name in names
                  if any(word in name.lower() for word in VENUE_WORDS)]
    return found


def test_the_session_modules_are_all_checked():
    assert {"session.py", "cancels.py", "stream.py", "status_text.py", "types.py", "deadman.py",
            "venue.py"} <= set(NEUTRAL)


@pytest.mark.parametrize("name", NEUTRAL)
def test_trading_module_imports_and_names_no_venue(name):
    assert _offences(TRADING / name) == []


def test_the_check_sees_a_venue_import_and_a_venue_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say Gemini."""\nfrom console.venues.gemini.rest import GeminiRestClient\n'
                      'x = rest.gemini_thing\n')
    assert _offences(sample) == ["sample.py:2: console.venues.gemini.rest", "sample.py:2: GeminiRestClient",
                                 "sample.py:3: gemini_thing"]


def test_importing_the_session_loads_no_venue_module():
    code = (
        "import sys\n"
        "import console.trading.session, console.trading.deadman, console.trading.venue\n"
        "print(','.join(sorted(n for n in sys.modules if n.startswith('console.venues'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=TRADING.parent.parent)
    assert result.stdout.strip() == ""
