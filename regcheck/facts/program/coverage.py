"""Which parameters of each trained unit the penalties reach.

A *unit* is what one rule judges as a whole:

- a training step (:class:`TrainStep`): the variables its loss is differentiated
  for, and the penalties that reach that loss by every route (a term written
  into it, the REGULARIZATION_LOSSES collection it reads, ``model.losses`` it
  adds, a regularizer applied in it);
- where no training step is in view (a builder another module trains), a Keras
  model with the penalties its layers declare, a TF1 graph with the penalties
  written or registered in it, or layers wired together without a model.

For each variable of a unit, :class:`Cover` records each penalty that reaches
it and whether that penalty is on (``active``), deliberately off (``zero``) or
depends on something the program model cannot see (``unknown``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program.result import Program
from regcheck.facts.program.values import (
    UNKNOWN,
    Graph,
    Layer,
    Model,
    OneOf,
    Regularizer,
    Sequence,
    SiteRef,
    Tensor,
    Term,
    TrainStep,
    Value,
    Variable,
    VarSet,
    VarSetMember,
    alternatives,
)
from regcheck.facts.roles import Role


@dataclass(eq=False)
class Cover:
    """One penalty that reaches a variable."""

    state: str  # "active", "zero" or "unknown"
    how: str  # "term" (written into the loss), "collection", "model" (model.losses), "declared"
    site: SiteRef | None  # where the penalty is written or declared
    term: Term | None = None
    regularizer: Value | None = None


@dataclass(eq=False)
class Unit:
    kind: str  # "step", "model", "graph", "layers"
    variables: list[Variable]
    covers: dict[Variable, list[Cover]] = field(default_factory=dict)
    opaque: bool = False  # the loss adds something the program model cannot see: it may penalize anything
    keras: bool = False  # a Keras model (a "model" in messages), else a TF1 graph
    step: TrainStep | None = None
    model: Model | None = None
    graph: Graph | None = None

    def state(self, variable: Variable) -> str:
        """The strongest cover of a variable: "active", "zero", "unknown" or "none"."""
        states = {c.state for c in self.covers.get(variable, ())}
        for wanted in ("active", "unknown", "zero"):
            if wanted in states:
                return wanted
        return "none"


def units(program: Program) -> list[Unit]:
    if program.units is None:
        program.units = _units(program)
    return program.units


def regularizer_state(value: Value | None) -> str | None:
    """What a declared regularizer adds: "active", "zero", "unknown", or None (no regularizer)."""
    if value is None:
        return None
    states: set[str | None] = set()
    for option in alternatives(value):
        if isinstance(option, Regularizer):
            states.add("constraint" if option.kind == "constraint" else "zero" if option.zero else "active")
        elif option is UNKNOWN:
            states.add("unknown")
        elif isinstance(option, Tensor):
            states.add("active" if any(t.kind == "penalty" and not t.zero for t in option.terms) else "unknown")
        else:
            states.add(None)  # None, or a value that is not a regularizer
    states.discard("constraint")
    if states == {None} or not states:
        return None
    if len(states) == 1:
        return states.pop()
    return "unknown"


def penalizes(value: Value | None) -> bool:
    """The declared regularizer penalizes, always or on the paths where a flag turns it on."""
    return regularizer_state(value) == "active" or may_be_active(value)


def may_be_active(value: Value | None) -> bool:
    """A regularizer that penalizes on some path (``l2(wd) if use_l2 else None`` with the flag
    unknown): the code penalizes when it is on, and what it leaves out on every path is left out then."""
    return value is not None and any(
        isinstance(option, Regularizer) and option.kind != "constraint" and not option.zero
        for option in alternatives(value)
    )


# --- building the units ---------------------------------------------------------------------------------


def _units(program: Program) -> list[Unit]:
    found: list[Unit] = []
    trained: set[Variable] = set()
    for step in program.train_steps:
        unit = _step_unit(program, step)
        if unit is None:
            continue
        found.append(unit)
        trained.update(unit.variables)
    in_models: set[Variable] = set()
    models = [m for m in program.models if not m.opaque or m.layers]
    for model in sorted(models, key=lambda m: -len(m.all_variables())):
        variables = [v for v in model.all_variables() if v.trainable]
        if not variables or set(variables) & trained or set(variables) <= in_models:
            in_models.update(variables)
            continue
        in_models.update(variables)
        unit = Unit("model", variables, keras=True, model=model)
        for variable in variables:
            _declared(unit, variable)
        for layer in model.all_layers():
            _add_losses(unit, layer.losses, variables)
        _add_losses(unit, model.losses, variables)
        found.append(unit)
    stepped_graphs = {id(s.graph) for s in program.train_steps if s.graph is not None and s.kind != "fit"}
    for graph in program.graphs:
        if id(graph) in stepped_graphs:
            continue
        variables = [v for v in graph.variables if v.trainable and v not in trained]
        if not variables:
            continue
        unit = Unit("graph", variables, graph=graph)
        for variable in variables:
            if variable.route == "collection":
                _declared(unit, variable)
        for term in graph.penalties:
            if term.penalty == "norm" and term.coefficient is None:
                # With no loss in view, an unscaled norm of a variable is as likely a normalization
                # (cosine similarity, a codebook's distances) as a penalty: only a scaled one counts.
                continue
            _term_covers(unit, term, variables)
        found.append(unit)
    reached = trained | in_models  # once: a layer's question is then proportional to its own variables
    loose = [
        layer
        for layer in program.layers
        if not layer.tf1 and layer.cls != "<variables>" and reached.isdisjoint(layer.variables.values())
    ]
    for component in _components(program, loose):
        variables = [v for layer in component for v in layer.variables.values() if v.trainable]
        if not variables:
            continue
        unit = Unit("layers", variables, keras=True)
        for variable in variables:
            _declared(unit, variable)
        for layer in component:
            _add_losses(unit, layer.losses, variables)
        found.append(unit)
    return found


def _step_unit(program: Program, step: TrainStep) -> Unit | None:
    loss = step.loss
    terms: list[Term] = []
    opaque = False
    reads: set[Variable] = set()
    opaque_reads = False
    for option in _flat(loss):
        if isinstance(option, Tensor):
            terms.extend(option.terms)
            reads |= option.reads
            opaque_reads = opaque_reads or option.opaque_reads
        else:
            opaque = True  # unknown, or a value of a library the program model does not read
    variables = _trained_variables(step, reads)
    model = step.model
    if model is not None and not variables:
        variables = [v for v in model.all_variables() if v.trainable]
    unit = Unit("step", variables, opaque=opaque, step=step, model=model, graph=step.graph)
    unit.keras = model is not None or any(v.route == "model" for v in variables)
    # What layers and variables declare counts whether or not it reaches this loss: a declared
    # penalty that the loss leaves out is RC201's and RC202's business, not a gap in coverage.
    for variable in variables:
        if variable.route in ("model", "collection"):
            _declared(unit, variable)
    for term in terms:
        if term.kind == "opaque":
            unit.opaque = True
        elif term.kind == "penalty":
            _term_covers(unit, term, variables)
        elif term.kind == "collection":
            graph = term.graph or step.graph
            if graph is not None:
                _collection_covers(unit, graph, variables)
        elif term.kind == "model_losses":
            owner = term.model
            if owner is None:
                owned = [v for v in variables if v.route == "model"]
                for variable in owned:
                    _declared(unit, variable, how="model")
                for layer in {v.layer for v in owned if v.layer is not None}:
                    _add_losses(unit, layer.losses, variables)
                continue
            owned = owner.all_variables()
            for variable in owned:
                _declared(unit, variable, how="model")
            layers = owner.all_layers() if isinstance(owner, Model) else [owner]
            for layer in layers:
                _add_losses(unit, layer.losses, variables)
            if isinstance(owner, Model):
                _add_losses(unit, owner.losses, variables)
    if opaque_reads and not variables:
        unit.opaque = True
    return unit


def _trained_variables(step: TrainStep, reads: set[Variable]) -> list[Variable]:
    sources = step.sources
    found: list[Variable] = []
    unknown = False
    for option in _flat(sources):
        if isinstance(option, VarSet):
            if option.owner is None:
                unknown = True
            else:
                found.extend(option.variables())
        elif isinstance(option, VarSetMember):
            found.extend(option.varset.variables()) if option.varset.owner is not None else None
        elif isinstance(option, Variable):
            found.append(option)
        elif isinstance(option, Tensor):
            found.extend(option.reads)
        else:
            unknown = True
    if not found or unknown:
        known = set(found)  # a set: a list's `in` made this quadratic in the variables read
        found.extend(v for v in sorted(reads, key=lambda v: v.id) if v not in known)
    if step.model is not None and not found:
        found = step.model.all_variables()
    return [v for v in dict.fromkeys(found) if v.trainable]


def _flat(value: Value) -> list[Value]:
    out: list[Value] = []
    for option in alternatives(value):
        if isinstance(option, Sequence):
            for item in option.items:
                out.extend(_flat(item))
            if not option.exact and not option.items:
                out.append(UNKNOWN)
        else:
            out.append(option)
    return out


def _cover(unit: Unit, variable: Variable, cover: Cover) -> None:
    unit.covers.setdefault(variable, []).append(cover)


def _declared(unit: Unit, variable: Variable, how: str = "declared") -> None:
    state = regularizer_state(variable.regularizer)
    if state is not None:
        _cover(unit, variable, Cover(state, how, variable.site, regularizer=variable.regularizer))


def _collection_covers(unit: Unit, graph: Graph, variables: list[Variable]) -> None:
    for registration in graph.registrations:
        if registration.variable is not None:
            state = regularizer_state(registration.regularizer)
            if state is not None:
                _cover(
                    unit,
                    registration.variable,
                    Cover(state, "collection", registration.site, regularizer=registration.regularizer),
                )
            continue
        for option in _flat(registration.regularizer):
            if isinstance(option, Tensor):
                for term in option.terms:
                    if term.kind == "penalty":
                        _term_covers(unit, term, variables, how="collection")
            elif option is UNKNOWN:
                unit.opaque = True


def _add_losses(unit: Unit, terms: Iterable[Term], variables: list[Variable]) -> None:
    for term in terms:
        if term.kind == "penalty":
            _term_covers(unit, term, variables, how="model")
        elif term.kind == "opaque":
            unit.opaque = True


def _term_covers(unit: Unit, term: Term, variables: list[Variable], how: str = "term") -> None:
    state = "zero" if term.zero else "active"
    if term.covers_all is not None:
        varset = term.covers_all
        if varset.part_only:
            unit.opaque = True
            return
        members = varset.variables() if varset.owner is not None else variables
        for variable in members:
            if variable_passes(variable, varset.filters):
                _cover(unit, variable, Cover(state, how, term.site, term=term))
        return
    for variable in term.covers:
        _cover(unit, variable, Cover(state, how, term.site, term=term))


# Name fragments that only normalization parameters (and their statistics) carry.
NORMALIZATION_WORDS = ("batch_norm", "batchnorm", "bn", "norm", "gamma", "beta", "moving", "evonorm", "layer_norm")


def variable_passes(variable: Variable, filters: tuple[cst.BaseExpression, ...]) -> bool:
    """Does this variable pass the tests of an all-variables penalty? Decided on the names it may have
    at run time when every test is a test of ``v.name`` (``"bias" not in v.name`` lets a bias named
    ``b_proj`` through; ``v.name not in ["bias"]`` never matches ``"dense/bias:0"``); else by its role."""
    if not filters:
        return True
    if variable.tf_names:
        verdicts = {_names_pass(filters, name) for name in variable.tf_names}
        if len(verdicts) == 1 and None not in verdicts:
            return bool(verdicts.pop())
    return passes_filters(variable.role, filters)


def _names_pass(filters: tuple[cst.BaseExpression, ...], name: str) -> bool | None:
    verdicts = [name_test(f, name) for f in filters]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def name_test(test: cst.BaseExpression, name: str) -> bool | None:
    """The value of a test of a variable's name (``"bias" not in v.name``, ``v.name.startswith("bn")``,
    ``len(...)``-free combinations with ``and`` / ``or`` / ``not``) for this name; None when the test
    is not only about ``.name``."""
    if isinstance(test, cst.Name) and test.value in ("True", "False"):
        return test.value == "True"  # a flag the test was spelled out with
    if isinstance(test, cst.BooleanOperation):
        first, second = name_test(test.left, name), name_test(test.right, name)
        if isinstance(test.operator, cst.And):
            return False if False in (first, second) else (None if None in (first, second) else True)
        return True if True in (first, second) else (None if None in (first, second) else False)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = name_test(test.expression, name)
        return None if inner is None else not inner
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
        left_name, right_name = _name_of(test.left, name), _name_of(right, name)
        if isinstance(operator, (cst.In, cst.NotIn)):
            if right_name is not None and isinstance(test.left, cst.SimpleString):
                word = test.left.evaluated_value
                found = isinstance(word, str) and word in right_name
            elif left_name is not None and isinstance(right, (cst.List, cst.Tuple, cst.Set)):
                words = [
                    e.value.evaluated_value if isinstance(e.value, cst.SimpleString) else None for e in right.elements
                ]
                if None in words:
                    return None
                found = left_name in words
            else:
                return None
            return found if isinstance(operator, cst.In) else not found
        if (
            isinstance(operator, (cst.Equal, cst.NotEqual))
            and left_name is not None
            and isinstance(right, cst.SimpleString)
        ):
            equal = left_name == right.evaluated_value
            return equal if isinstance(operator, cst.Equal) else not equal
        return None
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and len(test.args) == 1:
        subject = _name_of(test.func.value, name)
        argument = test.args[0].value
        needle = argument.evaluated_value if isinstance(argument, cst.SimpleString) else None
        if subject is None or not isinstance(needle, str):
            return None
        if test.func.attr.value == "startswith":
            return subject.startswith(needle)
        if test.func.attr.value == "endswith":
            return subject.endswith(needle)
        if test.func.attr.value == "__contains__":
            return needle in subject
    return None


def _name_of(expr: cst.BaseExpression, name: str) -> str | None:
    """``name`` when ``expr`` is ``<anything>.name`` (possibly ``.lower()`` / ``.upper()``), else None."""
    if isinstance(expr, cst.Attribute) and expr.attr.value == "name":
        return name
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args:
        inner = _name_of(expr.func.value, name)
        if inner is not None and expr.func.attr.value in ("lower", "upper"):
            return inner.lower() if expr.func.attr.value == "lower" else inner.upper()
    return None


def passes_filters(role: Role, filters: tuple[cst.BaseExpression, ...]) -> bool:
    """Does a variable of this role pass the name tests of an all-variables penalty (``if "bias" not in v.name``)?

    Only what the tests certainly mean is used: tests that only exclude normalization names let
    weights and biases through; any other test is taken to keep the weights and nothing else."""
    if not filters:
        return True
    if all(lets_biases_through(f) for f in filters):
        return role is not Role.NORM
    return role is Role.WEIGHT


def lets_biases_through(test: cst.BaseExpression) -> bool:
    """True only when the test is known to keep biases: every string it tests a name for is a
    normalization word, tested with ``not in`` (or ``and``-ed such tests)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return lets_biases_through(test.left) and lets_biases_through(test.right)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        word = test.left.evaluated_value if isinstance(test.left, cst.SimpleString) else None
        if isinstance(target.operator, cst.NotIn) and isinstance(word, str):
            return any(w in word.lower() for w in NORMALIZATION_WORDS) and "bias" not in word.lower()
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if (
            isinstance(inner, cst.Call)
            and isinstance(inner.func, cst.Attribute)
            and inner.func.attr.value in ("startswith", "endswith", "__contains__")
            and inner.args
        ):
            first = inner.args[0].value
            word = first.evaluated_value if isinstance(first, cst.SimpleString) else None
            return isinstance(word, str) and any(w in word.lower() for w in NORMALIZATION_WORDS)
    return False


