"""The lean facts walk (collect.run_collectors) calls collectors exactly as libcst's visit_batched does."""

from __future__ import annotations

import inspect

import libcst as cst
import pytest
from differential import package_files

from regcheck.facts.collect import _FORMATTING, run_collectors

_NODE_TYPES = [
    c
    for _, c in inspect.getmembers(cst, inspect.isclass)
    if issubclass(c, cst.CSTNode)
    and not inspect.isabstract(c)
    and not issubclass(c, _FORMATTING)
    and c.__name__[0] != "_"
]


def _recorder(log: list[tuple[str, int]]) -> cst.BatchableCSTVisitor:
    def visit(node: cst.CSTNode) -> None:
        log.append(("visit", id(node)))

    def leave(node: cst.CSTNode) -> None:
        log.append(("leave", id(node)))

    methods = {}
    for node_type in _NODE_TYPES:
        for kind, record in (("visit", visit), ("leave", leave)):

            def method(self: object, node: cst.CSTNode, record=record) -> None:
                record(node)

            method.__name__ = f"{kind}_{node_type.__name__}"  # libcst finds visitors by name
            methods[method.__name__] = method
    return type("Recorder", (cst.BatchableCSTVisitor,), methods)()


def _events(module: cst.Module, runner) -> list[tuple[str, int]]:
    log: list[tuple[str, int]] = []
    runner(module, [_recorder(log)])
    return log


SOURCE = """
@decorator(arg)
def f(a, /, b: int = 1, *args, c=lambda x: x, **kw) -> "T":
    try:
        y = x if a else b
    except (ValueError, KeyError) as err:
        raise RuntimeError(f"{err!r:>10}") from err
    match a:
        case [1, *rest] if rest:
            pass
        case {"k": v, **others}:
            pass
    return [z async for z in y if z] + {k: v for k, v in kw.items()}

class C(Base, metaclass=Meta):
    x: int = 3
    del x
"""


def test_every_callback_in_libcst_order_on_a_sample() -> None:
    module = cst.parse_module(SOURCE)
    ours = _events(module, run_collectors)
    assert len(ours) > 200
    assert ours == _events(module, lambda m, c: cst.visit_batched(m, c))


@pytest.mark.tensorflow  # reads the installed keras and tensorflow sources
def test_same_order_on_installed_package_files() -> None:
    files = package_files("keras")[::150] + package_files("tensorflow")[::300]
    assert len(files) >= 10
    for path in files:
        module = cst.parse_module(path.read_bytes())
        ours = _events(module, run_collectors)
        assert ours, path
        assert ours == _events(module, lambda m, c: cst.visit_batched(m, c)), path


def test_formatting_nodes_are_visited_when_a_collector_asks() -> None:
    seen: list[str] = []

    class Comments(cst.BatchableCSTVisitor):
        def visit_Comment(self, node: cst.Comment) -> None:
            seen.append(node.value)

    run_collectors(cst.parse_module("x = 1  # one\n# two\n"), [Comments()])
    assert seen == ["# one", "# two"]


def test_attribute_visitors_are_refused() -> None:
    class Bases(cst.BatchableCSTVisitor):
        def visit_ClassDef_bases(self, node: cst.ClassDef) -> None:
            pass

    with pytest.raises(TypeError, match="visit_ClassDef_bases"):
        run_collectors(cst.parse_module("class A: pass\n"), [Bases()])
