"""Property tests: no crash on generated programs; fixes parse and are idempotent on generated TF code."""

from __future__ import annotations

import hypothesmith
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from regcheck.config.catalog import RULES
from regcheck.findings import Finding
from regcheck.fixing.apply import fix_text, parses
from regcheck.lint.module import lint_text

ALL = frozenset(RULES)
# Names every check's prefilter looks for, so generated programs reach the parser and every check.
HEADER = (
    "import tensorflow as tf\nimport keras\n"
    "# regularizer kernel_regularizer bias_regularizer minimize l2_loss add_loss losses GradientTape fit\n"
)


def _examples(count: int) -> settings:
    """Deterministic (same examples in every CI run), no deadline: linting is not timed here.

    No shrinking: with a linter in the loop it can take many minutes; the failing
    example is printed as generated, which is short enough to read.
    """
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
    )


def _lint(text: str) -> list[Finding]:
    report = lint_text("generated.py", text, ALL)
    assert not report.internal_error, [str(p) for p in report.problems]
    return report.findings


@_examples(30)
@given(hypothesmith.from_grammar())
def test_generated_programs_never_crash(program: str) -> None:
    text = HEADER + program
    report = lint_text("generated.py", text, ALL)
    assert not report.internal_error, [str(p) for p in report.problems]
    for finding in report.findings:
        assert 1 <= finding.line <= finding.end_line
        assert finding.code in RULES


@_examples(20)
@given(hypothesmith.from_node())
def test_generated_syntax_trees_never_crash(program: str) -> None:
    _lint(HEADER + program)


# --- a grammar of the bug patterns --------------------------------------------------

NAMES = st.sampled_from(["w", "w1", "w_out", "kernel", "weights", "b", "bias", "b_out", "emb", "gamma"])
SIZES = st.sampled_from(["3", "64", "784", "n_hidden"])
COEFF = st.sampled_from(["0.01", "1e-4", "0.0", "wd", "5e-4 / 2"])


@st.composite
def tf1_statement(draw: st.DrawFn) -> str:
    name, other, size, coeff = draw(NAMES), draw(NAMES), draw(SIZES), draw(COEFF)
    regularizer = draw(
        st.sampled_from(
            [
                "",
                f", regularizer=tf.contrib.layers.l2_regularizer({coeff})",
                f", regularizer=tf.keras.regularizers.l2({coeff})",
                f", regularizer=slim.l2_regularizer({coeff})",
            ]
        )
    )
    layer_regs = draw(
        st.sampled_from(
            [
                "",
                f", kernel_regularizer=tf.keras.regularizers.l2({coeff})",
                f", bias_regularizer=tf.contrib.layers.l2_regularizer({coeff})",
            ]
        )
    )
    return draw(
        st.sampled_from(
            [
                f"{name} = tf.get_variable('{name}', [{size}, {size}]{regularizer})",
                f"{name} = tf.Variable(tf.random_normal([{size}, {size}]))",
                f"{name} = tf.Variable(tf.zeros([{size}]))",
                f"h = tf.layers.dense(h, {size}{layer_regs})",
                "h = tf.layers.batch_normalization(h, training=is_training)",
                f"h = tf.matmul(h, {name}) + {other}",
                f"loss = loss + {coeff} * tf.nn.l2_loss({name})",
                f"loss = loss + {coeff} * tf.add_n([tf.nn.l2_loss(v) for v in tf.trainable_variables()])",
                "loss = loss + tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)",
                "loss = loss + tf.losses.get_regularization_losses()",
                "loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(h, labels))",
                "loss = tf.reduce_mean(tf.square(h - y))",
                f"train_op = tf.train.AdamOptimizer({coeff}).minimize(loss)",
                f"train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, var_list=[{name}])",
                f"with tf.variable_scope('s', regularizer=tf.contrib.layers.l2_regularizer({coeff})):\n"
                f"    {name} = tf.Variable(tf.ones([{size}]))\n"
                f"    {other} = tf.get_variable('{other}', [{size}])",
                f"def build(h):\n    {name} = tf.get_variable('{name}', [{size}]{regularizer})\n    return h * {name}",
            ]
        )
    )


