"""TF2 custom training: ``GradientTape`` blocks, ``tape.gradient`` targets, and what a loss reads.

RC202 asks whether a loss includes ``model.losses``; RC203 whether a penalty
is added after the tape block closed; RC206 reads per-replica step functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import closure, resolve_expr
from regcheck.facts.keras_models import ModelInfo, callee_definitions
from regcheck.facts.keras_units import model_of
from regcheck.facts.module import CallFact, ModuleFacts

_LOSS_METHODS = frozenset({"compute_loss"})  # Keras 3: adds model.losses itself


@dataclass(eq=False)
class TapeBlock:
    with_node: cst.With
    name: str | None  # `as tape`
    function: cst.FunctionDef | None


@dataclass(eq=False)
class GradientCall:
    call: CallFact
    tape: TapeBlock | None
    target: cst.BaseExpression
    sources: cst.BaseExpression | None


def tape_blocks(facts: ModuleFacts) -> list[TapeBlock]:
    def collect(f: ModuleFacts) -> list[TapeBlock]:
        found = []
        for call in f.calls_named("tf.GradientTape"):
            item = f.parent(call.node)
            block = f.parent(item) if isinstance(item, cst.WithItem) else None
            if isinstance(item, cst.WithItem) and isinstance(block, cst.With):
                name = item.asname.name.value if item.asname and isinstance(item.asname.name, cst.Name) else None
                found.append(TapeBlock(block, name, call.function))
        return found

    return facts.cached("tape_blocks", collect)


def gradient_calls(facts: ModuleFacts) -> list[GradientCall]:
    def collect(f: ModuleFacts) -> list[GradientCall]:
        blocks = tape_blocks(f)
        found = []
        for call in f.calls_with_method("gradient"):
            if not isinstance(call.receiver, cst.Name) or call.name is not None:
                continue
            tapes = [b for b in blocks if b.name == call.receiver.value and b.function is call.function]
            target = call.value("target", 0)
            if not tapes or target is None:
                continue
            tape = _nearest_before(f, tapes, call.node)
            found.append(GradientCall(call, tape, target, call.value("sources", 1)))
        return found

    return facts.cached("gradient_calls", collect)


def _nearest_before(facts: ModuleFacts, tapes: list[TapeBlock], node: cst.CSTNode) -> TapeBlock:
    if len(tapes) == 1:
        return tapes[0]  # the usual case, decided without positions (they cost a code-generation pass)
    line = facts.span(node).line
    before = [t for t in tapes if facts.span(t.with_node).line <= line]
    return max(before or tapes, key=lambda t: facts.span(t.with_node).line)


def inside(facts: ModuleFacts, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in facts.ancestors(node))


def trained_model(facts: ModuleFacts, grad: GradientCall) -> tuple[cst.BaseExpression, ModelInfo] | None:
    """The model whose variables the gradient is taken for (from the sources, else the calls in the tape)."""
    if grad.sources is not None:
        for value in [grad.sources, *resolve_expr(facts, grad.sources)]:
            if isinstance(value, cst.Attribute) and value.attr.value in vocabulary.VARIABLE_LIST_ATTRIBUTES:
                info = model_of(facts, value.value)
                if info is not None:
                    return value.value, info
    if grad.tape is None:
        return None
    for call in facts.calls:
        if call.name is None and inside(facts, call.node, grad.tape.with_node):
            info = model_of(facts, call.node.func)  # `model(x, training=True)`, `self(x)`
            if info is not None and (info.uses or info.add_losses):
                return call.node.func, info
    return None


@dataclass
class LossReads:
    model_losses: bool = False  # reads `.losses` / compute_loss / a regularization total
    opaque: bool = False  # hands the model to code we cannot see
    compiled_loss: CallFact | None = None  # `compiled_loss(...)` without regularization_losses=


def loss_reads(facts: ModuleFacts, target: cst.BaseExpression, model_expr: cst.BaseExpression | None) -> LossReads:
    reads = LossReads()
    model_code = facts.code(model_expr) if model_expr is not None else None
    for node in closure(facts, target).nodes:
        if isinstance(node, cst.Attribute) and node.attr.value == "losses" and facts.canonical(node) is None:
            reads.model_losses = True
        call = facts.call(node) if isinstance(node, cst.Call) else None
        if call is None:
            continue
        if call.method in _LOSS_METHODS or call.name in vocabulary.COLLECTION_READERS:
            reads.model_losses = True
        elif call.method == "compiled_loss":
            if call.arg("regularization_losses") is not None:
                reads.model_losses = True
            else:
                reads.compiled_loss = call
        elif call.name is None and _opaque_with_model(facts, call, model_code):
            reads.opaque = True
    return reads


def _opaque_with_model(facts: ModuleFacts, call: CallFact, model_code: str | None) -> bool:
    """A call into code we cannot read that receives the model (it may add the penalties itself)."""
    if model_code is None or (
        call.method is not None and call.receiver is not None and _spelled(facts, call.receiver, model_code)
    ):
        return False
    passes_model = any(_spelled(facts, arg.value, model_code) for arg in call.node.args)
    if not passes_model:
        return False
    return not callee_definitions(facts, call.node)


def _spelled(facts: ModuleFacts, node: cst.BaseExpression, code: str) -> bool:
    """``node`` is written as ``code`` (``model``, ``self.model``); a plain name is compared without
    generating code, which the closure of a loss asks for at every call it reaches."""
    if isinstance(node, cst.Name):
        return node.value == code
    if code.isidentifier():
        return False  # only a Name is written as a bare identifier
    return facts.code(node) == code


def is_penalty_node(facts: ModuleFacts, node: cst.CSTNode) -> bool:
    """``model.losses``, ``tf.nn.l2_loss(...)``, a regularization-collection total, a regularizer applied."""
    if isinstance(node, cst.Attribute) and node.attr.value == "losses" and facts.canonical(node) is None:
        return True
    call = facts.call(node) if isinstance(node, cst.Call) else None
    if call is None:
        return False
    if call.name in vocabulary.L2_PENALTY_FUNCS or call.name in vocabulary.COLLECTION_READERS:
        return True
    if call.name is not None:
        return False
    factories = (facts.call(value) for value in resolve_expr(facts, call.node.func))
    return any(f is not None and f.name in vocabulary.REGULARIZER_FACTORIES for f in factories)
