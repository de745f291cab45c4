"""Which variables the training optimizer decays (decoupled weight decay), for RC501.

Keras 3 optimizers take ``weight_decay=`` (``AdamW`` defaults to 0.004), as do
tf-keras's; both say per variable whether it is decayed (``_use_weight_decay``,
which honours ``exclude_from_weight_decay``). The optimizer that trains the
captured step is the compiled model's, or the only optimizer the process made.
TensorFlow and Keras are only touched here when the caller has them loaded.
"""

from __future__ import annotations

import gc
from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.keras_meta import loaded_classes


def _optimizer_classes() -> tuple[type, ...]:
    return loaded_classes(
        "keras.src.optimizers.base_optimizer:BaseOptimizer", "tf_keras.src.optimizers.optimizer:_BaseOptimizer"
    )


def training_optimizers(models: list[Any] | None = None) -> list[tuple[Any, list[Any] | None]]:
    """(optimizer, the variables it trains, or None for unknown) pairs.

    The given models' optimizers; with no models, the compiled models' optimizers in
    this process, else its only Keras optimizer (a custom loop's). Several candidates
    and no compiled model: none, since which one trains the step is unknown."""
    classes = _optimizer_classes()
    if not classes:
        return []
    if models is None:
        objects = gc.get_objects()
        models = [
            obj
            for obj in objects
            if hasattr(type(obj), "compile")
            and hasattr(type(obj), "train_step")
            and isinstance(_attribute(obj, "optimizer"), classes)
        ]
        if not models:
            live = [obj for obj in objects if isinstance(obj, classes)]
            # Optimizers wrap others (LossScaleOptimizer): the outermost one is the one that applies.
            inner = {id(_attribute(obj, "inner_optimizer")) for obj in live}
            live = [obj for obj in live if id(obj) not in inner]
            return [(live[0], None)] if len(live) == 1 else []
    pairs: list[tuple[Any, list[Any] | None]] = []
    for model in models:
        optimizer = _attribute(model, "optimizer")
        if isinstance(optimizer, classes):
            pairs.append((optimizer, list(_attribute(model, "trainable_variables") or [])))
    return pairs


def _attribute(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # a half-built or proxy object
        return None


def _rate(optimizer: Any) -> float | None:
    try:
        value = optimizer.weight_decay
        rate = float(value.numpy() if hasattr(value, "numpy") else value) if value is not None else None
    except Exception:
        return None
    return rate if rate else None


def weight_decay(
    catalog: VariableCatalog, optimizers: list[tuple[Any, list[Any] | None]]
) -> dict[int, tuple[str, float]]:
    """Variable index -> (optimizer class, rate) for the variables a decaying optimizer decays."""
    decayed: dict[int, tuple[str, float]] = {}
    for optimizer, variables in optimizers:
        rate = _rate(optimizer)
        if rate is None:
            continue
        if variables is None:
            candidates = [(i, catalog.object_of(i)) for i, v in enumerate(catalog.variables) if v.trainable]
        else:
            candidates = [(catalog.add(v), v) for v in variables]
        for index, obj in candidates:
            if obj is None:
                continue
            try:
                used = bool(optimizer._use_weight_decay(obj))
            except Exception:
                used = True
            if used:
                decayed[index] = (type(optimizer).__name__, rate)
    return decayed
