"""ModuleFacts: one parsed module with its libcst metadata and everything the facts pass recorded.

Checks only read a ModuleFacts; they never walk the tree themselves. Positions
come from libcst's PositionProvider (only for files with findings), parents
from a plain walk of the nodes' fields, and names from regcheck.facts.names
(one plain walk on the first question, instead of libcst's ScopeProvider).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from regcheck.facts import vocabulary
from regcheck.facts.keras_version import file_keras
from regcheck.facts.names import Binding, NameResolver, field_children
from regcheck.sources.text import LINE_END

T = TypeVar("T")


def _strip_end(line: str) -> str:
    return line.rstrip("\r\n")


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """libcst's PositionProvider. Its code generation recurses a few frames per nested node: a long
    operator chain (a sum of hundreds of terms, which regcheck.lint.parse parses without recursion)
    goes past Python's recursion limit; that module is then done again on a thread with a deep stack."""
    try:
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    except RecursionError:
        return deeply(lambda: MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))


def deeply(compute: Callable[[], T], frames: int = 1_000_000, stack_mb: int = 1024) -> T:
    """``compute()`` on a thread with a ``stack_mb`` stack and room for ``frames`` Python frames (the
    recursion limit is the process's: raised while the calling thread waits, then put back)."""
    import sys
    import threading

    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(compute())
        except BaseException as exc:  # re-raised on the calling thread
            error.append(exc)

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        threading.stack_size(stack_mb * 1024 * 1024)
        sys.setrecursionlimit(max(old_limit, frames))
        thread = threading.Thread(target=run, name="regcheck-deep")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if error:
        raise error[0]
    return result[0]


@dataclass(frozen=True)
class Span:
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive


@dataclass(eq=False)
class CallFact:
    """One call expression with what checks ask of it."""

    node: cst.Call
    name: str | None  # canonical TF/Keras name of the callee (tf.nn.l2_loss), None if not TF/Keras
    method: str | None  # last attribute of the callee, for `obj.method(...)` whatever obj is
    receiver: cst.BaseExpression | None  # obj in `obj.method(...)`
    function: cst.FunctionDef | None  # innermost enclosing def
    class_def: cst.ClassDef | None  # innermost enclosing class
    withs: tuple[cst.WithItem, ...]  # enclosing with-items, outermost first
    owners: tuple[cst.FunctionDef | cst.ClassDef, ...] = ()  # enclosing defs and classes, outermost first

    def arg(self, keyword: str, position: int | None = None) -> cst.Arg | None:
        """The argument passed as ``keyword=`` or, failing that, at ``position``."""
        positional = 0
        found: cst.Arg | None = None
        for arg in self.node.args:
            if arg.keyword is not None:
                if arg.keyword.value == keyword:
                    return arg
            elif arg.star:
                continue
            else:
                if position is not None and positional == position:
                    found = arg
                positional += 1
        return found

    def value(self, keyword: str, position: int | None = None) -> cst.BaseExpression | None:
        arg = self.arg(keyword, position)
        return arg.value if arg is not None else None

    @property
    def positional(self) -> list[cst.Arg]:
        return [a for a in self.node.args if a.keyword is None and not a.star]

    @property
    def keywords(self) -> dict[str, cst.Arg]:
        return {a.keyword.value: a for a in self.node.args if a.keyword is not None}


