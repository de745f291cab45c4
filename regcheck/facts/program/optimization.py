"""What each optimizer trains, read from the program model (RC501-RC503).

An optimizer decays the weights itself (``AdamW``, ``SGDW``, ``weight_decay=`` on any Keras optimizer,
``tensorflow_addons``' decoupled classes) or adapts its step per parameter (Adam, RMSprop, ...). What
it trains are the training steps that apply its updates: ``minimize``, ``apply_gradients`` of a
tape's or ``tf.gradients``' gradients, ``compile`` then ``fit``. The L2 penalties that reach it are
the covers of those steps' units (regcheck.facts.program.coverage): layers' L2 regularizers and L2
terms written into a minimized loss, whichever module they are built in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst

from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.program import program
from regcheck.facts.program.coverage import Unit, anchor_of, units
from regcheck.facts.program.training import loss_terms, unit_of
from regcheck.facts.program.values import (
    NONE,
    Const,
    Layer,
    Optimizer,
    Regularizer,
    Term,
    TrainStep,
    Value,
    Variable,
    alternatives,
)
from regcheck.facts.roles import Role

# Keras's AdamW decays by default (weight_decay=0.004), in Keras 3 and in tf-keras since TF 2.11.
ADAMW_DEFAULT_DECAY = 0.004
V = TypeVar("V")


@dataclass(eq=False)
class Trained:
    """One optimizer (one constructor call or compile string) and what the steps it applies train."""

    optimizer: Optimizer
    steps: list[TrainStep] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    unknown: bool = False  # applied to what the program model cannot see, or never seen applied
    l2_layers: list[Layer] = field(default_factory=list)  # layers whose L2 regularizer reaches it
    l2_terms: list[Term] = field(default_factory=list)  # L2 terms on weights written into a loss it minimizes


def short_name(optimizer: Optimizer) -> str:
    """``AdamW``, ``adam`` (a compile string), ``extend_with_decoupled_weight_decay``."""
    return optimizer.name.rsplit(".", 1)[-1]


def is_keras(optimizer: Optimizer) -> bool:
    """A Keras optimizer (a class of ``keras.optimizers`` or a compile string): it has Keras's
    ``exclude_from_weight_decay`` and AdamW's default decay."""
    name = optimizer.name
    return name.startswith("keras.") or ("." not in name and name.islower() and not optimizer.decoupled_class)


def decay_argument(optimizer: Optimizer) -> Value | None:
    return optimizer.arguments.get("weight_decay")


def switched_off(value: Value) -> bool:
    """``weight_decay=0`` / ``weight_decay=None`` on every path: no decay at all."""
    options = alternatives(value)
    return bool(options) and all(
        o is NONE or (isinstance(o, Const) and (o.value is None or o.value == 0)) for o in options
    )


def decouples(optimizer: Optimizer) -> bool:
    """Decays the weights itself: AdamW / SGDW (unless switched off), any optimizer given a
    ``weight_decay=`` that is not zero, a class made by ``extend_with_decoupled_weight_decay``."""
    decay = decay_argument(optimizer)
    if decay is not None:
        return not switched_off(decay)
    name = short_name(optimizer)
    if optimizer.decoupled_class or name in vocabulary.DECOUPLED_DECAY_OPTIMIZERS:
        return True
    return name in vocabulary.DECOUPLED_DECAY_OPTIMIZER_STRINGS


def adapts(optimizer: Optimizer) -> bool:
    """Adam-like (the step adapts per parameter), without decoupled decay."""
    name = short_name(optimizer)
    adaptive = name in vocabulary.ADAPTIVE_OPTIMIZERS or name in vocabulary.ADAPTIVE_OPTIMIZER_STRINGS
    return adaptive and not decouples(optimizer)


def trained(facts: ModuleFacts) -> list[Trained]:
    """Every optimizer the program of ``facts`` builds (in this module or in one it calls), merged per
    constructor call: a builder called twice makes one optimizer in the code."""
    return facts.cached("program_trained", _trained)


