"""TF1 graph code: which variables, layers and penalties belong to the same graph (one trained model).

A TF1 module builds one graph per *root*:

- module-level code, cut into segments at ``tf.reset_default_graph()`` and at
  ``with tf.Graph().as_default():`` / ``with graph.as_default():`` blocks (a
  notebook that starts over builds a new graph);
- a top-level function that no other code of the module calls (``model_fn``,
  ``densenet_imagenet_model``): another module trains it, on its own.

A function that is called (``def conv(x)`` used by ``def model(x)``) builds
into the roots of its callers. Rules that compare variables with each other
(RC101, RC201) judge each root on its own.
"""

from __future__ import annotations

import libcst as cst

from regcheck.facts.module import ModuleFacts

Root = cst.CSTNode  # the module-level segment's first statement, or a top-level def

_RESETS = frozenset({"tf.reset_default_graph"})


def roots_of(facts: ModuleFacts, node: cst.CSTNode) -> frozenset[Root]:
    """The graphs ``node`` is built into."""
    owner, segment = _top_level(facts, node)
    table = _roots(facts)
    if owner is None:
        return frozenset({segment})
    return table.get(owner, frozenset({owner}))


def _top_level(facts: ModuleFacts, node: cst.CSTNode) -> tuple[cst.CSTNode | None, Root]:
    """The top-level def holding ``node`` (None at module level), and the module segment it is in."""
    segments = _segments(facts)
    statement: cst.CSTNode = node
    owner: cst.CSTNode | None = None
    for ancestor in [node, *facts.ancestors(node)]:
        parent = facts.parent(ancestor)
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            owner = ancestor  # the outermost one wins, as the walk goes up
        if parent is facts.module or (isinstance(parent, cst.IndentedBlock) and parent in segments.blocks):
            statement = ancestor
            if parent is facts.module or owner is not None:
                break
    return owner, segments.of.get(statement, facts.module)


class _Segments:
    def __init__(self) -> None:
        self.of: dict[cst.CSTNode, Root] = {}  # module-level statement (or one in a graph block) -> segment
        self.blocks: set[cst.CSTNode] = set()  # bodies of `with graph.as_default():` blocks


def _segments(facts: ModuleFacts) -> _Segments:
    segments: _Segments = facts.cached("tf1_segments", _compute_segments)
    return segments


def _compute_segments(facts: ModuleFacts) -> _Segments:
    segments = _Segments()
    resets = {id(c.node) for c in facts.calls if c.name in _RESETS and not c.owners}
    reset_statements = {
        id(a)
        for c in facts.calls
        if id(c.node) in resets
        for a in facts.ancestors(c.node)
        if facts.parent(a) is facts.module
    }
    current: Root = facts.module
    for statement in facts.module.body:
        if id(statement) in reset_statements:
            current = statement
        if _is_graph_block(facts, statement):
            assert isinstance(statement, cst.With) and isinstance(statement.body, cst.IndentedBlock)
            segments.blocks.add(statement.body)
            for inner in statement.body.body:
                segments.of[inner] = statement
            segments.of[statement] = statement
            continue
        segments.of[statement] = current
    return segments


def _is_graph_block(facts: ModuleFacts, statement: cst.CSTNode) -> bool:
    """``with tf.Graph().as_default():`` or ``with graph.as_default():``."""
    if not isinstance(statement, cst.With) or not isinstance(statement.body, cst.IndentedBlock):
        return False
    for item in statement.items:
        call = item.item
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "as_default":
            return True
    return False


def _roots(facts: ModuleFacts) -> dict[cst.CSTNode, frozenset[Root]]:
    """Top-level def -> the roots it builds into: the segments and uncalled defs that call it."""
    roots: dict[cst.CSTNode, frozenset[Root]] = facts.cached("tf1_roots", _compute_roots)
    return roots


def _compute_roots(facts: ModuleFacts) -> dict[cst.CSTNode, frozenset[Root]]:
    tops = {s.name.value: s for s in facts.module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
    callers: dict[cst.CSTNode, set[Root | cst.CSTNode]] = {d: set() for d in tops.values()}
    for call in facts.calls:
        func = call.node.func
        name = func.value if isinstance(func, cst.Name) else None
        callee = tops.get(name) if name is not None else None
        if callee is None:
            continue
        owner, segment = _top_level(facts, call.node)
        if owner is callee:
            continue  # recursion
        callers[callee].add(owner if owner is not None else segment)
    resolved: dict[cst.CSTNode, frozenset[Root]] = {}

    def resolve(definition: cst.CSTNode, seen: frozenset[cst.CSTNode]) -> frozenset[Root]:
        if definition in resolved:
            return resolved[definition]
        found: set[Root] = set()
        for caller in callers.get(definition, ()):
            if caller in callers and caller not in seen:  # another top-level def: its roots
                found |= resolve(caller, seen | {definition})
            elif caller not in callers:
                found.add(caller)  # a module segment
        result = frozenset(found) or frozenset({definition})
        resolved[definition] = result
        return result

    for definition in callers:
        resolve(definition, frozenset())
    return resolved
