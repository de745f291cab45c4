"""Give each variable a role from how the graph uses it.

kernel: a MatMul / Conv / Einsum operand; bias: BiasAdd, or an Add right after
a MatMul/Conv; norm: FusedBatchNorm scale/offset; embedding: the table of a
Gather. When the graph does not say (Keras 3 normalization layers compute with
plain Mul/Add), the variable's Keras layer attribute decides, then its shape.
"""

from __future__ import annotations

from regcheck.graph.ir import VAR, GraphIR

KERNEL, BIAS, NORM, EMBEDDING, OTHER = "kernel", "bias", "norm", "embedding", "other"

# Ops that read a variable's value without changing what it is.
_READ_THROUGH = {
    "ReadVariableOp",
    "Identity",
    "Cast",
    "Reshape",
    "ExpandDims",
    "Squeeze",
    "Enter",
    "Transpose",
    "Snapshot",
}
_KERNEL_OPS = {
    "MatMul": (0, 1),
    "BatchMatMul": (0, 1),
    "BatchMatMulV2": (0, 1),
    "BatchMatMulV3": (0, 1),
    "Einsum": (0, 1),
    "Conv1D": (1,),
    "Conv2D": (1,),
    "Conv3D": (1,),
    "DepthwiseConv2dNative": (1,),
    "Conv2DBackpropInput": (1,),
    "Conv3DBackpropInputV2": (1,),
    "Conv": (1,),
    "FusedPadConv2D": (2,),
    "FusedResizeAndPadConv2D": (3,),
}
_PRODUCERS = set(_KERNEL_OPS)
_NORM_OPS = {
    "FusedBatchNorm": (1, 2),
    "FusedBatchNormV2": (1, 2),
    "FusedBatchNormV3": (1, 2),
    "BatchNormWithGlobalNormalization": (4, 5),
}
_GATHER_OPS = {
    "Gather": 0,
    "GatherV2": 0,
    "ResourceGather": 0,
    "GatherNd": 0,
    "ResourceGatherNd": 0,
    "SparseSegmentSum": 0,
    "SparseSegmentMean": 0,
    "SparseSegmentSqrtN": 0,
}
# Strength when one variable has several uses (tied embeddings are embeddings).
_RANK = {EMBEDDING: 4, NORM: 3, KERNEL: 2, BIAS: 1, OTHER: 0}
_ATTR_ROLES = {
    "kernel": KERNEL,
    "depthwise_kernel": KERNEL,
    "pointwise_kernel": KERNEL,
    "recurrent_kernel": KERNEL,
    "bias": BIAS,
    "gamma": NORM,
    "beta": NORM,
    "embeddings": EMBEDDING,
}
_NORM_LAYERS = ("Normalization",)


def _source_var(ir: GraphIR, index: int) -> int | None:
    for _ in range(8):  # reads are a few ops deep at most
        op = ir.ops[index]
        if op.kind == VAR:
            return op.var
        if op.type not in _READ_THROUGH or not op.inputs:
            return None
        index = op.inputs[0]
    return None


def _produced_by(ir: GraphIR, index: int, types: set[str]) -> bool:
    for _ in range(4):
        op = ir.ops[index]
        if op.type in types:
            return True
        if op.type not in ("Identity", "Cast", "Reshape", "BiasAdd") or not op.inputs:
            return False
        index = op.inputs[0]
    return False


def kernel_reads(ir: GraphIR, index: int) -> list[int]:
    """The variables op ``index`` reads as kernels (a MatMul / Conv operand), if it is such an op."""
    op = ir.ops[index]
    found = []
    for k in _KERNEL_OPS.get(op.type, ()):
        if k < len(op.inputs):
            var = _source_var(ir, op.inputs[k])
            if var is not None:
                found.append(var)
    return found


def assign_roles(ir: GraphIR) -> list[str]:
    roles = [OTHER] * len(ir.variables)

    def mark(var: int | None, role: str) -> None:
        if var is not None and _RANK[role] > _RANK[roles[var]]:
            roles[var] = role

    for op in ir.ops:  # one pass over the ops we extracted
        t = op.type
        if t in _KERNEL_OPS:
            for k in _KERNEL_OPS[t]:
                if k < len(op.inputs):
                    mark(_source_var(ir, op.inputs[k]), KERNEL)
        elif t == "BiasAdd" and len(op.inputs) == 2:
            mark(_source_var(ir, op.inputs[1]), BIAS)
        elif t in ("Add", "AddV2") and len(op.inputs) == 2:
            for mine, other in (op.inputs, op.inputs[::-1]):
                if _produced_by(ir, other, _PRODUCERS):
                    mark(_source_var(ir, mine), BIAS)
        elif t in _NORM_OPS:
            for k in _NORM_OPS[t]:
                if k < len(op.inputs):
                    mark(_source_var(ir, op.inputs[k]), NORM)
        elif t in _GATHER_OPS and op.inputs:
            mark(_source_var(ir, op.inputs[_GATHER_OPS[t]]), EMBEDDING)

    for index, var in enumerate(ir.variables):
        if roles[index] != OTHER:
            continue
        if var.attr in _ATTR_ROLES:
            role = _ATTR_ROLES[var.attr]
            if (
                role in (KERNEL, BIAS)
                or var.layer_class is None
                or role == EMBEDDING
                or var.layer_class.endswith(_NORM_LAYERS)
            ):
                roles[index] = role
        elif len(var.shape) == 1 and var.name.rsplit("/", 1)[-1].split(":")[0] in ("bias", "b", "biases"):
            roles[index] = BIAS
    return roles
