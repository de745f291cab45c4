"""What Keras knows about variables: owning layer, attribute, declared regularizer.

Keras 3 attaches a regularizer to a variable when the layer builds it
(``variable.regularizer``); tf-keras adds a callable loss to the layer instead.
``model.losses`` is computed from those. A layer whose ``kernel_regularizer``
is set but whose kernel has no regularizer got the attribute after it was
built (RC104).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Iterable
from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.ir import LayerAttr, Site

# regularizer attribute -> variable attribute it governs
REGULARIZER_ATTRS = {
    "kernel_regularizer": "kernel",
    "bias_regularizer": "bias",
    "gamma_regularizer": "gamma",
    "beta_regularizer": "beta",
    "embeddings_regularizer": "embeddings",
    "depthwise_regularizer": "depthwise_kernel",
    "pointwise_regularizer": "pointwise_kernel",
    "recurrent_regularizer": "recurrent_kernel",
}
_VARIABLE_ATTRS = tuple(dict.fromkeys(REGULARIZER_ATTRS.values()))


def _get(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def describe_regularizer(regularizer: Any) -> str | None:
    if regularizer is None:
        return None
    try:
        config = regularizer.get_config()
        numbers = ", ".join(f"{k}={v:g}" for k, v in config.items() if isinstance(v, (int, float)))
        return f"{type(regularizer).__name__}({numbers})"
    except Exception:
        return getattr(regularizer, "__name__", type(regularizer).__name__)


def loaded_classes(*paths: str) -> tuple[type, ...]:
    """The classes named ``"module:Class"`` whose package is already imported (Keras is never imported here)."""
    found = []
    for path in paths:
        module, _, name = path.partition(":")
        if module.split(".")[0] not in sys.modules:
            continue
        try:
            found.append(getattr(importlib.import_module(module), name))
        except Exception:  # another version's layout
            continue
    return tuple(found)


def is_variable(value: Any) -> bool:
    """A tf.Variable, a Keras 3 variable or a tf-keras variable (not a tensor, not a layer)."""
    return value is not None and hasattr(value, "dtype") and (hasattr(value, "handle") or hasattr(value, "_value"))


def _closure(function: Any) -> dict[str, Any]:
    code, cells = getattr(function, "__code__", None), getattr(function, "__closure__", None) or ()
    names = code.co_freevars if code is not None else ()
    values = {}
    for name, cell in zip(names, cells):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return values


def _tf_keras_penalty(entry: Any) -> tuple[Any, Any] | None:
    """tf-keras keeps a weight's regularizer as a callable loss of its layer:
    ``partial(_tag_callable, partial(_loss_for_variable, variable))``, the regularizer in the closure."""
    for _ in range(4):
        if not isinstance(entry, functools.partial) or not entry.args:
            return None
        if is_variable(entry.args[0]):
            return entry.args[0], _closure(entry.func).get("regularizer")
        entry = entry.args[0]
    return None


def declared_regularizers(layer: Any) -> dict[int, Any]:
    """id(variable) -> the regularizer the framework adds to ``model.losses`` for it.

    Keras 3 attaches it to the variable (``variable.regularizer``); tf-keras keeps a callable loss on
    the layer (its variables have no ``regularizer``), or a pending one for lazily created variables."""
    found: dict[int, Any] = {}
    for variable in list(_get(layer, "weights") or []):
        regularizer = _get(variable, "regularizer")
        if regularizer is not None:
            found[id(variable)] = regularizer
    for entry in list(_get(layer, "_callable_losses") or []):
        pair = _tf_keras_penalty(entry)
        if pair is not None:
            found[id(pair[0])] = pair[1]
    for item in list(_get(layer, "_captured_weight_regularizer") or []):
        try:
            _, variable, regularizer = item
        except (TypeError, ValueError):
            continue
        found[id(variable)] = regularizer
    return found


def _own_variables(layer: Any) -> set[int]:
    own: set[int] = set()
    for name in ("_trainable_variables", "_non_trainable_variables", "_trainable_weights", "_non_trainable_weights"):
        own.update(id(v) for v in (_get(layer, name) or []))
    return own


def enrich(
    catalog: VariableCatalog, layers: Iterable[Any], sites: dict[int, Site], late_sites: dict[tuple[int, str], Site]
) -> list[LayerAttr]:
    """Add every layer variable to the catalog with its Keras metadata; return late regularizers."""
    late: list[LayerAttr] = []
    for layer in layers:
        own = _own_variables(layer)
        named = {}
        for attr in _VARIABLE_ATTRS:
            value = _get(layer, attr)
            if is_variable(value):
                named[id(value)] = attr
        declared = declared_regularizers(layer)
        for variable in list(_get(layer, "weights") or []):
            if id(variable) not in own and id(variable) not in named:
                continue  # a sublayer's variable: its own layer describes it
            index = catalog.add(
                variable,
                name=getattr(variable, "path", None),
                trainable=bool(getattr(variable, "trainable", True)),
                layer=_get(layer, "name"),
                layer_class=type(layer).__name__,
                attr=named.get(id(variable)),
                declared_regularizer=describe_regularizer(declared.get(id(variable))),
            )
            if id(layer) in sites:  # the line that made the layer beats the line that happened to build it
                catalog.variables[index].site = sites[id(layer)]
        for reg_attr, var_attr in REGULARIZER_ATTRS.items():
            variable = _get(layer, var_attr)
            if _get(layer, reg_attr) is None or not is_variable(variable):
                continue
            if id(variable) not in declared:  # set on the layer, never reached its variable
                index = catalog.add(variable)
                site = late_sites.get((id(layer), reg_attr)) or sites.get(id(layer))
                late.append(LayerAttr(str(_get(layer, "name")), reg_attr, index, site))
    return late


def model_layers(model: Any) -> list[Any]:
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        return [model]
    return list(flatten(include_self=True, recursive=True))
