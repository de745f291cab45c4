"""Small training scripts that build real graphs; each is traced once per test session.

Each entry: the script's text and what the trace must report as (code, symbol)
pairs. ``None`` as expectation means the scenario is checked by its own test.
"""

TF1_HEAD = """\
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
x = tf.compat.v1.placeholder(tf.float32, [None, 4])
y = tf.compat.v1.placeholder(tf.float32, [None, 2])
w_hidden = tf.Variable(tf.random.normal([4, 8]), name="w_hidden")
b_hidden = tf.Variable(tf.zeros([8]), name="b_hidden")
w_out = tf.Variable(tf.random.normal([8, 2]), name="w_out")
b_out = tf.Variable(tf.zeros([2]), name="b_out")
h = tf.nn.relu(tf.matmul(x, w_hidden) + b_hidden)
logits = tf.matmul(h, w_out) + b_out
xent = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
"""
TF1_TAIL = """\
train = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    sess.run(train, {x: [[0.0] * 4], y: [[1.0, 0.0]]})
"""

TF1_COLLECTION = """\
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
graph = tf.Graph()
with graph.as_default():
    x = tf.compat.v1.placeholder(tf.float32, [None, 4])
    y = tf.compat.v1.placeholder(tf.float32, [None, 2])
    with tf.compat.v1.variable_scope("net", regularizer=lambda w: 1e-4 * tf.nn.l2_loss(w)):
        w1 = tf.compat.v1.get_variable("w1", [4, 8])
        w2 = tf.compat.v1.get_variable("w2", [8, 2])
    h = tf.matmul(x, w1)
    mean = tf.Variable(tf.zeros([8]), trainable=False, name="moving_mean")
    update = mean.assign(0.9 * mean + 0.1 * tf.reduce_mean(h, axis=0))
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, update)
    loss = tf.reduce_mean(tf.square(tf.matmul(h, w2) - y))
{train}
"""
TF1_COLLECTION_BAD = "    train = tf.compat.v1.train.AdamOptimizer().minimize(loss)\n"
TF1_COLLECTION_GOOD = """\
    total = loss + tf.compat.v1.losses.get_regularization_loss()
    with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
        train = tf.compat.v1.train.AdamOptimizer().minimize(total)
"""

TF2_LOOP = """\
import tensorflow as tf
w_hidden = tf.Variable(tf.random.normal([4, 8]), name="w_hidden")
b_hidden = tf.Variable(tf.zeros([8]), name="b_hidden")
w_out = tf.Variable(tf.random.normal([8, 2]), name="w_out")
b_out = tf.Variable(tf.zeros([2]), name="b_out")
params = [w_hidden, b_hidden, w_out, b_out]
opt = tf.keras.optimizers.SGD(0.1)
{decorator}
def step(x, y):
    with tf.GradientTape() as tape:
        h = tf.nn.relu(tf.matmul(x, w_hidden) + b_hidden)
        logits = tf.matmul(h, w_out) + b_out
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        loss += {penalty}
    grads = tape.gradient(loss, params)
    opt.apply_gradients(zip(grads, params))
for _ in range(3):
    step(tf.random.normal([3, 4]), tf.one_hot([0, 1, 0], 2))
"""
OUTPUT_ONLY = "5e-4 * (tf.nn.l2_loss(w_out) + tf.nn.l2_loss(b_out))"
KERNELS = "5e-4 * tf.add_n([tf.nn.l2_loss(v) for v in (w_hidden, w_out)])"

KERAS_FIT = """\
import numpy as np
import keras
from keras import layers, regularizers
model = keras.Sequential([
    keras.Input((4,)),
    layers.Dense(8, activation="relu"{first}),
    layers.Dense(2{second}),
])
model.compile("sgd", "mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
"""
L2 = ", kernel_regularizer=regularizers.L2(1e-4)"

KERAS_TAPE = """\
import numpy as np
import tensorflow as tf
import keras
from keras import layers, regularizers
model = keras.Sequential([
    keras.Input((4,)),
    layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
    layers.Dense(2, kernel_regularizer=regularizers.L2(1e-4)),
])
opt = keras.optimizers.Adam()
mse = keras.losses.MeanSquaredError()
{decorator}
def step(x, y):
    with tf.GradientTape() as tape:
        loss = mse(y, model(x, training=True)){extra}
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
step(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"))
"""

KERAS_LATE = """\
import numpy as np
import keras
from keras import layers, regularizers
model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"{reg}), layers.Dense(2{reg})])
{late}
model.compile("sgd", "mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
"""
LATE_LOOP = "for layer in model.layers:\n    layer.kernel_regularizer = regularizers.L2(1e-4)"

SCENARIOS = {
    # TF1 graph: L2 on the output layer only (kernel and bias).
    "tf1_output_only": (
        TF1_HEAD + "loss = xent + 0.01 * tf.nn.l2_loss(w_out) + 0.01 * tf.nn.l2_loss(b_out)\n" + TF1_TAIL,
        {("RC101", "w_hidden"), ("RC102", "b_out")},
    ),
    "tf1_correct": (
        TF1_HEAD + "loss = xent + 0.01 * (tf.nn.l2_loss(w_hidden) + tf.nn.l2_loss(w_out))\n" + TF1_TAIL,
        set(),
    ),
    "tf1_collection_unused": (TF1_COLLECTION.format(train=TF1_COLLECTION_BAD), {("RC201", "net/w1"), ("RC207", None)}),
    "tf1_collection_used": (TF1_COLLECTION.format(train=TF1_COLLECTION_GOOD), set()),
    "function_output_only": (
        TF2_LOOP.format(decorator="@tf.function", penalty=OUTPUT_ONLY),
        {("RC101", "w_hidden"), ("RC102", "b_out")},
    ),
    "function_correct": (TF2_LOOP.format(decorator="@tf.function", penalty=KERNELS), set()),
    "eager_output_only": (
        TF2_LOOP.format(decorator="", penalty=OUTPUT_ONLY),
        {("RC101", "w_hidden"), ("RC102", "b_out")},
    ),
    "eager_correct": (TF2_LOOP.format(decorator="", penalty=KERNELS), set()),
    "fit_output_only": (
        KERAS_FIT.format(first="", second=L2 + ", bias_regularizer=regularizers.L2(1e-4)"),
        {("RC101", "sequential/dense/kernel"), ("RC102", "sequential/dense_1/bias")},
    ),
    "fit_correct": (KERAS_FIT.format(first=L2, second=L2), set()),
    "tape_losses_left_out": (
        KERAS_TAPE.format(decorator="@tf.function", extra=""),
        {("RC202", "sequential/dense/kernel")},
    ),
    "eager_tape_losses_left_out": (KERAS_TAPE.format(decorator="", extra=""), {("RC202", "sequential/dense/kernel")}),
    "tape_losses_added": (KERAS_TAPE.format(decorator="@tf.function", extra=" + tf.add_n(model.losses)"), set()),
    "eager_tape_losses_added": (KERAS_TAPE.format(decorator="", extra=" + tf.add_n(model.losses)"), set()),
    "late_regularizer": (
        KERAS_LATE.format(reg="", late=LATE_LOOP),
        {("RC104", "sequential/dense/kernel")},  # one loop assignment: one finding, naming both layers
    ),
    "regularizer_at_build": (KERAS_LATE.format(reg=L2, late=""), set()),
}
