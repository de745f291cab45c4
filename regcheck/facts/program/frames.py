"""Frames: where the interpreter keeps the names a module, a function call or a class body binds.

Branches (``if``/``else``, ``try`` handlers, loop bodies that may not run) are
executed one after the other on the same frame: a *journal* remembers what a
branch overwrote, so the frame can be put back, and the names each branch bound
are then joined (``x = A`` in one branch and ``x = B`` in the other leaves
``x`` as one of A or B). This costs what the branches write, not the size of
the frame, so a module with thousands of names and many ``if`` blocks stays linear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import libcst as cst

from regcheck.facts.program.values import Value, join

_MISSING = object()


class Frame:
    __slots__ = ("global_names", "is_class", "journals", "module", "nonlocal_names", "parent", "tests", "vars")

    def __init__(self, vars: dict[str, Value], parent: Frame | None, module: Frame | None, is_class: bool = False):
        self.vars = vars
        self.parent = parent  # the enclosing function frame (closures), None at module level
        self.module = module if module is not None else self  # the module frame (globals)
        self.journals: list[dict[str, object]] = []
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        self.is_class = is_class
        # Names last bound to a test expression (``is_bias = v.name.endswith("bias:0")``): a later
        # ``if not is_bias:`` tests what that expression tests.
        self.tests: dict[str, cst.BaseExpression] = {}

    def lookup(self, name: str) -> Value | None:
        frame: Frame | None = self
        while frame is not None:
            value = frame.vars.get(name)
            if value is not None:
                return value
            frame = frame.parent
        if self.module is not self:
            return self.module.vars.get(name)
        return None

    def store(self, name: str, value: Value) -> None:
        if name in self.global_names and self.module is not self:
            self.module.store(name, value)
            return
        if name in self.nonlocal_names:
            frame = self.parent
            while frame is not None:
                if name in frame.vars:
                    frame.store(name, value)
                    return
                frame = frame.parent
        if self.journals:
            journal = self.journals[-1]
            if name not in journal:
                journal[name] = self.vars.get(name, _MISSING)
        self.vars[name] = value

    def delete(self, name: str) -> None:
        if self.journals and name not in self.journals[-1]:
            self.journals[-1][name] = self.vars.get(name, _MISSING)
        self.vars.pop(name, None)

    # --- branches -------------------------------------------------------------------

    def begin_branch(self) -> None:
        self.journals.append({})

    def end_branch(self) -> dict[str, Value | None]:
        """Undo what the branch wrote; return what it bound (None: it deleted the name)."""
        journal = self.journals.pop()
        written: dict[str, Value | None] = {}
        for name, old in journal.items():
            written[name] = self.vars.get(name)
            if old is _MISSING:
                self.vars.pop(name, None)
            else:
                self.vars[name] = old  # type: ignore[assignment]
        return written

    def merge(self, branches: list[dict[str, Value | None]], fallthrough: bool) -> None:
        """Bind what the branches bound, joined; ``fallthrough``: the state before the branches is
        one of the outcomes too (an ``if`` without ``else``, a loop that may not run)."""
        names: dict[str, None] = {}
        for written in branches:
            names.update(dict.fromkeys(written))
        for name in names:
            before = self.vars.get(name)
            options: list[Value] = []
            for written in branches:
                value = written.get(name, before)
                if value is not None:  # a path on which the name is unbound: a use would fail there
                    options.append(value)
            if fallthrough and before is not None:
                options.append(before)
            if options:
                self.store(name, join(*options))
            elif before is not None:
                self.delete(name)


def spelled_out(
    test: cst.BaseExpression, tests: Mapping[str, cst.BaseExpression], flags: Mapping[str, bool] | None = None
) -> cst.BaseExpression:
    """``test`` with the names bound to tests written in (``is_bias = v.name.endswith("bias:0")``, then
    ``if not is_bias:``), and the names bound to boolean constants written as ``True`` / ``False``.
    ``tests`` hold expressions already spelled out when they were bound, so one level is enough."""
    if not tests and not flags:
        return test
    replacements: dict[cst.Name, cst.BaseExpression] = {}
    for name in _bare_names(test):
        if flags and name.value in flags:
            replacements[name] = cst.Name("True" if flags[name.value] else "False")
        elif name.value in tests:
            replacements[name] = tests[name.value].with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    if not replacements:
        return test
    return cast(cst.BaseExpression, test.visit(_Substitute(replacements)))


class _Substitute(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.Name, cst.BaseExpression]) -> None:
        super().__init__()
        self.replacements = replacements

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self.replacements.get(original_node, updated_node)


def _bare_names(node: cst.CSTNode) -> list[cst.Name]:
    """The names an expression reads as values (not attribute names; not inside a lambda or a
    comprehension, which bind their own)."""
    found: list[cst.Name] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        elif not isinstance(current, (cst.Lambda, cst.BaseComp)):
            stack.extend(current.children)
    return found
