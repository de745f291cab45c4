# A builder: `regcheck trace builder_model.py:build_model` audits the model it returns, without data.
# keras: 3 2
# entry: :build_model
# expect: RC102 out/bias
# expect: RC106 out/kernel
import tensorflow as tf

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)


def build_model(classes: int = 10):
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(8, 3, activation="relu", kernel_regularizer=L2, name="conv"),
            keras.layers.BatchNormalization(name="bn"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(classes, bias_regularizer=L2, name="out"),
        ]
    )


if __name__ == "__main__":
    raise SystemExit("a builder entry runs no script: this line never runs")
