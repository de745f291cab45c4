"""Keras layer constructions and what their ``*_regularizer=`` arguments add.

A layer is any call that resolves to a ``keras.layers`` class (every import
style, Keras 1 names included), a class alias bound in the module
(``Dense = tf.keras.layers.Dense``), a ``functools.partial`` of one, or a
custom layer's ``self.add_weight(..., regularizer=...)``.

A regularizer argument is judged in an *environment*: inside a helper
(``def conv_block(x, reg=None)``) a parameter means whatever the call site
passed, so the same layer can be penalized from one call and not from another.
Without a call site a parameter is UNKNOWN and no rule guesses about it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr, values_of
from regcheck.facts.module import CallFact, ModuleFacts
from regcheck.facts.roles import Role, role_from_names


class Reg(str, enum.Enum):
    NONE = "none"  # no regularizer (absent or None)
    ZERO = "zero"  # a regularizer with a zero coefficient: deliberately off
    L2 = "l2"  # adds a squared-weight penalty (L2, L1L2 with l2 > 0, the string "l2")
    OTHER = "other"  # some other penalty (L1, orthogonal, custom)
    UNKNOWN = "unknown"  # depends on something we cannot see

    @property
    def active(self) -> bool:
        return self in (Reg.L2, Reg.OTHER)


@dataclass(frozen=True, eq=False)
class Env:
    """Parameter bindings of one call path: param name -> (argument expression, its module, its env)."""

    bindings: tuple[tuple[str, Bound], ...] = ()
    open_params: frozenset[str] = frozenset()  # params with no binding (no call site): UNKNOWN

    def get(self, name: str) -> Bound | None:
        return next((bound for key, bound in self.bindings if key == name), None)


@dataclass(frozen=True, eq=False)
class Bound:
    expr: cst.BaseExpression | None  # None: the argument was not passed and has no default
    facts: ModuleFacts
    env: Env


EMPTY = Env()


@dataclass(eq=False)
class KerasLayer:
    call: CallFact
    cls: str  # "Dense", "Conv2D", "BatchNormalization", "add_weight" ...
    kind: str  # "kernel", "norm", "embedding", "weight" (add_weight), "other"
    keywords: dict[str, cst.Arg] = field(default_factory=dict)  # the call's keywords (partial's merged in)
    role: Role = Role.UNKNOWN  # add_weight: the role its name suggests
    # Keywords passed through `**reg` from a literal dict: judged like arguments, reported nowhere
    # (there is no argument node of their own to point at or remove).
    unpacked: dict[str, cst.BaseExpression] = field(default_factory=dict)

    def unpacked_regularizers(self, target: str) -> list[cst.BaseExpression]:
        if self.kind == "weight":
            return []
        return [
            v
            for key, v in self.unpacked.items()
            if key not in self.keywords and vocabulary.KERAS_REGULARIZER_KWARGS.get(key) == target
        ]

    def regularizer_args(self, target: str) -> list[cst.Arg]:
        """The ``*_regularizer`` arguments that penalize ``target`` (kernel, bias, norm, embedding ...)."""
        if self.kind == "weight":
            arg = self.keywords.get("regularizer")
            return [arg] if arg is not None and _role_target(self.role) == target else []
        return [arg for key, arg in self.keywords.items() if vocabulary.KERAS_REGULARIZER_KWARGS.get(key) == target]

    @property
    def has_bias(self) -> bool:
        if self.kind not in ("kernel", "norm"):
            return False
        flag = self.keywords.get("use_bias") or self.keywords.get("center")
        return not (flag is not None and isinstance(flag.value, cst.Name) and flag.value.value == "False")


def _role_target(role: Role) -> str:
    return {Role.WEIGHT: "kernel", Role.BIAS: "bias", Role.NORM: "norm", Role.EMBEDDING: "embedding"}.get(role, "")


def keras_layers(facts: ModuleFacts) -> list[KerasLayer]:
    return facts.cached("keras_layers", _collect)


def layer_for_call(facts: ModuleFacts, node: cst.Call) -> KerasLayer | None:
    by_node = facts.cached("keras_layers_by_node", lambda f: {layer.call.node: layer for layer in keras_layers(f)})
    return by_node.get(node)


def _collect(facts: ModuleFacts) -> list[KerasLayer]:
    found: list[KerasLayer] = []
    for call in facts.calls:
        layer = _layer(facts, call)
        if layer is not None:
            found.append(layer)
    return found


def _layer(facts: ModuleFacts, call: CallFact) -> KerasLayer | None:
    keywords = dict(call.keywords)
    name = call.name
    if name is None and isinstance(call.node.func, cst.Name):
        name, extra = _aliased_class(facts, call.node.func)
        keywords = {**extra, **keywords}
    if name is not None and name.startswith("keras.layers."):
        cls = name.rsplit(".", 1)[1]
        return KerasLayer(call, cls, layer_kind(cls), keywords, unpacked=_unpacked_keywords(facts, call))
    if call.method == "add_weight" and call.class_def is not None:
        label = literal_value(call.value("name", 0))
        target = facts.parent(facts.parent(call.node) or call.node)
        symbol = facts.code(target.targets[0].target) if isinstance(target, cst.Assign) else None
        role = role_from_names(label if isinstance(label, str) else None, symbol)
        return KerasLayer(call, "add_weight", "weight", keywords, role)
    return None


def _unpacked_keywords(facts: ModuleFacts, call: CallFact) -> dict[str, cst.BaseExpression]:
    """``Dense(10, **reg)`` with ``reg = {"kernel_regularizer": l2(1e-4)}``: the literal dict's entries,
    keyword -> value (later ones win, as in a call)."""
    found: dict[str, cst.BaseExpression] = {}
    for arg in call.node.args:
        if arg.star != "**":
            continue
        for value in resolve_expr(facts, arg.value):
            if isinstance(value, cst.Dict):
                for element in value.elements:
                    key = literal_value(element.key) if isinstance(element, cst.DictElement) else None
                    if isinstance(key, str) and isinstance(element, cst.DictElement):
                        found[key] = element.value
    return found


def layer_kind(cls: str) -> str:
    if cls in vocabulary.KERAS_KERNEL_LAYERS:
        return "kernel"
    if cls in vocabulary.KERAS_NORM_LAYERS:
        return "norm"
    if cls in vocabulary.KERAS_EMBEDDING_LAYERS:
        return "embedding"
    return "other"


def _aliased_class(facts: ModuleFacts, func: cst.Name) -> tuple[str | None, dict[str, cst.Arg]]:
    """``Dense = layers.Dense`` or ``Conv = partial(layers.Conv2D, kernel_regularizer=...)``."""
    for value in values_of(facts, func).values:
        if isinstance(value, (cst.Name, cst.Attribute)):
            name = facts.canonical(value)
            if name is not None and name.startswith("keras.layers."):
                return name, {}
        fact = facts.call(value)
        if fact is not None and fact.positional and _is_partial(facts, fact):
            name = facts.canonical(fact.positional[0].value)
            if name is not None and name.startswith("keras.layers."):
                return name, fact.keywords
    return None, {}


def _is_partial(facts: ModuleFacts, fact: CallFact) -> bool:
    return any(q in ("functools.partial", "partial") for q in facts.qualified_names(fact.node.func))


# --- what a regularizer argument adds ---------------------------------------


def regularizer_kind(facts: ModuleFacts, expr: cst.BaseExpression | None, env: Env = EMPTY, depth: int = 8) -> Reg:
    """Classify a regularizer expression: none, zero, L2, other, or unknown."""
    if expr is None or depth == 0:
        return Reg.NONE if expr is None else Reg.UNKNOWN
    if isinstance(expr, cst.Name) and expr.value == "None":
        return Reg.NONE
    text = literal_value(expr)
    if isinstance(text, str):
        return Reg.L2 if text.lower() in ("l2", "l1_l2") else Reg.OTHER
    if isinstance(expr, cst.Call):
        return _factory_kind(facts, expr, env, depth)
    if isinstance(expr, cst.Name):
        bound = env.get(expr.value)
        if bound is not None:
            return regularizer_kind(bound.facts, bound.expr, bound.env, depth - 1)
        if expr.value in env.open_params:
            return Reg.UNKNOWN
        resolved = values_of(facts, expr)
        if resolved.functions and not resolved.values and not resolved.params:
            return Reg.OTHER  # `kernel_regularizer=my_l1_regularizer`: a function defined here
        if resolved.params or not resolved.values:
            return Reg.UNKNOWN
        return _merge(regularizer_kind(facts, value, env, depth - 1) for value in resolved.values)
    if isinstance(expr, cst.Attribute):
        resolved = values_of(facts, expr)
        if resolved.values:
            return _merge(regularizer_kind(facts, value, env, depth - 1) for value in resolved.values)
        return Reg.UNKNOWN
    if isinstance(expr, cst.Lambda):
        return Reg.OTHER
    return Reg.UNKNOWN


def _merge(kinds: Iterator[Reg]) -> Reg:
    seen = set(kinds)
    return seen.pop() if len(seen) == 1 else Reg.UNKNOWN


def _factory_kind(facts: ModuleFacts, node: cst.Call, env: Env, depth: int) -> Reg:
    fact = facts.call(node)
    name = fact.name if fact is not None else None
    if fact is None or name is None:
        return Reg.OTHER  # a custom regularizer object or factory
    if name in ("keras.regularizers.get", "keras.regularizers.deserialize"):
        # A pass-through: `self.kernel_regularizer = regularizers.get(kernel_regularizer)`.
        return regularizer_kind(facts, fact.positional[0].value, env, depth - 1) if fact.positional else Reg.UNKNOWN
    if name in vocabulary.KERAS_L2_REGULARIZERS:
        coefficient = fact.value("l2", 0) or fact.value("scale", 0)
        return Reg.ZERO if _is_zero(facts, coefficient, env) else Reg.L2
    if name in vocabulary.KERAS_L1L2_REGULARIZERS:
        # `l1_l2()` defaults both to 0.01; the `L1L2` class defaults both to 0.
        default = None if name.endswith(("l1_l2", "l1_l2_regularizer")) else 0
        l1, l2 = fact.value("l1", 0), fact.value("l2", 1)
        l1_zero = _is_zero(facts, l1, env) if l1 is not None else default == 0
        l2_zero = _is_zero(facts, l2, env) if l2 is not None else default == 0
        if not l2_zero:
            return Reg.L2
        return Reg.ZERO if l1_zero else Reg.OTHER
    if name.startswith("keras.regularizers.") or name in vocabulary.REGULARIZER_FACTORIES:
        coefficient = fact.positional[0].value if fact.positional else None
        return Reg.ZERO if coefficient is not None and _is_zero(facts, coefficient, env) else Reg.OTHER
    return Reg.OTHER


def _is_zero(facts: ModuleFacts, node: cst.BaseExpression | None, env: Env) -> bool:
    if node is None:
        return False
    if isinstance(node, cst.Name):
        bound = env.get(node.value)
        if bound is not None:
            return bound.expr is not None and _is_zero(bound.facts, bound.expr, bound.env)
        values = values_of(facts, node).values
        return bool(values) and all(literal_value(v) == 0 for v in values)
    return literal_value(node) == 0


def bind_call(
    facts: ModuleFacts, call: cst.Call, function: cst.FunctionDef, callee_facts: ModuleFacts, env: Env
) -> Env:
    """The environment of ``function``'s body when called by ``call`` (in ``facts``, under ``env``)."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    bindings: list[tuple[str, Bound]] = []
    passed_positional = [a for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    opaque = any(a.star for a in call.args)  # *args / **kwargs at the call site: cannot tell
    method_offset = 1 if positional and positional[0].name.value in ("self", "cls") else 0
    open_params: set[str] = set()
    for index, param in enumerate([*positional, *params.kwonly_params]):
        name = param.name.value
        arg_index = index - method_offset
        if name in keywords:
            bindings.append((name, Bound(keywords[name], facts, env)))
        elif param in positional and 0 <= arg_index < len(passed_positional):
            bindings.append((name, Bound(passed_positional[arg_index].value, facts, env)))
        elif opaque:
            open_params.add(name)
        elif param.default is not None:
            bindings.append((name, Bound(param.default, callee_facts, EMPTY)))
        else:
            bindings.append((name, Bound(None, callee_facts, EMPTY)))
    return Env(tuple(bindings), frozenset(open_params))
