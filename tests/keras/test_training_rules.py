"""RC202, RC203, RC206, RC104, RC105 on training code: where penalties reach the loss."""

from __future__ import annotations

from helpers import codes, fix, lint

MODEL = """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(1e-4))])
loss_fn = tf.keras.losses.MeanSquaredError()
"""


def test_compile_and_fit_never_fire() -> None:
    assert codes(MODEL + 'model.compile(optimizer="sgd", loss="mse")\nmodel.fit(x, y)\n', "RC202") == []


def test_loop_without_model_losses_fires_and_fix_adds_sum() -> None:
    source = (
        MODEL
        + """
def step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    return tape.gradient(loss, model.trainable_variables)
"""
    )
    assert codes(source, "RC202") == ["RC202"]
    fixed = fix(source, "RC202")
    assert "loss = loss_fn(y, pred) + sum(model.losses)" in fixed
    assert "add_n" not in fixed
    assert codes(fixed, "RC202") == []


def test_loop_that_already_adds_model_losses_is_quiet() -> None:
    for addition in ("tf.add_n(model.losses)", "tf.reduce_sum(model.losses)", "sum(model.losses)"):
        source = (
            MODEL
            + f"""
with tf.GradientTape() as tape:
    pred_loss = loss_fn(y, model(x))
    total = pred_loss + {addition}
grads = tape.gradient(total, model.trainable_variables)
"""
        )
        assert codes(source, "RC202") == [], addition


def test_loop_over_model_without_penalties_is_quiet() -> None:
    source = """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(10)])
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss, model.trainable_variables)
"""
    assert codes(source, "RC202") == []


def test_add_loss_counts_as_a_penalty() -> None:
    source = """
import keras
import tensorflow as tf
class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(4)
    def call(self, x):
        self.add_loss(1e-3 * tf.reduce_sum(tf.square(self.dense.kernel)))
        return self.dense(x)
model = Net()
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss, model.trainable_variables)
"""
    assert codes(source, "RC202") == ["RC202"]


def test_model_from_unknown_source_is_not_guessed() -> None:
    for build in ('tf.keras.models.load_model("m.keras")', "hub_model()", "third_party.build()"):
        source = f"""
import tensorflow as tf
import third_party
model = {build}
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
grads = tape.gradient(loss, model.trainable_variables)
"""
        assert codes(source, "RC202") == [], build


def test_loss_computed_by_invisible_code_given_the_model_is_unknown() -> None:
    source = (
        MODEL
        + """
from losses import total_loss
with tf.GradientTape() as tape:
    loss = total_loss(model, x, y)
grads = tape.gradient(loss, model.trainable_variables)
"""
    )
    assert codes(source, "RC202") == []


TRAIN_STEP = """
import tensorflow as tf
class Custom(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(1, kernel_regularizer="l2")
    def call(self, x):
        return self.dense(x)
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            {loss}
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {{}}
"""


def test_train_step_compiled_loss_without_regularization_losses() -> None:
    keras3 = TRAIN_STEP.format(loss="loss = self.compiled_loss(y, y_pred)")
    assert codes(keras3, "RC202") == []  # Keras 3's compiled_loss adds model.losses itself
    source = keras3.replace("import tensorflow as tf", "import tensorflow as tf, tf_keras", 1)  # tf-keras: Keras 2
    assert codes(source, "RC202") == ["RC202"]
    assert "self.compiled_loss(y, y_pred, regularization_losses=self.losses)" in fix(source, "RC202")


def test_train_step_variants() -> None:
    quiet = [
        "loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)",
        "loss = self.compute_loss(y=y, y_pred=y_pred)",
        "loss = tf.reduce_mean(tf.square(y - y_pred)) + sum(self.losses)",
    ]
    for line in quiet:
        assert codes(TRAIN_STEP.format(loss=line), "RC202") == [], line
    own = TRAIN_STEP.format(loss="loss = tf.reduce_mean(tf.square(y - y_pred))")
    assert codes(own, "RC202") == ["RC202"]
    assert "tf.reduce_mean(tf.square(y - y_pred)) + sum(self.losses)" in fix(own, "RC202")


def test_train_step_override_with_layers_from_the_functional_constructor() -> None:
    source = """
import keras
import tensorflow as tf
class Custom(keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = keras.losses.mean_squared_error(y, self(x, training=True))
        grads = tape.gradient(loss, self.trainable_variables)
        return {}
inputs = keras.Input((3,))
outputs = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.1))(inputs)
model = Custom(inputs, outputs)
"""
    assert codes(source, "RC202") == ["RC202"]


