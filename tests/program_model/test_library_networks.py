"""A network from slim's model zoo, called under ``slim.arg_scope``, builds its layers where the
program model cannot see: they take the scope's defaults. A regularizer the scope gives is
registered in REGULARIZATION_LOSSES (RC201 when the loss never reads it); a normalizing network
(Inception, ResNet, MobileNet...) under a scope that may give batch norm puts its updates in
UPDATE_OPS (RC207 when the train op does not run them). VGG normalizes nothing."""

from __future__ import annotations

import pytest
from helpers import codes

IMPORTS = {
    "contrib": "from tensorflow.contrib.slim.nets import {module}",
    "tf_slim": "from tf_slim.nets import {module}",
    "zoo-copy": "from nets import {module}",
}

LIBRARY_SCOPE = """
import tensorflow.compat.v1 as tf
import tf_slim as slim
{import_line}
images = tf.placeholder(tf.float32, [None, 299, 299, 3])
labels = tf.placeholder(tf.int64, [None])
with slim.arg_scope({module}.{net}_arg_scope()):
    logits, _ = {module}.{net}(images, num_classes=5, is_training={training})
tf.losses.sparse_softmax_cross_entropy(labels, logits)
{train}
"""
TRAIN = "train = tf.train.RMSPropOptimizer(1e-4).minimize(tf.losses.get_total_loss())"
TRAIN_WITH_UPDATES = "with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):\n    " + TRAIN


def _program(style: str, module: str, net: str, training: str, train: str) -> str:
    return LIBRARY_SCOPE.format(
        import_line=IMPORTS[style].format(module=module), module=module, net=net, training=training, train=train
    )


@pytest.mark.parametrize("style", sorted(IMPORTS))
@pytest.mark.parametrize(("module", "net"), [("inception", "inception_v3"), ("resnet_v1", "resnet_v1_50")])
def test_a_normalizing_network_in_training_needs_update_ops(style: str, module: str, net: str) -> None:
    assert codes(_program(style, module, net, "True", TRAIN), "RC207") == ["RC207"]
    assert codes(_program(style, module, net, "True", TRAIN_WITH_UPDATES), "RC207") == []
    assert codes(_program(style, module, net, "False", TRAIN), "RC207") == []


def test_vgg_normalizes_nothing() -> None:
    assert codes(_program("tf_slim", "vgg", "vgg_16", "True", TRAIN), "RC207") == []


def test_a_scope_without_batch_norm_puts_no_updates() -> None:
    source = """
import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets import inception
images = tf.placeholder(tf.float32, [None, 299, 299, 3])
with slim.arg_scope([slim.conv2d], weights_initializer=tf.truncated_normal_initializer(stddev=0.01)):
    logits, _ = inception.inception_v3(images, num_classes=5, is_training=True)
train = tf.train.RMSPropOptimizer(1e-4).minimize(tf.reduce_mean(logits))
"""
    assert codes(source, "RC207") == []


@pytest.mark.parametrize(
    ("loss", "expected"),
    [("tf.losses.get_total_loss(add_regularization_losses=False)", ["RC201"]), ("tf.losses.get_total_loss()", [])],
)
def test_a_regularizer_given_by_the_scope_fills_the_collection(loss: str, expected: list[str]) -> None:
    source = f"""
import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets import inception
images = tf.placeholder(tf.float32, [None, 299, 299, 3])
labels = tf.placeholder(tf.int64, [None])
with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(4e-5)):
    logits, _ = inception.inception_v3(images, num_classes=5, is_training=False)
tf.losses.sparse_softmax_cross_entropy(labels, logits)
train = tf.train.GradientDescentOptimizer(0.1).minimize({loss})
"""
    assert codes(source, "RC201") == expected


# A project's own arg_scope function, as model zoos write them: the scope it returns is the one
# yielded by its innermost `with`, which slim merges with the scopes around it.
OWN_SCOPE = {
    "nested_as": """
def net_arg_scope(weight_decay=4e-5):
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm) as sc:
            return sc
""",
    "single_as": """
def net_arg_scope(weight_decay=4e-5):
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)) as sc:
        return sc
""",
    "three_deep": """
def net_arg_scope(weight_decay=4e-5):
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope([slim.conv2d], activation_fn=tf.nn.relu):
            with slim.arg_scope([slim.max_pool2d], padding="SAME") as sc:
                return sc
""",
}


@pytest.mark.parametrize("scope", sorted(OWN_SCOPE))
@pytest.mark.parametrize(
    ("loss", "expected"),
    [("tf.losses.get_total_loss(add_regularization_losses=False)", ["RC201"]), ("tf.losses.get_total_loss()", [])],
)
def test_a_scope_returned_from_an_inner_with_keeps_the_outer_regularizer(
    scope: str, loss: str, expected: list[str]
) -> None:
    source = f"""
import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets import inception
{OWN_SCOPE[scope]}
images = tf.placeholder(tf.float32, [None, 299, 299, 3])
labels = tf.placeholder(tf.int64, [None])
with slim.arg_scope(net_arg_scope()):
    logits, _ = inception.inception_v3(images, num_classes=5, is_training=False)
tf.losses.sparse_softmax_cross_entropy(labels, logits)
train = tf.train.GradientDescentOptimizer(0.1).minimize({loss})
"""
    assert codes(source, "RC201") == expected


@pytest.mark.parametrize("style", sorted(IMPORTS))
@pytest.mark.parametrize(
    ("scope_args", "loss", "expected"),
    [
        ("", "tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))", ["RC201"]),
        ("weight_decay=1e-4", "tf.losses.sparse_softmax_cross_entropy(labels, logits)", ["RC201"]),
        ("weight_decay=0.0", "tf.losses.sparse_softmax_cross_entropy(labels, logits)", []),
        ("", "tf.losses.get_total_loss()", []),
    ],
)
def test_a_library_arg_scope_gives_its_weight_decay(
    style: str, scope_args: str, loss: str, expected: list[str]
) -> None:
    """A model zoo's own arg_scope function penalizes the conv and fully connected weights it covers."""
    source = f"""
import tensorflow.compat.v1 as tf
import tf_slim as slim
{IMPORTS[style].format(module="resnet_v2")}
images = tf.placeholder(tf.float32, [None, 224, 224, 3])
labels = tf.placeholder(tf.int64, [None])
with slim.arg_scope(resnet_v2.resnet_arg_scope({scope_args})):
    logits, _ = resnet_v2.resnet_v2_50(images, num_classes=5, is_training=False)
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train = tf.train.MomentumOptimizer(0.01, 0.9).minimize({loss})
"""
    assert codes(source, "RC201") == expected
