"""Fixes the coverage rules (RC101, RC102, RC103, RC106) share: give a weight the penalty its unit
already uses for the others, or take a penalty off a bias or a normalization parameter.

A fix only uses text the user wrote in the same module, and only where it means the
same at the place it goes (in a notebook, names bound in an earlier cell).
"""

from __future__ import annotations

from collections import Counter

import libcst as cst

from regcheck.checks import edits
from regcheck.checks.base import unsafe_fix
from regcheck.facts import ModuleFacts
from regcheck.facts.program.coverage import Cover
from regcheck.facts.program.gaps import Weight
from regcheck.facts.program.values import Layer, Term, Variable
from regcheck.facts.subtrees import names_read, nodes_in
from regcheck.findings import Fix

_KERNEL_KEYWORDS = ("kernel_regularizer", "W_regularizer", "weights_regularizer", "depthwise_regularizer")


def regularizer_arg(layer: Layer, keywords: tuple[str, ...] = _KERNEL_KEYWORDS) -> cst.Arg | None:
    """The argument that gave a layer its kernel regularizer, when it was written as one."""
    for keyword in keywords:
        declared = layer.declarations.get(keyword)
        if declared is not None and declared.how == "argument" and isinstance(declared.node, cst.Arg):
            return declared.node
    return None


def add_penalty_fix(facts: ModuleFacts, weight: Weight, active: list[Weight], anchor: cst.CSTNode) -> Fix | None:
    """Give an unpenalized weight the penalty the unit's other weights have."""
    layer = weight.layer
    if layer is not None and weight.first.slot == "kernel":
        return _layer_fix(facts, layer, active, anchor)
    variable = weight.first
    if anchor is not variable.site.node or not isinstance(anchor, cst.Call):
        return None
    symbol = _target(facts, anchor)
    if variable.route == "collection":
        for template in active:
            arg = _get_variable_regularizer(facts, template.first)
            if arg is not None:
                code = facts.code(arg.value)
                return unsafe_fix(
                    f"Add `regularizer={code}` to `{symbol}`", edits.add_keyword(facts, anchor, "regularizer", code)
                )
    if symbol is None:
        return None
    for template in active:
        for cover in template.covers:
            fix = _term_fix(facts, cover, symbol, anchor)
            if fix is not None:
                return fix
    return None


def _layer_fix(facts: ModuleFacts, layer: Layer, active: list[Weight], anchor: cst.CSTNode) -> Fix | None:
    call = layer.site.node
    if anchor is not call or not isinstance(call, cst.Call) or any(a.star for a in call.args):
        return None
    for template in active:
        other = template.layer
        if other is None or other.site.facts is not facts or other.tf1 != layer.tf1:
            continue
        arg = regularizer_arg(other)
        if arg is None or arg.keyword is None or not _portable(facts, arg.value, other, layer):
            continue
        keyword, code = arg.keyword.value, facts.code(arg.value)
        if layer.tf1:
            keyword = _tf1_keyword(layer, keyword)
        return unsafe_fix(
            f"Add `{keyword}={code}` like the other layers", edits.add_keyword(facts, call, keyword, code)
        )
    return None


def _tf1_keyword(layer: Layer, template: str) -> str:
    return layer.kernel_keyword or template


def _get_variable_regularizer(facts: ModuleFacts, variable: Variable) -> cst.Arg | None:
    call = variable.site.node
    if variable.site.facts is not facts or not isinstance(call, cst.Call):
        return None
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == "regularizer"), None)


def _term_fix(facts: ModuleFacts, cover: Cover, symbol: str, anchor: cst.CSTNode) -> Fix | None:
    """``0.01 * tf.nn.l2_loss(w_out)`` in the loss: add the same term for the missing weight."""
    term = cover.term
    site = cover.site
    if term is None or site is None or site.facts is not facts or not isinstance(site.node, cst.Call) or term.zero:
        return None
    if term.covers_all is not None:
        return None
    if facts.span(anchor).line > facts.span(site.node).line:
        return None  # the weight is made after the penalty: the name is not bound there yet
    if _rebound(facts, symbol):
        return None  # the name holds another weight where the penalty is written
    if (
        term.source_list is not None
        and isinstance(term.source_list, (cst.List, cst.Tuple))
        and term.source_list.elements
    ):
        last = term.source_list.elements[-1].value
        return unsafe_fix(
            f"Add `{symbol}` to the list of penalized weights", edits.insert_after(facts, last, f", {symbol}")
        )
    call = site.node
    subject = call.args[0].value if call.args and call.args[0].keyword is None else None
    if subject is None or not isinstance(subject, (cst.Name, cst.Subscript, cst.Attribute)):
        return None
    expression = _with_coefficient(facts, call)
    new_term = facts.code(expression.deep_replace(subject, cst.parse_expression(symbol))).strip()
    separator = ", " if isinstance(facts.parent(expression), cst.Element) else " + "
    return unsafe_fix(
        f"Add `{new_term}` to the penalty", edits.insert_after(facts, expression, f"{separator}{new_term}")
    )


