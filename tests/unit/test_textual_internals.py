"""Every use of Textual's private internals sits in ``console/tui/internals.py``, pinned to one Textual version.

The rest of ``console/`` uses Textual's public API only. A private name is one Textual's own source defines with a
leading underscore (a method, a class attribute, an instance attribute, a private module). The scan finds, outside
``internals.py``: imports of private Textual modules or names; reads and calls of Textual's private names (unless the
module defines that name itself); and console classes that define or assign a name their Textual base classes
define privately (an override of a private hook, e.g. ``_forward_event``, or an assignment to ``self._file``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import textwrap
from importlib.metadata import version
from pathlib import Path

import textual

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
INTERNALS = CONSOLE / "tui" / "internals.py"


def _private(name: str) -> bool:
    return len(name) > 1 and name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _on_self(node: ast.Attribute) -> bool:
    """``self._x``, ``cls._x`` or ``super()._x``: an attribute of the object whose class is being defined."""
    value = node.value
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super"


def _used_on_self(tree: ast.AST) -> set[str]:
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and _on_self(node) and _private(node.attr)}


def _defined(tree: ast.AST) -> set[str]:
    """Private names ``tree`` defines: functions, classes, assignments, ``self._x = ...``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _on_self(node):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {name for name in names if _private(name)}


@functools.cache
def _textual_classes() -> dict[tuple[str, str], set[str]]:
    """(module, class name) → the private names that class of Textual defines in its body or on ``self``."""
    by_class: dict[tuple[str, str], set[str]] = {}
    package = Path(textual.__file__).parent
    for path in package.rglob("*.py"):
        module = ".".join(("textual", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                by_class.setdefault((module, node.name), set()).update(_defined(node))
    return by_class


@functools.cache
def _textual_private_names() -> frozenset[str]:
    package = Path(textual.__file__).parent
    names: set[str] = set()
    for path in package.rglob("*.py"):
        names |= _defined(ast.parse(path.read_text(encoding="utf-8")))
    return frozenset(names)


def _modules() -> list[tuple[str, str, str]]:
    """(module name, path to report, source) of every module of ``console/`` but the internals module."""
    found = []
    for path in sorted(CONSOLE.rglob("*.py")):
        if path == INTERNALS:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found.append((module, str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return found


@functools.cache
def _console_own_names() -> frozenset[str]:
    """Private names the console defines itself (a read of one of those is of the console's own object)."""
    return frozenset(name for _, _, source in _modules() for name in _defined(ast.parse(source)))


def private_textual_uses(module: str, where: str, source: str) -> list[str]:
    """Every private Textual import, read or override in one module, as ``path:line: what``.

    ``obj._x`` is Textual's when Textual defines ``_x`` and the console nowhere does; ``self._x`` (and every name a
    class defines) is checked against the Textual classes the class derives from.
    """
    tree = ast.parse(source)
    uses: list[str] = []
    textual_private = _textual_private_names()
    own = _console_own_names() | _defined(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in modules:
                if name.split(".")[0] == "textual" and any(_private(part) for part in name.split(".")):
                    uses.append(f"{where}:{node.lineno}: imports {name}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "textual":
                uses += [f"{where}:{node.lineno}: imports {node.module}.{alias.name}"
                         for alias in node.names if _private(alias.name)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in textual_private \
                and node.args[1].value not in own:
            uses.append(f"{where}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
        elif isinstance(node, ast.Attribute) and not _on_self(node) and node.attr in textual_private \
                and node.attr not in own:
            uses.append(f"{where}:{node.lineno}: .{node.attr}")
    if "textual" in source or "console.tui" in source:  # only these can derive from a Textual class
        uses += _overrides(module, where)
    return uses


def _overrides(module: str, where: str) -> list[str]:
    """Private names a console class (or a mixin of it) defines or uses on ``self`` that a Textual class in its MRO
    defines: an override of a private hook, an assignment to or a read of a private attribute."""
    loaded = importlib.import_module(module)
    by_class = _textual_classes()
    uses = []
    for _, cls in inspect.getmembers(loaded, inspect.isclass):
        if cls.__module__ != module:
            continue
        textual_names: set[str] = set()
        for base in cls.__mro__:
            if base.__module__.split(".")[0] == "textual":
                textual_names |= by_class.get((base.__module__, base.__name__), set())
        if not textual_names:
            continue
        for base in cls.__mro__:
            if base.__module__.split(".")[0] not in ("console", module.split(".")[0]) \
                    or base.__module__ == "console.tui.internals":
                continue
            source = ast.parse(textwrap.dedent(inspect.getsource(base)))
            for name in sorted((_defined(source) | _used_on_self(source)) & textual_names):
                uses.append(f"{where}: {base.__name__} (in {cls.__name__}) uses Textual's private {name}")
    return uses


def test_only_the_internals_module_touches_textual_private_names():
    uses = [use for module, where, source in _modules() for use in private_textual_uses(module, where, source)]
    assert uses == [], "Textual internals outside console/tui/internals.py:\n" + "\n".join(sorted(set(uses)))


def test_the_scan_finds_each_kind_of_private_use(tmp_path, monkeypatch):
    """The scan itself: a private import, a read, a getattr, an override in a mixin and a private attribute used on
    ``self`` are each found; the module's own private names are not."""
    sample = textwrap.dedent("""
        from textual._dispatch_key import dispatch_key
        from textual.widget import Widget


        def busy(app):
            return app._batch_count or getattr(app, "_keymap", None)


        class Mixin:
            def _forward_event(self, event):
                return self._own


        class Mine(Mixin, Widget):
            _own = 1

            def render(self):
                return str(self._own) + str(self._repaint_required)
    """)
    (tmp_path / "scan_sample.py").write_text(sample, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    uses = private_textual_uses("scan_sample", "scan_sample.py", sample)
    assert any("imports textual._dispatch_key" in use for use in uses)
    assert any("._batch_count" in use for use in uses) and any("'_keymap'" in use for use in uses)
    assert any("Mixin (in Mine) uses Textual's private _forward_event" in use for use in uses)
    assert any("Mine (in Mine) uses Textual's private _repaint_required" in use for use in uses)
    assert not any("_own" in use for use in uses)


def test_the_internals_module_names_the_installed_textual_version():
    from console.tui import internals

    assert internals.TEXTUAL_VERSION == version("textual")
    pin = next(line for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
               if line.strip().startswith('"textual=='))
    assert f'"textual=={internals.TEXTUAL_VERSION}"' in pin
