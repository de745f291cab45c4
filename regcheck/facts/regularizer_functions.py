"""Functions used as regularizers, followed to their definitions.

A function is "used as a regularizer" when it is passed as a layer's or
variable's ``*_regularizer=`` / ``regularizer=``, when it is the ``__call__``
of a ``Regularizer`` subclass, or when it is a callable (or the function whose
result is) given to ``add_loss``. Names are followed to their ``def`` in the
same module, through factories (``def l2_ortho(scale): ... return reg``), and
through imports into other modules of the project (``facts.project``).

Body facts the RC4xx checks share live here too: the calls inside a function
and whether an expression depends on the *values* of the regularizer's tensor
(``w.shape`` and ``tf.shape(w)`` do not; ``w.T @ w`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import values_of
from regcheck.facts.module import CallFact, ModuleFacts

REGULARIZER_KEYWORDS = (
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "regularizer",
    "weights_regularizer",
    "biases_regularizer",
    "depthwise_regularizer",
    "pointwise_regularizer",
    "recurrent_regularizer",
    "embeddings_regularizer",
    "W_regularizer",
    "b_regularizer",
)
REGULARIZER_BASES = frozenset({"keras.regularizers.Regularizer", "keras.regularizers.regularizers.Regularizer"})

# Reading these from a tensor gives static facts about it, not its values.
_SHAPE_ATTRIBUTES = frozenset({"shape", "dtype", "name", "ndim", "device", "rank"})
_SHAPE_METHODS = frozenset({"get_shape", "as_list"})
_SHAPE_FUNCS = frozenset(
    {
        "tf.shape",
        "tf.rank",
        "tf.size",
        "keras.backend.shape",
        "keras.backend.int_shape",
        "keras.backend.ndim",
        "keras.ops.shape",
    }
)
_MATMULS = frozenset(
    {
        "tf.matmul",
        "tf.linalg.matmul",
        "keras.backend.dot",
        "keras.ops.matmul",
        "keras.ops.dot",
        "tf.tensordot",
        "keras.backend.batch_dot",
    }
)
_SPECTRAL = frozenset(
    {"tf.linalg.svd", "tf.svd", "tf.linalg.eigh", "tf.linalg.eigvalsh", "tf.self_adjoint_eig", "keras.ops.svd"}
)


@dataclass(eq=False)
class RegularizerUse:
    arg: cst.CSTNode  # the keyword argument (or add_loss argument) in the module being checked
    keyword: str  # "kernel_regularizer", "activity_regularizer", "add_loss" ...
    call: CallFact  # the layer / get_variable / add_loss call


@dataclass(eq=False)
class RegularizerFunction:
    facts: ModuleFacts  # the module that defines it (another project module for imports)
    node: cst.CSTNode  # a FunctionDef or a Lambda
    name: str
    param: cst.Param | None  # the tensor it is given
    uses: list[RegularizerUse] = field(default_factory=list)
    local: bool = True  # defined in the module being checked
    regularizer_class: cst.ClassDef | None = None  # set for a Regularizer subclass's __call__

    @property
    def param_name(self) -> str | None:
        return self.param.name.value if self.param is not None else None

    def report_at(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """Where a finding about ``node`` in the body goes: there, or at each use when defined elsewhere."""
        return [node] if self.local else [use.arg for use in self.uses]

    @property
    def where(self) -> str:
        """`name` and, for other modules, where it is defined: for messages at a use site."""
        if self.local:
            return f"`{self.name}`"
        line = self.facts.span(self.node).line
        return f"`{self.name}` ({self.facts.path}:{line})"


def regularizer_functions(facts: ModuleFacts) -> list[RegularizerFunction]:
    return facts.cached("regularizer_functions", _collect)


def _collect(facts: ModuleFacts) -> list[RegularizerFunction]:
    found: dict[int, RegularizerFunction] = {}

    def add(owner: ModuleFacts, node: cst.CSTNode, use: RegularizerUse | None, cls: cst.ClassDef | None = None) -> None:
        key = id(node)
        if key not in found:
            found[key] = _describe(owner, node, owner is facts, cls)
        if use is not None:
            found[key].uses.append(use)

    for call in facts.calls:
        for keyword in REGULARIZER_KEYWORDS:
            arg = call.arg(keyword)
            if arg is None:
                continue
            for owner, node, cls in functions_of(facts, arg.value):
                add(owner, node, RegularizerUse(arg, keyword, call), cls)
        if call.method == "add_loss" and call.name is None:
            arg = call.arg("losses", 0) or call.arg("loss")
            if arg is None:
                continue
            value = arg.value
            inner = facts.call(value)
            # `add_loss(penalty(self.kernel))`: `penalty` computes the loss.
            target = value.func if isinstance(value, cst.Call) and inner is not None and inner.name is None else value
            for owner, node, cls in functions_of(facts, target, calls_return=inner is None):
                add(owner, node, RegularizerUse(arg, "add_loss", call), cls)
        if call.name is None and isinstance(call.node.func, cst.Name) and _added_as_penalty(facts, call):
            # `loss = data_loss + my_reg(w)`: a function written to compute a penalty, called in the loss.
            for owner, node, cls in functions_of(facts, call.node.func, calls_return=False):
                add(owner, node, RegularizerUse(call.node, "loss", call), cls)
    for function in facts.functions:
        cls = _regularizer_class(facts, function)
        if cls is not None:
            add(facts, function, None, cls)
    return list(found.values())


_PENALTY_WORDS = ("reg", "penalt", "decay", "l1", "l2", "ortho")
_LOSS_WORDS = ("loss", "cost", "objective")
# What a file must mention to hold a regularizer function: a regularizer keyword or class, add_loss,
# or a penalty-named function / loss-named target (the prefilter's trigger words for RC401/RC404/RC407).
VOCABULARY = (*REGULARIZER_KEYWORDS, "Regularizer", "add_loss", *_PENALTY_WORDS, *_LOSS_WORDS)


def _added_as_penalty(facts: ModuleFacts, call: CallFact) -> bool:
    """The call is a term added into a loss: an operand of ``+`` / ``+=`` in a statement that binds a
    loss-named target, or a call of a function whose name says it computes a penalty."""
    parent = facts.parent(call.node)
    added = (isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add)) or (
        isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign) and parent.value is call.node
    )
    if not added:
        return False
    assert isinstance(call.node.func, cst.Name)
    if any(word in call.node.func.value.lower() for word in _PENALTY_WORDS):
        return True
    statement = next((a for a in facts.ancestors(call.node) if isinstance(a, (cst.Assign, cst.AugAssign))), None)
    if isinstance(statement, cst.Assign):
        targets = [facts.code(t.target) for t in statement.targets]
    elif isinstance(statement, cst.AugAssign):
        targets = [facts.code(statement.target)]
    else:
        return False
    return any(word in target.lower() for target in targets for word in _LOSS_WORDS)


def _describe(owner: ModuleFacts, node: cst.CSTNode, local: bool, cls: cst.ClassDef | None) -> RegularizerFunction:
    if isinstance(node, cst.FunctionDef):
        params = [p for p in node.params.params if p.name.value not in ("self", "cls")]
        name = f"{cls.name.value}.__call__" if cls is not None else node.name.value
    else:
        assert isinstance(node, cst.Lambda)
        params = list(node.params.params)
        name = "lambda"
    return RegularizerFunction(owner, node, name, params[0] if params else None, local=local, regularizer_class=cls)


def _regularizer_class(facts: ModuleFacts, function: cst.FunctionDef) -> cst.ClassDef | None:
    """The class of a ``__call__`` method that subclasses keras' Regularizer."""
    if function.name.value != "__call__":
        return None
    block = facts.parent(function)
    cls = facts.parent(block) if block is not None else None
    if not isinstance(cls, cst.ClassDef):
        return None
    for base in cls.bases:
        if facts.canonical(base.value) in REGULARIZER_BASES:
            return cls
    return None


