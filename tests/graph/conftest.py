"""Trace the graph tests' scripts once per session.

* ``runs(version)``: every script of ``tests/graph/scripts/`` that runs under that Keras version, the
  scenarios of scenarios.py (Keras 3) and the files of ``examples/``, through ``trace_many``: one
  TensorFlow process per Keras version, a forked child per script.
* ``traces``: the command line itself, for what only it shows (options, messages, exit codes); each is
  a process of its own that imports TensorFlow, so they run side by side.

The TensorFlow processes behind ``runs`` and the per-version fixtures of test_audit_versions and
test_keras_semantics start in the background when the session is collected (graph_background.py)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorflow")

sys.path.insert(0, str(Path(__file__).parent))
from graph_background import JOBS, SCRATCH, background, finish, has_tf_keras, start_all
from scenarios import SCENARIOS

from regcheck.graph.trace import GraphResult, trace_many

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
EXAMPLES = ["tf1_mnist/mlp.py", "tf1_mnist/scoped.py", "tf1_mnist/collections_sum.py", "keras_loop/train.py"]
EXAMPLES += ["keras_loop/models.py", "keras_loop/models.py:build_model"]


@dataclass
class Script:
    """A script of tests/graph/scripts and what its header comments expect."""

    name: str
    versions: list[str]
    entry: str
    expect: dict[str, set[tuple[str, str | None]]]  # Keras version -> {(code, symbol suffix; "-": none)}
    errors: list[str]
    steps: int | None
    messages: list[str]  # text some finding's message holds


def read_script(path: Path) -> Script:
    versions, errors, messages, steps, entry = ["3"], [], [], None, str(path.relative_to(REPO))
    expect: dict[str, set[tuple[str, str | None]]] = {}
    everywhere: set[tuple[str, str | None]] = set()
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(":")
        value = value.strip()
        if key == "keras":
            versions = value.split()
        elif key == "expect" and value:
            code, symbol = value.split()
            everywhere.add((code, None if symbol == "-" else symbol))
        elif key.startswith("expect[") and value:
            code, symbol = value.split()
            expect.setdefault(key[7:-1], set()).add((code, None if symbol == "-" else symbol))
        elif key == "error":
            errors.append(value)
        elif key == "message":
            messages.append(value)
        elif key == "steps":
            steps = int(value)
        elif key == "entry":
            entry += value
    return Script(
        path.name, versions, entry, {v: expect.get(v, set()) | everywhere for v in versions}, errors, steps, messages
    )


SCRIPT_CASES = [read_script(p) for p in sorted(SCRIPTS.glob("*.py"))]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start what the selected graph tests will wait for, in the order they come (graph_background.py)."""
    for item in session.items:
        for fixture in getattr(item, "fixturenames", ()):
            start_all(fixture)


def pytest_sessionfinish(session: pytest.Session) -> None:
    finish()


def _trace_scripts(version: str) -> dict[str, GraphResult]:
    names, entries = [], []
    for script in SCRIPT_CASES:
        if version in script.versions:
            names.append(script.name)
            entries.append(script.entry)
    for example in EXAMPLES:
        names.append(example)
        entries.append(f"examples/{example}")
    return dict(zip(names, trace_many(entries, keras=version, cwd=str(REPO), jobs=2, timeout=120)))


def _trace_scenarios() -> dict[str, GraphResult]:
    """scenarios.py's scripts are Keras 3's (`import keras`); each runs in its folder."""
    scenarios = Path(tempfile.mkdtemp(prefix="scenarios-", dir=SCRATCH))
    for name, (text, _) in SCENARIOS.items():
        (scenarios / name).mkdir()
        (scenarios / name / "train.py").write_text(text)
    results = trace_many([f"{n}/train.py" for n in SCENARIOS], keras="3", cwd=str(scenarios), jobs=2)
    return dict(zip(SCENARIOS, results))


JOBS["runs"] = {"runs-3": lambda: _trace_scripts("3"), "runs-scenarios": _trace_scenarios}
if has_tf_keras():
    JOBS["runs"]["runs-2"] = lambda: _trace_scripts("2")


