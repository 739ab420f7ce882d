"""The layers below the TUI never import textual or rich (checked in a fresh interpreter; the static layer rules
and the import cycles are in test_layers.py)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

#: Everything outside console.tui: the protocol, the domain, the local exchange and the services the TUI drives.
NON_TUI = [
    "console.domain", "console.trading", "console.venues", "console.exchange", "console.util",
    "console.app.config", "console.app.doctor", "console.app.credentials", "console.app.settings", "console.app.cli",
    "console.app.args", "console.app.clients",
]


@pytest.mark.parametrize("package", NON_TUI)
def test_package_does_not_import_textual_or_rich(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(getattr(pkg, '__path__', []), pkg.__name__ + '.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


#: Names of the private reference notes the code was written from; a user's clone has none of them, so code
#: cites Gemini's public documentation URL or a page under docs/ instead. Built from pieces so that this file
#: does not match its own scan.
_REFERENCE_NAMES = ("gemini" + "-api", "roxom" + "-api")
_OUTSIDE_REFERENCE = re.compile(
    "|".join(
        [rf"{re.escape(name)}\.md" for name in _REFERENCE_NAMES]
        + [r"\bshared" + "/", r"\bshared" + " §", "§" + r"\s?\d"]  # the last: a bare section number of those notes
    )
)
_SCANNED_SUFFIXES = (".py", ".tcss", ".toml")
_SCANNED_DIRS = ("console", "tests", "benchmarks", "scripts", "styles")
_ROOT = Path(__file__).resolve().parents[2]


def _scanned(name: str) -> bool:
    return name.endswith(_SCANNED_SUFFIXES) or Path(name).name == "Makefile"


def _tracked_source_files() -> list[Path]:
    """The repo's tracked code and config files (``git ls-files``), or a walk of its code folders without git."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        walked = [p for d in _SCANNED_DIRS for p in (_ROOT / d).rglob("*") if ".venv" not in p.parts]
        return [p for p in walked + [_ROOT / "Makefile", _ROOT / "pyproject.toml"] if p.is_file() and _scanned(p.name)]
    names = [name for name in listed.stdout.split("\0") if name]
    return [_ROOT / name for name in names if _scanned(name) and (_ROOT / name).is_file()]


def test_no_file_cites_a_reference_outside_the_repo():
    files = _tracked_source_files()
    assert any(path.relative_to(_ROOT).as_posix() == "console/exchange/engine/core.py" for path in files)  # sees code
    offenders = [
        f"{path.relative_to(_ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _OUTSIDE_REFERENCE.search(line)
    ]
    assert offenders == [], "cite Gemini's public docs or a page under docs/ instead:\n" + "\n".join(offenders)
