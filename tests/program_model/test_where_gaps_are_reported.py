"""An unpenalized weight built in another module is one finding, in the module nearest the weight that
sees the model: at the call of a block helper that every variant of a network shares, and not again
in the script that only calls the builder. Its message says where the weight is built."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli, write_project

BLOCK = """
    from tensorflow.keras.layers import Dense, GlobalAveragePooling2D, Reshape, multiply

    def squeeze_excite(x, ratio=4):
        filters = x.shape[-1]
        se = Reshape((1, 1, filters))(GlobalAveragePooling2D()(x))
        se = Dense(filters // ratio, activation="relu", use_bias=False)(se)
        return multiply([x, Dense(filters, activation="sigmoid", use_bias=False)(se)])
"""

NET = """
    from tensorflow.keras.layers import Conv2D, Dense, GlobalAveragePooling2D, Input
    from tensorflow.keras.models import Model
    from tensorflow.keras.regularizers import l2
    from blocks import squeeze_excite

    def net(depth, weight_decay=1e-4):
        inputs = Input((32, 32, 3))
        x = Conv2D(16, 3, padding="same", kernel_regularizer=l2(weight_decay))(inputs)
        for _ in range(depth):
            x = Conv2D(16, 3, padding="same", kernel_regularizer=l2(weight_decay))(x)
            x = squeeze_excite(x)
        outputs = Dense(10, activation="softmax", kernel_regularizer=l2(weight_decay))(GlobalAveragePooling2D()(x))
        return Model(inputs, outputs)

    def net18():
        return net(2)

    def net34():
        return net(4)
"""

TRAIN = """
    from nets import net18
    model = net18()
    model.compile("sgd", "sparse_categorical_crossentropy")
"""


def _findings(root: Path, *select: str) -> list[tuple[str, str, int, str]]:
    status, out, err = run_cli(str(root), *select, "--output-format", "json", "--no-cache", "--exit-zero")
    assert status == 0, err
    return sorted((f["code"], Path(f["path"]).name, f["line"], f["message"]) for f in json.loads(out)["findings"])


def test_a_shared_block_helper_is_one_finding_at_its_call(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"blocks.py": BLOCK, "nets.py": NET, "train.py": TRAIN})
    found = [f for f in _findings(root) if f[0] == "RC101"]
    assert [(code, name, line) for code, name, line, _ in found] == [("RC101", "nets.py", 12)]
    assert "(built in blocks.py, line 7)" in found[0][3]


HEAD_LAYER = """
    import tensorflow as tf

    class CosineLogits(tf.keras.layers.Layer):
        def __init__(self, classes):
            super().__init__()
            self.classes = classes

        def build(self, input_shape):
            self.w = self.add_weight(name="w", shape=[int(input_shape[-1]), self.classes])

        def call(self, x):
            return tf.matmul(tf.nn.l2_normalize(x, axis=1), tf.nn.l2_normalize(self.w, axis=0))
"""

HEAD_MODEL = """
    import tensorflow as tf
    from tensorflow.keras import Input, Model
    from tensorflow.keras.layers import Dense
    from heads import CosineLogits

    def head(classes):
        def apply(x_in):
            x = Input(x_in.shape[1:])
            return Model(x, CosineLogits(classes)(x))(x_in)
        return apply

    def face_model(classes=10):
        inputs = Input([128])
        embedding = Dense(64, kernel_regularizer=tf.keras.regularizers.l2(5e-4))(inputs)
        return Model(inputs, head(classes)(embedding))
"""


def test_a_head_wrapped_in_its_own_model_is_the_output_layer(tmp_path: Path) -> None:
    train = "from models import face_model\nmodel = face_model(100)\nmodel.compile('sgd', 'mse')\n"
    root = write_project(tmp_path, {"heads.py": HEAD_LAYER, "models.py": HEAD_MODEL, "train.py": train})
    found = [
        (code, name, line) for code, name, line, _ in _findings(root, "--select", "ALL") if code in ("RC101", "RC106")
    ]
    assert found == [("RC106", "models.py", 16)]
