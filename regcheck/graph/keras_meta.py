"""What Keras knows about variables: owning layer, attribute, declared regularizer.

Keras 3 attaches a regularizer to a variable when the layer builds it
(``variable.regularizer``); ``model.losses`` is computed from those. A layer
whose ``kernel_regularizer`` is set but whose kernel has no regularizer got
the attribute after it was built (RC104).
"""

from __future__ import annotations

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


def enrich(
    catalog: VariableCatalog, layers: Iterable[Any], sites: dict[int, Site], late_sites: dict[tuple[int, str], Site]
) -> list[LayerAttr]:
    """Add every layer variable to the catalog with its Keras metadata; return late regularizers."""
    late: list[LayerAttr] = []
    for layer in layers:
        own = {
            id(v) for v in (_get(layer, "_trainable_variables") or []) + (_get(layer, "_non_trainable_variables") or [])
        }
        named = {}
        for attr in _VARIABLE_ATTRS:
            value = _get(layer, attr)
            if value is not None and hasattr(value, "regularizer"):
                named[id(value)] = attr
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
                declared_regularizer=describe_regularizer(_get(variable, "regularizer")),
            )
            if id(layer) in sites:  # the line that made the layer beats the line that happened to build it
                catalog.variables[index].site = sites[id(layer)]
        for reg_attr, var_attr in REGULARIZER_ATTRS.items():
            variable = _get(layer, var_attr)
            if _get(layer, reg_attr) is None or variable is None or not hasattr(variable, "regularizer"):
                continue
            if variable.regularizer is None:  # set on the layer, never reached its variable
                index = catalog.add(variable)
                site = late_sites.get((id(layer), reg_attr)) or sites.get(id(layer))
                late.append(LayerAttr(str(_get(layer, "name")), reg_attr, index, site))
    return late


def model_layers(model: Any) -> list[Any]:
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is None:
        return [model]
    return list(flatten(include_self=True, recursive=True))
