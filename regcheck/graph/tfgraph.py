"""Extract a GraphIR from a TF1 graph or a tf.function FuncGraph.

Only the ancestry of the loss (and of the train op, the regularization and
update collections) is read, so the cost follows what the step computes, not
everything else that lives in the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.ir import CONST, DATA, DATA_OP_PREFIXES, OP, VAR, GraphIR, Op
from regcheck.graph.locate import op_site

_VAR_OPS = {"VarHandleOp", "VariableV2", "Variable", "VarHandle", "AutoReloadVariable"}


def _capture_map(graph: Any, cache: dict[int, dict[int, Any]]) -> dict[int, Any]:
    if id(graph) not in cache:
        pairs = getattr(graph, "captures", None) or []
        cache[id(graph)] = {id(internal): external for external, internal in pairs}
    return cache[id(graph)]


def _resolve_capture(tensor: Any, cache: dict[int, dict[int, Any]]) -> Any | None:
    """Follow a FuncGraph placeholder out through nested function graphs to what it captures."""
    found = None
    while tensor is not None and type(tensor).__name__ != "EagerTensor":
        graph = getattr(tensor, "graph", None)
        external = _capture_map(graph, cache).get(id(tensor)) if graph is not None else None
        if external is None:
            break
        found = tensor = external
        if type(tensor).__name__ != "EagerTensor" and tensor.op.type != "Placeholder":
            break
    return found


def _const_value(op: Any) -> tuple[str, float | None]:
    from tensorflow.python.framework import tensor_util

    try:
        array = tensor_util.MakeNdarray(op.get_attr("value"))
    except Exception:
        return CONST, None
    if array.size == 1:
        try:
            return CONST, float(array.reshape(()))
        except (TypeError, ValueError):
            return CONST, None
    # A float matrix baked into the graph is a captured batch (x_train in a closure), not a coefficient.
    return (DATA if array.ndim >= 2 and array.dtype.kind in "fc" else CONST), None


def _classify(
    op: Any, catalog: VariableCatalog, cache: dict[int, dict[int, Any]]
) -> tuple[str, int | None, float | None]:
    t = op.type
    if t == "Placeholder":
        external = _resolve_capture(op.outputs[0], cache)
        if external is None:
            return DATA, None, None
        if type(external).__name__ == "EagerTensor":
            return catalog.classify_external(external)
        return _classify(external.op, catalog, cache)
    if t in _VAR_OPS:
        return VAR, catalog.add_op_variable(op), None
    if t == "Const":
        kind, value = _const_value(op)
        return kind, None, value
    if t.startswith(DATA_OP_PREFIXES):
        return DATA, None, None
    return OP, None, None


def graph_ir(
    roots: Iterable[Any], catalog: VariableCatalog, *, control_roots: Iterable[Any] = ()
) -> tuple[GraphIR, dict[int, int]]:
    """Build the IR of every op the roots (tensors or ops) depend on; returns it and an id(op) -> index map."""
    cache: dict[int, dict[int, Any]] = {}
    index_of: dict[int, int] = {}
    tf_ops: list[Any] = []
    follow_control = {id(getattr(r, "op", r)) for r in control_roots}
    stack = [getattr(r, "op", r) for r in list(roots) + list(control_roots) if r is not None]
    controlled: set[int] = set()
    while stack:  # iterative: real graphs are far deeper than Python's recursion limit
        op = stack.pop()
        if id(op) in index_of:
            continue
        index_of[id(op)] = len(tf_ops)
        tf_ops.append(op)
        stack.extend(t.op for t in op.inputs)
        if id(op) in follow_control or id(op) in controlled:
            # Control edges matter only for "does the train op depend on UPDATE_OPS".
            controlled.update(id(c) for c in op.control_inputs)
            controlled.update(id(t.op) for t in op.inputs)
            stack.extend(op.control_inputs)
    ir = GraphIR(variables=catalog.variables)
    for op in tf_ops:
        kind, var, value = _classify(op, catalog, cache)
        ir.ops.append(
            Op(
                type=op.type,
                inputs=[index_of[id(t.op)] for t in op.inputs],
                control=[index_of[id(c)] for c in op.control_inputs if id(c) in index_of],
                kind=kind,
                var=var,
                value=value,
                name=op.name,
            )
        )
    ir.op_site = lambda index: op_site(tf_ops[index])
    return ir, index_of
