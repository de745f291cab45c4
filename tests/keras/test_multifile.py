"""Models that span files: layers in models.py / core/common.py, the loop and optimizer in train.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import run_cli, write_project


def _findings(root: Path, select: str) -> list[dict]:
    code, out, err = run_cli(str(root), "--select", select, "--output-format", "json", "--no-cache", "--exit-zero")
    assert code == 0, err
    return json.loads(out)["findings"]


MODELS = """
    import keras
    from keras import layers, regularizers

    def build_model():
        return keras.Sequential([
            keras.Input((784,)),
            layers.Dense(256, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
            layers.Dense(10, kernel_regularizer=regularizers.L2(1e-4)),
        ])
"""

TRAIN = """
    import tensorflow as tf
    from models import build_model

    model = build_model()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)
"""


def test_rc202_two_file_project_through_the_cli_subprocess(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"models.py": MODELS, "train.py": TRAIN})
    result = subprocess.run(
        [sys.executable, "-m", "regcheck", str(root), "--select", "RC202", "--output-format", "json", "--no-cache"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(Path(f["path"]).name, f["code"]) for f in findings] == [("train.py", "RC202")]
    assert findings[0]["fix"]["applicability"] == "safe"


def test_rc202_quiet_when_the_other_module_has_no_penalties(tmp_path: Path) -> None:
    plain = MODELS.replace(", kernel_regularizer=regularizers.L2(1e-4)", "")
    root = write_project(tmp_path, {"models.py": plain, "train.py": TRAIN})
    assert _findings(root, "RC202") == []


def test_rc202_quiet_when_the_loop_adds_the_losses(tmp_path: Path) -> None:
    fixed = TRAIN.replace("model(x, training=True))", "model(x, training=True)) + sum(model.losses)")
    root = write_project(tmp_path, {"models.py": MODELS, "train.py": fixed})
    assert _findings(root, "RC202") == []


def test_unresolvable_model_is_unknown(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"train.py": TRAIN})  # models.py is not part of the project
    assert _findings(root, "RC202") == []


def test_package_relative_imports_and_subclassed_model(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "from .net import Net\n",
        "pkg/net.py": """
            import tensorflow as tf
            class Net(tf.keras.Model):
                def __init__(self, wd=1e-4):
                    super().__init__()
                    self.dense = tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.l2(wd))
                def call(self, x):
                    return self.dense(x)
        """,
        "pkg/train.py": """
            import tensorflow as tf
            from . import Net
            model = Net()
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(x))
            grads = tape.gradient(loss, model.trainable_variables)
        """,
    }
    root = write_project(tmp_path, files)
    assert [Path(f["path"]).name for f in _findings(root, "RC202")] == ["train.py"]


def test_rc101_helper_block_in_core_common(tmp_path: Path) -> None:
    files = {
        "core/__init__.py": "",
        "core/common.py": """
            from tensorflow.keras import layers
            def conv_block(x, filters, reg=None):
                x = layers.Conv2D(filters, 3, padding="same", kernel_regularizer=reg)(x)
                return layers.BatchNormalization()(x)
        """,
        "models.py": """
            import tensorflow as tf
            from tensorflow.keras.regularizers import l2
            from core.common import conv_block
            def build(inputs):
                x = conv_block(inputs, 32, reg=l2(5e-4))
                x = conv_block(x, 64, reg=l2(5e-4))
                x = conv_block(x, 128)
                return tf.keras.Model(inputs, tf.keras.layers.Dense(10, kernel_regularizer=l2(5e-4))(x))
        """,
    }
    root = write_project(tmp_path, files)
    findings = _findings(root, "RC101")
    assert [(Path(f["path"]).name, f["line"]) for f in findings] == [("models.py", 8)]
    regularized = files | {
        "models.py": files["models.py"].replace("conv_block(x, 128)", "conv_block(x, 128, reg=l2(5e-4))")
    }
    assert _findings(write_project(tmp_path, regularized), "RC101") == []


def test_rc501_optimizer_in_train_model_in_models(tmp_path: Path) -> None:
    train = """
        import keras
        from models import build_model
        model = build_model()
        model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4), loss="mse")
    """
    root = write_project(tmp_path, {"models.py": MODELS, "train.py": train})
    assert [f["code"] for f in _findings(root, "RC501")] == ["RC501"]
    plain = MODELS.replace(", kernel_regularizer=regularizers.L2(1e-4)", "")
    assert _findings(write_project(tmp_path, {"models.py": plain}), "RC501") == []


BLOCKS = """
    from tensorflow.keras import layers, regularizers
    def conv_block(x, filters):
        x = layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(1e-4))(x)
        return layers.ReLU()(x)
