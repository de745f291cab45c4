"""regcheck's modules import each other one way: no cycle, and no step of the flow imports a later one.

Every import statement counts, wherever it stands: at module level, inside a function or
a method (an import placed in a function to dodge a cycle is still a cycle: it runs as soon
as the function is called), under ``try`` or ``if``. Two graphs are built from the same reading:

- the **runtime** graph, every import that runs (``if TYPE_CHECKING:`` blocks never run, and
  with ``from __future__ import annotations`` an annotation imports nothing): it must have
  no cycle;
- the **whole** graph, the runtime imports plus the ``TYPE_CHECKING`` ones (a type from a later
  step is still a dependency on that step): it must follow the order of the steps, ``STEPS``.

``from package import name`` is an edge to the submodule ``package.name`` when there is one,
else to the package. Importing a submodule runs its package's ``__init__`` too; that implicit
edge is not counted (a package that imports its own submodules is not a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "regcheck"

# The steps of the flow, in order: data flows from files to facts to findings to reports
# and fixes (DESIGN.md, Layout). A module may import its own step and earlier ones, never a
# later one, so each step can be read, tested and replaced knowing only what comes before it.
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # The record every step passes, and the version every step may print.
    ("findings", ("regcheck.findings", "regcheck.__about__")),
    # What to check: the rule catalogue, settings, selection, the Keras target. Reads no source file.
    ("config", ("regcheck.config",)),
    # Files and notebooks on disk become source units; text positions and edits.
    ("sources", ("regcheck.sources",)),
    # The program model the checks read: what the code builds and trains.
    ("facts", ("regcheck.facts",)),
    # One module per rule, reading facts.
    ("checks", ("regcheck.checks",)),
    # One source unit: prefilter -> parse -> facts -> checks -> suppressions.
    ("lint", ("regcheck.lint",)),
    # Many source units: pool, cache, the project index.
    ("run", ("regcheck.run",)),
    # The one fix path, over lint (fix rounds re-lint what they changed).
    ("fixing", ("regcheck.fixing",)),
    # Findings as text for people, machines and CI.
    ("report", ("regcheck.report",)),
    # The dynamic path (runs the user's code with TensorFlow). It is the static path's referee, so it
    # must not reuse the static path's judgement: it may import findings, config and report only
    # (enforced below), and nothing before it imports it except the entry points.
    ("graph", ("regcheck.graph",)),
    # The editor's server, over lint and fixing.
    ("lsp", ("regcheck.lsp",)),
    # The entry points users call: the command line, the Python API, the Keras callback.
    ("entry points", ("regcheck.cli", "regcheck", "regcheck.__main__", "regcheck.keras")),
)
# What the graph path may import besides itself: the record, the catalogue and settings, the reporters.
GRAPH_MAY_IMPORT = ("findings", "config", "report", "graph")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """(runtime, type-only) imported names, read from every statement at any depth."""
    runtime: set[str] = set()
    typing_only: set[str] = set()

    def names(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            return {alias.name for alias in node.names}
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if is_package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        # `from pkg import name`: the submodule when there is one, else the package (resolved below).
        return {f"{base}.{alias.name}" for alias in node.names}

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            (typing_only if type_only else runtime).update(names(node))
            return
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(tree, False)
    return runtime, typing_only


def _resolve(target: str, files: set[str]) -> str | None:
    while target and target not in files:
        target = target.rpartition(".")[0]
    return target or None


def import_graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(runtime graph, whole graph) over regcheck's modules."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    runtime_graph: dict[str, set[str]] = {}
    whole_graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        runtime, typing_only = imports(tree, name, path.name == "__init__.py")
        edges = {_resolve(t, set(files)) for t in runtime if t.split(".")[0] == "regcheck"}
        type_edges = {_resolve(t, set(files)) for t in typing_only if t.split(".")[0] == "regcheck"}
        runtime_graph[name] = {e for e in edges if e and e != name}
        whole_graph[name] = runtime_graph[name] | {e for e in type_edges if e and e != name}
    return runtime_graph, whole_graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    # Raised for the walk only: the limit is the process's, and a raised one changes what CPython itself
    # rejects as too deeply nested (tests/surface/test_cpython_limits.py), so it is put back.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(graph):
            if node not in index:
                connect(node)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def step_of(module: str) -> int:
    """The index in STEPS of the step a module belongs to (the longest matching prefix)."""
    best: tuple[int, int] | None = None
    for position, (_name, prefixes) in enumerate(STEPS):
        for prefix in prefixes:
            if module == prefix or (module.startswith(prefix + ".") and prefix != "regcheck"):
                if best is None or len(prefix) > best[1]:
                    best = (position, len(prefix))
    if best is None:
        raise LookupError(f"{module} belongs to no step: add it to STEPS")
    return best[0]


def backward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a later step's module, and every import of the graph path beyond what it may use."""
    graph_step = [name for name, _ in STEPS].index("graph")
    allowed_for_graph = {[name for name, _ in STEPS].index(step) for step in GRAPH_MAY_IMPORT}
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            here, there = step_of(module), step_of(target)
            if there > here:
                found.append(f"{module} ({STEPS[here][0]}) imports {target} ({STEPS[there][0]})")
            elif here == graph_step and there not in allowed_for_graph:
                found.append(f"{module} (graph) imports {target} ({STEPS[there][0]}): the graph path judges alone")
    return found


