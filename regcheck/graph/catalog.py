"""Which variables exist, under which keys the graph will meet them, and what we know of each.

A graph meets a variable as a TF1 variable op, as a FuncGraph placeholder that
captures an eager handle, or (eager) as the handle itself. The catalog maps all
of these to one ``ir.Variable``, enriched with Keras metadata when the
variable belongs to a layer. TensorFlow is imported lazily by the callers.
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Hashable
from typing import Any

from regcheck.graph.ir import CONST, DATA, OP, VAR, Site, Variable
from regcheck.graph.locate import op_site


def _shape(value: Any) -> tuple[int | None, ...]:
    try:
        dims = value.shape.as_list() if hasattr(value.shape, "as_list") else list(value.shape)
    except (ValueError, TypeError, AttributeError):
        return ()
    return tuple(dims)


def tf_variable(value: Any) -> Any:
    """The tf.Variable behind a tf.Variable or a Keras 3 variable."""
    inner = getattr(value, "_value", None)  # Keras 3 keeps its tf.Variable here
    return inner if inner is not None and hasattr(inner, "handle") else value


def variable_keys(value: Any) -> list[Hashable]:
    var = tf_variable(value)
    keys: list[Hashable] = []
    try:
        handle = var.handle
    except Exception:
        handle = None
    if _is_eager(handle):
        return [("h", id(handle))]
    op = getattr(var, "op", None)  # graph mode: VarHandleOp or VariableV2
    if op is not None:
        keys.append(("op", id(op.graph), op.name))
    return keys


_AUTO_NAME = re.compile(r"(.*/)?Variable(_\d+)?")
_ASSIGNED = re.compile(r"\s*(?:self\.)?([A-Za-z_]\w*)\s*(?::[^=]*)?=[^=]")


def _source_name(name: str, site: Site | None) -> str:
    """`w_hidden = tf.Variable(...)` gets TF's automatic name 'Variable_2'; the source name is what users know."""
    if site is None or not _AUTO_NAME.fullmatch(name):
        return name
    match = _ASSIGNED.match(linecache.getline(site.path, site.line))
    return match.group(1) if match else name


def _is_eager(tensor: Any) -> bool:
    return tensor is not None and type(tensor).__name__ == "EagerTensor"


class VariableCatalog:
    def __init__(self) -> None:
        self.variables: list[Variable] = []
        self._by_key: dict[Hashable, int] = {}
        self._objects: list[Any] = []  # keep handles alive so their ids stay unique

    def object_of(self, index: int) -> Any:
        """The variable object registered at ``index`` (None for a TF1 op nobody registered)."""
        return self._objects[index]

    def lookup(self, key: Hashable) -> int | None:
        return self._by_key.get(key)

    def add(self, value: Any, site: Site | None = None, **meta: Any) -> int:
        """Register a tf.Variable or Keras variable; later calls enrich earlier ones."""
        keys = variable_keys(value)
        index = next((self._by_key[k] for k in keys if k in self._by_key), None)
        if index is None:
            var = tf_variable(value)
            name = _source_name(str(getattr(var, "name", "variable")).split(":")[0], site)
            if site is None and getattr(var, "op", None) is not None and not _is_eager(getattr(var, "handle", None)):
                site = op_site(var.op)
            self.variables.append(
                Variable(name=name, shape=_shape(var), trainable=bool(getattr(var, "trainable", True)), site=site)
            )
            self._objects.append(var)
            index = len(self.variables) - 1
        record = self.variables[index]
        for key, val in meta.items():
            if val is not None:
                setattr(record, key, val)
        if site is not None and record.site is None:
            record.site = site
        for identity in keys:
            self._by_key[identity] = index
        return index

    def add_op_variable(self, op: Any) -> int:
        """A TF1 variable op nobody registered (e.g. built before the hooks): describe it from the op."""
        key = ("op", id(op.graph), op.name)
        if key not in self._by_key:
            try:
                import tensorflow as tf

                shape = tuple(tf.TensorShape(op.get_attr("shape")).as_list())
            except Exception:
                shape = ()
            self.variables.append(Variable(name=op.name, shape=shape, site=op_site(op)))
            self._objects.append(None)
            self._by_key[key] = len(self.variables) - 1
        return self._by_key[key]

    def classify_external(self, tensor: Any) -> tuple[str, int | None, float | None]:
        """Kind of a value that enters a graph from outside: a variable handle, a constant or data.

        A variable is known by its handle only: two variables that hold equal values (zero-initialised
        biases of one width) are never taken for each other."""
        index = self._by_key.get(("h", id(tensor)))
        if index is not None:
            return VAR, index, None
        dtype = getattr(tensor, "dtype", None)
        name = getattr(dtype, "name", "")
        if name in ("resource", "variant"):
            return OP, None, None
        shape = _shape(tensor)
        size = 1
        for dim in shape:
            size *= dim if dim is not None else 2
        if size <= 1:
            try:
                return CONST, None, float(tensor.numpy())
            except Exception:
                return CONST, None, None
        # Batches are float tensors or integer id matrices; small int vectors are axes and shapes.
        floating = getattr(dtype, "is_floating", False) or getattr(dtype, "is_complex", False)
        if floating or len(shape) >= 2 or size > 8:
            return DATA, None, None
        return CONST, None, None
