"""RC105 late-bound-add-loss: ``add_loss(lambda: ... layer ...)`` in a loop reads the last loop value.

That silent late binding is a Keras 2 (tf-keras) problem. Keras 3's ``add_loss`` takes a
tensor, from inside ``build()`` / ``call()`` only, and raises ``ValueError`` on a lambda:
there the same code crashes, the message says so, and binding the loop variable would not
help, so no fix is offered (RULES.md, Versions).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import Check, safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.dataflow import resolve_expr
from regcheck.facts.subtrees import names_read
from regcheck.findings import Edit, Finding, Fix


class LateBoundAddLoss(Check):
    code = "RC105"
    name = "late-bound-add-loss"
    severity = "error"
    summary = "add_loss(lambda: ...) in a loop reads the last loop value"
    fix_safety = "safe"
    triggers = (b"add_loss",)

    VALID = [
        """
import tensorflow as tf
for layer in model.layers:
    model.add_loss(lambda layer=layer: 1e-4 * tf.reduce_sum(tf.square(layer.kernel)))
""",
        # Not in a loop.
        """
import tensorflow as tf
model.add_loss(lambda: 1e-4 * tf.reduce_sum(tf.square(dense.kernel)))
""",
    ]
    INVALID = [
        # The lambda is bound to a name first.
        """
import tf_keras as keras
for layer in model.layers:
    penalty = lambda: 1e-4 * keras.backend.sum(keras.backend.square(layer.kernel))
    model.add_loss(penalty)
""",
        # Keras 3: add_loss(lambda) raises.
        """
import tensorflow as tf
for layer in model.layers:
    if hasattr(layer, "kernel"):
        model.add_loss(lambda: 1e-4 * tf.reduce_sum(tf.square(layer.kernel)))
""",
        """
from tensorflow import keras
for i, layer in enumerate(base.layers):
    base.add_loss(lambda: keras.regularizers.l2(1e-4)(layer.kernel))
""",
        # Keras 2 (tf-keras): every lambda penalizes the last layer; bound early, each its own.
        """
import tf_keras as keras
for layer in model.layers:
    model.add_loss(lambda: keras.regularizers.l2(1e-4)(layer.kernel))
""",
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        for call in facts.calls_with_method("add_loss"):
            lam = call.value("loss", 0)
            if isinstance(lam, cst.Name):
                # `penalty = lambda: ...` then `add_loss(penalty)`: the lambda the name holds.
                held = [v for v in resolve_expr(facts, lam) if isinstance(v, cst.Lambda)]
                lam = held[0] if len(held) == 1 else None
            if not isinstance(lam, cst.Lambda):
                continue
            late = [name for name in _free_names(lam) if _bound_by_enclosing_loop(facts, call.node, name)]
            if not late:
                continue
            names = sorted(set(late))
            shown = ", ".join(f"`{n}`" for n in names)
            if facts.keras_version != "2":  # Keras 3, or unknown: this message holds in both, and no fix does
                message = (
                    f"`add_loss(lambda: ...)` raises in Keras 3 (it takes a tensor, inside `build()` / `call()`); "
                    f"in Keras 2 the lambda would read loop variable {shown} after the loop ended. "
                    "Set the penalty on the variable instead (`layer.kernel.regularizer = ...`)"
                )
                fix = None
            else:
                message = (
                    f"the lambda reads loop variable {shown} when the loss is computed, after the loop ended: "
                    "every penalty uses its last value"
                )
                fix = _bind_fix(facts, lam, names)
            yield self.versioned(facts, self.finding(facts, lam, message, symbol=names[0], fix=fix))


def _free_names(lam: cst.Lambda) -> Iterator[str]:
    """Names the lambda body reads that are not its own parameters."""
    own = {p.name.value for p in (*lam.params.posonly_params, *lam.params.params, *lam.params.kwonly_params)}
    for node in names_read(lam.body):
        if node.value not in own:
            yield node.value


def _bound_by_enclosing_loop(facts: ModuleFacts, node: cst.CSTNode, name: str) -> bool:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(ancestor, cst.For) and (name in _targets(ancestor.target) or _assigned_in(facts, ancestor, name)):
            return True
        if isinstance(ancestor, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            comp: cst.CompFor | None = ancestor.for_in
            while comp is not None:
                if name in _targets(comp.target):
                    return True
                comp = comp.inner_for_in
    return False


def _assigned_in(facts: ModuleFacts, loop: cst.For, name: str) -> bool:
    """``layer = model.layers[i]`` in the loop body: rebound every iteration, read after the loop."""
    return any(
        isinstance(target, cst.Name) and target.value == name and any(a is loop.body for a in facts.ancestors(target))
        for target in facts.bound_values
    )


def _targets(node: cst.BaseExpression) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        return {n for element in node.elements for n in _targets(element.value)}
    return set()


def _bind_fix(facts: ModuleFacts, lam: cst.Lambda, names: list[str]) -> Fix | None:
    defaults = ", ".join(f"{n}={n}" for n in names)
    params = lam.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg is not None or params.kwonly_params:
        return None
    if params.params or params.posonly_params:
        last = (params.params or params.posonly_params)[-1]
        end = last.default if last.default is not None else last.name
        return safe_fix(f"Bind {defaults} as default arguments", edits.insert_after(facts, end, f", {defaults}"))
    # `lambda: ...` -> `lambda layer=layer: ...`: the space goes right after the keyword.
    span = facts.span(lam)
    return safe_fix(
        f"Bind {defaults} as default arguments",
        Edit(span.line, span.column + len("lambda"), span.line, span.column + len("lambda"), f" {defaults}"),
    )
