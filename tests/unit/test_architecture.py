"""The package's shape: stage subpackages whose imports point one way.

Each top-level node of ``pytest_veto`` (a subpackage or a module) sits on a layer; a
node may import only from nodes on lower layers (or from itself). Lazy imports inside
functions count too: an upward import is a cycle waiting to happen whatever its position.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest_veto

PACKAGE = Path(pytest_veto.__file__).parent

#: lowest first; nodes on one layer must not import each other
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"data", "wire"}),
    frozenset({"__init__"}),
    frozenset({"backends"}),
    frozenset({"score"}),
    frozenset({"run"}),
    frozenset({"misalign", "lens", "explore"}),
    frozenset({"settings"}),
    frozenset({"gate"}),
    frozenset({"report"}),
    frozenset({"state", "cancel", "lifetime"}),
    frozenset({"facts"}),
    frozenset({"controller"}),
    frozenset({"markexpr"}),
    frozenset({"collection"}),
    frozenset({"plugin", "cli"}),
    frozenset({"__main__", "suite"}),
)


def _layer(node: str) -> int:
    for index, layer in enumerate(LAYERS):
        if node in layer:
            return index
    raise AssertionError(f"top-level node {node!r} has no layer in {__name__}.LAYERS")


def _node(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_nodes(path: Path) -> set[str]:
    found: set[str] = set()
    for stmt in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            parts = stmt.module.split(".")
            if parts[0] != "pytest_veto":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from pytest_veto import x: x is a node or a name from __init__
                found.update(
                    a.name
                    if (PACKAGE / a.name).exists() or (PACKAGE / f"{a.name}.py").exists()
                    else "__init__"
                    for a in stmt.names
                )
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                parts = alias.name.split(".")
                if parts[0] == "pytest_veto":
                    found.add(parts[1] if len(parts) > 1 else "__init__")
    return found


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _node(path)
        for target in _imported_nodes(path) - {source}:
            edges.setdefault((source, target), []).append(str(path.relative_to(PACKAGE)))
    return edges


def test_every_top_level_node_has_a_layer() -> None:
    nodes = {_node(p) for p in PACKAGE.rglob("*.py")}
    for node in nodes:
        _layer(node)


def test_imports_point_down_only() -> None:
    upward = [
        f"{files[0]}: {source} imports {target}"
        for (source, target), files in sorted(_edges().items())
        if _layer(target) >= _layer(source)
    ]
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_the_layer_check_can_fail() -> None:
    """The checker itself sees an upward edge (guards against a parser that finds nothing)."""
    edges = _edges()
    assert ("plugin", "data") in edges
    assert _layer("data") < _layer("plugin")
