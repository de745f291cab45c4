"""Split a minimized loss into additive terms and find the penalties among them.

A term that reads variables and no data is a penalty on those variables,
whatever ops compute it: ``l2_loss``, ``reduce_sum(square(w))``, a Keras
regularizer or a custom orthogonality penalty. Anything inside a
data-dependent term (weight normalization, a product with the data loss) is
not a penalty. Everything here is linear in the size of the loss's ancestry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from regcheck.graph.ir import CONST, DATA, VAR, GraphIR

# Ops a sum passes through unchanged (a reduction of a sum is a sum of reductions).
_TRANSPARENT = {
    "Identity",
    "IdentityN",
    "Cast",
    "Snapshot",
    "Squeeze",
    "Reshape",
    "ExpandDims",
    "Mean",
    "Sum",
    "EnsureShape",
    "CheckNumerics",
}
_SUMS = {"Add", "AddV2", "AddN", "Pack", "ConcatV2", "Concat"}
# Ops that carry no gradient: a penalty behind them trains nothing.
_NO_GRADIENT = {"StopGradient", "PreventGradient"}


@dataclass
class Term:
    root: int
    coefficient: float | None  # None when a factor could not be read


@dataclass
class Penalty:
    term: Term
    kind: str  # l2_loss, l2, l1, custom(...)
    variables: list[int]

    def describe(self) -> str:
        coef = self.term.coefficient
        return self.kind if coef is None else f"{self.kind} x{coef:g}"


@dataclass
class Decomposition:
    terms: list[Term] = field(default_factory=list)
    penalties: list[Penalty] = field(default_factory=list)
    data_terms: list[Term] = field(default_factory=list)
    loss_ancestors: set[int] = field(default_factory=set)
    has_data: dict[int, bool] = field(default_factory=dict)
    has_var: dict[int, bool] = field(default_factory=dict)

    def penalties_by_variable(self) -> dict[int, list[Penalty]]:
        out: dict[int, list[Penalty]] = {}
        for penalty in self.penalties:
            for var in penalty.variables:
                out.setdefault(var, []).append(penalty)
        return out


def ancestors(ir: GraphIR, roots: list[int], *, control: bool = False) -> set[int]:
    seen: set[int] = set()
    stack = [r for r in roots if r is not None]
    while stack:
        index = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        op = ir.ops[index]
        stack.extend(op.inputs)
        if control:
            stack.extend(op.control)
    return seen


def _flags(ir: GraphIR, root: int) -> tuple[dict[int, bool], dict[int, bool]]:
    """has_data / has_var for every ancestor of root, in one iterative post-order pass."""
    has_data: dict[int, bool] = {}
    has_var: dict[int, bool] = {}
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        index, expanded = stack.pop()
        if index in has_data:
            continue
        op = ir.ops[index]
        if not expanded:
            stack.append((index, True))
            stack.extend((i, False) for i in op.inputs if i not in has_data)
            continue
        has_data[index] = op.kind == DATA or any(has_data[i] for i in op.inputs)
        has_var[index] = op.kind == VAR or any(has_var[i] for i in op.inputs)
    return has_data, has_var


def _constant_value(ir: GraphIR, index: int) -> float | None:
    while True:
        op = ir.ops[index]
        if op.kind == CONST:
            return op.value
        if op.type in ("Cast", "Identity") and op.inputs:
            index = op.inputs[0]
            continue
        return None


def _is_constant(dec: Decomposition, index: int) -> bool:
    return not dec.has_data.get(index, True) and not dec.has_var.get(index, True)


def _times(coef: float | None, factor: float | None) -> float | None:
    return None if coef is None or factor is None else coef * factor


def additive_terms(ir: GraphIR, dec: Decomposition, root: int) -> list[Term]:
    terms: list[Term] = []
    stack: list[tuple[int, float | None]] = [(root, 1.0)]
    while stack:
        index, coef = stack.pop()
        op = ir.ops[index]
        t = op.type
        if t in _NO_GRADIENT or _is_constant(dec, index):
            continue  # constants and stopped gradients add nothing to what is trained
        if (t in ("Mean", "Sum") and op.inputs) or (t in _TRANSPARENT and op.inputs):
            stack.append((op.inputs[0], coef))
        elif t in ("ConcatV2",):
            stack.extend((i, coef) for i in op.inputs[:-1])
        elif t in _SUMS:
            stack.extend((i, coef) for i in op.inputs)
        elif t == "Sub" and len(op.inputs) == 2:
            stack.append((op.inputs[0], coef))
            stack.append((op.inputs[1], _times(coef, -1.0)))
        elif t == "Neg" and op.inputs:
            stack.append((op.inputs[0], _times(coef, -1.0)))
        elif t == "Mul" and len(op.inputs) == 2 and any(_is_constant(dec, i) for i in op.inputs):
            const, other = op.inputs if _is_constant(dec, op.inputs[0]) else op.inputs[::-1]
            stack.append((other, _times(coef, _constant_value(ir, const))))
        elif t in ("RealDiv", "Div", "DivNoNan", "TrueDiv") and len(op.inputs) == 2 and _is_constant(dec, op.inputs[1]):
            value = _constant_value(ir, op.inputs[1])
            stack.append((op.inputs[0], _times(coef, None if not value else 1.0 / value)))
        else:
            terms.append(Term(index, coef))
    return terms


def _term_reads(ir: GraphIR, root: int) -> tuple[list[int], set[str]]:
    """Variables a (data-free, hence small) penalty term reads, and its op types."""
    variables: list[int] = []
    types: set[str] = set()
    for index in ancestors(ir, [root]):
        op = ir.ops[index]
        types.add(op.type)
        if op.kind == VAR and op.var is not None and op.var not in variables:
            variables.append(op.var)
    return sorted(variables), types


def _kind(types: set[str], root_type: str) -> str:
    if "L2Loss" in types:
        return "l2_loss"
    if types & {"Square", "Pow", "SquaredDifference"} or ("Mul" in types and root_type == "Mul"):
        return "l2"
    if "Abs" in types:
        return "l1"
    return f"custom({root_type})"


def _bare_read(ir: GraphIR, index: int) -> bool:
    op = ir.ops[index]
    while op.kind != VAR and op.type in ("ReadVariableOp", "Identity", "Cast", "Reshape", "ExpandDims") and op.inputs:
        op = ir.ops[op.inputs[0]]
    return op.kind == VAR


def decompose(ir: GraphIR) -> Decomposition:
    dec = Decomposition()
    if ir.loss is None:
        return dec
    dec.has_data, dec.has_var = _flags(ir, ir.loss)
    dec.loss_ancestors = set(dec.has_data)
    dec.terms = additive_terms(ir, dec, ir.loss)
    for term in dec.terms:
        if dec.has_data[term.root]:
            dec.data_terms.append(term)
            continue
        if _bare_read(ir, term.root):
            # `reduce_mean(x @ w + b)` splits into a data part and a bare `b`: a linear
            # piece of the model's output, not a penalty on b.
            continue
        variables, types = _term_reads(ir, term.root)
        if variables:
            dec.penalties.append(Penalty(term, _kind(types, ir.ops[term.root].type), variables))
    return dec