"""

# Built from another module's regularized blocks: the word "regularizer" never occurs here.
HEAD = """
    from tensorflow import keras
    from tensorflow.keras import layers
    from {module} import {name}
    def build():
        inputs = keras.Input((32, 32, 3))
        x = {name}(inputs, 32)
        x = {name}(x, 64)
        x = layers.Dense(128)(layers.Flatten()(x))
        return keras.Model(inputs, layers.Dense(10)(x))
"""


def test_rc101_head_in_a_file_without_the_trigger_word(tmp_path: Path) -> None:
    files = {
        "core/__init__.py": "",
        "core/common.py": BLOCKS,
        "train.py": HEAD.format(module="core.common", name="conv_block"),
    }
    root = write_project(tmp_path, files)
    findings = _findings(root, "RC101")
    assert [(Path(f["path"]).name, f["line"]) for f in findings] == [("train.py", 9), ("train.py", 10)]


def test_cached_head_follows_a_change_in_the_imported_blocks(tmp_path: Path) -> None:
    plain_blocks = BLOCKS.replace(", kernel_regularizer=regularizers.l2(1e-4)", "")
    files = {"blocks.py": plain_blocks, "train.py": HEAD.format(module="blocks", name="conv_block")}
    root = write_project(tmp_path, files)

    def cached_run() -> list[str]:
        code, out, err = run_cli(str(root), "--select", "RC101", "--output-format", "json", "--exit-zero")
        assert code == 0, err
        return [Path(f["path"]).name for f in json.loads(out)["findings"]]

    assert cached_run() == []  # no regularizer anywhere: train.py is not even parsed, and that is cached
    assert cached_run() == []
    write_project(root, {"blocks.py": BLOCKS})  # train.py unchanged, but the blocks it imports now regularize
    assert cached_run() == ["train.py", "train.py"]
    assert cached_run() == ["train.py", "train.py"]


def test_rc202_model_built_two_modules_away(tmp_path: Path) -> None:
    # train.py -> core/yolo.py -> core/common.py, where every conv carries L2 (YOLOv3-style projects).
    files = {
        "core/__init__.py": "",
        "core/common.py": """
            import tensorflow as tf
            def convolutional(x, filters):
                return tf.keras.layers.Conv2D(filters, 3, kernel_regularizer=tf.keras.regularizers.l2(5e-4))(x)
        """,
        "core/yolo.py": """
            import tensorflow as tf
            import core.common as common
            def YOLO(x):
                return common.convolutional(common.convolutional(x, 32), 64)
        """,
        "train.py": """
            import tensorflow as tf
            from core.yolo import YOLO
            inputs = tf.keras.layers.Input([416, 416, 3])
            model = tf.keras.Model(inputs, YOLO(inputs))
            optimizer = tf.keras.optimizers.Adam()
            def train_step(images, target):
                with tf.GradientTape() as tape:
                    total_loss = compute_loss(model(images, training=True), target)
                gradients = tape.gradient(total_loss, model.trainable_variables)
                optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        """,
    }
    root = write_project(tmp_path, files)
    assert [(Path(f["path"]).name, f["line"]) for f in _findings(root, "RC202")] == [("train.py", 10)]
