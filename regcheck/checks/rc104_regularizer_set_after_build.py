"""RC104 regularizer-set-after-build: ``layer.kernel_regularizer = ...`` on a layer that already exists.

The fix follows the Keras the file runs on (RULES.md, Versions). Keras 3 variables carry
their own regularizer, read every time ``model.losses`` is computed, so
``layer.kernel.regularizer = ...`` on a built layer works: a one-line fix. tf-keras
variables have no such attribute; there the model is rebuilt from its config.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, unsafe_fix
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr, values_of
from regcheck.facts.names import names_read
from regcheck.findings import Finding, Fix

_LAYER_LISTS = frozenset({"layers", "submodules", "_layers"})
# Keras 3: the regularizer attribute -> the variable that carries the penalty itself.
_KERAS3_VARIABLES = {
    "kernel_regularizer": "kernel",
    "bias_regularizer": "bias",
    "depthwise_regularizer": "depthwise_kernel",
    "pointwise_regularizer": "pointwise_kernel",
    "gamma_regularizer": "gamma",
    "beta_regularizer": "beta",
    "embeddings_regularizer": "embeddings",
}
_REBUILDERS = frozenset({"from_config", "model_from_json", "model_from_config", "clone_model", "model_from_yaml"})


class RegularizerSetAfterBuild(Check):
    code = "RC104"
    name = "regularizer-set-after-build"
    severity = "error"
    summary = "a regularizer is assigned to a layer that already exists"
    fix_safety = "unsafe"
    graph = True
    triggers = (b"_regularizer",)

    VALID = [
        # Set on a layer that is not built yet: read when it builds.
        """
from tensorflow import keras
dense = keras.layers.Dense(10)
dense.kernel_regularizer = keras.regularizers.l2(1e-4)
""",
        # Rebuilt from config after the loop: the new layers are created with the regularizers.
        """
import tensorflow as tf
base = tf.keras.applications.ResNet50(weights="imagenet")
for layer in base.layers:
    layer.kernel_regularizer = tf.keras.regularizers.l2(1e-4)
weights = base.get_weights()
base = tf.keras.models.model_from_json(base.to_json())
base.set_weights(weights)
""",
        # A helper that sets them and returns a model rebuilt from the one it was given.
        """
from tensorflow import keras
def with_regularization(model, regularizer):
    for layer in model.layers:
        if hasattr(layer, "kernel_regularizer"):
            layer.kernel_regularizer = regularizer
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    return rebuilt
""",
        """
from tensorflow import keras
def with_regularization(model, regularizer):
    for layer in model.layers:
        layer.kernel_regularizer = regularizer
    return keras.Model.from_config(model.get_config())
""",
    ]
    INVALID = [
        # What is rebuilt afterwards is another model: this one keeps its unregularized variables.
        """
from tensorflow import keras
def regularize(model, template, regularizer):
    for layer in model.layers:
        layer.kernel_regularizer = regularizer
    return keras.models.clone_model(template)
""",
        """
import tensorflow as tf
base = tf.keras.applications.ResNet50(weights="imagenet", include_top=False)
for layer in base.layers:
    if hasattr(layer, "kernel_regularizer"):
        layer.kernel_regularizer = tf.keras.regularizers.l2(1e-4)
""",
        """
from keras.regularizers import l2
model.get_layer("fc1").W_regularizer = l2(0.01)
""",
        # Keras 3: fixed on the variable, `layer.kernel.regularizer = ...`.
        """
import keras
base = keras.applications.MobileNetV2(weights=None)
for layer in base.layers:
    if isinstance(layer, keras.layers.Conv2D):
        layer.kernel_regularizer = keras.regularizers.L2(1e-4)
""",
        # Keras 2 (tf-keras): variables take no regularizer; the model is rebuilt from its config.
        """
import tf_keras as keras
base = keras.applications.MobileNetV2(weights=None)
for layer in base.layers:
    if isinstance(layer, keras.layers.Conv2D):
        layer.kernel_regularizer = keras.regularizers.L2(1e-4)
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        keras3 = facts.keras_version == "3"
        for target, receiver, attr, loop in _assignments(facts):
            if loop is not None and _rebuilt_after(facts, loop):
                continue
            variable = _KERAS3_VARIABLES.get(attr) if keras3 and isinstance(target, cst.Attribute) else None
            if variable is not None:
                assert isinstance(target, cst.Attribute)  # variable is only looked up for an attribute target
                fix: Fix | None = unsafe_fix(
                    f"Set the penalty on the variable: `{facts.code(receiver)}.{variable}.regularizer = ...`",
                    edits.replace(facts, target.attr, f"{variable}.regularizer"),
                )
                hint = f" (in Keras 3, `{facts.code(receiver)}.{variable}.regularizer = ...` does)"
            else:
                fix = _rebuild_fix(facts, loop) if loop is not None else None
                hint = ""
            finding = self.finding(
                facts,
                target,
                f"`{attr}` is set on a layer that already exists: its variables were created without it, "
                f"so `model.losses` does not change and training stays unregularized{hint}",
                symbol=facts.code(receiver),
                fix=fix,
            )
            # The verdict holds in every version; the fix is the versioned part.
            yield self.versioned(facts, finding) if finding.fix is not None else finding