@st.composite
def keras_statement(draw: st.DrawFn) -> str:
    size, coeff = draw(SIZES), draw(COEFF)
    reg = draw(
        st.sampled_from(
            ["", f", kernel_regularizer=keras.regularizers.l2({coeff})", f", bias_regularizer=regularizers.l2({coeff})"]
        )
    )
    return draw(
        st.sampled_from(
            [
                f"model = keras.Sequential([layers.Dense({size}{reg}), layers.Dense({size}{reg}), layers.Dense(10)])",
                f"x = layers.Dense({size}, activation='relu'{reg})(x)",
                f"x = layers.Conv2D({size}, 3{reg})(x)",
                "x = layers.BatchNormalization(gamma_regularizer=regularizers.l2(0.01))(x)",
                "model = keras.Model(inputs, x)",
                "model.compile(optimizer='adam', loss='mse')",
                f"optimizer = keras.optimizers.AdamW(weight_decay={coeff})",
                "with tf.GradientTape() as tape:\n    pred = model(x, training=True)\n    loss = loss_fn(y, pred)\n"
                "grads = tape.gradient(loss, model.trainable_variables)\n"
                "optimizer.apply_gradients(zip(grads, model.trainable_variables))",
                "loss = loss + model.losses",
                "loss = loss + sum(model.losses)",
                "for layer in model.layers:\n    layer.kernel_regularizer = regularizers.l2(0.01)",
                "for layer in model.layers:\n    model.add_loss(lambda: 0.01 * tf.reduce_sum(tf.square(layer.kernel)))",
                f"model.add_loss({coeff} * tf.nn.l2_loss(model.layers[0].kernel))",
            ]
        )
    )


TF1_HEADERS = st.sampled_from(
    [
        "import tensorflow as tf\n",
        "import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n",
        "import tensorflow as tf\nimport tf_slim as slim\n",
    ]
)
KERAS_HEADERS = st.sampled_from(
    [
        "import tensorflow as tf\nfrom tensorflow import keras\nfrom tensorflow.keras import layers, regularizers\n",
        "import keras\nimport tensorflow as tf\nfrom keras import layers, regularizers\n",
        "import tensorflow as tf\nimport tf_keras as keras\nfrom tf_keras import layers, regularizers\n",
    ]
)
TF_PROGRAMS = st.one_of(
    st.builds(
        lambda head, body: head + "\n".join(body) + "\n", TF1_HEADERS, st.lists(tf1_statement(), min_size=1, max_size=8)
    ),
    st.builds(
        lambda head, body: head + "\n".join(body) + "\n",
        KERAS_HEADERS,
        st.lists(keras_statement(), min_size=1, max_size=8),
    ),
)


@_examples(50)
@given(TF_PROGRAMS, st.booleans())
def test_fixes_parse_and_are_idempotent(program: str, unsafe: bool) -> None:
    assert parses(program)
    first = fix_text(program, _lint, unsafe)
    assert parses(first.text)
    second = fix_text(first.text, _lint, unsafe)
    assert second.text == first.text, f"second run changed:\n{first.text}\n---\n{second.text}"
    assert second.applied == 0


@_examples(30)
@given(TF_PROGRAMS, st.sampled_from(["\r\n", "\r"]))
def test_fixes_keep_line_endings(program: str, newline: str) -> None:
    text = program.replace("\n", newline)
    fixed = fix_text(text, _lint, unsafe=True).text
    others = ("\n", "\r") if newline == "\r\n" else ("\n",)
    remainder = fixed.replace(newline, "")
    assert not any(other in remainder for other in others), repr(fixed)
    assert fixed.endswith(newline)
