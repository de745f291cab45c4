# The loop rules/RC104.md warns about: regularizers set on built layers, one assignment for all of them.
# keras: 3 2
# expect: RC104 dense0/kernel
# message: set on 6 layers after they were built
import numpy as np
import tensorflow as tf

keras = tf.keras
model = keras.Sequential(
    [keras.Input((4,))]
    + [keras.layers.Dense(8, activation="relu", name=f"dense{i}") for i in range(5)]
    + [keras.layers.Dense(2, name="dense")]
)
for layer in model.layers:
    layer.kernel_regularizer = keras.regularizers.L2(1e-4)
model.compile("sgd", "mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