def test_compute_loss_override() -> None:
    body = """
import keras
class Custom(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.01))
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        {body}
"""
    assert codes(body.format(body="return keras.ops.mean((y - y_pred) ** 2)"), "RC202") == ["RC202"]
    for line in (
        "return keras.ops.mean((y - y_pred) ** 2) + keras.ops.sum(self.losses)",
        "return super().compute_loss(x, y, y_pred, sample_weight)",
    ):
        assert codes(body.format(body=line), "RC202") == [], line


def test_rc203_penalty_after_tape_and_fix_moves_it_in() -> None:
    source = (
        MODEL
        + """
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
# the penalty
loss += sum(model.losses)
grads = tape.gradient(loss, model.trainable_variables)
"""
    )
    assert codes(source, "RC203") == ["RC203"]
    fixed = fix(source, "RC203")
    assert "    loss += sum(model.losses)\n" in fixed
    assert codes(fixed, "RC203") == []
    # RC202 sees the penalty in the loss and does not pile on.
    assert codes(source, "RC202") == []


def test_rc203_penalty_precomputed_outside_has_no_fix() -> None:
    source = (
        MODEL
        + """
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x))
reg = tf.add_n(model.losses)
loss = loss + reg
grads = tape.gradient(loss, model.trainable_variables)
"""
    )
    findings = lint(source, "RC203")
    assert [f.code for f in findings] == ["RC203"] and findings[0].fix is None


def test_rc206_only_inside_replica_steps() -> None:
    step = """
import tensorflow as tf
strategy = tf.distribute.MirroredStrategy()
def step_fn(x, y):
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(loss_fn(y, model(x)), global_batch_size=64) + sum(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    return loss
"""
    assert codes(step, "RC206") == []
    distributed = step + "strategy.run(step_fn, args=(x, y))\n"
    assert codes(distributed, "RC206") == ["RC206"]
    fixed = fix(distributed, "RC206")
    assert "tf.nn.scale_regularization_loss(sum(model.losses))" in fixed
    assert codes(fixed, "RC206") == []


def test_rc104_loop_over_pretrained_layers() -> None:
    source = """
import tensorflow as tf
base = tf.keras.applications.ResNet50(weights="imagenet", include_top=False)
for layer in base.layers[-10:]:
    if isinstance(layer, tf.keras.layers.Conv2D):
        layer.kernel_regularizer = tf.keras.regularizers.l2(1e-4)
"""
    assert codes(source, "RC104") == ["RC104"]
    assert fix(source, "RC104") == source  # unsafe only
    unbuilt = """
import tensorflow as tf
dense = tf.keras.layers.Dense(3)
dense.kernel_regularizer = tf.keras.regularizers.l2(1e-4)
"""
    assert codes(unbuilt, "RC104") == []


def test_rc104_setattr_and_get_layer() -> None:
    source = """
import tensorflow as tf
setattr(model.get_layer("fc"), "kernel_regularizer", tf.keras.regularizers.l2(1e-4))
model.layers[3].bias_regularizer = None
"""
    assert codes(source, "RC104") == ["RC104", "RC104"]


def test_rc105_loop_variants() -> None:
    # tf-keras (Keras 2), where the late binding is silent and the fix applies; Keras 3 raises.
    source = """
import tensorflow as tf, tf_keras
for i in range(len(model.layers)):
    layer = model.layers[i]
    model.add_loss(lambda: tf.nn.l2_loss(layer.kernel))
for w in model.trainable_weights:
    model.add_loss(lambda: tf.nn.l2_loss(w) * 1e-4)
for w in model.trainable_weights:
    model.add_loss(lambda w=w: tf.nn.l2_loss(w) * 1e-4)
"""
    # `layer` is rebound in the loop body (tensorflow/tensorflow#38891): late-bound as well.
    assert [f.line for f in lint(source, "RC105")] == [5, 7]
    fixed = fix(source, "RC105")
    assert "lambda layer=layer: tf.nn.l2_loss(layer.kernel)" in fixed
    assert "lambda w=w: tf.nn.l2_loss(w) * 1e-4)\nfor w" in fixed
    assert codes(fixed, "RC105") == []


def test_nearest_tape_is_the_one_before_the_gradient_call() -> None:
    # Two tapes named alike in one function: the gradient reads the second, which drops the penalty.
    source = """
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(1, kernel_regularizer=tf.keras.regularizers.l2(0.1))])
opt = tf.keras.optimizers.SGD()
def step(x, y):
    with tf.GradientTape() as tape:
        warm = tf.reduce_mean(model(x)) + sum(model.losses)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
"""
    assert "RC202" in codes(source, "RC202")
    swapped = source.replace(
        "warm = tf.reduce_mean(model(x)) + sum(model.losses)", "warm = tf.reduce_mean(model(x))"
    ).replace(
        "loss = tf.reduce_mean((model(x) - y) ** 2)", "loss = tf.reduce_mean((model(x) - y) ** 2) + sum(model.losses)"
    )
    assert "RC202" not in codes(swapped, "RC202")
