"""Shared by RC501-RC503: the visible models an optimizer trains."""

from __future__ import annotations

from regcheck.facts import ModuleFacts
from regcheck.facts.keras_models import LayerUse, ModelInfo, model_of
from regcheck.facts.optimizers import OptimizerFact


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
