"""The layers below the TUI never import textual or rich (checked in a fresh interpreter)."""

import subprocess
import sys

import pytest


#: Everything outside console.tui: the protocol, the domain, the local exchange and the services the TUI drives.
NON_TUI = [
    "console.gemini", "console.orders", "console.exchange", "console.session", "console.market", "console.account",
    "console.config", "console.journal", "console.deadman", "console.doctor", "console.tap",
    "console.market_reference", "console.secrets", "console.settings", "console.cli",
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
