"""Keras models: which layers (and ``add_loss`` penalties) make up one model, across helpers and modules.

A model is built by a *builder*: a function (functional API, ``Sequential``,
``model.add``), a class (subclassed ``Model``/``Layer`` creating layers in
``__init__``/``build``), or module-level code. A builder's layers are the ones
it constructs plus those of every helper it calls (``conv_block(...)`` called
many times, a custom block class, a function imported from ``core/common.py``),
each judged with the arguments of that call. ``model_of`` answers "what is this
expression's model?" for the training code; it returns None (unknown) when the
definition is not visible: third-party code, ``load_model``, parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts.keras_layers import EMPTY, Env, KerasLayer, Reg, bind_call, layer_for_call, regularizer_kind
from regcheck.facts.module import CallFact, ModuleFacts

Scope = cst.FunctionDef | cst.ClassDef | cst.Module
_MAX_DEPTH = 6
PENALTY_TARGETS = ("kernel", "recurrent", "bias", "norm", "embedding", "activity")


@dataclass(eq=False)
class LayerUse:
    """One layer of a model, reached with some parameter bindings."""

    layer: KerasLayer
    facts: ModuleFacts  # the module holding the layer call
    env: Env
    via: cst.Call | None  # the call in the model's own module that leads to the layer (None: built there)
    # Every helper call on the way from the builder to the layer, outermost first (via is the first).
    chain: tuple[tuple[ModuleFacts, cst.Call], ...] = ()

    def reg(self, target: str) -> Reg:
        values = [arg.value for arg in self.layer.regularizer_args(target)] + self.layer.unpacked_regularizers(target)
        kinds = [regularizer_kind(self.facts, value, self.env) for value in values]
        for wanted in (Reg.L2, Reg.OTHER, Reg.UNKNOWN, Reg.ZERO):
            if wanted in kinds:
                return wanted
        return Reg.NONE


@dataclass(eq=False)
class ModelInfo:
    label: str  # builder name for messages
    facts: ModuleFacts  # the builder's module
    scope: Scope
    uses: list[LayerUse] = field(default_factory=list)
    add_losses: list[tuple[ModuleFacts, CallFact]] = field(default_factory=list)
    applications: list[CallFact] = field(default_factory=list)
    # Kernel layers of this model from which no other kernel layer is reached (its head); filled
    # by keras_units.split_models.
    outputs: list[LayerUse] = field(default_factory=list)
    constructors: list[cst.Call] = field(default_factory=list)  # its Sequential(...) / Model(...) calls

    @property
    def penalized(self) -> bool:
        """Some penalty reaches ``model.losses``: an active regularizer or an ``add_loss`` call."""
        if self.add_losses:
            return True
        return any(use.reg(target).active for use in self.uses for target in PENALTY_TARGETS)

    def weight_l2(self) -> list[LayerUse]:
        """Layers whose weights get an L2 penalty (what decoupled weight decay duplicates)."""
        return [
            u
            for u in self.uses
            if any(u.reg(t) is Reg.L2 for t in ("kernel", "recurrent", "bias", "norm", "embedding"))
        ]

    def merge(self, other: ModelInfo) -> None:
        self.uses.extend(other.uses)
        self.add_losses.extend(other.add_losses)
        self.applications.extend(other.applications)


# --- scopes ------------------------------------------------------------------


def _calls_by_scope(facts: ModuleFacts) -> dict[cst.CSTNode, list[CallFact]]:
    """Every def/class (and the module) -> the calls lexically inside it, nested defs included."""

    def build(f: ModuleFacts) -> dict[cst.CSTNode, list[CallFact]]:
        table: dict[cst.CSTNode, list[CallFact]] = {f.module: []}
        for call in f.calls:
            if not call.owners:
                table[f.module].append(call)
            for owner in call.owners:
                table.setdefault(owner, []).append(call)
        return table

    return facts.cached("keras_calls_by_scope", build)


def calls_in_scope(facts: ModuleFacts, scope: cst.CSTNode) -> list[CallFact]:
    """The calls lexically inside a def/class (nested defs included), or at module level."""
    return _calls_by_scope(facts).get(scope, [])


def enclosing_scope(facts: ModuleFacts, node: cst.CSTNode) -> Scope:
    """The outermost def/class holding ``node`` (a model builder), or the module."""
    fact = facts.calls_by_node.get(node) if isinstance(node, cst.Call) else None
    if fact is not None:  # the facts pass already knows a call's enclosing defs: no walk up
        return fact.owners[0] if fact.owners else facts.module
    outer: Scope = facts.module
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef)):
            outer = ancestor
    return outer


def callee_definitions(
    facts: ModuleFacts, call: cst.Call, project: bool = True
) -> list[tuple[ModuleFacts, cst.FunctionDef | cst.ClassDef]]:
    """The project functions/classes a call runs: same module by scope, other modules via the project
    (parsing them) unless ``project`` is False."""
    func = call.func
    found: list[tuple[ModuleFacts, cst.FunctionDef | cst.ClassDef]] = []
    if isinstance(func, cst.Name):
        for assignment in facts.assignments(func):
            if isinstance(assignment.node, (cst.FunctionDef, cst.ClassDef)):
                found.append((facts, assignment.node))
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
        fact = facts.call(call)
        cls = fact.class_def if fact else None
        if cls is not None:
            for statement in cls.body.body:
                if isinstance(statement, cst.FunctionDef) and statement.name.value == func.attr.value:
                    found.append((facts, statement))
    if found or not project or facts.project is None or not isinstance(func, (cst.Name, cst.Attribute)):
        return found
    if facts.canonical(func) is not None:
        return found  # a TF/Keras API, not project code
    facts.project.remember(facts)
    for qualified in sorted(facts.qualified_names(func)):
        if "<locals>" in qualified or qualified.startswith("builtins."):
            continue
        definition = facts.project.definition(qualified, facts.path)
        if definition is not None and isinstance(definition[1], (cst.FunctionDef, cst.ClassDef)):
            found.append((definition[0], definition[1]))
            break
    return found


# --- expansion ---------------------------------------------------------------


def _label(scope: Scope) -> str:
    return scope.name.value if isinstance(scope, (cst.FunctionDef, cst.ClassDef)) else "<module>"


def expand(facts: ModuleFacts, scope: Scope, env: Env = EMPTY) -> ModelInfo:
    info = ModelInfo(_label(scope), facts, scope)
    expand_into(info, facts, scope, env, None, 0, {scope})
    return info


def expand_into(
    info: ModelInfo,
    facts: ModuleFacts,
    scope: Scope,
    env: Env,
    via: cst.Call | None,
    depth: int,
    seen: set[cst.CSTNode],
    chain: tuple[tuple[ModuleFacts, cst.Call], ...] = (),
) -> None:
    for call in _calls_by_scope(facts).get(scope, []):
        layer = layer_for_call(facts, call.node)
        if layer is not None:
            info.uses.append(LayerUse(layer, facts, env, via, chain))
            continue
        if call.method == "add_loss":
            info.add_losses.append((facts, call))
            continue
        if call.name is not None:
            if call.name.startswith("keras.applications."):
                info.applications.append(call)
            continue
        if depth >= _MAX_DEPTH:
            continue
        for callee_facts, definition in callee_definitions(facts, call.node, project=_uses_keras(facts, scope)):
            if definition in seen or (callee_facts is facts and _inside(facts, definition, scope)):
                continue
            if not builds_layers(callee_facts, definition):
                continue  # prune: most calls reach no layer at all
            callee_env = _callee_env(facts, call.node, definition, callee_facts, env)
            expand_into(
                info,
                callee_facts,
                definition,
                callee_env,
                via or call.node,
                depth + 1,
                seen | {definition},
                (*chain, (facts, call.node)),
            )


def builds_layers(facts: ModuleFacts, definition: cst.CSTNode, depth: int = 0) -> bool:
    """Whether a def/class constructs a layer or calls ``add_loss``, itself or through its callees.

    Memoized per definition, so pruning with it keeps expansion linear in the calls."""
    memo: dict[cst.CSTNode, bool] = facts.derived.setdefault("keras_builds_layers", {})
    if definition in memo:
        return memo[definition]
    memo[definition] = False  # in progress: recursion counts as "no"
    calls = _calls_by_scope(facts).get(definition, [])
    result = any(layer_for_call(facts, c.node) is not None or c.method == "add_loss" for c in calls)
    if not result and depth < _MAX_DEPTH:
        result = any(
            builds_layers(callee_facts, callee, depth + 1)
            for c in calls
            if c.name is None
            for callee_facts, callee in callee_definitions(facts, c.node, project=_uses_keras(facts, definition))
            if callee is not definition
        )
    memo[definition] = result
    return result


def _uses_keras(facts: ModuleFacts, scope: cst.CSTNode) -> bool:
    """A builder that calls Keras itself (a layer, Input, Model ...), or any code of a module that
    imports TensorFlow or Keras (``def YOLOv3(x)`` calling ``common.convolutional`` from another
    module): worth following into other modules.

    Other modules are parsed to be read, so plain code of a module that never names TF/Keras is not followed."""
    if facts.module_aliases:
        return True
    memo: dict[cst.CSTNode, bool] = facts.derived.setdefault("keras_uses_keras", {})
    if scope not in memo:
        calls = _calls_by_scope(facts).get(scope, [])
        memo[scope] = any(c.name is not None and c.name.startswith("keras.") for c in calls)
    return memo[scope]


def _inside(facts: ModuleFacts, node: cst.CSTNode, scope: Scope) -> bool:
    """A def nested in the scope: its calls are already the scope's own."""
    return any(a is scope for a in facts.ancestors(node))