def _rebound(facts: ModuleFacts, symbol: str) -> bool:
    """The name (or the container holding the weight) is bound more than once in the module."""
    base = symbol.split("[", 1)[0].split(".", 1)[0]
    return _binding_counts(facts)[base] > 1


def _binding_counts(facts: ModuleFacts) -> Counter[str]:
    """How many times each name is bound in the module, counted once per module (a fix per weight
    asked it for every weight: quadratic in a long file)."""
    return facts.cached(
        "name_binding_counts", lambda f: Counter(t.value for t in f.bound_values if isinstance(t, cst.Name))
    )


def _with_coefficient(facts: ModuleFacts, node: cst.BaseExpression) -> cst.BaseExpression:
    """Climb ``coef * term`` / ``term / n`` wrappers that scale only this term."""
    current = node
    parent = facts.parent(current)
    while isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, (cst.Multiply, cst.Divide)):
        other = parent.right if parent.left is current else parent.left
        if any(isinstance(n, cst.Call) for n in _nodes(other)):
            break
        current = parent
        parent = facts.parent(current)
    return current


def _nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    return list(nodes_in(node))


def _target(facts: ModuleFacts, call: cst.CSTNode) -> str | None:
    """The name a call's result is bound to (``w_hidden = tf.Variable(...)``)."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
            return facts.code(target)
    if isinstance(parent, cst.DictElement):
        holder = facts.parent(parent)
        assign = facts.parent(holder) if holder is not None else None
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and isinstance(parent.key, cst.SimpleString):
            return f"{facts.code(assign.targets[0].target)}[{facts.code(parent.key)}]"
    if isinstance(parent, cst.Element):
        holder = facts.parent(parent)
        assign = facts.parent(holder) if isinstance(holder, (cst.List, cst.Tuple)) else None
        if (
            isinstance(assign, cst.Assign)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
        ):
            assert isinstance(holder, (cst.List, cst.Tuple))
            index = next(i for i, e in enumerate(holder.elements) if e is parent)
            return f"{assign.targets[0].target.value}[{index}]"
    return None


def target_symbol(facts: ModuleFacts, call: cst.CSTNode) -> str | None:
    return _target(facts, call)


def without_term_fix(facts: ModuleFacts, term: Term, message: str) -> Fix | None:
    """Remove a penalty term (with the coefficient that scales only it) from its sum."""
    site = term.site
    if site is None or site.facts is not facts or not isinstance(site.node, cst.BaseExpression):
        return None
    edit = edits.remove_operand(facts, _with_coefficient(facts, site.node))
    return unsafe_fix(message, edit) if edit is not None else None


def remove_regularizer_fix(facts: ModuleFacts, layer_call: cst.CSTNode, arg: cst.CSTNode, what: str) -> Fix | None:
    if not isinstance(layer_call, cst.Call) or not isinstance(arg, cst.Arg) or arg.keyword is None:
        return None
    if not any(a is arg for a in layer_call.args):
        return None
    keyword = arg.keyword.value
    return unsafe_fix(f"Remove `{keyword}` ({what})", edits.remove_argument(facts, layer_call, arg))


def _portable(facts: ModuleFacts, value: cst.BaseExpression, template: Layer, target: Layer) -> bool:
    """The template's regularizer expression means the same where the target layer is built."""
    template_call, target_call = template.site.node, target.site.node
    same_function = (
        _function_of(template.site.chain) == _function_of(target.site.chain)
        and template.site.chain == target.site.chain
    )
    where = facts.span(target_call)
    for node in names_read(value):
        if not _bound_before(facts, node, (where.line, where.column)):
            return False  # a notebook that imports `regularizers` only in a later cell
        if facts.canonical(node) is not None or same_function:
            continue
        if not facts.is_global_binding(node):
            return False
    del template_call
    return True


def _function_of(chain: tuple[tuple[ModuleFacts, cst.CSTNode], ...]) -> cst.CSTNode | None:
    return chain[-1][1] if chain else None


def _bound_before(facts: ModuleFacts, name: cst.Name, position: tuple[int, int]) -> bool:
    """Some binding of ``name`` comes before ``position`` in the module (cells run in order)."""
    for binding in facts.assignments(name):
        if binding.node is None:
            return True  # a builtin
        span = facts.span(binding.node)
        if (span.line, span.column) < position:
            return True
    return False
