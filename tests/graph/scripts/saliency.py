# A saliency map of a trained model: a gradient with respect to the inputs only. Nothing is trained.
# keras: 3 2
# error: no training step was reached
# error: not taken for training steps
import numpy as np
import tensorflow as tf

keras = tf.keras
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
image = tf.constant(np.random.rand(1, 4), tf.float32)
with tf.GradientTape() as tape:
    tape.watch(image)
    top = tf.reduce_max(model(image))
saliency = tf.abs(tape.gradient(top, image))
print(saliency.numpy())
