"""Canonical TensorFlow / Keras names.

libcst's QualifiedNameProvider tells us that ``tf.nn.l2_loss`` in a file with
``import tensorflow.compat.v1 as tf`` is ``tensorflow.compat.v1.nn.l2_loss``.
Checks should not care about the import style, so every qualified name is
mapped here to one canonical spelling:

* TensorFlow APIs become ``tf.<path>`` (``compat.v1``/``compat.v2`` dropped,
  ``tf.compat.v1.layers.dense`` and ``tf.layers.dense`` are the same API);
* Keras APIs from ``keras``, ``tensorflow.keras``, ``tf_keras``,
  ``tensorflow.python.keras`` and ``tf.compat.v1.keras`` become ``keras.<path>``;
* slim from ``tensorflow.contrib.slim``, ``tf_slim`` or ``slim`` becomes ``slim.<path>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

# Longest prefixes first: the first match wins.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.compat.v1.keras.", "keras."),
    ("tensorflow.compat.v2.keras.", "keras."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tensorflow.contrib.slim.", "slim."),
    ("tensorflow.contrib.framework.arg_scope", "slim.arg_scope"),
    # The modules behind contrib's public names, imported directly by model zoo copies.
    ("tensorflow.contrib.framework.python.ops.arg_scopes.", "slim."),
    ("tensorflow.contrib.framework.python.ops.arg_scope", "slim.arg_scope"),
    ("tensorflow.contrib.layers.python.layers.layers.", "tf.contrib.layers."),
    ("tensorflow.contrib.layers.python.layers.regularizers.", "tf.contrib.layers."),
    ("tensorflow.contrib.layers.python.layers.initializers.", "tf.contrib.layers."),
    ("tensorflow.python.framework.ops.", "tf."),
    ("tensorflow.python.ops.variable_scope.", "tf."),
    ("tensorflow.python.ops.nn_ops.", "tf.nn."),
    ("tensorflow.python.ops.nn.", "tf.nn."),
    ("tensorflow.python.ops.math_ops.", "tf.math."),
    ("tensorflow.compat.v1.", "tf."),
    ("tensorflow.compat.v2.", "tf."),
    ("tensorflow.", "tf."),
    ("tensorflow_estimator.", "tf."),  # tensorflow_estimator.estimator.EstimatorSpec: tf.estimator's package
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("tf_slim.", "slim."),
)

# Keras 2 module paths that Keras 3 flattened: keras.layers.core.Dense -> keras.layers.Dense.
_KERAS_SUBMODULES = frozenset(
    {"core", "convolutional", "normalization", "merge", "recurrent", "embeddings", "pooling", "advanced_activations"}
)


@lru_cache(maxsize=8192)
def canonical(qualified_name: str) -> str | None:
    """Map a libcst qualified name to its canonical TF/Keras spelling, or None."""
    name = qualified_name
    if name in ("tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2"):
        return "tf"
    if name in ("keras", "tensorflow.keras", "tf_keras"):
        return "keras"
    if name in ("tensorflow.contrib.slim", "tf_slim", "slim"):
        return "slim"
    for prefix, replacement in _PREFIXES:
        if name.startswith(prefix):
            name = replacement + name[len(prefix) :]
            break
    else:
        if not name.startswith(("keras.", "slim.")):
            return None
    if name.startswith("keras."):
        parts = name.split(".")
        if len(parts) > 3 and parts[1] == "layers" and parts[2] in _KERAS_SUBMODULES:
            name = ".".join(parts[:2] + parts[3:])
    if name.startswith("tf.contrib.slim."):
        name = "slim." + name[len("tf.contrib.slim.") :]
    return name


def trigger_words(*vocabularies: Iterable[str]) -> tuple[bytes, ...]:
    """The bytes a file must contain to mention a name of these vocabularies: the last part of each
    canonical name (``tf.nn.l2_loss`` -> ``l2_loss``). Checks derive their prefilter triggers from the
    same name sets their facts match, so the prefilter never drops a file the facts would judge."""
    words = {name.rsplit(".", 1)[-1].encode() for vocabulary in vocabularies for name in vocabulary}
    return tuple(sorted(words))


# --- name families the checks ask about -------------------------------------

L2_PENALTY_FUNCS = frozenset({"tf.nn.l2_loss"})
# Functions that build a regularizer callable with a coefficient: scale * l2_loss(w) etc.
REGULARIZER_FACTORIES = frozenset(
    {
        "tf.contrib.layers.l2_regularizer",
        "tf.contrib.layers.l1_regularizer",
        "tf.contrib.layers.l1_l2_regularizer",
        "slim.l2_regularizer",
        "slim.l1_regularizer",
        "slim.l1_l2_regularizer",
        "tf.keras.regularizers.l2",
        "keras.regularizers.l2",
        "keras.regularizers.L2",
        "keras.regularizers.l1",
        "keras.regularizers.L1",
        "keras.regularizers.l1_l2",
        "keras.regularizers.L1L2",
        "keras.regularizers.OrthogonalRegularizer",
        "keras.regularizers.orthogonal_regularizer",
    }
)

VARIABLE_CONSTRUCTORS = frozenset({"tf.Variable", "tf.get_variable", "tf.get_local_variable"})
# Attributes of a Keras model or layer that list its variables (`model.trainable_variables`).
VARIABLE_LIST_ATTRIBUTES = frozenset({"trainable_variables", "trainable_weights", "weights", "variables"})

MINIMIZE_METHODS = frozenset({"minimize", "compute_gradients"})
GRADIENT_FUNCS = frozenset({"tf.gradients"})

# Readers of the REGULARIZATION_LOSSES collection (directly or through a total).
COLLECTION_READERS = frozenset(
    {
        "tf.losses.get_regularization_loss",
        "tf.losses.get_regularization_losses",
        "tf.losses.get_total_loss",
        "tf.contrib.losses.get_regularization_losses",
        "tf.contrib.losses.get_total_loss",
        "slim.losses.get_regularization_losses",
        "slim.losses.get_total_loss",
        "tf.compat.v1.losses.get_regularization_loss",
    }
)
REGULARIZATION_COLLECTION_KEYS = frozenset({"tf.GraphKeys.REGULARIZATION_LOSSES"})
UPDATE_OPS_KEYS = frozenset({"tf.GraphKeys.UPDATE_OPS"})

# Functions returning a Python list of loss tensors (adding one to a scalar broadcasts).
LOSS_LIST_FUNCS = frozenset(
    {
        "tf.losses.get_regularization_losses",
        "tf.contrib.losses.get_regularization_losses",
        "slim.losses.get_regularization_losses",
    }
)

# TF1 layer functions and their regularizer keyword arguments: kwarg -> role.
TF1_LAYER_FUNCS = frozenset(
    {
        "tf.layers.dense",
        "tf.layers.conv1d",
        "tf.layers.conv2d",
        "tf.layers.conv3d",
        "tf.layers.conv2d_transpose",
        "tf.layers.conv3d_transpose",
        "tf.layers.separable_conv1d",
        "tf.layers.separable_conv2d",
        "tf.contrib.layers.fully_connected",
        "tf.contrib.layers.conv2d",
        "tf.contrib.layers.convolution2d",
        "tf.contrib.layers.conv2d_transpose",
        "slim.fully_connected",
        "slim.conv2d",
        "slim.conv2d_transpose",
        "slim.separable_conv2d",
        "slim.convolution2d",
    }
)
KERNEL_REGULARIZER_KWARGS = (
    "kernel_regularizer",
    "weights_regularizer",
    "depthwise_regularizer",
    "pointwise_regularizer",
)
BIAS_REGULARIZER_KWARGS = ("bias_regularizer", "biases_regularizer")

BATCH_NORM_FUNCS = frozenset(
    {
        "tf.layers.batch_normalization",
        "tf.contrib.layers.batch_norm",
        "slim.batch_norm",
        "tf.nn.fused_batch_norm",
    }
)
# Train-op builders that already run UPDATE_OPS.
UPDATE_AWARE_TRAIN_OPS = frozenset(
    {"slim.learning.create_train_op", "tf.contrib.training.create_train_op", "tf.contrib.layers.optimize_loss"}
)

CROSS_ENTROPY_WITH_LOGITS = frozenset(
    {
        "tf.nn.softmax_cross_entropy_with_logits",
        "tf.nn.softmax_cross_entropy_with_logits_v2",
        "tf.nn.sparse_softmax_cross_entropy_with_logits",
        "tf.nn.sigmoid_cross_entropy_with_logits",
        "tf.nn.weighted_cross_entropy_with_logits",
    }
)

# --- Keras layers, regularizers and optimizers (issue 3) ----------------------

# Layer classes (last name part) whose main weight is a kernel that weight penalties are meant for.
KERAS_KERNEL_LAYERS = frozenset(
    {
        "Dense",
        "EinsumDense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Convolution1D",
        "Convolution2D",
        "Convolution3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "Convolution2DTranspose",
        "Deconvolution2D",
        "SeparableConv1D",
        "SeparableConv2D",
        "SeparableConvolution1D",
        "SeparableConvolution2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "LocallyConnected1D",
        "LocallyConnected2D",
        "SimpleRNN",
        "LSTM",
        "GRU",
        "ConvLSTM1D",
        "ConvLSTM2D",
        "ConvLSTM3D",
        "MultiHeadAttention",
        "SimpleRNNCell",
        "LSTMCell",
        "GRUCell",
    }
)
KERAS_NORM_LAYERS = frozenset(
    {"BatchNormalization", "LayerNormalization", "GroupNormalization", "SyncBatchNormalization"}
)
KERAS_EMBEDDING_LAYERS = frozenset({"Embedding"})
# Layer keyword -> what it penalizes. Keras 1 spelled the kernel `W_` and the bias `b_`.
KERAS_REGULARIZER_KWARGS = {
    "kernel_regularizer": "kernel",
    "W_regularizer": "kernel",
    "depthwise_regularizer": "kernel",
    "pointwise_regularizer": "kernel",
    "recurrent_regularizer": "recurrent",
    "U_regularizer": "recurrent",
    "bias_regularizer": "bias",
    "b_regularizer": "bias",
    "gamma_regularizer": "norm",
    "beta_regularizer": "norm",
    "embeddings_regularizer": "embedding",
    "activity_regularizer": "activity",
}
# Layer attributes assigned after construction (RC104).
KERAS_REGULARIZER_ATTRIBUTES = frozenset(
    {
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "W_regularizer",
        "b_regularizer",
        "depthwise_regularizer",
        "pointwise_regularizer",
        "gamma_regularizer",
        "beta_regularizer",
        "embeddings_regularizer",
        "recurrent_regularizer",
    }
)
KERAS_MODEL_CONSTRUCTORS = frozenset(
    {"keras.Sequential", "keras.models.Sequential", "keras.Model", "keras.models.Model"}
)
# Regularizer factories by what they add: L2 (weight-decay-like) or something else.
KERAS_L2_REGULARIZERS = frozenset(
    {"keras.regularizers.l2", "keras.regularizers.L2", "tf.contrib.layers.l2_regularizer", "slim.l2_regularizer"}
)
KERAS_L1L2_REGULARIZERS = frozenset(
    {
        "keras.regularizers.l1_l2",
        "keras.regularizers.L1L2",
        "tf.contrib.layers.l1_l2_regularizer",
        "slim.l1_l2_regularizer",
    }
)

# Optimizers with decoupled weight decay whatever their arguments (keras and tensorflow_addons).
DECOUPLED_DECAY_OPTIMIZERS = frozenset({"AdamW", "SGDW"})
ADAPTIVE_OPTIMIZERS = frozenset(
    {
        "Adam",
        "Adamax",
        "Nadam",
        "RMSprop",
        "Adagrad",
        "Adadelta",
        "Adafactor",
        "AdamOptimizer",
        "RMSPropOptimizer",
        "AdagradOptimizer",
        "AdadeltaOptimizer",
    }
)
# compile(optimizer="...") strings.
DECOUPLED_DECAY_OPTIMIZER_STRINGS = frozenset({"adamw"})
ADAPTIVE_OPTIMIZER_STRINGS = frozenset({"adam", "adamax", "nadam", "rmsprop", "adagrad", "adadelta", "adafactor"})

# --- constraints, custom regularizers and model heads (RC3xx, RC4xx) ---------

# Norm constraints that bound each unit's weights along `axis` (keras.constraints, with the lower-case
# aliases Keras 2 kept: maxnorm, unitnorm) -> the position of `axis` among their positional arguments:
# MaxNorm(max_value, axis), MinMaxNorm(min_value, max_value, rate, axis), UnitNorm(axis).
NORM_CONSTRAINT_AXIS = {
    "keras.constraints.MaxNorm": 1,
    "keras.constraints.max_norm": 1,
    "keras.constraints.maxnorm": 1,
    "keras.constraints.MinMaxNorm": 3,
    "keras.constraints.min_max_norm": 3,
    "keras.constraints.UnitNorm": 0,
    "keras.constraints.unit_norm": 0,
    "keras.constraints.unitnorm": 0,
}
NORM_CONSTRAINTS = frozenset(NORM_CONSTRAINT_AXIS)
# The same constraints named by a string, as `keras.constraints.get` reads it (`kernel_constraint="max_norm"`).
NORM_CONSTRAINT_IDENTIFIERS = frozenset(name.rsplit(".", 1)[1] for name in NORM_CONSTRAINTS)
CLIP_BY_NORM = frozenset({"tf.clip_by_norm", "tf.math.clip_by_norm"})
DROPOUT_FUNCS = frozenset(
    {
        "keras.layers.Dropout",
        "keras.layers.SpatialDropout1D",
        "keras.layers.SpatialDropout2D",
        "keras.layers.SpatialDropout3D",
        "tf.nn.dropout",
        "tf.layers.dropout",
        "tf.contrib.layers.dropout",
        "slim.dropout",
    }
)
SOFTMAX_FUNCS = frozenset(
    {
        "tf.nn.softmax",
        "tf.math.softmax",
        "keras.activations.softmax",
        "keras.backend.softmax",
        "keras.ops.softmax",
        "tf.contrib.layers.softmax",
        "slim.softmax",
    }
)
EYE_FUNCS = frozenset({"tf.eye", "tf.linalg.eye", "keras.backend.eye", "keras.ops.eye", "tf.experimental.numpy.eye"})
