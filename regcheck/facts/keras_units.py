"""One trained Keras model: the layers of a builder that end up in the same model object.

A builder (a notebook, a script's module-level code, a ``build()`` function)
often builds several models: a tutorial compares a baseline with a regularized
variant, a GAN builds a generator and a discriminator. Coverage rules judge
each model on its own, so a builder's layers are split by how they are wired:

- a layer is *applied* to tensors (``Dense(10)(x)``, ``dense = Dense(10)`` then
  ``dense(x)``): it joins the model of the layers that produced its inputs;
- ``Sequential([...])`` and ``model.add(layer)`` join their layers;
- ``Model(inputs, outputs)`` joins the layers its outputs are computed from;
- a helper call (``x = block(x, 64)``) is one node, joined to its inputs.

Names are followed to the binding that reaches the use in source order (the
last assignment before it), so ``model = Sequential(...)`` rebound in a later
cell is another model. Subclassed models (a class builder) are one model.

The wiring also tells the *output layers*: kernel layers from which no other
kernel layer is reached downstream (RC106).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import resolve_expr
from regcheck.facts.keras_layers import EMPTY, bind_call
from regcheck.facts.keras_models import (
    LayerUse,
    ModelInfo,
    Scope,
    builder_models,
    callee_definitions,
    calls_in_scope,
    enclosing_scope,
    expand,
    expand_into,
)
from regcheck.facts.module import ModuleFacts

_MAX_DEPTH = 40


@dataclass(eq=False)
class Wiring:
    """The producer graph of one builder: union-find groups and consumer edges."""

    facts: ModuleFacts
    producers: set[cst.CSTNode] = field(default_factory=set)
    parent: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    downstream: dict[cst.CSTNode, set[cst.CSTNode]] = field(default_factory=dict)
    last_added: dict[cst.CSTNode, frozenset[cst.CSTNode]] = field(default_factory=dict)  # model -> its last .add()
    _memo: dict[cst.CSTNode, frozenset[cst.CSTNode]] = field(default_factory=dict)

    def find(self, node: cst.CSTNode) -> cst.CSTNode:
        root = node
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        while self.parent.get(node, node) is not root:
            self.parent[node], node = root, self.parent[node]
        return root

    def join(self, a: cst.CSTNode, b: cst.CSTNode) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[ra] = rb

    def feed(self, sources: frozenset[cst.CSTNode], consumer: cst.CSTNode) -> None:
        for source in sources:
            self.join(source, consumer)
            if source is not consumer:
                self.downstream.setdefault(source, set()).add(consumer)

    # -- what an expression is computed from --

    def inputs(self, expr: cst.CSTNode, depth: int = 0) -> frozenset[cst.CSTNode]:
        """The producers whose outputs ``expr`` is computed from (stopping at each producer)."""
        if depth > _MAX_DEPTH:
            return frozenset()
        if expr in self._memo:
            return self._memo[expr]
        self._memo[expr] = frozenset()  # cycles (a name read in its own loop) count as nothing
        found = self._inputs(expr, depth)
        self._memo[expr] = found
        return found

    def _inputs(self, expr: cst.CSTNode, depth: int) -> frozenset[cst.CSTNode]:
        if expr in self.producers:
            return frozenset({expr})
        if isinstance(expr, cst.Call):
            applied = self.applied(expr)
            if applied:
                return applied  # `layer(x)`: the layer's output, already joined to x by `wire`
            parts: list[cst.CSTNode] = [arg.value for arg in expr.args]
            if isinstance(expr.func, cst.Attribute):
                parts.append(expr.func.value)  # `x.numpy()`, `tf.concat(...)` stops at the module below
            return self._union(parts, depth)
        if isinstance(expr, cst.Name):
            value = reaching_value(self.facts, expr)
            return self.inputs(value, depth + 1) if value is not None else frozenset()
        if isinstance(expr, cst.Attribute):
            if self.facts.canonical(expr) is not None:
                return frozenset()
            return self.inputs(expr.value, depth + 1)
        if isinstance(expr, cst.Subscript):
            return self.inputs(expr.value, depth + 1)
        if isinstance(expr, (cst.Lambda, cst.BaseString, cst.Integer, cst.Float)):
            return frozenset()
        return self._union([c for c in expr.children if isinstance(c, cst.CSTNode)], depth)

    def arguments(self, call: cst.Call) -> frozenset[cst.CSTNode]:
        return self._union([arg.value for arg in call.args], 0)

    def _union(self, parts: list[cst.CSTNode], depth: int) -> frozenset[cst.CSTNode]:
        out: set[cst.CSTNode] = set()
        for part in parts:
            out |= self.inputs(part, depth + 1)
        return frozenset(out)

    def applied(self, call: cst.Call) -> frozenset[cst.CSTNode]:
        """The producers a call applies: ``Dense(10)(x)``, ``dense(x)``, ``model(x)``, ``block(64)(x)``.
        (``self.dense(x)`` in a subclassed model needs none: a class builder is one model.)"""
        func = call.func
        if func in self.producers:
            return frozenset({func})
        if isinstance(func, cst.Name):
            value = reaching_value(self.facts, func)
            if value is not None and value in self.producers:
                return frozenset({value})
        return frozenset()


def reaching_value(facts: ModuleFacts, name: cst.Name) -> cst.BaseExpression | None:
    """The value of the last assignment to ``name`` before this use, in its scope (None: unknown)."""
    assignments = facts.assignments(name)
    if name not in facts.order:
        return None  # not in a field the source-order walk reads: unknown rather than guessed
    use = _position(facts, name)
    best: tuple[int, cst.BaseExpression] | None = None
    latest: tuple[int, cst.BaseExpression] | None = None
    for assignment in assignments:
        target = getattr(assignment, "node", None)
        values = facts.bound_values.get(target) if target is not None else None
        if not values or values[-1] not in facts.order:
            continue
        where = _end(facts, values[-1])  # `x = f(x)`: the binding takes effect after its value
        if latest is None or where > latest[0]:
            latest = (where, values[-1])
        if where < use and (best is None or where > best[0]):
            best = (where, values[-1])
    chosen = best or latest  # a use before any binding: a loop body reading its own later assignment
    return chosen[1] if chosen is not None else None


def _position(facts: ModuleFacts, node: cst.CSTNode) -> int:
    return facts.order[node][0]


def _end(facts: ModuleFacts, node: cst.CSTNode) -> int:
    return facts.order[node][1]


# --- splitting a builder's model into the models it builds --------------------


def _key(use: LayerUse) -> cst.CSTNode:
    return use.via if use.via is not None else use.layer.call.node


def wire(facts: ModuleFacts, scope: cst.CSTNode, keys: list[cst.CSTNode]) -> Wiring:
    """The producer graph of ``scope``: ``keys`` (its layer calls and helper calls) and its model constructors."""
    wiring = Wiring(facts)
    calls = calls_in_scope(facts, scope)
    wiring.producers.update(keys)
    wiring.producers.update(c.node for c in calls if c.name in vocabulary.KERAS_MODEL_CONSTRUCTORS)
    for call in calls:
        node = call.node
        for target in wiring.applied(node):
            wiring.feed(wiring.arguments(node), target)
        if node in wiring.producers and (call.name is None or _layer_function(call.name)):
            # A helper call, or a functional layer (`concatenate([x, y])`): its arguments feed it.
            wiring.feed(wiring.arguments(node), node)
        if call.name in vocabulary.KERAS_MODEL_CONSTRUCTORS:
            _wire_constructor(wiring, call.node)
        if call.method == "add" and call.receiver is not None and call.node.args:
            for model in wiring.inputs(call.receiver):
                wiring.feed(wiring.inputs(call.node.args[0].value), model)
                _chain_added(wiring, model, call.node)
    return wiring


def _layer_function(name: str) -> bool:
    """``keras.layers.concatenate`` / ``add`` / ``multiply``: a layer applied in the call that builds it."""
    return name.startswith("keras.layers.") and name.rsplit(".", 1)[-1][:1].islower()


def split_models(info: ModelInfo) -> list[ModelInfo]:
    """The models ``info``'s builder builds, each with its own layers and output layers."""
    facts = info.facts
    if isinstance(info.scope, cst.ClassDef) or not info.uses:
        info.outputs = _class_outputs(info)
        return [info]
    keys = [_key(use) for use in info.uses if use.facts is facts or use.via is not None]
    if len(keys) != len(info.uses):
        return [info]  # layers seen from another module's builder: nothing here to split by
    wiring = wire(facts, info.scope, keys)
    constructors = [c.node for c in calls_in_scope(facts, info.scope) if c.name in vocabulary.KERAS_MODEL_CONSTRUCTORS]
    groups: dict[cst.CSTNode, ModelInfo] = {}
    for use, key in zip(info.uses, keys):
        root = wiring.find(key)
        unit = groups.get(root)
        if unit is None:
            unit = groups[root] = ModelInfo(info.label, facts, info.scope)
            unit.applications = list(info.applications)
        unit.uses.append(use)
    for constructor in constructors:
        root = wiring.find(constructor)
        if root not in groups:
            groups[root] = ModelInfo(info.label, facts, info.scope)
        groups[root].constructors.append(constructor)
    units = list(groups.values())
    _assign_add_losses(wiring, info, groups, units)
    for unit in units:
        unit.outputs = _outputs(wiring, unit)
    return units


