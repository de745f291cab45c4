# tf-keras in a TF1 graph (eager execution disabled): fit runs its train op through a session callable,
# which the trace stops before it runs. Only the hidden layer is L2-penalized.
# keras: 2
# expect: RC101 middle/kernel
# expect: RC101 out/kernel
import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()
keras = tf.keras
model = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4), name="hidden"),
        keras.layers.Dense(8, activation="relu", name="middle"),
        keras.layers.Dense(2, name="out"),
    ]
)
model.compile("sgd", "mse")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0)
raise SystemExit("fit ran: the trace should have stopped before its first step")
