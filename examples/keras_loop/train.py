"""A custom GradientTape loop: the kernel_regularizer penalties never reach the gradient."""

import tensorflow as tf

from models import build_model

model = build_model()
optimizer = tf.keras.optimizers.SGD(0.1)
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


# Random batches stand in for the dataset, so `regcheck trace examples/keras_loop/train.py` reaches the step.
for _ in range(100):
    train_step(tf.random.normal([32, 784]), tf.random.uniform([32], maxval=10, dtype=tf.int64))