def _assignments(facts: ModuleFacts) -> Iterator[tuple[cst.CSTNode, cst.BaseExpression, str, cst.For | None]]:
    for target in facts.bound_values:
        if isinstance(target, cst.Attribute) and target.attr.value in vocabulary.KERAS_REGULARIZER_ATTRIBUTES:
            existing = _existing_layer(facts, target.value)
            if existing is not None:
                yield target, target.value, target.attr.value, _as_loop(existing)
    for call in facts.calls:
        if isinstance(call.node.func, cst.Name) and call.node.func.value == "setattr" and len(call.positional) == 3:
            attr = literal_value(call.positional[1].value)
            if attr in vocabulary.KERAS_REGULARIZER_ATTRIBUTES:
                existing = _existing_layer(facts, call.positional[0].value)
                if existing is not None:
                    yield call.node, call.positional[0].value, str(attr), _as_loop(existing)


def _as_loop(existing: cst.For | bool) -> cst.For | None:
    return existing if isinstance(existing, cst.For) else None


def _existing_layer(facts: ModuleFacts, receiver: cst.BaseExpression) -> cst.For | bool | None:
    """The loop over ``model.layers`` that yields the receiver, True for ``model.get_layer(...)`` /
    ``model.layers[i]``, None when the receiver is not known to be a built model's layer."""
    if isinstance(receiver, cst.Name):
        resolved = values_of(facts, receiver)
        for loop in resolved.loops:
            if _is_layer_list(facts, loop.iterable) and isinstance(loop.owner, cst.For):
                return loop.owner
            if _is_layer_list(facts, loop.iterable):
                return True
        return True if any(_is_existing(facts, v) for v in resolved.values) else None
    return True if _is_existing(facts, receiver) else None


def _is_layer_list(facts: ModuleFacts, iterable: cst.BaseExpression) -> bool:
    for value in [iterable, *resolve_expr(facts, iterable)]:
        fact = facts.call(value) if isinstance(value, cst.Call) else None
        if (
            fact is not None
            and isinstance(value, cst.Call)
            and fact.name is None
            and isinstance(value.func, cst.Name)
            and fact.positional
        ):
            value = fact.positional[0].value  # enumerate(model.layers), reversed(...)
        if isinstance(value, cst.Subscript):
            value = value.value  # model.layers[-5:]
        if isinstance(value, cst.Attribute) and value.attr.value in _LAYER_LISTS:
            return True
    return False


def _is_existing(facts: ModuleFacts, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute):
        return node.value.attr.value in _LAYER_LISTS
    fact = facts.call(node) if isinstance(node, cst.Call) else None
    return fact is not None and fact.method == "get_layer"


def _model_name(loop: cst.For) -> str | None:
    iterable = loop.iter
    if isinstance(iterable, cst.Call) and iterable.args:
        iterable = iterable.args[0].value
    if isinstance(iterable, cst.Attribute) and iterable.attr.value == "layers" and isinstance(iterable.value, cst.Name):
        return iterable.value.value
    return None


def _rebuilt_after(facts: ModuleFacts, loop: cst.For) -> bool:
    """The model is rebuilt from its config after the loop (the documented way to apply new
    regularizers): ``model = Model.from_config(model.get_config())``, or a new model made from it,
    bound or returned (``return model_from_json(model.to_json())``)."""
    name = _model_name(loop)
    after = facts.span(loop).end_line
    function = next((a for a in facts.ancestors(loop) if isinstance(a, cst.FunctionDef)), None)
    for call in facts.calls:
        callee = (call.name or call.method or "").rsplit(".", 1)[-1]
        if callee not in _REBUILDERS or call.function is not function or facts.span(call.node).line <= after:
            continue
        if name is None or name in names_read(call.node) or _bound_to(facts, call.node, name):
            return True
    return False


def _bound_to(facts: ModuleFacts, call: cst.Call, name: str) -> bool:
    """``name = <rebuilder>(...)``: the model's name now holds the rebuilt model."""
    parent = facts.parent(call)
    return isinstance(parent, cst.Assign) and any(
        isinstance(t.target, cst.Name) and t.target.value == name for t in parent.targets
    )


def _rebuild_fix(facts: ModuleFacts, loop: cst.For) -> Fix | None:
    name = _model_name(loop)
    if name is None:
        return None
    indent = " " * (facts.span(loop).column - 1)
    lines = [
        f"{name}_weights = {name}.get_weights()",
        f"{name} = {name}.__class__.from_config({name}.get_config())",
        f"{name}.set_weights({name}_weights)",
    ]
    text = "".join(f"\n{indent}{line}" for line in lines)
    return unsafe_fix(
        "Rebuild the model from its config so the new regularizers create penalties",
        edits.insert_after(facts, loop, text),
    )
