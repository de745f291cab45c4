"""The training steps of a program, as the wiring rules (RC2xx) ask about them: the loss each one
differentiates, what that loss is a sum of, and where in the user's code the loss is written."""

from __future__ import annotations

import libcst as cst

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program.coverage import Unit, units
from regcheck.facts.program.result import Program
from regcheck.facts.program.values import Sequence, Tensor, Term, TrainStep, Value, alternatives

# The argument that holds the loss, per kind of step: keyword and position.
_LOSS_ARGUMENTS = {
    "minimize": ("loss", 0),
    "compute_gradients": ("loss", 0),
    "gradients": ("ys", 0),
    "tape": ("target", 0),
}


def loss_argument(step: TrainStep) -> cst.BaseExpression | None:
    """The loss as written in the call that trains it (``minimize(loss)``, ``tape.gradient(loss, ...)``)."""
    call = step.site.node
    spec = _LOSS_ARGUMENTS.get(step.kind)
    if spec is None or not isinstance(call, cst.Call):
        return None
    keyword, position = spec
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg.value
        elif not arg.star:
            if positional == position:
                return arg.value
            positional += 1
    return None


def loss_terms(step: TrainStep) -> list[Term]:
    return [term for value in _flat(step.loss) if isinstance(value, Tensor) for term in value.terms]


def loss_is_opaque(step: TrainStep) -> bool:
    """The loss is, or adds, a value the program model cannot see into: it may hold any penalty."""
    for value in _flat(step.loss):
        if not isinstance(value, Tensor):
            return True  # unknown, or a value of a library the program model does not read
        if any(t.kind == "opaque" for t in value.terms):
            return True
    return False


def loss_expression(facts: ModuleFacts, step: TrainStep) -> cst.BaseExpression | None:
    """Where to add to the loss: the expression a ``loss`` name was last bound to in this module when
    that binding is the value trained, else the argument itself."""
    argument = loss_argument(step)
    if argument is None or step.site.facts is not facts:
        return None
    if isinstance(argument, cst.Name):
        loss = step.loss
        node = loss.node if isinstance(loss, Tensor) else None
        if node is not None and isinstance(facts.parent(node), (cst.Assign, cst.AugAssign)):
            assign = facts.parent(node)
            if isinstance(assign, cst.Assign) and assign.value is node and isinstance(node, cst.BaseExpression):
                return node
    return argument


def unit_of(program: Program, step: TrainStep) -> Unit | None:
    return next((unit for unit in units(program) if unit.step is step), None)


def _flat(value: Value) -> list[Value]:
    out: list[Value] = []
    for option in alternatives(value):
        if isinstance(option, Sequence):
            for item in option.items:
                out.extend(_flat(item))
        else:
            out.append(option)
    return out


_SUMS = frozenset({"sum", "add_n", "reduce_sum"})


def explicit_sum(facts: ModuleFacts, term: Term) -> cst.Call | None:
    """The call that adds a ``.losses`` list by hand in this module (``sum(x.losses)``, ``tf.add_n(x.losses)``,
    ``tf.reduce_sum(...)``, ``keras.ops.sum(...)``), for a ``model_losses`` term that code wrote."""
    site = term.site
    if term.kind != "model_losses" or term.penalty.startswith("added:") or site is None or site.facts is not facts:
        return None
    attribute = site.node
    arg = facts.parent(attribute)
    call = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
        return None
    func = call.func
    name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
    return call if name in _SUMS else None
