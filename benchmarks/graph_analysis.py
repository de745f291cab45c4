"""How the graph analysis scales: TF1 graphs of growing size (stacks of Dense / Conv blocks).

Run by hand (never part of the tests):

    python benchmarks/graph_analysis.py [--sizes 1000 10000 100000]
    python benchmarks/graph_analysis.py --end-to-end [--repeat 3]

``--end-to-end`` times whole `regcheck trace` runs instead, wall clock, under
Keras 3 and tf-keras: a builder entry that returns
``keras.applications.ResNet50(weights=None)`` (audited without data), and a
script that starts a helper process holding its stdout before its first
training step (the trace must return at the step). Each run's TensorFlow
start-up (the runner server's import) and the child's own time (build,
capture, analysis) are shown apart; the machine's load average is printed,
since the 2 cores are shared.

Times the analysis alone (IR extraction from the tf.Graph, then decomposition,
roles and findings), not TensorFlow's import nor building the graph. Every
block is penalized except the biases, so the analysis does its full work and
reports nothing; the last column (microseconds per op) staying flat means
linear growth.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def build(target_ops: int):
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 8, 8, 4])
        h, penalties, block = x, [], 0
        count = 0
        while count < target_ops:
            scope = f"block{block}"
            if block % 2 == 0:  # conv block: conv + bias + relu, shape kept
                k = tf.Variable(tf.random.normal([3, 3, 4, 4], stddev=0.1), name=f"{scope}/kernel")
                b = tf.Variable(tf.zeros([4]), name=f"{scope}/bias")
                h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, k, 1, "SAME"), b))
            else:  # dense block on the flattened map, reshaped back
                k = tf.Variable(tf.random.normal([256, 256], stddev=0.05), name=f"{scope}/kernel")
                b = tf.Variable(tf.zeros([256]), name=f"{scope}/bias")
                flat = tf.reshape(h, [-1, 256])
                h = tf.reshape(tf.nn.relu(tf.matmul(flat, k) + b), [-1, 8, 8, 4])
            penalties.append(tf.nn.l2_loss(k))
            block += 1
            if block % 64 == 0 or count + 1000 > target_ops:  # counting every time would be quadratic
                count = len(graph.get_operations())
        loss = tf.reduce_mean(tf.square(h)) + 1e-4 * tf.add_n(penalties)
    return graph, loss, block


def measure(target_ops: int) -> tuple[int, int, int, float, float, int]:
    from regcheck.graph.analyse import analyse
    from regcheck.graph.catalog import VariableCatalog
    from regcheck.graph.hooks import symbolic_ir

    graph, loss, blocks = build(target_ops)
    with graph.as_default():
        start = time.perf_counter()
        ir = symbolic_ir([loss], VariableCatalog(), tf1=True)
        extracted = time.perf_counter()
        result = analyse(ir)
        done = time.perf_counter()
    return len(graph.get_operations()), blocks, len(ir.ops), extracted - start, done - extracted, len(result.findings)


RESNET = """\
import tensorflow as tf


def build_model():
    return tf.keras.applications.ResNet50(weights=None)
"""
HELPER = """\
import subprocess
import sys

import tensorflow as tf

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # holds stdout and stderr
w = tf.Variable(tf.random.normal([784, 10]), name="w")
for _ in range(100000):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.matmul(tf.random.normal([64, 784]), w)) + 1e-4 * tf.nn.l2_loss(w)
    tape.gradient(loss, [w])
"""


def end_to_end(repeat: int) -> None:
    import subprocess
    import tempfile

    from regcheck.graph.trace import Server, TraceOptions

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("resnet_builder.py", RESNET), ("helper.py", HELPER)):
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(text)
        print(f"{'keras':>5} {'entry':<32} {'wall s':>7} {'server s':>9} {'child s':>8}  load")
        for keras in ("3", "2"):
            run_env = dict(env, TF_USE_LEGACY_KERAS="1") if keras == "2" else env
            for entry in ("resnet_builder.py:build_model", "helper.py"):
                for _ in range(repeat):
                    start = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "regcheck", "trace", entry],
                        cwd=folder,
                        env=run_env,
                        capture_output=True,
                        check=False,
                    )
                    wall = time.perf_counter() - start
                    with Server(TraceOptions(keras=keras)) as server:  # the same run, its phases apart
                        cwd = os.getcwd()
                        os.chdir(folder)
                        try:
                            result = server.run(entry)
                        finally:
                            os.chdir(cwd)
                    load = os.getloadavg()[0]
                    print(
                        f"{keras:>5} {entry:<32} {wall:>7.1f} {server.startup:>9.1f} {result.seconds:>8.1f}  {load:.1f}"
                    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000, 100000])
    parser.add_argument("--end-to-end", action="store_true", help="time whole `regcheck trace` runs instead")
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    if options.end_to_end:
        end_to_end(options.repeat)
        return
    sizes = options.sizes
    import tensorflow  # noqa: F401 - import cost kept out of the table

    header = f"{'graph ops':>10} {'blocks':>7} {'IR ops':>8} {'extract s':>10} {'analyse s':>10} {'total s':>8} {'us/op':>7} findings"
    print(header)
    for size in sizes:
        ops, blocks, ir_ops, extract, analysis, findings = measure(size)
        total = extract + analysis
        print(
            f"{ops:>10} {blocks:>7} {ir_ops:>8} {extract:>10.2f} {analysis:>10.2f} {total:>8.2f} "
            f"{1e6 * total / ops:>7.1f} {findings}"
        )


if __name__ == "__main__":
    main()