@dataclass
class ModuleFacts:
    """Facts about one module. Collectors fill the public fields in one batched pass."""

    path: str
    source: str
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    # node -> (where it starts, where it ends) in source order: compares like positions, for a fraction of
    # their cost (a plain field walk instead of code generation).
    order: Mapping[cst.CSTNode, tuple[int, int]]
    _names: Lazy[NameResolver]

    calls: list[CallFact] = field(default_factory=list)
    calls_by_node: dict[cst.Call, CallFact] = field(default_factory=dict)
    # Name target node -> the expression assigned to it (augmented assignments included).
    bound_values: dict[cst.CSTNode, list[cst.BaseExpression]] = field(default_factory=dict)
    # Loop / comprehension target Name node -> the iterable it ranges over (+ comprehension filters).
    loop_sources: dict[cst.CSTNode, LoopSource] = field(default_factory=dict)
    functions: list[cst.FunctionDef] = field(default_factory=list)
    returns: dict[cst.FunctionDef, list[cst.BaseExpression]] = field(default_factory=dict)
    # tf/keras module aliases in this file: local name -> canonical module ("tf", "keras", "slim").
    module_aliases: dict[str, str] = field(default_factory=dict)
    uses_compat_v1: bool = False
    # The ProjectIndex of the run (regcheck.run.project), for facts about other modules; None alone.
    project: Any = None
    # The Keras the project targets ("3", "2" or "unknown", regcheck.config.keras_target); the
    # file's own imports (and, where it is unknown, its code) may decide otherwise: read
    # `keras_version`, not this.
    keras_target: str = "unknown"
    # Derived facts, filled lazily by facts.* modules and cached here.
    derived: dict[str, Any] = field(default_factory=dict)

    # --- metadata helpers -------------------------------------------------

    @classmethod
    def from_module(cls, path: str, source: str, module: cst.Module) -> ModuleFacts:
        # Names are resolved on the first question (every file with a call asks); positions
        # cost a code-generation pass and are needed only by files with findings; parents
        # come from a plain field walk.
        return cls(
            path=path,
            source=source,
            module=module,
            positions=LazyMapping(lambda: _positions(module)),
            parents=LazyMapping(lambda: parent_map(module)),
            order=LazyMapping(lambda: source_order(module)),
            _names=Lazy(lambda: NameResolver(module)),
        )

    def span(self, node: cst.CSTNode) -> Span:
        rng = self.positions[node]
        return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    @property
    def lines(self) -> list[str]:
        """Source lines with their endings, split the way Python's tokenizer splits them."""
        if "lines" not in self.derived:
            self.derived["lines"] = LINE_END.split(self.source)
        lines: list[str] = self.derived["lines"]
        return lines

    def text(self, span: Span) -> str:
        """The exact source text a span covers."""
        lines = self.lines
        if span.line == span.end_line:
            return _strip_end(lines[span.line - 1])[span.column - 1 : span.end_column - 1]
        parts = [lines[span.line - 1][span.column - 1 :]]
        parts.extend(lines[span.line : span.end_line - 1])
        parts.append(lines[span.end_line - 1][: span.end_column - 1])
        return "".join(parts)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    # --- names (regcheck.facts.names) ---------------------------------------

    @property
    def names(self) -> NameResolver:
        return self._names.value

    def scope(self, node: cst.CSTNode) -> Any:
        raise NotImplementedError(
            "ModuleFacts.scope is gone with libcst's ScopeProvider: ask assignments(), references(), "
            "is_global_binding(), from_star_import() or qualified_names() (regcheck.facts.names)"
        )

    def assignments(self, name: cst.Name) -> list[Binding]:
        """What ``name`` may be bound to where it is used (libcst's ``scope[name]`` without builtins):
        the bindings of the nearest enclosing scope that binds it, in source order. ``binding.node``
        is the target Name, the Param, the FunctionDef / ClassDef, or the Import / ImportFrom."""
        return self.names.bindings(name)

    def references(self, binding: Binding) -> list[cst.CSTNode]:
        """The reads (Name nodes, or the `a.b` of `import a.b`) that may see ``binding``."""
        return self.names.references(binding)

    def is_global_binding(self, name: cst.Name) -> bool:
        """``name`` is used at module level and the module itself binds it."""
        return self.names.is_global_binding(name)

    def from_star_import(self, name: cst.Name) -> bool:
        """Nothing here binds ``name``, and a visible ``from m import *`` may."""
        return self.names.from_star_import(name)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """libcst-style qualified names of a Name / Attribute / Call / Subscript expression:
        ``tensorflow.keras.layers.Dense``, ``.models.build`` (relative import), ``f.<locals>.x``,
        ``builtins.len``; empty when nothing binds it."""
        return set(self.names.qualified_names(node))

    def canonical(self, node: cst.CSTNode) -> str | None:
        """Canonical TF/Keras name of a Name/Attribute expression, if it is one."""
        for name in sorted(self.qualified_names(node)):
            if "(" in name:  # `tf.train.Adam().minimize`: a method of a returned object
                continue
            canon = vocabulary.canonical(name)
            if canon is not None:
                return canon
        return None

    def call(self, node: cst.CSTNode) -> CallFact | None:
        return self.calls_by_node.get(node) if isinstance(node, cst.Call) else None

    def calls_named(self, names: Iterable[str] | str) -> list[CallFact]:
        wanted = {names} if isinstance(names, str) else set(names)
        return [c for c in self.calls if c.name in wanted]

    def calls_with_method(self, *methods: str) -> list[CallFact]:
        return [c for c in self.calls if c.method in methods]

    @property
    def keras_version(self) -> str:
        """ "3", "2" or "unknown": the Keras this file runs on (facts.keras_version: the file's own imports,
        the target, or where the target is unknown the file's code)."""
        return self.cached("keras_version", file_keras).version

    @property
    def keras_reason(self) -> str:
        """Why ``keras_version`` is what it is: ``import tf_keras``, ``project target``, ``code: `tf.placeholder` ...``."""
        return self.cached("keras_version", file_keras).reason

    def cached(self, key: str, compute: Callable[[ModuleFacts], T]) -> T:
        if key not in self.derived:
            self.derived[key] = compute(self)
        return cast(T, self.derived[key])

    # --- alias helpers for fixes -------------------------------------------

    def tf_prefix(self, compat_v1: bool = False) -> str | None:
        """How this file spells ``tensorflow`` (or its v1 API when ``compat_v1``), or None."""
        v1_alias = next((n for n, m in self.module_aliases.items() if m == "tf.compat.v1"), None)
        tf_alias = next((n for n, m in self.module_aliases.items() if m == "tf"), None)
        if compat_v1:
            if v1_alias:
                return v1_alias
            if tf_alias:
                return f"{tf_alias}.compat.v1" if self.uses_compat_v1 else tf_alias
            return None
        return tf_alias or v1_alias

    def keras_prefix(self) -> tuple[str, tuple[str, ...]]:
        """How a fix spells the keras package in this file, and the import it needs when the file has none.

        A ``tensorflow.compat.v1`` alias is never used: its ``keras`` is the legacy
        namespace, without Keras 3's classes (``OrthogonalRegularizer``, ``L2``).
        """
        keras_alias = min((n for n, m in self.module_aliases.items() if m == "keras"), default=None)
        if keras_alias is not None:
            return keras_alias, ()
        tf_alias = min((n for n, m in self.module_aliases.items() if m == "tf"), default=None)
        if tf_alias is not None:
            return f"{tf_alias}.keras", ()
        return "keras", ("import keras",)


