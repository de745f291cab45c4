# Every hidden kernel is L2-penalized and only the output layer is not: advice (RC106, info), not RC101.
# keras: 3 2
# expect: RC106 out/kernel
import numpy as np
import tensorflow as tf

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)
model = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=L2, name="hidden1"),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=L2, name="hidden2"),
        keras.layers.Dense(1, activation="sigmoid", name="out"),
    ]
)
model.compile("adam", "binary_crossentropy")
model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=3, verbose=0)
