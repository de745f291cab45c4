# A WGAN-GP critic step: the inner tape differentiates the critic with respect to its inputs (a gradient
# penalty, not a training step); the outer one trains the critic, whose last kernel alone is L2-penalized.
# keras: 3 2
# expect: RC101 hidden/kernel
import numpy as np
import tensorflow as tf

keras = tf.keras
critic = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"), keras.layers.Dense(1, name="score")]
)
optimizer = keras.optimizers.Adam(1e-4)
real = tf.constant(np.random.rand(16, 4), tf.float32)
fake = tf.constant(np.random.rand(16, 4), tf.float32)
for _ in range(3):
    with tf.GradientTape() as tape:
        alpha = tf.random.uniform([16, 1])
        mixed = alpha * real + (1 - alpha) * fake
        with tf.GradientTape() as inner:
            inner.watch(mixed)
            score = critic(mixed, training=True)
        slopes = tf.norm(inner.gradient(score, mixed), axis=1)
        penalty = tf.reduce_mean(tf.square(slopes - 1.0))
        loss = tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real)) + 10.0 * penalty
        loss += 1e-4 * tf.nn.l2_loss(critic.get_layer("score").kernel)
    grads = tape.gradient(loss, critic.trainable_variables)
    optimizer.apply_gradients(zip(grads, critic.trainable_variables))
