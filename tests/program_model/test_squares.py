"""A tensor is the square of another only if that very tensor was made by a square: the program model
keeps the squared tensors alive and checks identity, so a later tensor that reuses a freed object's
id (a cross-entropy over a codebook's distances, in a long module) is never taken for one."""

from __future__ import annotations

from regcheck.facts.program.result import Program
from regcheck.facts.program.values import Tensor, Term


def test_a_tensor_that_only_shares_an_id_is_not_squared() -> None:
    program = Program.__new__(Program)
    program.squares = {}
    squared, base, other = Tensor((Term("data"),)), Tensor((Term("data"),)), Tensor((Term("data"),))
    program.squares[id(squared)] = (squared, base)
    assert program.squared(squared) is base
    program.squares[id(other)] = (squared, base)  # what a reused id looked like to the old lookup
    assert program.squared(other) is None


def test_a_loss_over_squared_distances_is_a_data_loss() -> None:
    from helpers import codes

    source = """
import tensorflow.compat.v1 as tf
def body(x, targets):
    means = tf.get_variable("means", [512, 64])
    w = tf.get_variable("w", [64, 64])
    h = tf.matmul(x, w)
    distances = tf.reduce_sum(tf.square(tf.expand_dims(h, 1) - means), axis=-1)
    loss = tf.reduce_mean(tf.losses.sparse_softmax_cross_entropy(logits=-distances, labels=targets))
    return loss
"""
    assert codes(source, "RC101", "RC102") == []
