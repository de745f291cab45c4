"""Name resolution on libcst's tree, without libcst's ScopeProvider.

ScopeProvider (with the ExpressionContextProvider it depends on) was most of
the cost of a cold run: two visitor walks with per-node dispatch, metadata
for every node, and an access object for every name. What the checks ask is
much narrower: which bindings a name may refer to, and the qualified name of
a Name / Attribute expression (from which ``vocabulary.canonical`` gives the
canonical TF/Keras name). This module answers exactly that from one plain
walk over the nodes' fields, run lazily on the first question.

It follows Python's scoping rules the way libcst's ScopeProvider models them,
and gives the same qualified names as its ``get_qualified_names_for`` (the
differential test in tests/names/ holds it to that on the installed keras and
tensorflow sources):

- scopes: module, class, function, lambda and comprehension; a class body does
  not enclose the functions and comprehensions defined in it; the first
  iterable of a comprehension belongs to the enclosing scope, parameter
  defaults and annotations, decorators and return annotations too;
- bindings: imports (``import a.b`` binds ``a``, ``a.b``; aliases; relative
  imports keep their dots, ``from . import x`` is ``.x``), assignment
  targets with tuple unpacking and starred elements, augmented and annotated
  assignments, ``for`` / comprehension targets, ``with ... as``,
  ``except ... as``, the walrus (in a comprehension it binds in the enclosing
  function or module, as Python does; libcst binds it in the comprehension),
  parameters, ``def`` and ``class``;
- ``global`` / ``nonlocal`` redirect a function's bindings and lookups;
- within one scope lookups are flow-sensitive the way libcst's are: a name
  read before the scope's first binding of it resolves in the enclosing scope;
- ``del x`` reads ``x`` (as in libcst: deleting does not remove a binding from
  a flow-insensitive model);
- ``from m import *`` binds nothing that can be named (libcst records nothing
  either): a name only it could provide resolves to nothing, and
  ``from_star_import`` says that the name may come from one;
- qualified names: ``tensorflow.keras.layers.Dense`` for an imported name,
  ``f.<locals>.x`` / ``C.attr`` / ``<comprehension>.x`` for local ones (PEP
  3155 style), ``builtins.len`` for builtins.

Not modelled (as in libcst, or not asked by any check): names inside string
annotations (libcst records reads of them on the string node; no check asks);
``match`` capture patterns, which are reads here as in libcst; PEP 695
type-parameter scopes (type parameters bind in the enclosing scope here).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable
from typing import Any, cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

MODULE, CLASS, FUNCTION, COMPREHENSION, BUILTINS = "module", "class", "function", "comprehension", "builtins"
LOCAL, IMPORT, BUILTIN = "local", "import", "builtin"


class Scope:
    """One scope: its bindings by name, in source order."""

    __slots__ = ("bindings", "count", "kind", "node", "overwrites", "parent", "prefix", "star_import")

    def __init__(self, kind: str, node: cst.CSTNode | None, parent: Scope | None, name: str | None = None) -> None:
        self.kind = kind
        self.node = node
        self.parent: Scope = parent if parent is not None else self
        self.bindings: dict[str, list[Binding]] = {}
        self.overwrites: dict[str, Scope] = {}  # global / nonlocal declarations
        self.count = 0  # position counter: a binding is visible to reads with a higher count
        self.star_import = False
        parent_prefix: str = parent.prefix if parent is not None else ""
        parts: tuple[str | None, ...]
        if kind == FUNCTION:
            parts = (parent_prefix, name, "<locals>")
        elif kind == CLASS:
            parts = (parent_prefix, name)
        elif kind == COMPREHENSION:
            parts = (parent_prefix, "<comprehension>")
        else:
            parts = ()
        self.prefix: str = ".".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Scope {self.kind} {self.prefix or '-'}>"


class Binding:
    """A name bound in a scope by ``node``: the target Name of an assignment, loop, with-as or
    except-as, a Param, a FunctionDef / ClassDef, or the Import / ImportFrom statement
    (None for a builtin)."""

    __slots__ = ("index", "kind", "name", "node", "scope")

    def __init__(self, name: str, scope: Scope, node: cst.CSTNode | None, index: int, kind: str) -> None:
        self.name = name
        self.scope = scope
        self.node = node
        self.index = index
        self.kind = kind

    def __repr__(self) -> str:
        return f"<Binding {self.kind} {self.name!r} in {self.scope!r}>"

    def qualified_names(self, full_name: str) -> set[str]:
        """Qualified names of ``full_name`` (a dotted name starting with this binding's name)."""
        if self.kind == LOCAL:
            return {f"{self.scope.prefix}.{full_name}" if self.scope.prefix else full_name}
        if self.kind == BUILTIN:
            return {f"builtins.{self.name}"}
        return _import_qualified_names(cast("cst.Import | cst.ImportFrom", self.node), full_name)  # an IMPORT binding


def _import_qualified_names(node: cst.Import | cst.ImportFrom, full_name: str) -> set[str]:
    module = ""
    if isinstance(node, cst.ImportFrom):
        if node.module is not None:
            module = get_full_name_for_node(node.module) or ""
        if node.relative:
            module = "." * len(node.relative) + module
    results: set[str] = set()
    if isinstance(node.names, cst.ImportStar):
        return results
    for alias in node.names:
        real = get_full_name_for_node(alias.name)
        if not real:
            continue
        parts = real.split(".")
        for i in range(len(parts), 0, -1):
            real_name = as_name = ".".join(parts[:i])
            if module.endswith("."):
                real_name = f"{module}{real_name}"
            elif module:
                real_name = f"{module}.{real_name}"
            if alias.asname is not None:
                as_name = alias.evaluated_alias or as_name
            if full_name.startswith(as_name):
                remaining = full_name[len(as_name) :]
                if remaining and not remaining.startswith("."):
                    continue
                remaining = remaining.lstrip(".")
                results.add(f"{real_name}.{remaining}" if remaining else real_name)
                break
    return results


# --- the walk -------------------------------------------------------------------

# Fields that never hold a name: whitespace, brackets, separators, operators.
_SKIPPED_FIELDS = frozenset(
    {
        "asynchronous",
        "colon",
        "comma",
        "comment",
        "default_indent",
        "default_newline",
        "dot",
        "empty_lines",
        "encoding",
        "equal",
        "first_colon",
        "footer",
        "header",
        "has_trailing_newline",
        "indent",
        "lbrace",
        "lbracket",
        "leading_lines",
        "leading_whitespace",
        "lines_after_decorators",
        "lpar",
        "newline",
        "operator",
        "rbrace",
        "rbracket",
        "relative",
        "rpar",
        "second_colon",
        "semicolon",
        "separator",
        "star",
        "trailing_comma",
        "trailing_whitespace",
        "conversion",
        "start",
        "end",
        "first_line",
        "last_line",
    }
)
# Nodes whose dataclass fields are not in the order libcst visits them (source order);
# tests/names checks the walk against libcst's own traversal.
_FIELDS: dict[type, tuple[str, ...]] = {
    cst.Arg: ("keyword", "value"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
if hasattr(cst, "TypeAlias"):
    _FIELDS[cst.TypeAlias] = ("name", "type_parameters", "value")


def names_read(node: cst.CSTNode) -> list[str]:
    """The names an expression reads, attribute names left out (``model`` in
    ``model_from_json(model.to_json())``; ``v`` in ``"bias" not in v.name``)."""
    found: list[str] = []
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current.value)
        elif isinstance(current, cst.Attribute):
            stack.append(current.value)
        else:
            stack.extend(current.children)
    return found


def field_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's children that hold code, in source order (read from its fields, no visitor)."""
    children: list[cst.CSTNode] = []
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            children.append(value)
        elif isinstance(value, (list, tuple)):
            children.extend(c for c in value if isinstance(c, cst.CSTNode))
    return children


def child_fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node type that can hold expressions or statements, in source order."""
    names = _FIELDS.get(node_type)
    if names is None:
        names = _FIELDS[node_type] = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    return names


# Nodes after which libcst's ScopeProvider advances the position counter of the scope it is in.
_COUNTED = frozenset(
    {
        cst.AnnAssign,
        cst.AsName,
        cst.Assign,
        cst.AugAssign,
        cst.ClassDef,
        cst.CompFor,
        cst.FunctionDef,
        cst.Global,
        cst.Import,
        cst.ImportFrom,
        cst.NamedExpr,
        cst.Nonlocal,
        cst.Parameters,
        cst.WithItem,
    }
    | {getattr(cst, n) for n in ("TypeVar", "TypeAlias", "TypeVarTuple", "ParamSpec") if hasattr(cst, n)}
)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
# Node types whose qualified name can be asked (get_full_name_for_node supports them).
_NAMED = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.FunctionDef, cst.ClassDef, cst.Decorator)
_COUNT = object()  # stack marker: advance the counter of a scope
_Comprehension = cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp
# What the walk's stack holds: a node (or _COUNT), its scope, whether it is a target, whether it is inside an attribute.
_Item = tuple[Any, "Scope", bool, bool]
_Push = Callable[[_Item], None]
_Handler = Callable[["NameResolver", Any, "Scope", _Push], None]


class NameResolver:
    """Scopes, bindings and reads of one module, computed in one walk."""

    def __init__(self, module: cst.Module) -> None:
        self.builtins = Scope(BUILTINS, None, None)
        self.module_scope = Scope(MODULE, module, self.builtins)
        self.scope_of: dict[cst.CSTNode, Scope] = {}
        # Name read -> (scope, position, top of the pure attribute chain it is the base of, or None)
        self.reads: dict[cst.Name, tuple[Scope, int, cst.Attribute | None]] = {}
        self.dotted_names: set[str] = set()  # binding names with a dot (`import a.b` binds "a.b")
        self._builtin_bindings: dict[str, Binding] = {}
        self._qualified: dict[cst.CSTNode, frozenset[str]] = {}
        self._read_nodes: dict[cst.Name, tuple[cst.CSTNode, str]] = {}
        self._references: dict[Binding, list[cst.CSTNode]] | None = None
        self._walk(module)

    # --- building ------------------------------------------------------------

    def _bind(self, scope: Scope, name: str, node: cst.CSTNode, kind: str = LOCAL) -> None:
        target = self._assignment_target(scope, name)
        target.bindings.setdefault(name, []).append(Binding(name, target, node, target.count, kind))
        if kind == IMPORT and "." in name:
            self.dotted_names.add(name)

    def _assignment_target(self, scope: Scope, name: str) -> Scope:
        while name in scope.overwrites:
            scope = self._visible(scope.overwrites[name])
        return scope

    def _walk(self, module: cst.Module) -> None:
        scope_of = self.scope_of
        reads = self.reads
        chain_tops: dict[cst.Name, cst.Attribute] = {}
        stack: list[_Item] = [(module, self.module_scope, False, False)]
        push = stack.append
        Name, Attribute, Call, Arg = cst.Name, cst.Attribute, cst.Call, cst.Arg
        while stack:
            node, scope, store, in_attr = stack.pop()
            if node is _COUNT:
                scope.count += 1
                continue
            t = type(node)
            if t is Name:
                scope_of[node] = scope
                if store:
                    self._bind(scope, node.value, node)
                else:
                    reads[node] = (scope, scope.count, chain_tops.get(node))
                continue
            if t is Attribute:
                scope_of[node] = scope
                if not in_attr:
                    base = node.value
                    while type(base) is Attribute:
                        base = base.value
                    if type(base) is Name:
                        chain_tops[base] = node
                push((node.value, scope, False, True))
                continue
            if t is Call:
                scope_of[node] = scope
                for arg in reversed(node.args):
                    push((arg.value, scope, False, False))
                push((node.func, scope, False, False))
                continue
            if t is Arg:
                push((node.value, scope, False, in_attr))
                continue
            if t in _COUNTED:
                push((_COUNT, scope, False, False))
            handler = _HANDLERS.get(t)
            if handler is not None:
                handler(self, node, scope, push)
                continue
            if t in _NAMED:
                scope_of[node] = scope
            if t in _COMPREHENSIONS:
                self._comprehension(node, scope, push)
                continue
            # Generic: children in field order, the target context carried through
            # tuples, lists, elements and starred elements.
            for child in reversed(field_children(node)):
                push((child, scope, store, in_attr))

    def _comprehension(self, node: _Comprehension, scope: Scope, push: _Push) -> None:
        for_in = node.for_in
        inner = Scope(COMPREHENSION, node, scope)
        if isinstance(node, cst.DictComp):
            push((node.value, inner, False, False))
            push((node.key, inner, False, False))
        else:
            push((node.elt, inner, False, False))
        if for_in.inner_for_in is not None:
            push((for_in.inner_for_in, inner, False, False))
        for condition in reversed(for_in.ifs):
            push((condition, inner, False, False))
        push((_COUNT, inner, False, False))
        push((for_in.target, inner, True, False))
        push((for_in.iter, scope, False, False))

    def _visible(self, scope: Scope) -> Scope:
        while scope.kind == CLASS:
            scope = scope.parent
        return scope

    # --- lookups ---------------------------------------------------------------

    def contains(self, scope: Scope, name: str) -> bool:
        """libcst's ``name in scope``."""
        while True:
            if scope.kind == BUILTINS:
                return hasattr(builtins, name)
            if name in scope.overwrites:
                scope = scope.overwrites[name]
                continue
            if name in scope.bindings:
                return True
            scope = self._visible(scope.parent)

    def resolve(self, scope: Scope, name: str) -> list[Binding]:
        """Every binding ``name`` may refer to from ``scope`` (libcst's ``scope[name]``): those of
        the nearest visible scope that binds it, in source order, or the builtin."""
        while True:
            if scope.kind == BUILTINS:
                if not hasattr(builtins, name):
                    return []
                binding = self._builtin_bindings.get(name)
                if binding is None:
                    binding = self._builtin_bindings[name] = Binding(name, scope, None, -1, BUILTIN)
                return [binding]
            if name in scope.overwrites:
                scope = self._visible(scope.overwrites[name])
                continue
            found = scope.bindings.get(name)
            if found:
                return found
            scope = self._visible(scope.parent)

    def _read(self, node: cst.Name) -> tuple[cst.CSTNode, str]:
        """The node a read of ``node`` is recorded on (libcst moves it to the longest attribute
        prefix that names an import, `os.path` in `os.path.join`) and the name it reads."""
        known = self._read_nodes.get(node)
        if known is not None:
            return known
        scope, _index, top = self.reads[node]
        result: tuple[cst.CSTNode, str] = (node, node.value)
        if top is not None and self.dotted_names:
            chain: list[cst.CSTNode] = []
            current: cst.CSTNode = top
            while isinstance(current, cst.Attribute):
                chain.append(current)
                current = current.value
            for attribute in chain:
                dotted = get_full_name_for_node(attribute)
                if dotted in self.dotted_names and self.contains(scope, dotted):
                    result = (attribute, dotted)
                    break
        self._read_nodes[node] = result
        return result

    def referents(self, node: cst.Name) -> list[Binding]:
        """The bindings a read of ``node`` sees (flow-sensitive within its own scope, as libcst's
        Access.referents)."""
        scope, index, _top = self.reads[node]
        name = self._read(node)[1]
        found = self.resolve(scope, name)
        previous = [b for b in found if b.scope is not scope or b.index < index]
        if not previous and found and scope.parent is not scope:
            previous = (
                self.resolve(scope.parent, name)
                if scope.parent.kind != CLASS
                else self._class_lookup(scope.parent, name)
            )
        return previous

    def _class_lookup(self, scope: Scope, name: str) -> list[Binding]:
        # libcst asks the direct parent even when it is a class body (whose own bindings then count).
        if name in scope.overwrites:
            return self.resolve(self._visible(scope.overwrites[name]), name)
        found = scope.bindings.get(name)
        return found if found else self.resolve(self._visible(scope.parent), name)

    def bindings(self, node: cst.Name) -> list[Binding]:
        """``scope[name]`` for a Name node: every non-builtin binding of its name where it is used."""
        scope = self.scope_of.get(node)
        if scope is None:
            return []
        return [b for b in self.resolve(scope, node.value) if b.kind != BUILTIN]

    def is_global_binding(self, node: cst.Name) -> bool:
        """``node`` is at module level and the module binds its name."""
        scope = self.scope_of.get(node)
        return scope is self.module_scope and bool(scope.bindings.get(node.value))

    def from_star_import(self, node: cst.Name) -> bool:
        """No import, assignment or definition binds ``node``'s name, and a visible ``from m import *`` could
        (a builtin name included: the star import may shadow it)."""
        scope = self.scope_of.get(node)
        if scope is None or any(b.kind != BUILTIN for b in self.resolve(scope, node.value)):
            return False
        while scope.kind != BUILTINS:
            if scope.star_import:
                return True
            scope = self._visible(scope.parent)
        return False

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        known = self._qualified.get(node)
        if known is None:
            known = self._qualified[node] = frozenset(self._compute_qualified(node))
        return known

    def _compute_qualified(self, node: cst.CSTNode) -> set[str]:
        if type(node) is cst.Name and node in self.reads:
            read_node, _name = self._read(node)
            if read_node is node:
                return {q for b in self.referents(node) for q in b.qualified_names(b.name)}
        elif type(node) is cst.Attribute and self.dotted_names:
            base = node.value
            while type(base) is cst.Attribute:
                base = base.value
            if type(base) is cst.Name and base in self.reads and self._read(base)[0] is node:
                return {q for b in self.referents(base) for q in b.qualified_names(b.name)}
        scope = self.scope_of.get(node)
        if scope is None:
            return set()
        full_name = get_full_name_for_node(node)
        if full_name is None:
            return set()
        found: list[Binding] = []
        prefix: str | None = full_name
        while prefix:
            if self.contains(scope, prefix):
                found = self.resolve(scope, prefix)
                break
            index = prefix.rfind(".")
            prefix = None if index == -1 else prefix[:index]
        for binding in found:
            if binding.kind != BUILTIN and _is_binding_node(node, binding.node):
                return binding.qualified_names(full_name)
        results: set[str] = set()
        for binding in found:
            results |= binding.qualified_names(full_name)
        return results

    def references(self, binding: Binding) -> list[cst.CSTNode]:
        """The reads that may see ``binding`` (libcst's Assignment.references), in source order."""
        if self._references is None:
            self._references = self._compute_references()
        return self._references.get(binding, [])

    def _compute_references(self) -> dict[Binding, list[cst.CSTNode]]:
        refs: dict[Binding, dict[cst.CSTNode, None]] = {}
        groups: dict[tuple[Scope, str], list[tuple[cst.CSTNode, Scope, int]]] = {}
        for name_node, (scope, index, _top) in self.reads.items():
            read_node, name = self._read(name_node)
            groups.setdefault((scope, name), []).append((read_node, scope, index))

        def record(binding: Binding, accesses: list[tuple[cst.CSTNode, Scope, int]]) -> None:
            later = [a for a in accesses if a[1] is not binding.scope or binding.index < a[2]]
            target = refs.setdefault(binding, {})
            for access in later:
                target[access[0]] = None
            if len(later) < len(accesses) and binding.scope.parent is not binding.scope:
                earlier = [a for a in accesses if not (a[1] is not binding.scope or binding.index < a[2])]
                parent = binding.scope.parent
                shadowed = (
                    self._class_lookup(parent, binding.name)
                    if parent.kind == CLASS
                    else self.resolve(parent, binding.name)
                )
                for other in shadowed:
                    record(other, earlier)

        for (scope, name), accesses in groups.items():
            for binding in self.resolve(scope, name):
                record(binding, accesses)
        return {b: list(nodes) for b, nodes in refs.items()}


def _is_binding_node(node: cst.CSTNode, binding_node: cst.CSTNode | None) -> bool:
    if node is binding_node:
        return True
    if isinstance(binding_node, (cst.Import, cst.ImportFrom)) and not isinstance(binding_node.names, cst.ImportStar):
        for alias in binding_node.names:
            if alias.name is node or (alias.asname is not None and alias.asname.name is node):
                return True
    return False


# --- statement and definition handlers ------------------------------------------
# Each pushes its parts so that they are walked in libcst's ScopeVisitor order (which
# fixes the positions that make lookups flow-sensitive) and in the right scope.


def _assign(r: NameResolver, node: cst.Assign, scope: Scope, push: _Push) -> None:
    push((node.value, scope, False, False))
    for target in reversed(node.targets):
        push((target.target, scope, True, False))


def _ann_assign(r: NameResolver, node: cst.AnnAssign, scope: Scope, push: _Push) -> None:
    if node.value is not None:
        push((node.value, scope, False, False))
    push((node.annotation, scope, False, False))
    push((node.target, scope, True, False))


def _aug_assign(r: NameResolver, node: cst.AugAssign, scope: Scope, push: _Push) -> None:
    push((node.value, scope, False, False))
    push((node.target, scope, True, False))


def _named_expr(r: NameResolver, node: cst.NamedExpr, scope: Scope, push: _Push) -> None:
    push((node.value, scope, False, False))
    target = node.target
    if isinstance(target, cst.Name):
        owner = scope
        while owner.kind == COMPREHENSION:  # PEP 572: binds in the enclosing function or module
            owner = owner.parent
        r.scope_of[target] = scope
        r._bind(owner, target.value, target)
        if owner is not scope:
            owner.count += 1  # visible to what follows in the enclosing scope
    else:
        push((target, scope, True, False))


def _as_name(r: NameResolver, node: cst.AsName, scope: Scope, push: _Push) -> None:
    push((node.name, scope, True, False))


def _for(r: NameResolver, node: cst.For, scope: Scope, push: _Push) -> None:
    if node.orelse is not None:
        push((node.orelse, scope, False, False))
    push((node.body, scope, False, False))
    push((node.iter, scope, False, False))
    push((_COUNT, scope, False, False))
    push((node.target, scope, True, False))


def _comp_for(r: NameResolver, node: cst.CompFor, scope: Scope, push: _Push) -> None:
    if node.inner_for_in is not None:
        push((node.inner_for_in, scope, False, False))
    for condition in reversed(node.ifs):
        push((condition, scope, False, False))
    push((node.iter, scope, False, False))
    push((node.target, scope, True, False))


def _subscript(r: NameResolver, node: cst.Subscript, scope: Scope, push: _Push) -> None:
    r.scope_of[node] = scope
    for element in reversed(node.slice):
        push((element, scope, False, False))
    push((node.value, scope, False, False))


def _import(r: NameResolver, node: cst.Import | cst.ImportFrom, scope: Scope, push: _Push) -> None:
    if isinstance(node.names, cst.ImportStar):
        r._assignment_target(scope, "*").star_import = True
        return
    for alias in node.names:
        if alias.asname is not None:
            r._bind(scope, alias.asname.name.value, node, IMPORT)  # type: ignore[union-attr]
            continue
        name = alias.name
        while isinstance(name, cst.Attribute):
            r._bind(scope, get_full_name_for_node(name), node, IMPORT)  # type: ignore[arg-type]
            name = cast("cst.Attribute | cst.Name", name.value)  # a dotted import name ends in a Name
        r._bind(scope, name.value, node, IMPORT)


def _global(r: NameResolver, node: cst.Global, scope: Scope, push: _Push) -> None:
    if scope.kind != MODULE:
        for item in node.names:
            scope.overwrites[item.name.value] = r.module_scope


def _nonlocal(r: NameResolver, node: cst.Nonlocal, scope: Scope, push: _Push) -> None:
    for item in node.names:
        scope.overwrites[item.name.value] = scope.parent


def _function(r: NameResolver, node: cst.FunctionDef, scope: Scope, push: _Push) -> None:
    r.scope_of[node] = scope
    r.scope_of[node.name] = scope
    r._bind(scope, node.name.value, node)
    inner = Scope(FUNCTION, node, scope, node.name.value)
    if node.returns is not None:
        push((node.returns, scope, False, False))
    for decorator in reversed(node.decorators):
        push((decorator, scope, False, False))
    push((node.body, inner, False, False))
    push((node.params, inner, False, False))
    if getattr(node, "type_parameters", None) is not None:
        push((node.type_parameters, scope, False, False))


def _lambda(r: NameResolver, node: cst.Lambda, scope: Scope, push: _Push) -> None:
    inner = Scope(FUNCTION, node, scope, None)
    push((node.body, inner, False, False))
    push((node.params, inner, False, False))


def _param(r: NameResolver, node: cst.Param, scope: Scope, push: _Push) -> None:
    r.scope_of[node.name] = scope
    r._bind(scope, node.name.value, node)
    if node.annotation is not None:
        push((node.annotation, scope.parent, False, False))
    if node.default is not None:
        push((node.default, scope.parent, False, False))


def _class(r: NameResolver, node: cst.ClassDef, scope: Scope, push: _Push) -> None:
    r.scope_of[node] = scope
    r.scope_of[node.name] = scope
    r._bind(scope, node.name.value, node)
    inner = Scope(CLASS, node, scope, node.name.value)
    for statement in reversed(node.body.body):
        push((statement, inner, False, False))
    for keyword in reversed(node.keywords):
        push((keyword.value, scope, False, False))
    for base in reversed(node.bases):
        push((base.value, scope, False, False))
    if getattr(node, "type_parameters", None) is not None:
        push((node.type_parameters, scope, False, False))
    for decorator in reversed(node.decorators):
        push((decorator, scope, False, False))


def _simple_string(r: NameResolver, node: cst.CSTNode, scope: Scope, push: _Push) -> None:
    return None


def _type_binder(r: NameResolver, node: cst.CSTNode, scope: Scope, push: _Push) -> None:
    r._bind(scope, node.name.value, node)  # type: ignore[attr-defined]
    value = (
        getattr(node, "value", None)
        if isinstance(node, getattr(cst, "TypeAlias", ()))
        else getattr(node, "bound", None)
    )
    if value is not None:
        push((value, scope, False, False))


_HANDLERS: dict[type[cst.CSTNode], _Handler] = {
    cst.Assign: _assign,
    cst.AnnAssign: _ann_assign,
    cst.AugAssign: _aug_assign,
    cst.NamedExpr: _named_expr,
    cst.AsName: _as_name,
    cst.For: _for,
    cst.CompFor: _comp_for,
    cst.Subscript: _subscript,
    cst.Import: _import,
    cst.ImportFrom: _import,
    cst.Global: _global,
    cst.Nonlocal: _nonlocal,
    cst.FunctionDef: _function,
    cst.Lambda: _lambda,
    cst.Param: _param,
    cst.ClassDef: _class,
    cst.SimpleString: _simple_string,
}
for _name in ("TypeVar", "TypeAlias", "TypeVarTuple", "ParamSpec"):
    if hasattr(cst, _name):
        _HANDLERS[getattr(cst, _name)] = _type_binder