def _components(program: Program, layers: list[Layer]) -> list[list[Layer]]:
    """Loose layers (in no model) grouped by how they feed each other."""
    by_variable = {v: layer for layer in layers for v in layer.variables.values()}
    parent = {layer.id: layer.id for layer in layers}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for source, targets in program.feeds.items():
        a = by_variable.get(source)
        if a is None:
            continue
        for target in targets:
            b = by_variable.get(target)
            if b is not None:
                parent[find(a.id)] = find(b.id)
    groups: dict[int, list[Layer]] = {}
    for layer in layers:
        groups.setdefault(find(layer.id), []).append(layer)
    return list(groups.values())


# --- output layers ---------------------------------------------------------------------------------------


def outputs(program: Program, unit: Unit) -> set[Variable]:
    """The unit's kernels from which no other kernel of the unit is reached: its head."""
    kernels = {v for v in unit.variables if v.role is Role.WEIGHT}
    feeds = program.feeds
    if not any(k in feeds for k in kernels) and not any(k in t for t in feeds.values() for k in kernels):
        # Nothing is known of how they are wired: the last one built is the head.
        last = max(kernels, key=lambda v: v.id, default=None)
        return {last} if last is not None else set()
    return program.heads(kernels)


def anchor_of(facts: ModuleFacts, site: SiteRef, innermost: bool) -> cst.CSTNode | None:
    """Where a finding about an object built at ``site`` goes in ``facts``: the object's own call when
    it is built here and the verdict holds for every call of it; else the call here that leads to it
    (the innermost one when the verdict depends on that call's arguments)."""
    if site.facts is facts and not innermost:
        return site.node
    chain = [node for chain_facts, node in site.chain if chain_facts is facts]
    if site.facts is facts:
        return chain[-1] if chain else site.node
    if not chain:
        return None
    return chain[-1] if innermost else chain[0]


def is_opaque_value(value: Value) -> bool:
    return value is UNKNOWN or (isinstance(value, OneOf) and any(o is UNKNOWN for o in value.options))
