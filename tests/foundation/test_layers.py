"""The package's layers: each module imports only from its own layer or the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import paxsilica

PACKAGE = Path(paxsilica.__file__).parent

# Lowest first. A module may import from its own layer and from any layer listed before it;
# the layers on one line are siblings and do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("paxsilica", "paxsilica.iris", "paxsilica.media", "paxsilica.paths"),
    ("paxsilica.config", "paxsilica.bundle"),
    ("paxsilica.rdf",),
    ("paxsilica.sparql", "paxsilica.publish", "paxsilica.validation", "paxsilica.importers"),
    ("paxsilica.web",),
    ("paxsilica.cli",),
    ("paxsilica.__main__",),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> tuple[int, str]:
    """The layer (its rank) and the unit (the named package or module) a module belongs to."""
    best: tuple[int, str] | None = None
    for rank, units in enumerate(LAYERS):
        for unit in units:
            inside = module == unit or module.startswith(unit + ".")
            if inside and (best is None or len(unit) > len(best[1])):
                best = (rank, unit)
    assert best is not None, f"{module} belongs to no layer"
    return best


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_module_imports_only_downwards(path: Path) -> None:
    module = module_name(path)
    rank, unit = unit_of(module)
    for imported in imported_modules(path):
        if not imported.startswith("paxsilica"):
            continue
        if imported == "paxsilica" or imported.startswith("paxsilica.__"):
            continue
        try:
            other_rank, other_unit = unit_of(imported)
        except AssertionError:
            continue  # a name imported from a module (from paxsilica.x import Name)
        if other_unit == unit:
            continue
        assert other_rank < rank, f"{module} ({unit}) imports {imported} ({other_unit})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_flask_only_in_the_web_layer(path: Path) -> None:
    module = module_name(path)
    if module.startswith("paxsilica.web"):
        return
    for imported in imported_modules(path):
        assert imported.split(".")[0] != "flask", f"{module} imports {imported}"
        if imported.split(".")[0] == "werkzeug":
            # Werkzeug's Accept-header parser is the one HTTP tool below the web layer.
            assert module == "paxsilica.media", f"{module} imports {imported}"


def test_every_module_belongs_to_a_layer() -> None:
    for path in MODULES:
        unit_of(module_name(path))