@pytest.fixture(scope="session")
def runs():
    """``runs(version)`` -> {name: GraphResult}: scripts (by file name), scenarios (by name), examples (by entry)."""

    def get(version: str) -> dict[str, GraphResult]:
        if version == "2":
            pytest.importorskip("tf_keras")
        start_all("runs")
        results = dict(background(f"runs-{version}", lambda: _trace_scripts(version)).result())
        if version == "3":
            results.update(background("runs-scenarios", _trace_scenarios).result())
        return results

    return get


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    cwd: Path
    seconds: float = 0.0
    out: Path | None = None  # the job's folder outside the script's own (for files it asked to write there)

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    @property
    def codes(self) -> set[tuple[str, str | None]]:
        return {(f["code"], f["symbol"]) for f in self.report["findings"]}


CALLABLE_MODULE = """\
import tensorflow as tf

def main():
    w_hidden = tf.Variable(tf.random.normal([4, 8]), name="w_hidden")
    w_out = tf.Variable(tf.random.normal([8, 2]), name="w_out")
    with tf.GradientTape() as tape:
        out = tf.matmul(tf.nn.relu(tf.matmul(tf.random.normal([2, 4]), w_hidden)), w_out)
        loss = tf.reduce_mean(tf.square(out)) + 1e-3 * tf.reduce_sum(tf.square(w_out))
    tape.gradient(loss, [w_hidden, w_out])
"""

# A script that starts a helper holding its stdout and stderr (a TensorBoard server, a data worker), writes
# into its working directory, then trains for a long time: the trace must return at the first step.
HELPER = """\
import os
import subprocess
import sys

import tensorflow as tf

helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(sys.argv[1], "w") as handle:
    handle.write(str(helper.pid))
os.makedirs("logs", exist_ok=True)
with open("logs/started.txt", "w") as handle:
    handle.write("written by the script")
w = tf.Variable(tf.random.normal([4, 2]), name="w")
for _ in range(100000):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.matmul(tf.random.normal([8, 4]), w)) + 1e-3 * tf.nn.l2_loss(w)
    tape.gradient(loss, [w])
"""

# fit with callbacks that write when training begins and ends; traced in place, nothing may appear.
CALLBACKS = """\
import numpy as np
import tensorflow as tf

keras = tf.keras
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(1e-4))])
model.compile("sgd", "mse")
callbacks = [
    keras.callbacks.TensorBoard(log_dir="logs"),
    keras.callbacks.CSVLogger("training.csv"),
    keras.callbacks.ModelCheckpoint("best.keras"),
]
model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=2, verbose=0, callbacks=callbacks)
"""

ARGPARSE = """\
import argparse

import tensorflow as tf

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
args = parser.parse_args()
assert args.out == "x"
w = tf.Variable(tf.ones([4, 2]), name="w")
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.matmul(tf.ones([1, 4]), w))
tape.gradient(loss, [w])
"""

GPU = """\
import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
tf.config.experimental.set_memory_growth(gpus[0], True)
"""

BUILDER = """\
import keras


def build_model():
    return keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(4, kernel_regularizer=keras.regularizers.L2(1e-4)), keras.layers.Dense(2)]
    )
"""

# One step, then an evaluation that never ends: the timeout reports the step it captured.
AFTER_STEP = """\
import time

import tensorflow as tf

w = tf.Variable(tf.ones([4, 2]), name="w")
b = tf.Variable(tf.zeros([2]), name="b")
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.matmul(tf.ones([1, 4]), w) + b) + 1e-3 * tf.nn.l2_loss(b)
tape.gradient(loss, [w, b])
while True:
    time.sleep(1)
"""

LEGACY = {"TF_USE_LEGACY_KERAS": "1"}
TRACE = ["-m", "regcheck", "trace"]

