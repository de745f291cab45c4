"""Generated TensorFlow / Keras training programs with known findings, and the oracle that runs both paths on them.

``generator.generate(seed)`` (or the hypothesis strategy ``generator.programs()``) composes a small runnable
program whose expected findings are known by construction; ``oracle`` runs the static path and the graph path
on it and sorts every disagreement. ``benchmarks/differential.py`` runs thousands of them.
"""
