# Zero-initialised biases of one width: only the output bias is penalized (RC102 on it, nothing on the
# hidden one), and the penalty list is hand-written: there are no model.losses to count twice.
# keras: 3 2
# expect: RC102 out/bias
import numpy as np
import tensorflow as tf

keras = tf.keras
hidden = keras.layers.Dense(8, activation="relu", name="hidden")
out = keras.layers.Dense(8, name="out")
model = keras.Sequential([keras.Input((4,)), hidden, out])
optimizer = keras.optimizers.SGD(0.1)
for _ in range(3):
    with tf.GradientTape() as tape:
        pred = model(np.ones((8, 4), "float32"), training=True)
        loss = tf.reduce_mean(tf.square(pred)) + 1e-3 * tf.add_n(
            [tf.nn.l2_loss(hidden.kernel), tf.nn.l2_loss(out.kernel), tf.nn.l2_loss(out.bias)]
        )
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
