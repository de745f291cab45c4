"""A two-layer MNIST classifier in TF1 style, with the classic L2 mistakes."""

import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])

w_hidden = tf.Variable(tf.truncated_normal([784, 256], stddev=0.1))
b_hidden = tf.Variable(tf.zeros([256]))
w_out = tf.Variable(tf.truncated_normal([256, 10], stddev=0.1))
b_out = tf.Variable(tf.zeros([10]))

hidden = tf.nn.relu(tf.matmul(x, w_hidden) + b_hidden)
logits = tf.matmul(hidden, w_out) + b_out

beta = 0.01
cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits, y))
loss = cross_entropy + beta * (tf.nn.l2_loss(w_out) + tf.nn.l2_loss(b_out))
train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
