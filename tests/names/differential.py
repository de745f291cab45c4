"""Both resolvers on one module: regcheck's own (regcheck.facts.names) and libcst's ScopeProvider.

``disagreements(source)`` lists every Name / Attribute node where the two give a
different canonical TF/Keras name (vocabulary.canonical of the qualified names,
chosen exactly as ModuleFacts.canonical chooses it).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ScopeProvider

from regcheck.facts import vocabulary
from regcheck.facts.names import NameResolver


def canonical_of(names: set[str] | frozenset[str]) -> str | None:
    for name in sorted(names):
        if "(" in name:
            continue
        canon = vocabulary.canonical(name)
        if canon is not None:
            return canon
    return None


def libcst_qualified_names(module: cst.Module) -> dict[cst.CSTNode, set[str]]:
    """node -> qualified names, as regcheck asked libcst before it resolved names itself."""
    scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    out: dict[cst.CSTNode, set[str]] = {}
    for node in iter_named(module):
        scope = scopes.get(node)
        out[node] = {q.name for q in scope.get_qualified_names_for(node)} if scope is not None else set()
    return out


def iter_named(module: cst.Module):
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)):
            yield node
        stack.extend(node.children)


@dataclass(frozen=True)
class Disagreement:
    line: int
    code: str
    ours: str | None
    libcst: str | None
    our_names: tuple[str, ...]
    libcst_names: tuple[str, ...]


def disagreements(source: str | bytes) -> list[Disagreement]:
    module = cst.parse_module(source)
    theirs = libcst_qualified_names(module)
    ours = NameResolver(module)
    found = []
    lines = None
    for node, names in theirs.items():
        mine = ours.qualified_names(node)
        a, b = canonical_of(mine), canonical_of(names)
        if a != b:
            if lines is None:
                wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
                from libcst.metadata import PositionProvider

                lines = wrapper.resolve(PositionProvider)
            found.append(
                Disagreement(
                    lines[node].start.line, module.code_for_node(node), a, b, tuple(sorted(mine)), tuple(sorted(names))
                )
            )
    return sorted(found, key=lambda d: (d.line, d.code))


def package_files(name: str) -> list[Path]:
    """The .py files of an installed package (the test skips when it is not installed)."""
    spec = importlib.util.find_spec(name)  # finds, never imports
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name} is not installed")
    return sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py"))