# name -> (files, argv after `python`, extra environment); "{out}" in argv is a folder outside the script's own
EXTRA_JOBS: dict[str, tuple[dict[str, str], list[str], dict[str, str]]] = {
    "failing": (
        {"train.py": "def load():\n    raise ValueError('dataset not found: data.csv')\nload()\n"},
        [*TRACE, "train.py"],
        {},
    ),
    "hanging": (
        {"train.py": "import time\nwhile True:\n    time.sleep(1)\n"},
        [*TRACE, "train.py", "--timeout", "3"],
        {},
    ),
    "never_trains": (
        {
            "train.py": "import sys\nimport tensorflow as tf\nassert sys.argv[1:] == ['--flag', 'x']\n"
            "print(tf.constant(1.0) + 1)\n"
        },
        [*TRACE, "train.py", "--", "--flag", "x"],
        {},
    ),
    "callable": ({"mytrain.py": CALLABLE_MODULE}, [*TRACE, "mytrain:main", "--output-format", "json"], {}),
    "coverage": (
        {"train.py": SCENARIOS["tf1_output_only"][0]},
        [*TRACE, "train.py", "--coverage", "--output-format", "concise"],
        {},
    ),
    "json_file": (
        {"train.py": SCENARIOS["tf1_output_only"][0]},
        [*TRACE, "train.py", "--coverage", "--output-format", "json", "-o", "{out}/report.json"],
        {},
    ),
    "missing": ({}, [*TRACE, "nope.py"], {}),
    "stuck_after_step": ({"train.py": AFTER_STEP}, [*TRACE, "train.py", "--timeout", "3"], {}),
    "folder": ({"project/train.py": "", "project/model.py": ""}, [*TRACE, "project"], {}),
    "helper": ({"train.py": HELPER}, [*TRACE, "train.py", "--", "{out}/helper.pid"], {}),
    "callbacks_keras3": ({"train.py": CALLBACKS}, [*TRACE, "train.py", "--in-place"], {}),
    "callbacks_tf_keras": ({"train.py": CALLBACKS}, [*TRACE, "train.py", "--in-place"], LEGACY),
    "argparse_error": ({"train.py": ARGPARSE}, [*TRACE, "train.py"], {}),
    "argparse_after_dashes": ({"train.py": ARGPARSE}, [*TRACE, "train.py", "--", "--out", "x"], {}),
    "script_flag_without_dashes": ({"train.py": ARGPARSE}, [*TRACE, "train.py", "--out", "x"], {}),
    "abbreviation": ({"train.py": ARGPARSE}, [*TRACE, "train.py", "--time", "5"], {}),
    "gpu": ({"train.py": GPU}, [*TRACE, "train.py"], {}),
    "builder_keras3": ({"models.py": BUILDER}, [*TRACE, "models.py:build_model"], {}),
    "builder_tf_keras": (
        {"models.py": BUILDER.replace("import keras", "import tensorflow as tf\n\nkeras = tf.keras")},
        [*TRACE, "models:build_model"],
        LEGACY,
    ),
    "check_graph_builder": (
        {"train.py": (SCRIPTS / "needs_data.py").read_text()},
        ["-m", "regcheck", "train.py", "--graph", "train.py", "--no-cache", "--output-format", "json"],
        {},
    ),
    "check_graph": (
        {"train.py": ARGPARSE},
        [
            "-m",
            "regcheck",
            "train.py",
            "--graph",
            "train.py",
            "--graph-timeout",
            "60",
            "--no-cache",
            "--",
            "--out",
            "x",
        ],
        {},
    ),
}


def _run(cwd: Path, argv: list[str], env_extra: dict[str, str], out: Path) -> Outcome:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.update(env_extra)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, cwd, time.monotonic() - start, out)


def _trace_job(name: str) -> Outcome:
    files, argv, env = EXTRA_JOBS[name]
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=SCRATCH))
    out = Path(tempfile.mkdtemp(prefix=f"{name}_out-", dir=SCRATCH))
    for filename, text in files.items():
        (folder / filename).parent.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_text(text)
    return _run(folder, [a.replace("{out}", str(out)) for a in argv], env, out)


# Each command line is a process of its own that imports TensorFlow: started in the background with the others.
JOBS["traces"] = {f"trace-{name}": functools.partial(_trace_job, name) for name in EXTRA_JOBS}


@pytest.fixture(scope="session")
def traces() -> dict[str, Outcome]:
    start_all("traces")
    return {name: background(f"trace-{name}", functools.partial(_trace_job, name)).result() for name in EXTRA_JOBS}