def _wire_constructor(wiring: Wiring, node: cst.Call) -> None:
    args = list(node.args)
    layers = next((a.value for a in args if a.keyword is not None and a.keyword.value == "layers"), None)
    if layers is None and args and args[0].keyword is None:
        layers = args[0].value
    if isinstance(layers, (cst.List, cst.Tuple)) and _is_sequential(wiring.facts, node):
        previous: frozenset[cst.CSTNode] = frozenset()
        for element in layers.elements:
            produced = wiring.inputs(element.value)
            wiring.feed(produced, node)
            for source in previous:  # element i feeds element i + 1
                for target in produced:
                    if source is not target:
                        wiring.downstream.setdefault(source, set()).add(target)
            previous = produced or previous
        return
    for arg in args:
        wiring.feed(wiring.inputs(arg.value), node)


def _is_sequential(facts: ModuleFacts, node: cst.Call) -> bool:
    fact = facts.call(node)
    return fact is not None and fact.name is not None and fact.name.endswith("Sequential")


def _chain_added(wiring: Wiring, model: cst.CSTNode, add_call: cst.Call) -> None:
    """``model.add(a)`` then ``model.add(b)``: a feeds b."""
    last = wiring.last_added
    produced = wiring.inputs(add_call.args[0].value)
    for source in last.get(model, frozenset()):
        for target in produced:
            if source is not target:
                wiring.downstream.setdefault(source, set()).add(target)
    if produced:
        last[model] = produced


