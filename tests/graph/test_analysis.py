"""The analysis on hand-built IRs: decomposition rules, roles and findings, without TensorFlow."""

from __future__ import annotations

from regcheck.graph.analyse import analyse
from regcheck.graph.decompose import decompose
from regcheck.graph.ir import CONST, DATA, VAR, GraphIR, Op, Variable


class Builder:
    def __init__(self) -> None:
        self.ir = GraphIR()

    def op(self, type_: str, *inputs: int, **kw) -> int:
        return self.ir.add(Op(type=type_, inputs=list(inputs), **kw))

    def var(self, name: str, shape: tuple[int, ...]) -> int:
        self.ir.variables.append(Variable(name, shape))
        handle = self.op("VarHandleOp", kind=VAR, var=len(self.ir.variables) - 1)
        return self.op("ReadVariableOp", handle)

    def const(self, value: float) -> int:
        return self.op("Const", kind=CONST, value=value)

    def data(self) -> int:
        return self.op("Placeholder", kind=DATA)

    def dense(self, x: int, kernel: int, bias: int) -> int:
        return self.op("AddV2", self.op("MatMul", x, kernel), bias)

    def l2(self, var: int, coef: float) -> int:
        return self.op("Mul", self.const(coef), self.op("L2Loss", var))


def two_layer() -> tuple[Builder, int, list[int]]:
    b = Builder()
    params = [b.var("w1", (4, 8)), b.var("b1", (8,)), b.var("w2", (8, 2)), b.var("b2", (2,))]
    h = b.op("Relu", b.dense(b.data(), params[0], params[1]))
    data_term = b.op("Mean", b.op("Square", b.op("Sub", b.dense(h, params[2], params[3]), b.data())), b.const(0))
    return b, data_term, params


def codes(ir: GraphIR) -> set[tuple[str, str | None]]:
    return {(f.code, f.symbol) for f in analyse(ir).findings}


def test_output_only_penalty_flags_hidden_kernel_and_bias():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.op("AddV2", b.l2(w2, 0.01), b.l2(b2, 0.01)))
    assert codes(b.ir) == {("RC101", "w1"), ("RC102", "b2")}


def test_sub_neg_div_and_reductions_are_walked_through():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    penalties = b.op("Pack", b.l2(w1, 1.0), b.op("Neg", b.op("Neg", b.l2(w2, 1.0))))
    scaled = b.op("RealDiv", b.op("Sum", penalties, b.const(0)), b.const(4.0))
    b.ir.loss = b.op("Sub", data_term, b.op("Neg", scaled))
    dec = decompose(b.ir)
    assert sorted(p.variables for p in dec.penalties) == [[0], [2]]
    assert {p.term.coefficient for p in dec.penalties} == {0.25}
    assert codes(b.ir) == set()


def test_a_product_with_the_data_term_is_not_a_penalty():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("Mul", data_term, b.op("AddV2", b.const(1.0), b.op("L2Loss", w2)))
    assert decompose(b.ir).penalties == []


def test_stop_gradient_penalty_trains_nothing():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.op("StopGradient", b.l2(w2, 0.1)))
    assert decompose(b.ir).penalties == []


def test_zero_coefficient_penalties_are_deliberate():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.op("AddV2", b.l2(w2, 0.0), b.l2(b2, 0.0)))
    assert codes(b.ir) == set()


def test_any_ops_on_variables_alone_make_a_penalty():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    gram = b.op(
        "MatMul",
        w1,
        w1,
    )
    ortho = b.op("Sum", b.op("Abs", b.op("Sub", gram, b.const(1.0))), b.const(0))
    b.ir.loss = b.op("AddV2", data_term, b.op("AddV2", ortho, b.l2(w2, 1e-3)))
    rows = {row.variable: row for row in analyse(b.ir).coverage}
    assert rows["w1"].penalty == "l1 x1"
    assert rows["w2"].penalty == "l2_loss x0.001"


def test_unused_collection_and_update_ops():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = data_term
    b.ir.regularization_losses = [b.l2(w1, 1e-4)]
    b.ir.update_ops = [b.op("AssignVariableOp", b.data())]
    b.ir.train_op = b.op("NoOp", data_term)
    assert codes(b.ir) == {("RC201", "w1"), ("RC207", None)}


def test_coverage_table_rows():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.l2(w2, 0.5))
    rows = [(r.variable, r.shape, r.role, r.penalty, r.status) for r in analyse(b.ir).coverage]
    assert rows == [
        ("w1", "(4, 8)", "kernel", "-", "RC101"),
        ("b1", "(8,)", "bias", "-", "unpenalized"),
        ("w2", "(8, 2)", "kernel", "l2_loss x0.5", "penalized"),
        ("b2", "(2,)", "bias", "-", "unpenalized"),
    ]


def test_only_the_output_kernel_unpenalized_is_rc106_advice_and_a_hidden_one_is_rc101():
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.l2(w1, 0.01))
    assert codes(b.ir) == {("RC106", "w2")}
    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.loss = b.op("AddV2", data_term, b.l2(w2, 0.01))
    assert codes(b.ir) == {("RC101", "w1")}


def test_one_late_assignment_over_many_layers_is_one_rc104_on_trained_variables_only():
    from regcheck.graph.ir import LayerAttr, Site

    b, data_term, (w1, b1, w2, b2) = two_layer()
    b.ir.variables.append(Variable("old/kernel", (4, 8)))  # a layer of a model that is not trained
    b.ir.loss = data_term
    loop = Site("train.py", 7)
    b.ir.late_regularizers = [
        LayerAttr("dense", "kernel_regularizer", 0, loop),
        LayerAttr("dense_1", "kernel_regularizer", 2, loop),
        LayerAttr("old", "kernel_regularizer", 4, loop),
    ]
    (finding,) = analyse(b.ir).findings
    assert (finding.code, finding.line, finding.symbol) == ("RC104", 7, "w1")
    assert "set on 2 layers after they were built ('dense', 'dense_1')" in finding.message
