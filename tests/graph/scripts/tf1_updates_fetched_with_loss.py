# TF1: the loss is made to wait for UPDATE_OPS after the train op is built, and fetched with it: the
# run that trains runs the updates (an estimator fetches its spec's loss with its train op this way).
# keras: 2
import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()
x = tf.placeholder(tf.float32, [None, 4])
y = tf.placeholder(tf.float32, [None, 1])
h = tf.layers.batch_normalization(tf.layers.dense(x, 8), training=True)
loss = tf.reduce_mean(tf.square(tf.layers.dense(h, 1) - y))
train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    loss = tf.identity(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run([train_op, loss], {x: np.ones([2, 4]), y: np.ones([2, 1])})