def _assign_add_losses(
    wiring: Wiring, info: ModelInfo, groups: dict[cst.CSTNode, ModelInfo], units: list[ModelInfo]
) -> None:
    for facts, call in info.add_losses:
        owners: set[cst.CSTNode] = set()
        if facts is wiring.facts and call.receiver is not None:
            owners = {wiring.find(p) for p in wiring.inputs(call.receiver)}
        targets = [groups[o] for o in owners if o in groups] or units
        for unit in targets:
            unit.add_losses.append((facts, call))


def _outputs(wiring: Wiring, unit: ModelInfo) -> list[LayerUse]:
    """Kernel layers from which no other kernel layer of the model is reached: in the builder, and for a
    layer a helper builds (``return Dense(10)(x)`` in ``def head(x)``), in the helper too."""
    kernel_keys = {_key(u) for u in unit.uses if u.layer.kind == "kernel"}
    outputs = []
    for use in unit.uses:
        # Reaching itself counts: built in a loop, each instance feeds the next one.
        if use.layer.kind != "kernel" or _reaches(wiring, _key(use), kernel_keys):
            continue
        if use.via is not None and not _last_in_own_scope(use):
            continue
        outputs.append(use)
    return outputs


def _last_in_own_scope(use: LayerUse) -> bool:
    """No other kernel layer is built downstream of this one in the function that builds it, nor of the
    helper call leading to it in each function on the way (``__conv_block`` called by ``__dense_block``)."""
    steps = [(f, call) for f, call in use.chain[1:]] + [(use.facts, use.layer.call.node)]
    return all(_last_in_scope(f, node) for f, node in steps)


