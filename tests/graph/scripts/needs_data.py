# A script that builds its model, then loads data a linter run does not have: the error names the builder
# that trace can audit without data.
# keras: 3
# error: FileNotFoundError
# error: regcheck trace tests/graph/scripts/needs_data.py:build_model
import numpy as np
import tensorflow as tf

keras = tf.keras


def build_model(classes: int = 3):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(1e-4)),
            keras.layers.Dense(classes, kernel_regularizer=keras.regularizers.L2(1e-4), bias_regularizer="l2"),
        ]
    )


data = np.load("/data/that/is/not/here.npz")
model = build_model()
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(data["x"], data["y"], epochs=10)