def _trained(facts: ModuleFacts) -> list[Trained]:
    prog = program(facts)
    by_node: dict[int, Trained] = {}
    for optimizer in prog.optimizers:
        entry = by_node.setdefault(_key(optimizer), Trained(optimizer))
        entry.unknown = entry.unknown or optimizer.unseen_updates
    seen: set[int] = set()
    for step in prog.train_steps:
        for option in _optimizers(step.optimizer):
            stepped = by_node.get(_key(option))
            if stepped is not None:
                stepped.steps.append(step)
                seen.add(_key(option))
                _add_unit(stepped, unit_of(prog, step))
                # An L2 term over variables the program model cannot list (``model`` from an
                # unread call): still an L2 penalty in the loss it minimizes.
                for term in loss_terms(step):
                    if _l2_on_weights(term) and term not in stepped.l2_terms:
                        stepped.l2_terms.append(term)
    # A model compiled with it and never seen fitted: compile is what wires them.
    model_units = {id(u.model): u for u in units(prog) if u.model is not None}
    for model in prog.models:
        fitted = any(s.model is model for s in prog.train_steps)
        for option in _optimizers(model.optimizer):
            compiled = by_node.get(_key(option))
            if compiled is not None and not fitted:
                seen.add(_key(option))
                _add_unit(compiled, model_units.get(id(model)))
    # Gradients it cannot see applied to a model's variables: what the model declares.
    for optimizer in prog.optimizers:
        entry = by_node[_key(optimizer)]
        for model in optimizer.updated_models:
            seen.add(_key(optimizer))
            _add_unit(entry, model_units.get(id(model)))
    for key, entry in by_node.items():
        entry.unknown = entry.unknown or key not in seen
    return list(by_node.values())


def _optimizers(value: Value | None) -> list[Optimizer]:
    return [o for o in alternatives(value) if isinstance(o, Optimizer)] if value is not None else []


def _key(optimizer: Optimizer) -> int:
    return id(optimizer.node) if optimizer.node is not None else id(optimizer)


def _add_unit(entry: Trained, unit: Unit | None) -> None:
    if unit is None or (unit.opaque and not unit.variables):
        entry.unknown = True
        return
    for variable in unit.variables:
        if variable not in entry.variables:
            entry.variables.append(variable)
    for variable, covers in unit.covers.items():
        if variable.role is not Role.WEIGHT:
            continue  # L2 on what is not a weight is RC102's and RC103's business
        for cover in covers:
            if cover.state != "active":
                continue
            if cover.term is not None:
                if cover.term.penalty == "l2" and cover.term not in entry.l2_terms:
                    entry.l2_terms.append(cover.term)
            elif _is_l2(cover.regularizer) and variable.layer is not None and variable.layer not in entry.l2_layers:
                entry.l2_layers.append(variable.layer)


def _l2_on_weights(term: Term) -> bool:
    if term.kind != "penalty" or term.penalty != "l2" or term.zero:
        return False
    if term.covers_all is not None:
        return True
    return any(v.role is Role.WEIGHT for v in term.covers)


def _is_l2(value: Value | None) -> bool:
    return value is not None and any(isinstance(o, Regularizer) and o.kind == "l2" for o in alternatives(value))


def located(
    facts: ModuleFacts, verdict: Callable[[ModuleFacts, Trained], V | None]
) -> Iterator[tuple[Trained, cst.CSTNode, V]]:
    """Each optimizer of ``facts``' program that ``verdict`` finds at fault, with where the finding
    goes: its constructor (or compile string) when it is made here; else, unless its own module's
    lint finds the same, the call here that leads to it (one finding per defect)."""
    for entry in trained(facts):
        found = verdict(facts, entry)
        site = entry.optimizer.site
        if found is None or site is None:
            continue
        node: cst.CSTNode | None
        if site.facts is facts:
            node = entry.optimizer.node if entry.optimizer.node is not None else site.node
        elif any(e.optimizer.node is entry.optimizer.node and verdict(site.facts, e) for e in trained(site.facts)):
            continue
        else:
            node = anchor_of(facts, site, innermost=False)
        if node is not None:
            yield entry, node, found