def _last_in_scope(facts: ModuleFacts, node: cst.Call) -> bool:
    scope = _own_scope(facts, node)
    memo: dict[cst.CSTNode, tuple[Wiring, set[cst.CSTNode]]] = facts.derived.setdefault("keras_scope_wiring", {})
    if scope not in memo:
        local = expand(facts, scope)
        keys = [_key(u) for u in local.uses if u.facts is facts or u.via is not None]
        kernels = {_key(u) for u in local.uses if u.layer.kind == "kernel"}
        memo[scope] = (wire(facts, scope, keys), kernels)
    wiring, kernels = memo[scope]
    return node in wiring.producers and not _reaches(wiring, node, kernels)


def _own_scope(facts: ModuleFacts, node: cst.CSTNode) -> Scope:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            return ancestor
    return facts.module


def _reaches(wiring: Wiring, start: cst.CSTNode, targets: set[cst.CSTNode]) -> bool:
    """Some target lies downstream of ``start`` (``start`` itself counts when a loop leads back to it)."""
    seen: set[cst.CSTNode] = set()
    stack = list(wiring.downstream.get(start, ()))
    while stack:
        node = stack.pop()
        if node in targets:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(wiring.downstream.get(node, ()))
    return False


def _class_outputs(info: ModelInfo) -> list[LayerUse]:
    """A subclassed model: the last kernel layer its constructor builds (``self.head = Dense(10)``)."""
    kernels = [u for u in info.uses if u.layer.kind == "kernel" and u.via is None and u.facts is info.facts]
    return kernels[-1:] if kernels else []


# --- the models of a module, and the model an expression holds ---------------


def module_models(facts: ModuleFacts) -> list[ModelInfo]:
    """Every model this module builds, one ModelInfo each."""
    return facts.cached("keras_module_models", _module_models)


def _module_models(facts: ModuleFacts) -> list[ModelInfo]:
    memo = _units_memo(facts)
    units: list[ModelInfo] = []
    for info in builder_models(facts):
        if info.scope not in memo:  # model_of may have split this builder already
            memo[info.scope] = _split(info)
        units.extend(memo[info.scope])
    return units


def _units_memo(facts: ModuleFacts) -> dict[cst.CSTNode, list[ModelInfo]]:
    """builder scope -> the models it builds, shared by module_models and model_of (one split each)."""
    memo: dict[cst.CSTNode, list[ModelInfo]] = facts.derived.setdefault("keras_units_of_scope", {})
    return memo


def _split(info: ModelInfo) -> list[ModelInfo]:
    """Split only what a rule can tell apart: a builder without any penalty is one model."""
    if not info.penalized:
        info.outputs = []
        return [info]
    return split_models(info)


def units_of_scope(facts: ModuleFacts, scope: Scope) -> list[ModelInfo]:
    memo = _units_memo(facts)
    if scope not in memo:
        memo[scope] = _split(expand(facts, scope))
    return memo[scope]


def _unit_holding(units: list[ModelInfo], node: cst.CSTNode) -> ModelInfo | None:
    for unit in units:
        if any(c is node for c in unit.constructors):
            return unit
    return units[0] if len(units) == 1 else None


