# A builder that returns a subclassed model nobody built: nothing to audit, and the trace says why.
# keras: 3 2
# entry: :build_model
# error: has no variables yet
import tensorflow as tf

keras = tf.keras


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(1e-4))

    def call(self, x):
        return self.dense(x)


def build_model():
    return Net()
