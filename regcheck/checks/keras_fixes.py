"""Fixes for Keras layers that RC101, RC102, RC103 and RC106 share: copy a model's own regularizer
to a layer that lacks one, or remove a regularizer argument."""

from __future__ import annotations

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.keras_models import LayerUse
from regcheck.facts.subtrees import names_read
from regcheck.findings import Fix


def remove_arg_fix(facts: ModuleFacts, use: LayerUse, arg: cst.Arg, where: cst.CSTNode, what: str) -> Fix | None:
    if where is not arg or arg.keyword is None:
        return None
    keyword = arg.keyword.value
    return unsafe_fix(f"Remove `{keyword}` ({what})", edits.remove_argument(facts, use.layer.call.node, arg))


def add_regularizer_fix(facts: ModuleFacts, use: LayerUse, templates: list[LayerUse]) -> Fix | None:
    if use.layer.kind != "kernel" or any(a.star for a in use.layer.call.node.args):
        return None
    for template in templates:
        if template.facts is not facts:
            continue
        for arg in template.layer.regularizer_args("kernel"):
            if arg.keyword is None or not _portable(facts, arg.value, template, use):
                continue
            keyword, code = arg.keyword.value, facts.code(arg.value)
            return unsafe_fix(
                f"Add `{keyword}={code}` like the other layers",
                edits.add_keyword(facts, use.layer.call.node, keyword, code),
            )
    return None


def _portable(facts: ModuleFacts, value: cst.BaseExpression, template: LayerUse, target: LayerUse) -> bool:
    """The template's regularizer expression means the same where the target layer is built."""
    same_function = template.layer.call.function is target.layer.call.function and template.env is target.env
    where = facts.span(target.layer.call.node)
    for node in names_read(value):
        if not _bound_before(facts, node, (where.line, where.column)):
            return False  # a notebook that imports `regularizers` only in a later cell
        if facts.canonical(node) is not None or same_function:
            continue
        if not facts.is_global_binding(node):
            return False
    return True


def _bound_before(facts: ModuleFacts, name: cst.Name, position: tuple[int, int]) -> bool:
    """Some binding of ``name`` comes before ``position`` in the module (cells run in order)."""
    for binding in facts.assignments(name):
        if binding.node is None:
            return True  # a builtin
        span = facts.span(binding.node)
        if (span.line, span.column) < position:
            return True
    return False
