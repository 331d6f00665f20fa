"""No module of ``sim`` imports a module that imports it back.

The import graph is read from the source with ``ast``: every ``import`` and
``from ... import`` of a ``sim`` module, at module level or inside a function,
except those under ``if TYPE_CHECKING:`` (never run). ``from pkg import name``
is an edge to ``pkg.name`` when that is a module, else to ``pkg``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parents[1] / "sim"

#: Modules whose import cycles are tolerated: none.
KNOWN_CYCLES: tuple[str, ...] = ()


def _modules() -> dict[str, Path]:
    out = {}
    for path in SIM.rglob("*.py"):
        parts = path.relative_to(SIM.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: dict) -> set[str]:
    """``sim`` modules imported anywhere in ``tree`` (``if TYPE_CHECKING:`` blocks aside)."""
    found: set[str] = set()
    skip = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in known:
                    name = name.rpartition(".")[0]
                if name:
                    found.add(name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                head = ".".join(base + ([node.module] if node.module else []))
            else:
                head = node.module or ""
            if head not in known:
                continue
            for alias in node.names:
                sub = f"{head}.{alias.name}"
                found.add(sub if sub in known else head)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each ``sim`` module -> the ``sim`` modules it imports."""
    known = _modules()
    graph = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        graph[module] = _imports(tree, module, path.name == "__init__.py", known)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _known(module: str) -> bool:
    return any(module == k or module.startswith(k + ".") for k in KNOWN_CYCLES)


def test_the_graph_sees_local_imports_and_skips_type_checking_ones():
    graph = import_graph()
    assert "sim.run" in graph["sim.cli"]  # imported inside a function only
    assert "sim.model" not in graph["sim"]  # imported under TYPE_CHECKING only


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    kept = {m: {d for d in deps if not _known(d)} for m, deps in graph.items() if not _known(m)}
    assert _cycles(kept) == []
