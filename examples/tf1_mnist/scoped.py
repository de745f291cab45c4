"""Penalties registered through get_variable(regularizer=...) that never reach the loss."""

import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

regularizer = tf.keras.regularizers.l2(1e-4)
x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.int64, [None])
is_training = tf.placeholder(tf.bool, [])

with tf.variable_scope("hidden"):
    w1 = tf.get_variable("weights", [784, 128], regularizer=regularizer)
    b1 = tf.get_variable("biases", [128], initializer=tf.zeros_initializer())
    h1 = tf.nn.relu(tf.layers.batch_normalization(tf.matmul(x, w1) + b1, training=is_training))

with tf.variable_scope("output"):
    w2 = tf.get_variable("weights", [128, 10], regularizer=regularizer)
    b2 = tf.get_variable("biases", [10], initializer=tf.zeros_initializer())
    logits = tf.matmul(h1, w2) + b2

loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
