"""RC501, RC502, RC503: optimizer weight decay against the model's L2 penalties."""

from __future__ import annotations

from helpers import codes, fix

L2_MODEL = """
import keras
model = keras.Sequential([keras.layers.Dense(10, kernel_regularizer=keras.regularizers.l2(1e-4))])
"""
PLAIN_MODEL = """
import keras
model = keras.Sequential([keras.layers.Dense(10)])
"""


def test_rc501_needs_both_decay_and_l2() -> None:
    adamw = 'model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")\n'
    assert codes(L2_MODEL + adamw, "RC501") == ["RC501"]
    assert codes(PLAIN_MODEL + adamw, "RC501") == []
    assert codes(L2_MODEL + 'model.compile(optimizer="adamw", loss="mse")\n', "RC501") == ["RC501"]
    l1 = L2_MODEL.replace("l2(1e-4)", "l1(1e-4)")
    assert codes(l1 + adamw, "RC501") == []


def test_rc501_custom_loop_apply_gradients() -> None:
    loop = """
opt = keras.optimizers.Adam(1e-3, weight_decay=0.01)
opt.apply_gradients(zip(grads, model.trainable_variables))
"""
    assert codes(L2_MODEL + loop, "RC501") == ["RC501"]


def test_rc502_adaptive_optimizers() -> None:
    for optimizer in ('"adam"', '"rmsprop"', "keras.optimizers.Adagrad(0.01)", "keras.optimizers.Adam()"):
        source = L2_MODEL + f'model.compile(optimizer={optimizer}, loss="mse")\n'
        assert codes(source, "RC502") == ["RC502"], optimizer
    assert codes(L2_MODEL + 'model.compile(optimizer="sgd", loss="mse")\n', "RC502") == []
    assert codes(PLAIN_MODEL + 'model.compile(optimizer="adam", loss="mse")\n', "RC502") == []


def test_rc503_fix_excludes_bias_and_norm() -> None:
    source = (
        PLAIN_MODEL
        + 'opt = keras.optimizers.AdamW(1e-3, weight_decay=0.05)\nmodel.compile(optimizer=opt, loss="mse")\n'
    )
    assert codes(source, "RC503") == ["RC503"]
    fixed = fix(source, "RC503")
    assert 'opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])\nmodel.compile' in fixed
    assert codes(fixed, "RC503") == []
    no_bias = PLAIN_MODEL.replace("Dense(10)", "Dense(10, use_bias=False)")
    assert codes(no_bias + 'model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss="mse")\n', "RC503") == []
