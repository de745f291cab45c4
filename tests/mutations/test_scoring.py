"""The mutation benchmark's counting (benchmarks/mutants/scoring.py, benchmarks/mutations.py): what
counts as detected, elsewhere, missed and a side finding; which mutations may share a run; and one
run end to end on a toy project of our own."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import mutations
from mutants import causes
from mutants.imports import Project
from mutants.kinds import Site
from mutants.scoring import Mutant, Outcome, judge
from mutants.source import LineMap, Source

OLD = "a = 1\nlayer = Dense(4,\n              kernel_regularizer=r)\nmodel = 2\nfit = 3\n"
NEW = "a = 1\nlayer = Dense(4)\nmodel = 2\nfit = 3\n"


def site(path: str = "m.py", kind: str = "drop-layer-regularizer", line: int = 2) -> Site:
    return Site(kind, "owner__toy", path, line, 8, ("RC101", "RC106"), [(2, 3)], "Dense: kernel_regularizer= dropped")


def mutant(path: str = "m.py") -> Mutant:
    old, new = Source(path, OLD), Source(path, NEW)
    return Mutant(site(path), old, new, NEW.encode(), LineMap.between(OLD, NEW))


def finding(code: str, line: int, path: str = "m.py", severity: str = "warning") -> dict:
    return {"code": code, "path": path, "line": line, "column": 1, "cell": None, "severity": severity, "message": ""}


def test_line_map_follows_a_deletion() -> None:
    lines = LineMap.between(OLD, NEW)
    assert lines.old_to_new == {1: 1, 2: 2, 3: 2, 4: 3, 5: 4}
    assert lines.changed == {2}
    assert mutant().places() == {2}


def test_detected_at_the_mutated_layer_and_moved_findings_are_not_new() -> None:
    before = {"m.py": [finding("RC601", 4)]}
    after = {"m.py": [finding("RC601", 3), finding("RC101", 2)]}
    outcome = judge(mutant(), before, after)
    assert outcome.status == "detected"
    assert [f["code"] for f in outcome.reported] == ["RC101"]
    assert outcome.side == [] and outcome.gone == 0


def test_the_other_code_of_the_pair_counts_too() -> None:
    outcome = judge(mutant(), {}, {"m.py": [finding("RC106", 2, severity="info")]})
    assert outcome.status == "detected"


def test_right_code_at_another_place_is_elsewhere_and_other_codes_are_side_findings() -> None:
    after = {"m.py": [finding("RC101", 4), finding("RC502", 1, severity="info")]}
    outcome = judge(mutant(), {}, after)
    assert outcome.status == "elsewhere"
    assert [f["code"] for f in outcome.side] == ["RC502"]


def test_a_finding_in_another_file_counts_only_when_attributed() -> None:
    after = {"train.py": [finding("RC101", 9, "train.py")]}
    assert judge(mutant(), {}, after).status == "missed"
    assert judge(mutant(), {}, after, others=["train.py"]).status == "elsewhere"


def test_nothing_new_is_a_miss_and_lost_findings_are_counted() -> None:
    outcome = judge(mutant(), {"m.py": [finding("RC601", 3)]}, {"m.py": []})
    assert (outcome.status, outcome.gone) == ("missed", 1)


def test_batches_keep_related_files_apart() -> None:
    project = Project(
        {
            "pkg/__init__.py": "",
            "pkg/model.py": "import tensorflow as tf\n",
            "train.py": "from pkg import model\n",
            "other.py": "import numpy\n",
            "nb.ipynb": "import other\n",
            "scripts/run.py": "import model  # found by its module name's end: sys.path tricks\n",
        }
    )
    assert project.related("train.py") == {"train.py", "pkg/model.py", "pkg/__init__.py"}
    assert project.related("pkg/model.py") == {"pkg/model.py", "train.py", "scripts/run.py"}
    assert project.related("nb.ipynb") == {"nb.ipynb", "other.py"}
    mutants = [mutant("pkg/model.py"), mutant("train.py"), mutant("other.py"), mutant("other.py"), mutant("nb.ipynb")]
    batches = mutations.plan(mutants, project, solo=False)
    assert [[m.site.path for m in batch] for batch in batches] == [
        ["pkg/model.py", "other.py"],
        ["train.py", "other.py"],
        ["nb.ipynb"],
    ]
    assert len(mutations.plan(mutants, project, solo=True)) == 5


def test_summary_counts_per_kind_capped_and_causes() -> None:
    outcomes = [
        Outcome(site(line=1), "detected", reported=[finding("RC106", 1)]),
        Outcome(site(line=2), "elsewhere"),
        Outcome(site(line=3), "missed"),
        Outcome(site(kind="list-added", line=4), "detected", reported=[finding("RC204", 4)]),
    ]
    outcomes[3].site.expected = ("RC204",)
    capped_ids = {outcomes[0].site.id, outcomes[2].site.id}
    summary = mutations.summary(outcomes, capped_ids, [])
    row = summary["kinds"]["drop-layer-regularizer"]
    assert (row["sites"], row["detected"], row["elsewhere"], row["missed"], row["recall"]) == (3, 1, 1, 1, 0.333)
    assert (row["capped"]["sites"], row["capped"]["detected"]) == (2, 1)
    assert summary["kinds"]["list-added"]["recall"] == 1.0
    assert summary["total"]["sites"] == 4
    assert summary["rc101_rc106"] == {"as expected": 0, "other of the pair": 1}
    assert sum(entry["count"] for entry in summary["miss_causes"].values()) == 2


def test_capped_choice_spreads_over_files_and_is_stable() -> None:
    sites = [site(path=f"f{i % 3}.py", line=i) for i in range(9)]
    chosen = mutations.capped(sites, 3, "seed")
    assert len(chosen) == 3
    assert {s.path for s in sites if s.id in chosen} == {"f0.py", "f1.py", "f2.py"}
    assert mutations.capped(list(reversed(sites)), 3, "seed") == chosen


TRAIN = """\
import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 784])
h = tf.layers.dense(x, 64, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
logits = tf.layers.dense(h, 10, kernel_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
ce = tf.losses.sparse_softmax_cross_entropy(labels=tf.zeros([1], tf.int32), logits=logits)
loss = ce + tf.losses.get_regularization_loss()
train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
"""


def test_end_to_end_on_a_toy_project(tmp_path: Path) -> None:
    repo = tmp_path / "corpus" / "owner__toy"
    (repo / "a").mkdir(parents=True)
    (repo / "a" / "train.py").write_text(TRAIN)
    (repo / "b.py").write_text(textwrap.dedent(TRAIN).replace("x = ", "inputs = ").replace("(x, 64", "(inputs, 64"))
    out = tmp_path / "out"
    code = mutations.main(
        [str(tmp_path / "corpus"), "--kinds", "drop-collection-read,add-bias-penalty", "--out", str(out), "-j", "1"]
    )
    assert code == 0
    [written] = out.glob("mutations-*.json")
    result = json.loads(written.read_text())
    statuses = {(o["kind"], o["path"], o["line"]): o["status"] for o in result["outcomes"]}
    assert statuses[("drop-collection-read", "a/train.py", 7)] == "detected"
    assert statuses[("drop-collection-read", "b.py", 7)] == "detected"
    assert len([k for k in statuses if k[0] == "add-bias-penalty"]) == 4
    row = result["summary"]["kinds"]["drop-collection-read"]
    assert (row["sites"], row["detected"], row["recall"]) == (2, 2, 1.0)
    total = result["summary"]["total"]
    assert total["sites"] == total["detected"] + total["elsewhere"] + total["missed"] == 6
    assert result["runs"] == 1 + 3  # the unmutated copy, then 3 batches (two unrelated files, 3 sites in each)
    assert written.with_suffix(".md").read_text().startswith("# Mutation benchmark")


def test_where_a_penalty_or_batch_norm_is_found() -> None:
    pattern = re.compile(r"_regularizer\s*=")
    project = Project(
        {
            "helpers.py": "def train(loss, opt):\n    return opt.minimize(loss)\n",
            "nets.py": "import tensorflow as tf\nh = tf.layers.dense(x, 4, kernel_regularizer=r)\n",
            "main.py": "import helpers\nimport nets\n",
            "alone.py": "import tensorflow as tf\n",
        }
    )
    assert project.closure_match("nets.py", pattern) == "file"
    assert project.closure_match("main.py", pattern) == "imported"
    assert project.closure_match("helpers.py", pattern) is None
    assert project.program_match("helpers.py", pattern) == "importer's program"
    assert project.program_match("alone.py", pattern) is None


def test_causes_read_the_sites_surroundings() -> None:
    def cause(kind: str, variant: str = "", **features: object) -> str:
        outcome = Outcome(site(kind=kind), "missed")
        outcome.site.variant = variant
        outcome.site.features = dict(features)
        outcome.site.expected = ("RC107",) if kind == "separable-kernel-regularizer" else ("RC101", "RC106")
        return causes.classify(outcome, frozenset({"RC107"}))

    assert cause("drop-layer-regularizer", scope="function", called="module level").startswith("builder called")
    assert (
        cause("drop-layer-regularizer", scope="method", called="other file")
        == "layers built in a custom Layer/Model class"
    )
    assert cause("drop-layer-regularizer", regularizer="uncalled function", called="module level").startswith(
        "regularizer given as an uncalled function"
    )
    assert cause("add-bias-penalty", callee_alias="layers", called="function").startswith("layers module aliased")
    assert cause("separable-kernel-regularizer", scope="module") == "RC107 is not a rule of this regcheck yet"
    assert cause("drop-layer-regularizer", scope="module") == "unclassified (drop-layer-regularizer)"
