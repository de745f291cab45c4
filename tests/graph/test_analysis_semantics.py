"""RC208, RC305 and RC501 on hand-built IRs: what in a graph makes each one, and what does not."""

from __future__ import annotations

from test_analysis import Builder, codes, two_layer

from regcheck.graph.analyse import analyse


def _l2(b: Builder, var: int, coef: float) -> int:  # Keras 3's L2: coef * sum(square(w))
    return b.op("Mul", b.const(coef), b.op("Sum", b.op("Square", var), b.const(0)))


def test_the_same_penalty_twice_is_rc208_and_two_different_ones_are_not():
    b, data_term, (w1, _b1, w2, _b2) = two_layer()
    losses = [_l2(b, w1, 0.5), _l2(b, w2, 0.5)]
    twice = [_l2(b, w1, 0.5), _l2(b, w2, 0.5)]  # model.losses read again: new ops, same penalties
    b.ir.loss = b.op("AddV2", b.op("AddV2", data_term, b.op("AddN", *losses)), b.op("AddN", *twice))
    assert codes(b.ir) == {("RC208", "w1")}
    b, data_term, (w1, _b1, w2, _b2) = two_layer()
    b.ir.loss = b.op(
        "AddN",
        data_term,
        _l2(b, w1, 0.5),
        _l2(b, w2, 0.5),
        b.op("Mul", b.const(0.1), b.op("Sum", b.op("Abs", w1), b.const(0))),
    )
    assert codes(b.ir) == set()  # L2 and L1 on w1: two penalties, not one counted twice


def test_a_term_that_is_the_clipped_weight_is_rc305_and_a_square_is_not():
    b, data_term, (w1, _b1, w2, _b2) = two_layer()
    norms = b.op("Sqrt", b.op("Sum", b.op("Square", w1), b.const(0)))
    clipped = b.op("Mul", w1, b.op("RealDiv", b.op("ClipByValue", norms, b.const(0), b.const(3)), norms))  # max_norm(3)
    b.ir.loss = b.op("AddN", data_term, b.op("Sum", clipped, b.const(0)), _l2(b, w2, 0.5))
    assert codes(b.ir) == {("RC305", "w1")}
    b, data_term, (w1, _b1, w2, _b2) = two_layer()
    square = b.op("Mul", b.const(0.5), b.op("Sum", b.op("Mul", w1, w1), b.const(0)))  # w * w: an L2 penalty
    b.ir.loss = b.op("AddN", data_term, square, _l2(b, w2, 0.5))
    assert codes(b.ir) == set()


def test_decoupled_decay_on_l2_penalized_weights_is_rc501():
    b, data_term, (w1, _b1, w2, _b2) = two_layer()
    b.ir.loss = b.op("AddN", data_term, _l2(b, w1, 1e-4), _l2(b, w2, 1e-4))
    assert codes(b.ir) == set()
    b.ir.weight_decay = {1: ("AdamW", 0.004), 3: ("AdamW", 0.004)}  # only the biases: they carry no L2
    assert codes(b.ir) == set()
    b.ir.weight_decay = {i: ("AdamW", 0.004) for i in range(4)}
    assert codes(b.ir) == {("RC501", "w1")}
    (finding,) = analyse(b.ir).findings
    assert finding.message == (
        "AdamW decays 'w1', 'w2' (weight_decay=0.004) and the loss also penalizes them "
        "with L2 (l2 x0.0001): weight decay is counted twice"
    )
