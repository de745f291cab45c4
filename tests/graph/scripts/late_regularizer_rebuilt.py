# rules/RC104.md's fix: set the regularizers, then rebuild from the config; the rebuilt model is trained.
# keras: 3 2
# expect:
import numpy as np
import tensorflow as tf

keras = tf.keras
base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
for layer in base.layers:
    layer.kernel_regularizer = keras.regularizers.L2(1e-4)
model = keras.Sequential.from_config(base.get_config())
model.compile("sgd", "mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