def functions_of(
    facts: ModuleFacts, expr: cst.BaseExpression, depth: int = 6, calls_return: bool = True
) -> list[tuple[ModuleFacts, cst.CSTNode, cst.ClassDef | None]]:
    """User functions an expression evaluates to: lambdas, defs, `Reg(...)` instances, factory results.

    With ``calls_return`` False a bare name stands for the function itself (``add_loss(fn)`` is
    a callable), not for something to call.
    """
    if depth == 0:
        return []
    if isinstance(expr, cst.Lambda):
        return [(facts, expr, None)]
    out: list[tuple[ModuleFacts, cst.CSTNode, cst.ClassDef | None]]
    if isinstance(expr, cst.Name):
        out = []
        for owner, node in _definitions(facts, expr):
            if isinstance(node, cst.FunctionDef):
                out.append((owner, node, None))
            elif isinstance(node, cst.ClassDef):
                continue  # a class object itself is not a regularizer; an instance is (see Call)
            elif isinstance(node, cst.BaseExpression):
                out.extend(functions_of(owner, node, depth - 1))
        return out
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name):
        out = []
        for owner, node in _definitions(facts, expr.func):
            if isinstance(node, cst.ClassDef):
                method = _call_method(node)
                if method is not None:
                    out.append((owner, method, node if _regularizer_class(owner, method) else None))
            elif isinstance(node, cst.FunctionDef):
                # A factory: what it returns is the regularizer.
                for returned in owner.returns.get(node, []):
                    out.extend(functions_of(owner, returned, depth - 1))
        return out
    return []


def _call_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__call__":
            return statement
    return None


