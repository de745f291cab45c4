"""Frames: where the interpreter keeps the names a module, a function call or a class body binds.

Branches (``if``/``else``, ``try`` handlers, loop bodies that may not run) are
executed one after the other on the same frame: a *journal* remembers what a
branch overwrote, so the frame can be put back, and the names each branch bound
are then joined (``x = A`` in one branch and ``x = B`` in the other leaves
``x`` as one of A or B). This costs what the branches write, not the size of
the frame, so a module with thousands of names and many ``if`` blocks stays linear.
"""

from __future__ import annotations

from regcheck.facts.program.values import Value, join

_MISSING = object()


class Frame:
    __slots__ = ("global_names", "is_class", "journals", "module", "nonlocal_names", "parent", "vars")

    def __init__(self, vars: dict[str, Value], parent: Frame | None, module: Frame | None, is_class: bool = False):
        self.vars = vars
        self.parent = parent  # the enclosing function frame (closures), None at module level
        self.module = module if module is not None else self  # the module frame (globals)
        self.journals: list[dict[str, object]] = []
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()
        self.is_class = is_class

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
