# TF1 by hand: tf.gradients, assign_sub, Session.run. The trace stops before the first update runs.
# keras: 3
# expect: RC101 w_hidden
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()
x = tf.placeholder(tf.float32, [None, 4])
y = tf.placeholder(tf.float32, [None, 2])
w_hidden = tf.Variable(tf.random_normal([4, 8]), name="w_hidden")
w_out = tf.Variable(tf.random_normal([8, 2]), name="w_out")
pred = tf.matmul(tf.nn.relu(tf.matmul(x, w_hidden)), w_out)
loss = tf.reduce_mean(tf.square(pred - y)) + 1e-3 * tf.nn.l2_loss(w_out)
grads = tf.gradients(loss, [w_hidden, w_out])
updates = [v.assign_sub(0.1 * g) for v, g in zip([w_hidden, w_out], grads)]
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(100):
        sess.run(updates, {x: [[1.0] * 4], y: [[0.0, 1.0]]})
        raise SystemExit("the first update ran: the trace should have stopped before it")
