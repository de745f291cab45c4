# A TF1 builder that returns its tf.Graph: the registered penalties never reach the minimized loss.
# keras: 3
# entry: :build_graph
# expect: RC201 net/w1
import tensorflow as tf


def build_graph():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4])
        with tf.compat.v1.variable_scope("net", regularizer=lambda w: 1e-4 * tf.nn.l2_loss(w)):
            w1 = tf.compat.v1.get_variable("w1", [4, 8])
            w2 = tf.compat.v1.get_variable("w2", [8, 2])
        loss = tf.reduce_mean(tf.square(tf.matmul(tf.matmul(x, w1), w2)))
        tf.compat.v1.train.AdamOptimizer().minimize(loss)
    return graph
