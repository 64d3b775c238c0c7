"""The package's structure (issue 9): only the CLI imports the runner, and module-level imports
form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "judgekit"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """judgekit modules that a file imports (all of them, or only those imported at module level)."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("judgekit"):
                out.add(target)
                out.update(f"{target}.{a.name}" for a in node.names)  # `from . import runner`
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("judgekit"))
    return out


MODULES = {_module(p): p for p in PKG.rglob("*.py")}


def test_only_the_cli_imports_the_runner() -> None:
    importers = sorted(m for m, p in MODULES.items() if "judgekit.runner" in _imports(p, top_level_only=False)
                       and m not in ("judgekit.runner",))
    # judgekit/__init__ re-exports run/prepare lazily (module __getattr__) for the public API
    assert [m for m in importers if not m.startswith("judgekit.cli")] == ["judgekit"], importers


def test_no_import_cycle_at_module_level() -> None:
    graph = {m: {t for t in _imports(p, top_level_only=True) if t in MODULES and t != m} for m, p in MODULES.items()}
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            # a package and its own submodules importing each other is how packages work
            if len(comp) > 1 and len({c.split(".")[1] if c.count(".") else c for c in comp}) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_runner_and_presentation_sizes() -> None:
    def code_lines(p: Path) -> int:
        return sum(1 for line in p.read_text().splitlines() if line.strip() and not line.strip().startswith("#"))

    assert code_lines(PKG / "runner.py") <= 320
    for p in (PKG / "views").glob("*.py"):
        assert code_lines(p) <= 450, p