def _callee_env(
    facts: ModuleFacts, call: cst.Call, definition: cst.CSTNode, callee_facts: ModuleFacts, env: Env
) -> Env:
    if isinstance(definition, cst.FunctionDef):
        return bind_call(facts, call, definition, callee_facts, env)
    assert isinstance(definition, cst.ClassDef)
    for statement in definition.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            return bind_call(facts, call, statement, callee_facts, env)
    return EMPTY


# --- models of a module and of an expression ---------------------------------


def builder_models(facts: ModuleFacts) -> list[ModelInfo]:
    """One ModelInfo per builder of this module that is not itself a helper of another builder
    (all the layers it builds; keras_units splits them into the models they make up)."""
    return facts.cached("keras_builder_models", _module_models)


def _module_models(facts: ModuleFacts) -> list[ModelInfo]:
    table = _calls_by_scope(facts)
    builders: list[Scope] = [facts.module]
    helpers: set[cst.CSTNode] = set()
    for scope in table:
        if isinstance(scope, (cst.FunctionDef, cst.ClassDef)) and enclosing_scope(facts, scope) is facts.module:
            builders.append(scope)
    for call in facts.calls:
        if call.name is None:
            owner = enclosing_scope(facts, call.node)
            for callee_facts, definition in callee_definitions(facts, call.node):
                if callee_facts is facts and definition is not owner:
                    helpers.add(definition)
    models = []
    for scope in builders:
        if scope in helpers:
            continue
        info = expand(facts, scope)
        if info.uses or info.add_losses:
            models.append(info)
    return models
