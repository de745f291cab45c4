"""A small Keras classifier with L2 on every kernel."""

import keras
from keras import layers, regularizers


def build_model(num_classes: int = 10) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
            layers.Dropout(0.5),
            layers.Dense(num_classes, kernel_regularizer=regularizers.L2(1e-4)),
        ]
    )
