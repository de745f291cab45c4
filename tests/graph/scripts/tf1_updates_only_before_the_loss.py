# TF1: the loss waits for UPDATE_OPS and is minimized, but only the train op is run: its gradients need
# the loss's static shape, not its value, so the updates never run (measured).
# keras: 2
# expect: RC207 -
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()
x = tf.placeholder(tf.float32, [None, 4])
y = tf.placeholder(tf.float32, [None, 1])
h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=True)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    loss = tf.identity(loss)
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train_op, {x: np.ones([2, 4]), y: np.ones([2, 1])})
