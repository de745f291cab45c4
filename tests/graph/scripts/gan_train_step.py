# A Keras GAN whose overridden train_step holds both optimizer steps; fit stops before that step runs.
# keras: 3 2
# expect: RC202 g_hidden/kernel
# steps: 2
import numpy as np
import tensorflow as tf

keras = tf.keras
L2 = keras.regularizers.L2(1e-4)


class GAN(keras.Model):
    def __init__(self):
        super().__init__()
        self.generator = keras.Sequential(
            [
                keras.Input((2,)),
                keras.layers.Dense(8, kernel_regularizer=L2, name="g_hidden"),
                keras.layers.Dense(4, kernel_regularizer=L2, name="g_out"),
            ]
        )
        self.discriminator = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(8, kernel_regularizer=L2, name="d_hidden"),
                keras.layers.Dense(1, kernel_regularizer=L2, name="d_out"),
            ]
        )
        self.xent = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, d_opt, g_opt):
        super().compile()
        self.d_opt, self.g_opt = d_opt, g_opt

    def call(self, noise):
        return self.generator(noise)

    def train_step(self, real):
        noise = tf.random.normal([tf.shape(real)[0], 2])
        with tf.GradientTape() as tape:
            fake = self.generator(noise)
            real_score, fake_score = self.discriminator(real), self.discriminator(fake)
            d_loss = self.xent(tf.ones_like(real_score), real_score) + self.xent(tf.zeros_like(fake_score), fake_score)
            d_loss += tf.add_n(self.discriminator.losses)
        grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_opt.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            fake_score = self.discriminator(self.generator(noise))
            g_loss = self.xent(tf.ones_like(fake_score), fake_score)
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


gan = GAN()
gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
gan.fit(np.random.rand(64, 4).astype("float32"), batch_size=16, epochs=2, verbose=0)