def _definitions(facts: ModuleFacts, name: cst.Name) -> list[tuple[ModuleFacts, cst.CSTNode]]:
    """What a name is bound to: defs, classes and assigned values here, or in an imported project module."""
    out: list[tuple[ModuleFacts, cst.CSTNode]] = []
    imported = False
    for assignment in facts.assignments(name):
        node = assignment.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            out.append((facts, node))
        elif node in facts.bound_values:
            out.extend((facts, value) for value in facts.bound_values[node])
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            imported = True
    if imported and facts.project is not None:
        out.extend(_imported(facts, name))
    return out


def _imported(facts: ModuleFacts, name: cst.Name) -> list[tuple[ModuleFacts, cst.CSTNode]]:
    out: list[tuple[ModuleFacts, cst.CSTNode]] = []
    for qualified in facts.qualified_names(name):
        if vocabulary.canonical(qualified) is not None:
            continue
        level = len(qualified) - len(qualified.lstrip("."))
        module, _, attr = qualified.lstrip(".").rpartition(".")
        path = facts.project.resolve_module(module, facts.path, level)
        other = facts.project.facts_for(path, requested_by=facts.path) if path else None
        if other is None:
            continue
        for statement in other.module.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == attr:
                out.append((other, statement))
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == attr for t in small.targets
                    ):
                        out.append((other, small.value))
    return out


# --- what happens inside a function --------------------------------------------


def calls_in(facts: ModuleFacts, function: cst.CSTNode) -> list[CallFact]:
    """Calls lexically inside a def or lambda (nested functions included)."""
    index: dict[int, list[CallFact]] = facts.cached("calls_by_function", _index_calls)
    return index.get(id(function), [])


def _index_calls(facts: ModuleFacts) -> dict[int, list[CallFact]]:
    index: dict[int, list[CallFact]] = {}
    for call in facts.calls:
        for ancestor in facts.ancestors(call.node):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                index.setdefault(id(ancestor), []).append(call)
    return index


def reads_values(facts: ModuleFacts, expr: cst.CSTNode, param: cst.Param | None) -> bool:
    """Whether ``expr`` depends on the values held by ``param`` (not just on its shape or dtype)."""
    if param is None:
        return False
    seen: set[int] = set()
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, cst.Attribute):
            if node.attr.value not in _SHAPE_ATTRIBUTES:
                stack.append(node.value)
            continue
        if isinstance(node, cst.Call):
            fact = facts.call(node)
            if fact is not None and (fact.name in _SHAPE_FUNCS or fact.method in _SHAPE_METHODS):
                continue
            if isinstance(node.func, cst.Name) and node.func.value == "len":
                continue
            stack.append(node.func)
            stack.extend(arg.value for arg in node.args)
            continue
        if isinstance(node, cst.Name):
            resolved = values_of(facts, node)
            if any(p is param for p, _owner in resolved.params):
                return True
            stack.extend(resolved.values)
            continue
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            continue
        stack.extend(node.children)
    return False


def gram_products(function: RegularizerFunction) -> list[cst.CSTNode]:
    """Matrix products of the tensor with itself (``W^T W``, ``w @ tf.transpose(w)``) inside the function."""
    facts = function.facts
    found: list[cst.CSTNode] = []
    for call in calls_in(facts, function.node):
        if call.name in _MATMULS or numpy_name(facts, call) in ("numpy.dot", "numpy.matmul"):
            operands = call.positional[:2]
            if len(operands) == 2 and all(reads_values(facts, a.value, function.param) for a in operands):
                found.append(call.node)
    for node in _matmul_operators(facts, function.node):
        if reads_values(facts, node.left, function.param) and reads_values(facts, node.right, function.param):
            found.append(node)
    return found


def _matmul_operators(facts: ModuleFacts, function: cst.CSTNode) -> list[cst.BinaryOperation]:
    """``a @ b`` inside one function: a local look at that function only, cached."""
    cache: dict[int, list[cst.BinaryOperation]] = facts.derived.setdefault("matmul_operators", {})
    if id(function) not in cache:
        collector = _MatMulCollector()
        function.visit(collector)
        cache[id(function)] = collector.found
    return cache[id(function)]


class _MatMulCollector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[cst.BinaryOperation] = []

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.MatrixMultiply):
            self.found.append(node)


def builds_identity(function: RegularizerFunction) -> bool:
    for call in calls_in(function.facts, function.node):
        if call.name in vocabulary.EYE_FUNCS or numpy_name(function.facts, call) in ("numpy.eye", "numpy.identity"):
            return True
    return False


def spectral_ops(function: RegularizerFunction) -> list[CallFact]:
    return [c for c in calls_in(function.facts, function.node) if c.name in _SPECTRAL]


def numpy_name(facts: ModuleFacts, call: CallFact) -> str | None:
    """``numpy.linalg.norm`` for ``np.linalg.norm(...)``, else None."""
    for name in facts.qualified_names(call.node.func):
        if name.startswith("numpy."):
            return name
    return None
