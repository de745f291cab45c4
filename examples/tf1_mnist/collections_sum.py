"""tf.layers with kernel regularizers, whose collection is added to the loss as a list."""

import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.int64, [None])
reg = tf.keras.regularizers.l2(5e-4)

h = tf.layers.dense(x, 256, activation=tf.nn.relu, kernel_regularizer=reg)
logits = tf.layers.dense(h, 10, kernel_regularizer=reg)

data_loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
loss = data_loss + tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
