# The same GAN in eager mode, one tape per network: the generator's step leaves generator.losses out.
# keras: 3 2
# expect: RC202 g_hidden/kernel
# steps: 2
import numpy as np
import tensorflow as tf

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)
generator = keras.Sequential(
    [
        keras.Input((2,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=L2, name="g_hidden"),
        keras.layers.Dense(4, kernel_regularizer=L2, name="g_out"),
    ]
)
discriminator = keras.Sequential(
    [
        keras.Input((4,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=L2, name="d_hidden"),
        keras.layers.Dense(1, kernel_regularizer=L2, name="d_out"),
    ]
)
g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
xent = keras.losses.BinaryCrossentropy(from_logits=True)
for _ in range(100):
    noise = tf.random.normal([16, 2])
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake = generator(noise, training=True)
        real_score = discriminator(tf.constant(np.random.rand(16, 4), tf.float32), training=True)
        fake_score = discriminator(fake, training=True)
        g_loss = xent(tf.ones_like(fake_score), fake_score)
        d_loss = xent(tf.ones_like(real_score), real_score) + xent(tf.zeros_like(fake_score), fake_score)
        d_loss += tf.add_n(discriminator.losses)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
