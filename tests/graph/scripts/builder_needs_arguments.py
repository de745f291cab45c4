# A builder with a required argument: trace calls it with none, and says so.
# keras: 3
# entry: :build_model
# error: takes arguments (classes)
import tensorflow as tf


def build_model(classes):
    return tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(classes)])
