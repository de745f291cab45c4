"""The fix the wiring rules (RC201, RC202, RC209) share: add the declared penalties to the trained loss."""

from __future__ import annotations

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import safe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program.training import loss_expression
from regcheck.facts.program.values import TrainStep
from regcheck.findings import Fix

# Expressions `x + reg` can follow without parentheses changing their meaning.
_TIGHT = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


def add_to_loss_fix(facts: ModuleFacts, step: TrainStep, addition: str, message: str) -> Fix | None:
    target = loss_expression(facts, step)
    if target is None:
        return None
    if isinstance(target, _TIGHT) or (
        isinstance(target, cst.BinaryOperation)
        and isinstance(target.operator, (cst.Add, cst.Subtract, cst.Multiply, cst.Divide))
    ):
        return safe_fix(message, edits.insert_after(facts, target, f" + {addition}"))
    return safe_fix(
        message, edits.insert_before(facts, target, "("), edits.insert_after(facts, target, f") + {addition}")
    )