@dataclass(frozen=True)
class LoopSource:
    """What a loop or comprehension variable ranges over."""

    iterable: cst.BaseExpression
    filters: tuple[cst.BaseExpression, ...]  # comprehension `if` clauses
    owner: cst.CSTNode  # the For statement or the comprehension node


class LazyMapping(Mapping[Any, Any]):
    """A read-only mapping computed on first use (for metadata most files never need)."""

    def __init__(self, compute: Callable[[], Mapping[Any, Any]]) -> None:
        self._compute: Callable[[], Mapping[Any, Any]] | None = compute
        self._data: Mapping[Any, Any] = {}

    def _resolved(self) -> Mapping[Any, Any]:
        if self._compute is not None:
            self._data, self._compute = self._compute(), None
        return self._data

    def __getitem__(self, key: Any) -> Any:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())

    def get(self, key: Any, default: Any = None) -> Any:
        return self._resolved().get(key, default)


class Lazy(Generic[T]):
    """A value computed on first use."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], T]) -> None:
        self._compute: Callable[[], T] | None = compute

    @property
    def value(self) -> T:
        if self._compute is not None:
            self._value, self._compute = self._compute(), None
        return self._value


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def parent_map(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """child -> parent for every node, as ParentNodeProvider gives it, by reading the
    nodes' dataclass fields directly (about ten times cheaper than a visitor walk)."""
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = [module]
    node_type = cst.CSTNode
    while stack:
        node = stack.pop()
        names = _CHILD_FIELDS.get(type(node))
        if names is None:
            names = _CHILD_FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
        for name in names:
            value = getattr(node, name)
            if isinstance(value, node_type):
                parents[value] = node
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                for child in value:
                    if isinstance(child, node_type):
                        parents[child] = node
                        stack.append(child)
    return parents


def source_order(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int]]:
    """node -> (enter, exit) counters of a depth-first walk over the fields that hold code, in source
    order (``names.child_fields``): ``a`` comes before ``b`` when ``order[a][1] < order[b][0]``."""
    order: dict[cst.CSTNode, tuple[int, int]] = {}
    counter = 0
    stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    entered: dict[cst.CSTNode, int] = {}
    while stack:
        node, leaving = stack.pop()
        counter += 1
        if leaving:
            order[node] = (entered.pop(node), counter)
            continue
        entered[node] = counter
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(field_children(node)))
    return order
