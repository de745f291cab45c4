"""Which Keras one file runs on: the project's target, unless the file's own code says otherwise.

In this order (RULES.md, Versions):

1. ``import tf_keras`` (any form) means Keras 2: the file uses tf-keras directly;
   ``os.environ["TF_USE_LEGACY_KERAS"] = "1"`` (or ``setdefault`` / ``putenv`` /
   ``update``) makes ``tf.keras`` load tf-keras: Keras 2; set to ``"0"`` it is Keras 3.
2. The project's target (``keras = "3" | "2"``, or what ``auto`` read from the declared
   dependencies: regcheck.config.keras_target); where ``auto`` found nothing that decides
   for the run, the declarations of the file's own project (``keras_target.nearest``).
3. Where that is unknown too, the code decides: an API that only one version has.
   TensorFlow 1 names spelled without ``compat.v1`` (``tf.placeholder``, ``tf.Session``,
   ``tf.contrib``: regcheck.facts.tf1_names), ``tf.estimator`` (gone in TensorFlow 2.16)
   and Keras 2-only APIs (``fit_generator``, ``keras.engine``, ``keras.layers.experimental``,
   ``add_update``, the Keras 1 keywords) mean Keras 2; Keras 3-only APIs (``keras.ops``,
   ``keras.random``, ``keras.config``, ``keras.Layer``, ``KERAS_BACKEND="jax"``) mean Keras 3.
   A file that uses both (a compatibility shim), or neither, stays unknown: ``"unknown"``,
   and every verdict that differs between versions is given only in a form that holds in both.

Names met inside ``try:`` blocks that catch ``ImportError`` / ``AttributeError`` (and their
handlers), and inside ``if`` blocks that test a version, are fallbacks, not evidence.

``tensorflow.compat.v1`` graph code (``import tensorflow.compat.v1 as tf``,
``disable_v2_behavior()``, ``disable_eager_execution()``) gets TF1 semantics (``tf1``):
graph collections, sessions. It decides nothing about Keras: ``compat.v1`` is in every
TensorFlow from 1.13 to today, and TensorFlow 2.16+ maps ``tf.compat.v1.keras`` to Keras 3.

Read from facts the collectors already gathered (calls with their canonical names, aliases,
bindings); the code is only looked at when the target is unknown and a check asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
import libcst.helpers

from regcheck.config.keras_target import UNKNOWN, nearest
from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value
from regcheck.facts.tf1_names import TF1_MODULES, TF1_NAMES

if TYPE_CHECKING:  # the facts read here are ModuleFacts, which reads its version from here
    from regcheck.facts.module import CallFact, ModuleFacts

LEGACY_VARIABLE = "TF_USE_LEGACY_KERAS"
BACKEND_VARIABLE = "KERAS_BACKEND"
_TRUE = frozenset({"1", "true", "yes", "on"})
_TF1_SWITCHES = frozenset({"tf.compat.v1.disable_v2_behavior", "tf.compat.v1.disable_eager_execution"})
# Backends only multi-backend Keras 3 has (Keras 2 knew tensorflow, theano and cntk).
_KERAS3_BACKENDS = frozenset({"jax", "torch", "numpy", "openvino"})

# --- the APIs one version has and the other lacks --------------------------------------------
#
# Keras 2 = tf-keras 2.21 (the last Keras 2) and the standalone keras 2.x it grew from; Keras 3 =
# keras 3.x as `import keras` and as TensorFlow 2.16+'s `tf.keras` (which also carries some Keras 2
# names: `tf.keras.backend.sum`, `tf.keras.preprocessing.image.ImageDataGenerator`). The lists were
# made from the Keras 3 incompatibility list (keras-team/keras#18467: long-deprecated and
# experimental APIs, compat.v1, `fit_generator` and the other `*_generator` methods,
# `add_update`) and measured on keras 3.15.1 and tf-keras 2.21 (tests/versions/test_keras_apis.py
# checks them against the installed packages).

# Canonical names (regcheck.facts.vocabulary) only Keras 2 has, whatever the import spelling.
KERAS2_NAMES = frozenset(
    {
        "keras.backend.function",
        "keras.backend.get_session",
        "keras.backend.set_session",
        "keras.backend.in_test_phase",
        "keras.backend.in_train_phase",
        "keras.backend.learning_phase",
        "keras.backend.learning_phase_scope",
        "keras.backend.manual_variable_initialization",
        "keras.backend.normalize_batch_in_training",
        "keras.backend.placeholder",
        "keras.backend.print_tensor",
        "keras.backend.random_binomial",
        "keras.backend.set_learning_phase",
        "keras.callbacks.BaseLogger",
        "keras.constraints.RadialConstraint",
        "keras.layers.AbstractRNNCell",
        "keras.layers.CuDNNGRU",
        "keras.layers.CuDNNLSTM",
        "keras.layers.DenseFeatures",
        "keras.layers.LocallyConnected1D",
        "keras.layers.LocallyConnected2D",
        "keras.layers.Merge",
        "keras.metrics.MeanRelativeError",
        "keras.metrics.MeanTensor",
        "keras.models.model_from_yaml",
        "keras.utils.GeneratorEnqueuer",
        "keras.utils.OrderedEnqueuer",
        "keras.utils.SequenceEnqueuer",
        "keras.utils.multi_gpu_model",
    }
)
# Modules only Keras 2 has (any name under them, and importing them).
KERAS2_MODULES = (
    "keras.engine",
    "keras.layers.experimental",
    "keras.optimizers.experimental",
    "keras.optimizers.legacy",  # a stub in Keras 3 that raises ImportError
    "keras.callbacks.experimental",
    "keras.metrics.experimental",
    "keras.models.experimental",
    "keras.mixed_precision.experimental",
    "keras.experimental",
    "keras.estimator",
    "keras.dtensor",
    "keras.wrappers.scikit_learn",
    "keras.utils.np_utils",
    "keras.backend.tensorflow_backend",
    "keras.objectives",
)
# Names only the standalone `keras` 2 package has: Keras 3's `tf.keras` still carries them.
KERAS2_STANDALONE_NAMES = frozenset(
    {
        "keras.layers.RandomHeight",
        "keras.layers.RandomWidth",
        "keras.layers.ThresholdedReLU",
        "keras.losses.Reduction",
        "keras.preprocessing.image.ImageDataGenerator",
        "keras.preprocessing.sequence.TimeseriesGenerator",
        "keras.preprocessing.text.Tokenizer",
    }
)
# The Keras 2 backend's tensor functions (`K.sum`, `K.dot`): Keras 3 has them only under `tf.keras`.
KERAS2_STANDALONE_MODULES = ("keras.backend", "keras.preprocessing.text")
KERAS3_BACKEND_NAMES = frozenset(
    {
        "backend",
        "clear_session",
        "epsilon",
        "floatx",
        "get_uid",
        "image_data_format",
        "is_float_dtype",
        "is_int_dtype",
        "is_keras_tensor",
        "result_type",
        "set_epsilon",
        "set_floatx",
        "set_image_data_format",
        "standardize_dtype",
    }
)
# Module paths of Keras 2 (Keras 3 has a flat `keras.layers`); the canonical names drop them,
# so they are read from the imports and qualified names.
KERAS2_IMPORT_PATHS = tuple(
    f"keras.layers.{m}"
    for m in (
        "core",
        "convolutional",
        "merge",
        "recurrent",
        "normalization",
        "embeddings",
        "pooling",
        "advanced_activations",
        "wrappers",
        "noise",
        "local",
    )
)
# Methods only Keras 2 models, layers and optimizers have, on any receiver.
KERAS2_METHODS = frozenset(
    {
        "fit_generator",
        "evaluate_generator",
        "predict_generator",
        "add_update",
        "get_updates_for",
        "get_losses_for",
        "_make_train_function",
        "_make_predict_function",
        "_make_test_function",
    }
)
# Keras 1 keywords (Keras 2 renamed them; Keras 3 rejects them), on Keras calls and `fit`.
KERAS1_KEYWORDS = frozenset(
    {"W_regularizer", "b_regularizer", "W_constraint", "b_constraint", "border_mode", "nb_filter", "nb_epoch"}
)

# Canonical names only Keras 3 has.
KERAS3_NAMES = frozenset(
    {
        "keras.Layer",
        "keras.Loss",
        "keras.Metric",
        "keras.Variable",
        "keras.Operation",
        "keras.KerasTensor",
        "keras.Initializer",
        "keras.Optimizer",
        "keras.Regularizer",
        "keras.Quantizer",
        "keras.InputSpec",
        "keras.StatelessScope",
        "keras.SymbolicScope",
        "keras.RematScope",
        "keras.DTypePolicy",
        "keras.FloatDTypePolicy",
        "keras.name_scope",
        "keras.device",
        "keras.version",
        "keras.layers.TFSMLayer",
        "keras.layers.TorchModuleWrapper",
        "keras.layers.JaxLayer",
        "keras.layers.FlaxLayer",
        "keras.layers.Pipeline",
        "keras.layers.RMSNormalization",
        "keras.layers.GroupQueryAttention",
        "keras.layers.MelSpectrogram",
        "keras.layers.STFTSpectrogram",
        "keras.layers.AutoContrast",
        "keras.layers.RandAugment",
        "keras.layers.MixUp",
        "keras.layers.CutMix",
        "keras.layers.RandomGrayscale",
        "keras.layers.RandomHue",
        "keras.layers.RandomSaturation",
        "keras.layers.RandomErasing",
        "keras.optimizers.Lamb",
        "keras.optimizers.Muon",
        "keras.optimizers.LossScaleOptimizer",
        "keras.losses.CTC",
        "keras.losses.Dice",
        "keras.losses.Tversky",
        "keras.losses.Circle",
        "keras.metrics.PearsonCorrelation",
        "keras.metrics.ConcordanceCorrelation",
        "keras.initializers.IdentityInitializer",
        "keras.initializers.STFTInitializer",
        "keras.activations.silu",
        "keras.activations.leaky_relu",
        "keras.activations.relu6",
        "keras.activations.log_softmax",
        "keras.activations.hard_silu",
        "keras.callbacks.SwapEMAWeights",
        "keras.utils.PyDataset",
        "keras.saving.KerasFileEditor",
        "keras.mixed_precision.DTypePolicy",
        "keras.mixed_precision.set_dtype_policy",
        "keras.wrappers.SKLearnClassifier",
        "keras.wrappers.SKLearnRegressor",
        "keras.wrappers.SKLearnTransformer",
    }
)
KERAS3_MODULES = (
    "keras.ops",
    "keras.random",
    "keras.config",
    "keras.tree",
    "keras.quantizers",
    "keras.dtype_policies",
    "keras.distribution",
    "keras.visualization",
)
KERAS3_METHODS = frozenset({"stateless_call"})
# Packages only Keras 3 runs with.
KERAS3_PACKAGES = ("keras_core", "keras_hub")

# Packages of TensorFlow 1 (and the tf.keras of TensorFlow <= 2.5) that TensorFlow 2.16 lacks.
_KERAS2_PACKAGES = ("tensorflow.python.keras", "tensorflow.contrib", "tensorflow.examples.tutorials")
# Removed in TensorFlow 2.16, whatever the spelling (tf.compat.v1.estimator too): TensorFlow <= 2.15.
TF_BEFORE_KERAS3_MODULES = ("tf.estimator",)

_GUARD_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "AttributeError"})


@dataclass(frozen=True)
class FileKeras:
    version: str  # "3", "2" or "unknown"
    reason: str  # "project target", "import tf_keras", "TF_USE_LEGACY_KERAS=1", "code: ...", "unknown: ..."
    tf1: bool  # tensorflow.compat.v1 graph code


def file_keras(facts: ModuleFacts) -> FileKeras:
    tf1 = "tf.compat.v1" in facts.module_aliases.values() or bool(facts.calls_named(_TF1_SWITCHES))
    if "tf_keras" in facts.source and _imports_tf_keras(facts.module):
        return FileKeras("2", "import tf_keras", tf1)
    legacy = _truthy(_env_value(facts, LEGACY_VARIABLE)) if LEGACY_VARIABLE in facts.source else None
    if legacy is not None:
        return FileKeras("2" if legacy else "3", f"{LEGACY_VARIABLE}={'1' if legacy else '0'}", tf1)
    if facts.keras_target in ("3", "2"):
        return FileKeras(facts.keras_target, "project target", tf1)
    declared = nearest(facts.path)  # the run decided nothing: this file's own project may
    if declared is not None and declared.version is not None:
        return FileKeras(declared.version, declared.reason, tf1)
    keras2, keras3 = code_evidence(facts)
    if keras2 and not keras3:
        return FileKeras("2", f"code: {keras2}", tf1)
    if keras3 and not keras2:
        return FileKeras("3", f"code: {keras3}", tf1)
    if keras2 and keras3:
        return FileKeras(UNKNOWN, f"unknown: the code uses Keras 2 ({keras2}) and Keras 3 ({keras3}) APIs", tf1)
    return FileKeras(UNKNOWN, "unknown: nothing declared decides, and the code uses no API of one version only", tf1)


# --- the code's own evidence ------------------------------------------------------------------


def code_evidence(facts: ModuleFacts) -> tuple[str | None, str | None]:
    """(why the code is Keras 2, why it is Keras 3): the first API of each side it uses, or None."""
    found: dict[str, str] = {}
    for call in facts.calls:
        for version, why in _call_evidence(facts, call):
            if version not in found and not _guarded(facts, call.node):
                found[version] = why
        if len(found) == 2:
            break
    if len(found) < 2:
        visitor = _Evidence(facts, found)
        try:
            facts.module.visit(visitor)
        except RecursionError:
            pass  # nesting deeper than libcst's visitor recurses: what the calls and the walk so far say
    backend = _env_value(facts, BACKEND_VARIABLE) if BACKEND_VARIABLE in facts.source else None
    if isinstance(backend, str) and backend.strip().lower() in _KERAS3_BACKENDS and "3" not in found:
        found["3"] = f'`{BACKEND_VARIABLE}="{backend.strip().lower()}"` (a Keras 3 backend)'
    return found.get("2"), found.get("3")


def _under(name: str, modules: tuple[str, ...] | frozenset[str]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def _classify(facts: ModuleFacts, name: str, node: cst.CSTNode) -> tuple[str, str] | None:
    """("2" | "3", why) for a canonical TF/Keras name that only one version has."""
    if name.startswith("tf."):
        if _under(name, TF_BEFORE_KERAS3_MODULES):
            return "2", f"`{name}` (removed in TensorFlow 2.16)"
        if name in TF1_NAMES or _under(name, TF1_MODULES):
            if name.startswith("tf.contrib.") or _spelled_without_compat(facts, node):
                return "2", f"`{name}` (TensorFlow 1)"
        return None
    if not name.startswith("keras."):
        return None
    if name in KERAS2_NAMES or _under(name, KERAS2_MODULES):
        return "2", f"`{name}` (Keras 2 only)"
    if name in KERAS3_NAMES or _under(name, KERAS3_MODULES):
        return "3", f"`{name}` (Keras 3 only)"
    standalone = name in KERAS2_STANDALONE_NAMES or (
        _under(name, KERAS2_STANDALONE_MODULES) and name.rsplit(".", 1)[-1] not in KERAS3_BACKEND_NAMES
    )
    if standalone and any(q.startswith("keras.") for q in facts.qualified_names(node)):
        return "2", f"`{name}` (Keras 2 only as `import keras`)"
    return None


def _spelled_without_compat(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """``tf.placeholder`` itself, not ``tf.compat.v1.placeholder`` (which every TensorFlow 2 has)."""
    qualified = facts.qualified_names(node)
    return any(q.startswith("tensorflow.") and not q.startswith("tensorflow.compat.") for q in qualified)


def _call_evidence(facts: ModuleFacts, call: CallFact) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if call.name is not None:
        evidence = _classify(facts, call.name, call.node.func)
        if evidence is not None:
            found.append(evidence)
    elif call.method in KERAS2_METHODS:
        found.append(("2", f"`.{call.method}()` (Keras 2 only)"))
    elif call.method in KERAS3_METHODS:
        found.append(("3", f"`.{call.method}()` (Keras 3 only)"))
    if (call.name or "").startswith("keras.") or call.method in ("fit", "fit_generator"):
        old = next((k for k in call.keywords if k in KERAS1_KEYWORDS), None)
        if old is not None:
            found.append(("2", f"`{old}=` (a Keras 1 keyword)"))
    return found


def _guarded(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """Inside a ``try`` that catches a missing import or attribute, or an ``if`` on a version."""
    child: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.Try) and _catches_missing(ancestor):
            return True
        if isinstance(ancestor, cst.If) and child is not ancestor.test and _tests_version(facts, ancestor.test):
            return True
        child = ancestor
    return False


def _catches_missing(node: cst.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
        for element in types:
            value = element.value if isinstance(element, cst.Element) else element
            name = value.attr.value if isinstance(value, cst.Attribute) else getattr(value, "value", None)
            if name in _GUARD_ERRORS or name in ("Exception", "BaseException"):
                return True
    return False


def _tests_version(facts: ModuleFacts, test: cst.BaseExpression) -> bool:
    text = facts.code(test)
    return "version" in text.lower() or "hasattr" in text


class _Evidence(cst.CSTVisitor):
    """Imports and attribute reads that only one version has (calls were read from the facts)."""

    def __init__(self, facts: ModuleFacts, found: dict[str, str]) -> None:
        self.facts = facts
        self.found = found
        self.guards = 0

    def _add(self, version: str, why: str) -> None:
        if self.guards == 0 and version not in self.found:
            self.found[version] = why

    def visit_Try(self, node: cst.Try) -> bool:
        if _catches_missing(node):
            self.guards += 1
        return True

    def leave_Try(self, original_node: cst.Try) -> None:
        if _catches_missing(original_node):
            self.guards -= 1

    def visit_If(self, node: cst.If) -> bool:
        if _tests_version(self.facts, node.test):
            self.guards += 1
        return True

    def leave_If(self, original_node: cst.If) -> None:
        if _tests_version(self.facts, original_node.test):
            self.guards -= 1

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            self._module(alias.evaluated_name)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is None or node.relative:
            return False
        module = cst.helpers.get_full_name_for_node_or_raise(node.module)
        self._module(module)
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self._module(f"{module}.{alias.evaluated_name}")
        return False

    def _module(self, path: str) -> None:
        if path.split(".")[0] in KERAS3_PACKAGES:
            self._add("3", f"`import {path.split('.')[0]}` (Keras 3 only)")
            return
        if path.startswith(_KERAS2_PACKAGES):
            self._add("2", f"`{path}` (TensorFlow 1 / Keras 2)")
            return
        keras_path = path.removeprefix("tensorflow.")
        if keras_path.startswith("keras.") and _under(keras_path, KERAS2_IMPORT_PATHS):
            self._add("2", f"`{path}` (a Keras 2 module)")
            return
        canonical = vocabulary.canonical(path)
        if canonical is not None and not path.startswith("tf_keras"):
            evidence = _classify_path(canonical, path)
            if evidence is not None:
                self._add(*evidence)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if len(self.found) == 2 or node.attr.value not in _ATTRIBUTE_WORDS:
            return True
        name = self.facts.canonical(node)
        if name is not None:
            evidence = _classify(self.facts, name, node)
            if evidence is not None:
                self._add(*evidence)
        return True


def _classify_path(name: str, path: str) -> tuple[str, str] | None:
    """An imported module or name: as ``_classify``, with the spelling known from the import itself."""
    if name.startswith("tf."):
        if _under(name, TF_BEFORE_KERAS3_MODULES):
            return "2", f"`{name}` (removed in TensorFlow 2.16)"
        if (name in TF1_NAMES or _under(name, TF1_MODULES)) and not path.startswith("tensorflow.compat."):
            return "2", f"`{name}` (TensorFlow 1)"
        return None
    if name in KERAS2_NAMES or _under(name, KERAS2_MODULES):
        return "2", f"`{name}` (Keras 2 only)"
    if name in KERAS3_NAMES or _under(name, KERAS3_MODULES):
        return "3", f"`{name}` (Keras 3 only)"
    if path.startswith("keras.") and (
        name in KERAS2_STANDALONE_NAMES
        or (_under(name, KERAS2_STANDALONE_MODULES) and name.rsplit(".", 1)[-1] not in KERAS3_BACKEND_NAMES)
    ):
        return "2", f"`{name}` (Keras 2 only as `import keras`)"
    return None


def _last_parts(*groups: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for group in groups for name in group)


# Attribute reads worth resolving: the last part of every listed name, and of every module
# (`tf.contrib.layers.xavier_initializer` is read at its `tf.contrib`).
_ATTRIBUTE_WORDS = _last_parts(
    KERAS2_NAMES,
    KERAS2_MODULES,
    KERAS2_STANDALONE_NAMES,
    KERAS3_NAMES,
    KERAS3_MODULES,
    TF1_NAMES,
    TF1_MODULES,
    TF_BEFORE_KERAS3_MODULES,
)


# --- the file's own switches ------------------------------------------------------------------


class _TfKerasImport(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Import(self, node: cst.Import) -> bool:
        self.found = self.found or any(alias.evaluated_name.split(".")[0] == "tf_keras" for alias in node.names)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and not node.relative:
            self.found = (
                self.found or cst.helpers.get_full_name_for_node_or_raise(node.module).split(".")[0] == "tf_keras"
            )
        return False


def _imports_tf_keras(module: cst.Module) -> bool:
    visitor = _TfKerasImport()
    module.visit(visitor)
    return visitor.found


def _truthy(value: object) -> bool | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip().lower() in _TRUE
    return None


def _env_value(facts: ModuleFacts, variable: str) -> object:
    """The last value the file gives the environment variable ``variable`` (None when it sets none)."""
    settings: list[tuple[cst.CSTNode, object]] = []
    for target, values in facts.bound_values.items():
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index) and literal_value(index.value) == variable:
                for value in values:
                    settings.append((target, literal_value(value)))
    for call in facts.calls:
        if call.method in ("setdefault", "putenv") and len(call.positional) >= 2:
            if literal_value(call.positional[0].value) == variable:
                settings.append((call.node, literal_value(call.positional[1].value)))
        elif call.method == "update" and call.positional and isinstance(call.positional[0].value, cst.Dict):
            for element in call.positional[0].value.elements:
                if isinstance(element, cst.DictElement) and literal_value(element.key) == variable:
                    settings.append((call.node, literal_value(element.value)))
    settings = [(node, value) for node, value in settings if value is not None]
    if not settings:
        return None
    # In source order: the last assignment wins (positions are only needed when there are several).
    if len(settings) == 1:
        return settings[0][1]
    return max(settings, key=lambda item: (facts.span(item[0]).line, facts.span(item[0]).column))[1]
