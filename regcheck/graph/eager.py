"""Record an eager step as a graph, so eager custom loops get the same analysis.

Eager execution keeps no graph. While a GradientTape is open the runner
registers a TensorFlow op callback that notes every executed op with its
input and output tensors; at ``tape.gradient(target, ...)`` the ops the
target depends on are rebuilt into a GraphIR. Values that enter from outside
(variable handles, batches, Python scalars) are classified by the catalog.

Variables are known by identity, never by value: TensorFlow's C++ fast path
reads a variable passed straight to an op (``tf.nn.l2_loss(w)``) without any
op callback, which would leave a bare tensor equal in value to ``w`` (and to
every other zero-initialised bias of its width). While recording, such
arguments are read in Python first (``variable.value()``), so the callback
sees a ``ReadVariableOp`` of the variable's own handle.
"""

from __future__ import annotations

from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.ir import DATA, DATA_OP_PREFIXES, OP, GraphIR, Op

# Ops that make a variable's handle.
_VARIABLE_CREATION = frozenset({"VarHandleOp", "VariableV2", "_VarHandlesOp"})


def _read_variables(value: Any, variable_type: Any) -> Any:
    if isinstance(value, variable_type):
        return value.value()
    if isinstance(value, (list, tuple)) and any(isinstance(v, variable_type) for v in value):
        return type(value)(_read_variables(v, variable_type) for v in value)
    return value


class EagerRecorder:
    """Records eager ops while at least one GradientTape is open (tapes nest: a gradient
    penalty's inner tape opens and closes inside the training tape)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = []
        self._open = 0
        self._active = False
        self._fast_path: Any = None

    def _callback(
        self, op_type: Any, inputs: Any, attrs: Any, outputs: Any, op_name: Any = None, graph: Any = None
    ) -> None:
        if graph is None:  # only eagerly executed ops; graph building has its own record
            name = op_type.decode() if isinstance(op_type, bytes) else str(op_type)
            # Holding the tensors keeps their ids unique for the whole recording.
            self.records.append((name, tuple(inputs or ()), tuple(outputs or ())))
        return None

    def enter(self) -> None:
        """A tape opened: a new outermost tape starts a new recording."""
        if self._open == 0:
            self.records.clear()
            self._start()
        self._open += 1

    def exit(self) -> None:
        self._open = max(0, self._open - 1)
        if self._open == 0:
            self._stop()

    def start(self) -> None:
        """Record outside any tape (``Optimizer.minimize(callable)``): a fresh recording."""
        self.records.clear()
        self._start()

    def stop(self) -> None:
        self._open = 0
        self._stop()

    def _start(self) -> None:
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.framework import op_callbacks
        from tensorflow.python.ops.resource_variable_ops import BaseResourceVariable

        if self._active:
            return
        op_callbacks.add_op_callback(self._callback)
        original = self._fast_path = pywrap_tfe.TFE_Py_FastPathExecute

        def fast_path(*args: Any) -> Any:
            return original(*[_read_variables(a, BaseResourceVariable) for a in args])

        pywrap_tfe.TFE_Py_FastPathExecute = fast_path
        self._active = True

    def _stop(self) -> None:
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.framework import op_callbacks

        if not self._active:
            return
        op_callbacks.remove_op_callback(self._callback)
        pywrap_tfe.TFE_Py_FastPathExecute = self._fast_path
        self._active = False

    def build(self, target: Any, catalog: VariableCatalog) -> tuple[GraphIR, int | None]:
        """The IR of the recorded ops the target depends on, and the target's op index."""
        producer: dict[int, int] = {}
        for number, (op_type, _, outputs) in enumerate(self.records):
            if op_type in _VARIABLE_CREATION:
                # A variable made while the tape is open (a model built by its first call inside the
                # step): its handle enters from outside, as any variable's, and the catalog knows it.
                continue
            for tensor in outputs:
                producer[id(tensor)] = number
        ir = GraphIR(variables=catalog.variables)
        index_of: dict[int, int] = {}  # record number -> op index
        external: dict[int, int] = {}  # id(tensor) -> op index for values from outside

        def node_for(tensor: Any) -> int:
            number = producer.get(id(tensor))
            if number is not None:
                return index_of[number]
            if id(tensor) not in external:
                kind, var, value = catalog.classify_external(tensor)
                external[id(tensor)] = ir.add(Op(type="External", inputs=[], kind=kind, var=var, value=value))
            return external[id(tensor)]

        root = producer.get(id(target))
        if root is None:
            return ir, None
        needed: set[int] = set()
        stack = [root]
        while stack:
            number = stack.pop()
            if number in needed:
                continue
            needed.add(number)
            stack.extend(producer[id(t)] for t in self.records[number][1] if id(t) in producer)
        for number in sorted(needed):  # execution order is a topological order
            op_type, inputs, _ = self.records[number]
            kind = DATA if op_type.startswith(DATA_OP_PREFIXES) else OP
            index_of[number] = ir.add(
                Op(type=op_type, inputs=[node_for(t) for t in inputs], kind=kind, name=f"{op_type}_{number}")
            )
        return ir, index_of[root]
