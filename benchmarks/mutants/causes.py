"""Why a mutation was missed: the first rule below that matches what the site's surroundings show
(``Site.features``, recorded by the finders). Each cause was confirmed on small programs of our own
when the benchmark was first run (``benchmarks/README.md``, Mutations); a miss no rule explains is
``unclassified (<kind>)`` and is to be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mutants.scoring import Outcome

Rule = tuple[str, Callable[[dict[str, Any], str], bool]]

# Causes of layer-level misses (a regularizer dropped, added to a bias, or made ineffective on one layer).
LAYER: list[Rule] = [
    (
        "regularizer given as an uncalled function (`regularizers.l1`)",
        lambda f, v: f.get("regularizer") == "uncalled function",
    ),
    (
        "layers module aliased by assignment (`layers = tf_keras_layers`)",
        lambda f, v: bool(f.get("callee_alias")),
    ),
    ("layer alias made with functools.partial", lambda f, v: v == "partial override"),
    ("builder called (or model class instantiated) at module level", lambda f, v: f.get("called") == "module level"),
    ("builder called from main() or under the main guard", lambda f, v: f.get("called") in ("main()", "main guard")),
    ("layers built in a custom Layer/Model class", lambda f, v: f.get("scope") == "method" or "class" in f),
    (
        "layer made by a helper function called for several layers",
        lambda f, v: f.get("model") == "helper" or f.get("scope") == "nested function",
    ),
    ("builder called from another function", lambda f, v: f.get("called") == "function"),
    ("builder called from another module", lambda f, v: f.get("called") == "other file"),
]

BY_KIND: dict[str, list[Rule]] = {
    "drop-layer-regularizer": LAYER,
    "add-bias-penalty": LAYER,
    "separable-kernel-regularizer": LAYER,
    "drop-penalty-term": [("builder called at module level", lambda f, v: f.get("called") == "module level")],
    "drop-collection-read": [
        (
            "`get_total_loss(add_regularization_losses=False)` read as including the penalties",
            lambda f, v: v == "get_total_loss",
        ),
        ("loss passed through a function parameter", lambda f, v: f.get("via") == "parameter"),
        ("penalties registered in another module", lambda f, v: f.get("registered") == "imported"),
        (
            "penalties registered by the script that calls this helper",
            lambda f, v: f.get("registered") == "importer's program",
        ),
    ],
    "drop-model-losses": [
        ("loss passed through a function parameter", lambda f, v: f.get("via") == "parameter"),
        ("model handed to a trainer class (`self.model.losses`)", lambda f, v: bool(f.get("trainer_class"))),
        (
            "another training step of the same model adds `model.losses` (judged per model, not per step)",
            lambda f, v: f.get("other_reads", 0) > 0,
        ),
        ("model and its penalties built in another module", lambda f, v: f.get("penalties") == "imported"),
        ("step function nested in another function", lambda f, v: f.get("scope") == "nested function"),
    ],
    "penalty-after-tape": [
        ("penalty named inside the tape, added after it", lambda f, v: bool(f.get("penalty_named_inside"))),
        ("`train_step` of a custom Model class", lambda f, v: f.get("scope") == "method"),
    ],
    "list-added": [
        ("model handed to a trainer class (`self.model.losses`)", lambda f, v: "self." in v),
        ("`loss + list` written without `tf.add_n`", lambda f, v: v.startswith("add_n([loss]")),
    ],
    "drop-update-ops": [
        (
            "another UPDATE_OPS read in the file is taken as handling this train op",
            lambda f, v: f.get("other_update_ops", 0) > 0 or bool(f.get("fetch_kept")),
        ),
        ("batch norm built in another module", lambda f, v: f.get("batch_norm") == "imported"),
        (
            "train op built by a helper of the script that builds batch norm",
            lambda f, v: f.get("batch_norm") == "importer's program",
        ),
        ("UPDATE_OPS grouped with `tf.group`", lambda f, v: v == "group"),
    ],
    "regularizer-after-build": [],
}


def classify(outcome: Outcome, unknown_codes: frozenset[str] = frozenset()) -> str:
    site = outcome.site
    if outcome.status == "elsewhere":
        return f"reported elsewhere ({site.kind})"
    if all(code in unknown_codes for code in site.expected):
        return f"{'/'.join(site.expected)} is not a rule of this regcheck yet"
    for cause, matches in BY_KIND.get(site.kind, []):
        if matches(site.features, site.variant):
            return cause
    return f"unclassified ({site.kind})"
