# A custom loop whose loss leaves model.losses out: the kernel_regularizers never train.
# keras: 3 2
# expect: RC202 dense/kernel
import numpy as np
import tensorflow as tf

keras = tf.keras
model = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4), name="dense"),
        keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(1e-4), name="out"),
    ]
)
optimizer = keras.optimizers.Adam()
mse = keras.losses.MeanSquaredError()
for _ in range(3):
    with tf.GradientTape() as tape:
        loss = mse(np.ones((8, 2), "float32"), model(np.ones((8, 4), "float32"), training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
