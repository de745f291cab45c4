# Raw TF2 eager loop: b1 and b2 are equal (zeros, width 8); only b2 is penalized.
# keras: 3
# expect: RC102 b2
import tensorflow as tf

w1 = tf.Variable(tf.random.normal([4, 8]), name="w1")
b1 = tf.Variable(tf.zeros([8]), name="b1")
w2 = tf.Variable(tf.random.normal([8, 8]), name="w2")
b2 = tf.Variable(tf.zeros([8]), name="b2")
params = [w1, b1, w2, b2]
optimizer = tf.keras.optimizers.SGD(0.1)
for _ in range(3):
    with tf.GradientTape() as tape:
        out = tf.matmul(tf.nn.relu(tf.matmul(tf.random.normal([3, 4]), w1) + b1), w2) + b2
        loss = tf.reduce_mean(tf.square(out)) + 1e-3 * (tf.nn.l2_loss(w1) + tf.nn.l2_loss(w2) + tf.nn.l2_loss(b2))
    grads = tape.gradient(loss, params)
    optimizer.apply_gradients(zip(grads, params))
