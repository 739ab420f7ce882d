"""The layers of ``console/`` and which way their imports go, read from the source with ``ast``.

Every ``import`` counts: at module level, inside a function, and under ``if TYPE_CHECKING:``. A function-level
import cannot hide a cycle here, and a type-only import is still a dependency of the design.

The direction (docs/architecture.md): ``domain`` imports no other console package; ``util`` imports no console
package; a venue (``console.venues.<name>``) imports only ``domain``, ``util`` and itself; ``tui`` never imports a
venue or the local exchange; ``trading`` never imports a venue. Textual and Rich stay in ``tui`` (and ``app``, the
composition root that starts the screen); ``tests/unit/test_import_hygiene.py`` checks the same at run time.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "console"

#: Imports that break the direction (``(importer, imported)``): none. The test fails when a listed one is gone.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()

#: Import cycles (sorted tuples of modules): none. The test fails when a listed one is gone.
KNOWN_CYCLES: frozenset[tuple[str, ...]] = frozenset()


@dataclass(frozen=True, slots=True)
class Module:
    """One module of the package: its dotted name, its file, and whether it is a package's ``__init__``."""

    name: str
    path: Path
    is_package: bool


@functools.cache
def modules() -> dict[str, Module]:
    """Every module under ``console/``, by dotted name (a package by its own name, e.g. ``console.domain``)."""
    found: dict[str, Module] = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` names (relative imports resolved against ``module``)."""
    if not node.level:
        return node.module or ""
    base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    """``name`` or its closest enclosing module of the package (``console.x.y.Name`` → ``console.x.y``)."""
    known = modules()
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imported_names(module: Module) -> Iterator[tuple[str, int]]:
    """Every absolute module name ``module`` imports, anywhere in the file, with the line of the import.

    ``from a.b import c`` names ``a.b.c`` when that is a module, else ``a.b``.
    """
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node)
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield (submodule if submodule in modules() else target), node.lineno


@functools.cache
def graph() -> dict[str, frozenset[str]]:
    """Module → the package's modules it imports (itself left out)."""
    edges: dict[str, frozenset[str]] = {}
    for name, module in modules().items():
        targets = set()
        for imported, _line in imported_names(module):
            if imported == PACKAGE or imported.startswith(PACKAGE + "."):
                target = _known(imported)
                if target is not None and target != name:
                    targets.add(target)
        edges[name] = frozenset(targets)
    return edges


def cycles(edges: dict[str, frozenset[str]]) -> set[tuple[str, ...]]:
    """The import cycles of ``edges``: each strongly connected component of more than one module, sorted.

    Tarjan's algorithm, iterative (no recursion limit whatever the depth of the graph).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: set[tuple[str, ...]] = set()
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(tuple(sorted(component)))
    return found


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def rule_broken(importer: str, imported: str) -> str | None:
    """Which layer rule ``importer`` importing ``imported`` breaks, or None (both are modules of the package)."""
    if _in(importer, "console.domain") and not _in(imported, "console.domain"):
        return "console.domain imports no other console package"
    if _in(importer, "console.util") and not _in(imported, "console.util"):
        return "console.util imports no console package"
    if _in(importer, "console.venues") and importer != "console.venues":
        venue = ".".join(importer.split(".")[:3])  # console.venues.<name>
        if not (_in(imported, venue) or _in(imported, "console.domain") or _in(imported, "console.util")):
            return f"a venue ({venue}) imports only console.domain, console.util and itself"
    if _in(importer, "console.tui") and (_in(imported, "console.venues") or _in(imported, "console.exchange")):
        return "console.tui never imports a venue or the local exchange"
    if _in(importer, "console.trading") and _in(imported, "console.venues"):
        return "console.trading never imports a venue (it drives one through the venue interface)"
    return None


def violations(edges: dict[str, frozenset[str]]) -> dict[tuple[str, str], str]:
    """Every import of ``edges`` that breaks a layer rule, with the rule."""
    return {
        (importer, imported): rule
        for importer, targets in edges.items()
        for imported in targets
        if (rule := rule_broken(importer, imported)) is not None
    }


# -- the checks ------------------------------------------------------------------------------------------------------

def test_the_scan_sees_every_kind_of_import():
    """Sanity: module-level, function-level and relative imports all reach the graph."""
    edges = graph()
    assert "console.app.wiring" in edges and "console.tui.app" in edges["console.app.wiring"]  # module level
    assert "console.app.doctor" in edges["console.app.cli"]  # inside a function (cli's subcommands)
    assert len(modules()) > 100


def test_no_import_cycles():
    found = cycles(graph())
    new = sorted(found - KNOWN_CYCLES)
    assert new == [], "import cycles (a function-level import does not remove one):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in new)


def test_known_cycles_only_shrink():
    gone = sorted(KNOWN_CYCLES - cycles(graph()))
    assert gone == [], f"no longer cycles: remove them from KNOWN_CYCLES: {gone}"


def test_layer_direction():
    found = violations(graph())
    new = sorted(f"{a} imports {b}: {rule}" for (a, b), rule in found.items() if (a, b) not in KNOWN_VIOLATIONS)
    assert new == [], "imports against the layer direction:\n" + "\n".join(new)


def test_known_violations_only_shrink():
    gone = sorted(KNOWN_VIOLATIONS - set(violations(graph())))
    assert gone == [], f"these imports are gone (or allowed now): remove them from KNOWN_VIOLATIONS: {gone}"


def test_textual_and_rich_stay_in_the_screen_and_the_composition_root():
    offenders = [
        f"{module.path.relative_to(ROOT)}:{line}: {name}"
        for module in modules().values()
        if not (_in(module.name, "console.tui") or _in(module.name, "console.app"))
        for name, line in imported_names(module)
        if name.split(".")[0] in ("textual", "rich")
    ]
    assert offenders == []


# -- the checker itself, on small graphs -----------------------------------------------------------------------------

def test_cycles_finds_a_cycle_through_a_function_level_import_and_nothing_in_a_tree():
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) == {
        ("a", "b", "c")}
    assert cycles({"a": frozenset({"b", "c"}), "b": frozenset({"c"}), "c": frozenset()}) == set()


def test_function_level_imports_are_read(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from console.app import cli\n    import console.tui.app\n", encoding="utf-8")
    names = [name for name, _ in imported_names(Module("console.x", source, False))]
    assert names == ["console.app.cli", "console.tui.app"]


def test_each_rule_flags_what_it_forbids():
    assert rule_broken("console.domain.model", "console.trading.session") is not None
    assert rule_broken("console.domain.model", "console.domain.reasons") is None
    assert rule_broken("console.util.clock", "console.domain.model") is not None
    assert rule_broken("console.venues.gemini.rest", "console.trading.session") is not None
    assert rule_broken("console.venues.gemini.rest", "console.venues.roxom.rest") is not None
    assert rule_broken("console.venues.gemini.rest", "console.util.backoff") is None
    assert rule_broken("console.tui.app", "console.exchange.keys") is not None
    assert rule_broken("console.tui.app", "console.venues.gemini.errors") is not None
    assert rule_broken("console.trading.session", "console.venues.gemini.rest") is not None
    assert rule_broken("console.app.wiring", "console.venues.gemini.rest") is None
