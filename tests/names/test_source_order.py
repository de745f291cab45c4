"""ModuleFacts.order compares nodes in source order, as positions do, without code generation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from regcheck.facts.module import source_order

SAMPLE = textwrap.dedent(
    """
    import keras
    @decorator(arg)
    def build(x, n=3, *rest, key: int = 1, **kw) -> keras.Model:
        y = x if n else [a for a in x if a]
        z = lambda q: q + y
        with open(p) as f, g() as (h, i):
            w = {k: v for k, v in f}
        return keras.Model(x, (y, z, w))
    class Net(Base, metaclass=Meta):
        attr: int = 0
    """
)


def _positions(text: str) -> tuple[dict[cst.CSTNode, tuple[tuple[int, int], tuple[int, int]]], cst.Module]:
    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    return {
        node: ((r.start.line, r.start.column), (r.end.line, r.end.column))
        for node, r in wrapper.resolve(PositionProvider).items()
    }, wrapper.module


def test_names_follow_each_other_as_their_positions_do() -> None:
    here = Path(__file__).resolve().parents[2] / "regcheck" / "facts" / "program" / "interpreter.py"
    for text in (SAMPLE, here.read_text(encoding="utf-8")):
        positions, module = _positions(text)
        order = source_order(module)
        names = [n for n in order if isinstance(n, cst.Name) and n in positions]
        assert len(names) > 40
        by_order = sorted(names, key=lambda n: order[n][0])
        by_position = sorted(names, key=lambda n: positions[n][0])
        assert by_order == by_position


def test_a_value_ends_after_what_it_contains() -> None:
    module = cst.parse_module("x = f(x)\ny = x\n")
    order = source_order(module)
    first, second = module.body[0].body[0], module.body[1].body[0]  # type: ignore[attr-defined]
    use_inside = first.value.args[0].value
    assert order[use_inside][0] < order[first.value][1] < order[second.value][0]
