"""The rule catalogue: every code, name, severity and one-line meaning.

This is the contract of ../shared/RULES.md in code form. Selection, reporters,
SARIF rule descriptors and the graph path all read it, so a code is spelled in
exactly one place. A rule's behaviour lives in ``regcheck/checks``; its user
documentation in ``rules/RCxxx.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from regcheck.findings import Severity


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: Severity
    summary: str

    @property
    def family(self) -> str:
        return self.code[:3]


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, RuleInfo] = {
    info.code: info
    for info in [
        RuleInfo("RC000", "syntax-error", _E, "the file or notebook cell does not parse"),
        RuleInfo("RC001", "unreadable-file", _E, "the file cannot be read or decoded"),
        RuleInfo("RC002", "unused-noqa", _W, "a noqa comment names an unknown code or suppresses nothing"),
        RuleInfo("RC101", "unregularized-weight", _W, "some weights of a model are penalized and others are not"),
        RuleInfo("RC102", "regularized-bias", _W, "a bias is penalized"),
        RuleInfo("RC103", "regularized-normalization-or-embedding", _I, "normalization parameters or embedding tables are penalized"),
        RuleInfo("RC104", "regularizer-set-after-build", _E, "a regularizer is assigned to a layer that already exists"),
        RuleInfo("RC105", "late-bound-add-loss", _E, "add_loss(lambda: ...) in a loop reads the last loop value"),
        RuleInfo("RC106", "unregularized-output-layer", _I, "every hidden weight is penalized and only the output layer is not"),
        RuleInfo("RC201", "regularization-collection-unused", _E, "REGULARIZATION_LOSSES are registered but never added to the minimized loss"),
        RuleInfo("RC202", "model-losses-unused", _E, "model.losses are left out of a custom training loss"),
        RuleInfo("RC203", "penalty-outside-tape", _E, "the penalty is added after the GradientTape block closed"),
        RuleInfo("RC204", "loss-list-added", _E, "a list of losses is added to a scalar loss"),
        RuleInfo("RC205", "scope-regularizer-on-plain-variable", _E, "a scope regularizer is expected to cover tf.Variable"),
        RuleInfo("RC206", "unscaled-replica-regularization", _W, "model.losses added unscaled inside a per-replica step"),
        RuleInfo("RC207", "update-ops-not-run", _W, "the train op does not depend on UPDATE_OPS"),
        RuleInfo("RC208", "model-losses-counted-twice", _W, "model.losses reach the loss twice"),
        RuleInfo("RC209", "keras-penalties-outside-collection", _E, "Keras layer penalties in TF1 code whose loss reads only REGULARIZATION_LOSSES"),
        RuleInfo("RC301", "gradient-clip-as-max-norm", _W, "per-unit gradient clipping where a weight max-norm is meant"),
        RuleInfo("RC302", "clip-axes-mixed-rank", _E, "one axes= value across variables of different ranks"),
        RuleInfo("RC303", "max-norm-axis-mismatch", _W, "max-norm axis does not hold one unit's incoming weights"),
        RuleInfo("RC304", "dropout-without-max-norm", _I, "dropout without a max-norm constraint"),
        RuleInfo("RC305", "constraint-as-regularizer", _E, "a weight constraint passed as a regularizer"),
        RuleInfo("RC401", "numpy-in-regularizer", _E, "a regularizer applies numpy to its tensor"),
        RuleInfo("RC402", "eye-from-shape", _E, "an identity built from a whole shape"),
        RuleInfo("RC403", "weight-penalty-as-activity-regularizer", _W, "a weight penalty passed as activity_regularizer"),
        RuleInfo("RC404", "handwritten-orthogonal-regularizer", _I, "a hand-written orthogonality penalty the built-in covers"),
        RuleInfo("RC405", "softmax-single-unit", _E, "softmax over a single output unit"),
        RuleInfo("RC406", "positional-logits-labels", _E, "cross-entropy with logits called with positional arguments"),
        RuleInfo("RC407", "regularizer-result-discarded", _E, "a regularizer returns nothing or discards its penalty"),
        RuleInfo("RC501", "double-weight-decay", _W, "decoupled weight decay and L2 penalties on the same weights"),
        RuleInfo("RC502", "l2-with-adaptive-optimizer", _I, "L2 penalties with an adaptive optimizer"),
        RuleInfo("RC503", "weight-decay-on-bias-and-norm", _I, "optimizer weight decay without excluding biases and norms"),
        RuleInfo("RC601", "legacy-l2-regularizer", _I, "a legacy l2 regularizer with an exact modern spelling"),
    ]
}

BY_NAME: dict[str, RuleInfo] = {info.name: info for info in RULES.values()}


def rule(code: str) -> RuleInfo:
    return RULES[code]
