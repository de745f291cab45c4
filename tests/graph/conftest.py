"""Trace every scenario once per session, in parallel: each trace is a child process
that imports TensorFlow (seconds each), so the suite runs them side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorflow")

sys.path.insert(0, str(Path(__file__).parent))
from scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    cwd: Path

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

# name -> (files, argv after "trace")
EXTRA_JOBS: dict[str, tuple[dict[str, str], list[str]]] = {
    "failing": (
        {"train.py": "def load():\n    raise ValueError('dataset not found: data.csv')\nload()\n"},
        ["train.py"],
    ),
    "hanging": ({"train.py": "import time\nwhile True:\n    time.sleep(1)\n"}, ["train.py", "--timeout", "3"]),
    "never_trains": (
        {
            "train.py": "import sys\nimport tensorflow as tf\nassert sys.argv[1:] == ['--flag', 'x']\n"
            "print(tf.constant(1.0) + 1)\n"
        },
        ["train.py", "--", "--flag", "x"],
    ),
    "callable": ({"mytrain.py": CALLABLE_MODULE}, ["mytrain:main", "--output-format", "json"]),
    "coverage": (
        {"train.py": SCENARIOS["tf1_output_only"][0]},
        ["train.py", "--coverage", "--output-format", "concise"],
    ),
    "missing": ({}, ["nope.py"]),
}


def _run(cwd: Path, argv: list[str]) -> Outcome:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run(
        [sys.executable, "-m", "regcheck", "trace", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr, cwd)


@pytest.fixture(scope="session")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    jobs: dict[str, tuple[Path, list[str]]] = {}
    for name, (text, _) in SCENARIOS.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "train.py").write_text(text)
        jobs[name] = (folder, ["train.py", "--output-format", "json"])
    for name, (files, argv) in EXTRA_JOBS.items():
        folder = tmp_path_factory.mktemp(name)
        for filename, text in files.items():
            (folder / filename).write_text(text)
        jobs[name] = (folder, argv)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(_run, folder, argv) for name, (folder, argv) in jobs.items()}
        return {name: future.result() for name, future in futures.items()}
