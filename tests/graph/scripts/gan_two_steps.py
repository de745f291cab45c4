# A GAN trained in two tf.functions: the discriminator's step is correct, the generator's penalizes a bias.
# Both optimizer steps are analysed, each with its own verdict.
# keras: 3 2
# expect: RC102 g_out/bias
# steps: 2
import numpy as np
import tensorflow as tf

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)
generator = keras.Sequential(
    [
        keras.Input((2,)),
        keras.layers.Dense(8, activation="relu", kernel_regularizer=L2, name="g_hidden"),
        keras.layers.Dense(4, kernel_regularizer=L2, bias_regularizer=L2, name="g_out"),
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


@tf.function
def d_step(real, noise):
    with tf.GradientTape() as tape:
        fake = generator(noise, training=True)
        real_score, fake_score = discriminator(real, training=True), discriminator(fake, training=True)
        loss = xent(tf.ones_like(real_score), real_score) + xent(tf.zeros_like(fake_score), fake_score)
        loss += tf.add_n(discriminator.losses)
    grads = tape.gradient(loss, discriminator.trainable_variables)
    d_opt.apply_gradients(zip(grads, discriminator.trainable_variables))


@tf.function
def g_step(noise):
    with tf.GradientTape() as tape:
        fake_score = discriminator(generator(noise, training=True), training=True)
        loss = xent(tf.ones_like(fake_score), fake_score) + tf.add_n(generator.losses)
    grads = tape.gradient(loss, generator.trainable_variables)
    g_opt.apply_gradients(zip(grads, generator.trainable_variables))


for _ in range(100):
    d_step(tf.constant(np.random.rand(16, 4), tf.float32), tf.random.normal([16, 2]))
    g_step(tf.random.normal([16, 2]))