RUNTIME, WHOLE = import_graphs()


def test_no_import_cycle_among_regcheck_modules() -> None:
    assert cycles(RUNTIME) == []


def test_every_module_belongs_to_a_step() -> None:
    for module in RUNTIME:
        step_of(module)


def test_no_module_imports_from_a_later_step() -> None:
    assert backward_imports(WHOLE) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_reader_counts_imports_at_any_depth() -> None:
    source = (
        "import regcheck.a\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from regcheck import b\n"
        "def f():\n"
        "    from regcheck.c import d\n"
        "    class K:\n"
        "        def g(self):\n"
        "            import regcheck.e\n"
        "try:\n"
        "    from . import h\n"
        "except ImportError:\n"
        "    pass\n"
    )
    runtime, typing_only = imports(ast.parse(source), "regcheck.x", is_package=False)
    assert runtime == {"regcheck.a", "typing.TYPE_CHECKING", "regcheck.c.d", "regcheck.e", "regcheck.h"}
    assert typing_only == {"regcheck.b"}


def test_an_import_inside_a_function_makes_a_cycle() -> None:
    # The cycle the old test missed: engine -> units at the top, units -> engine inside a function.
    engine = ast.parse("from regcheck.units import unit_for\n")
    units = ast.parse("def lint():\n    from regcheck.engine import lint_text\n")
    graph = {
        "regcheck.engine": {_resolve(t, {"regcheck.units"}) for t in imports(engine, "regcheck.engine", False)[0]},
        "regcheck.units": {_resolve(t, {"regcheck.engine"}) for t in imports(units, "regcheck.units", False)[0]},
    }
    assert cycles({k: {v for v in vs if v} for k, vs in graph.items()}) == [["regcheck.engine", "regcheck.units"]]


@pytest.mark.parametrize(
    ("importer", "imported", "verdict"),
    [
        ("regcheck.lint.module", "regcheck.facts", "ok"),
        ("regcheck.facts.module", "regcheck.lint.module", "later"),
        ("regcheck.sources.units", "regcheck.fixing.write", "later"),
        ("regcheck.graph.merge", "regcheck.config.catalog", "ok"),
        ("regcheck.graph.trace", "regcheck.facts.module", "graph"),
        ("regcheck.cli.check", "regcheck.graph", "ok"),
        ("regcheck.run.cache", "regcheck", "later"),
    ],
)
def test_the_step_order_is_enforced(importer: str, imported: str, verdict: str) -> None:
    found = backward_imports({importer: {imported}, imported: set()})
    if verdict == "ok":
        assert found == []
    else:
        assert len(found) == 1 and ("judges alone" in found[0]) == (verdict == "graph"), found


def test_the_graph_holds_imports_inside_functions() -> None:
    assert "regcheck.findings" in RUNTIME["regcheck.run.cache"]  # `from regcheck.findings import ...` at the top
    assert "regcheck.cli.check" in RUNTIME["regcheck.cli"]  # imported inside a function: counted too


def test_importing_notebooks_imports_neither_lint_nor_cli() -> None:
    code = (
        "import sys, regcheck.sources.notebooks; "
        "print(sorted(m for m in sys.modules if m.startswith(('regcheck.lint', 'regcheck.cli', 'regcheck.facts'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
