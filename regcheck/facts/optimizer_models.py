"""Shared by RC501-RC503: the visible models an optimizer trains, and the L2 terms its loss adds."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.dataflow import closure
from regcheck.facts.keras_models import LayerUse, ModelInfo
from regcheck.facts.keras_units import model_of
from regcheck.facts.optimizers import OptimizerFact
from regcheck.facts.penalties import PenaltyTerm, penalty_terms
from regcheck.facts.tapes import GradientCall, gradient_calls


def trained_models(facts: ModuleFacts, optimizer: OptimizerFact) -> tuple[list[ModelInfo], bool]:
    """The models the optimizer trains that we can see, and whether some other one is not visible."""
    known: list[ModelInfo] = []
    unknown = False
    for expr in optimizer.models:
        info = model_of(facts, expr)
        if info is None:
            unknown = True
        else:
            known.append(info)
    return known, unknown or not optimizer.models


def l2_layers(models: list[ModelInfo]) -> list[LayerUse]:
    return [use for model in models for use in model.weight_l2()]


def describe_layers(uses: list[LayerUse], limit: int = 3) -> str:
    names = list(dict.fromkeys(f"`{u.layer.cls}`" for u in uses))
    shown = ", ".join(names[:limit])
    return shown + (" ..." if len(names) > limit else "")


def minimized_l2_terms(facts: ModuleFacts, optimizer: OptimizerFact) -> list[PenaltyTerm]:
    """Hand-written L2 terms on weights (``1e-4 * tf.nn.l2_loss(w)``) in a loss this optimizer minimizes."""
    terms = {t.call: t for t in penalty_terms(facts) if t.kind == "l2" and not t.zero}
    found: list[PenaltyTerm] = []
    if not terms:
        return found
    for loss in _minimized_losses(facts, optimizer):
        for node in closure(facts, loss).nodes:
            term = terms.get(node) if isinstance(node, cst.Call) else None
            if term is not None and term not in found:
                found.append(term)
    return found


def _minimized_losses(facts: ModuleFacts, optimizer: OptimizerFact) -> Iterator[cst.BaseExpression]:
    """``opt.minimize(loss)``; ``opt.apply_gradients(zip(grads, ...))`` with ``grads`` computed by
    ``tape.gradient(loss, ...)`` or ``tf.gradients(loss, ...)``, through clipping, renaming and
    pairs built beforehand."""
    for call in optimizer.minimize:
        loss = call.value("loss", 0)
        if loss is not None:
            yield loss
    tapes: dict[cst.CSTNode, GradientCall] = {g.call.node: g for g in gradient_calls(facts)}
    for call in optimizer.applies:
        pairs = call.value("grads_and_vars", 0)
        if pairs is None:
            continue
        for node in closure(facts, pairs).nodes:
            if node in tapes:
                yield tapes[node].target
            gradients = facts.call(node) if isinstance(node, cst.Call) else None
            if gradients is not None and gradients.name in vocabulary.GRADIENT_FUNCS:
                loss = gradients.value("ys", 0)
                if loss is not None:
                    yield loss