def model_of(facts: ModuleFacts, expr: cst.BaseExpression) -> ModelInfo | None:
    """The model an expression holds (``model``, ``self``, ``self.model``), or None when it is not visible."""
    if isinstance(expr, cst.Name) and expr.value == "self":
        return class_model(facts, expr)
    if isinstance(expr, cst.Name):
        reached = reaching_value(facts, expr)
        values = resolve_expr(facts, reached) if reached is not None else resolve_expr(facts, expr)
    else:
        values = resolve_expr(facts, expr)
    if not values:
        return None
    found: list[ModelInfo] = []
    for value in values:
        info = _model_of_value(facts, value)
        if info is None:
            return None
        found.append(info)
    if len(found) == 1:
        return found[0]
    # Several models may reach the expression: their union, in a new ModelInfo, so the shared
    # units of module_models are not changed by merging into them.
    merged = ModelInfo(found[0].label, found[0].facts, found[0].scope)
    for info in found:
        merged.merge(info)
    return merged


def _model_of_value(facts: ModuleFacts, value: cst.BaseExpression) -> ModelInfo | None:
    fact = facts.call(value)
    if fact is None:
        return None
    assert isinstance(value, cst.Call)  # facts.call finds calls only
    if fact.name in vocabulary.KERAS_MODEL_CONSTRUCTORS:
        scope = enclosing_scope(facts, value)
        unit = _unit_holding(units_of_scope(facts, scope), value)
        return unit if unit is not None else expand(facts, scope)
    if fact.name is not None:
        if fact.name.startswith("keras.applications."):
            info = ModelInfo(fact.name, facts, facts.module)
            info.applications.append(fact)
            return info
        return None  # load_model, clone_model, hub layers ...: not visible
    definitions = callee_definitions(facts, value)
    if not definitions:
        return None
    callee_facts, definition = definitions[0]
    if isinstance(definition, cst.ClassDef):
        return _class_model(callee_facts, definition, facts, value)
    env = bind_call(facts, value, definition, callee_facts, EMPTY)
    info = ModelInfo(definition.name.value, callee_facts, definition)
    expand_into(info, callee_facts, definition, env, value if callee_facts is not facts else None, 1, {definition})
    return info


def class_model(facts: ModuleFacts, node: cst.CSTNode) -> ModelInfo | None:
    """The model ``self`` is inside a class's methods."""
    cls = next((a for a in facts.ancestors(node) if isinstance(a, cst.ClassDef)), None)
    return _class_model(facts, cls) if cls is not None else None


def _class_model(
    facts: ModuleFacts, cls: cst.ClassDef, at: ModuleFacts | None = None, instance: cst.CSTNode | None = None
) -> ModelInfo:
    info = expand(facts, cls)
    if info.uses or info.add_losses:
        return info
    # `class CustomModel(keras.Model)` that only overrides train_step: the layers come from where
    # it is instantiated (`CustomModel(inputs, outputs)`), the model of that call's arguments.
    sites = (
        [instance]
        if instance is not None and at is facts
        else [
            call.node
            for call in facts.calls
            if call.name is None and any(d is cls for _f, d in callee_definitions(facts, call.node))
        ]
    )
    for site in sites:
        scope = enclosing_scope(facts, site)
        if scope is cls:
            continue
        units = units_of_scope(facts, scope)
        chosen = _units_feeding(facts, units, site) or units
        for unit in chosen:
            info.merge(unit)
    return info


def _units_feeding(facts: ModuleFacts, units: list[ModelInfo], site: cst.CSTNode) -> list[ModelInfo]:
    """The models whose layers the arguments of ``CustomModel(inputs, outputs)`` are computed from."""
    if len(units) < 2 or not isinstance(site, cst.Call):
        return units
    keys_of = {id(u): {_key(use) for use in u.uses} for u in units}
    wiring = Wiring(facts)
    for unit in units:
        wiring.producers.update(keys_of[id(unit)])
    fed = wiring.arguments(site)
    return [u for u in units if keys_of[id(u)] & fed]
