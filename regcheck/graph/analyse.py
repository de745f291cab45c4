"""Turn a decomposed loss and variable roles into graph findings and a coverage table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from regcheck.config.catalog import RULES
from regcheck.findings import Finding
from regcheck.graph.coverage import CoverageRow, format_shape
from regcheck.graph.decompose import Decomposition, Penalty, ancestors, decompose
from regcheck.graph.ir import VAR, GraphIR, LayerAttr, Site
from regcheck.graph.roles import BIAS, EMBEDDING, KERNEL, NORM, assign_roles

_NOWHERE = Site("<graph>", 1)


@dataclass
class Analysis:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def make_finding(code: str, site: Site | None, message: str, symbol: str | None) -> Finding:
    info = RULES[code]
    site = site or _NOWHERE
    return Finding(
        code=info.code,
        name=info.name,
        severity=info.severity,
        path=site.path,
        line=site.line,
        column=site.column,
        end_line=site.line,
        end_column=max(site.end_column, site.column),
        message=message,
        symbol=symbol,
        source="graph",
    )


def _nonzero(penalties: list[Penalty]) -> bool:
    return any(p.term.coefficient != 0 for p in penalties)


def _names(ir: GraphIR, indices: list[int], limit: int = 3) -> str:
    names = [f"'{ir.variables[i].name}'" for i in indices[:limit]]
    more = len(indices) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _vars_under(ir: GraphIR, roots: list[int]) -> list[int]:
    return sorted({var for i in ancestors(ir, roots) if ir.ops[i].kind == VAR and (var := ir.ops[i].var) is not None})


def _trained(ir: GraphIR, dec: Decomposition) -> list[int]:
    reached = {ir.ops[i].var for i in dec.loss_ancestors if ir.ops[i].kind == VAR}
    wanted = ir.sources if ir.sources is not None else {i for i, v in enumerate(ir.variables) if v.trainable}
    return sorted(i for i in reached & wanted if i is not None)


def _counted_twice(penalties: list[Penalty]) -> bool:
    seen = [(p.kind, p.term.coefficient) for p in penalties if p.term.coefficient != 0]
    return len(seen) != len(set(seen))


_READS = ("ReadVariableOp", "Identity", "Cast", "Snapshot", "Reshape", "ExpandDims")
# Ops that keep a weight tensor's sign and shape: what constraints compute (w * factor, w / norm, clip, relu).
_KEEPS_WEIGHT = {
    "Mul",
    "RealDiv",
    "Div",
    "TrueDiv",
    "DivNoNan",
    "Minimum",
    "Maximum",
    "ClipByValue",
    "Relu",
    "Select",
    "SelectV2",
}


def _through(ir: GraphIR, index: int) -> int:
    while ir.ops[index].type in ("Identity", "Cast", "Snapshot") and ir.ops[index].inputs:
        index = ir.ops[index].inputs[0]
    return index


def _read_of(ir: GraphIR, index: int) -> int | None:
    op = ir.ops[index]
    for _ in range(8):
        if op.kind == VAR:
            return op.var
        if op.type not in _READS or not op.inputs:
            return None
        op = ir.ops[op.inputs[0]]
    return None


def _whole_weight(ir: GraphIR, root: int) -> int | None:
    """The variable a penalty term passes on whole (``w * f(w)``, ``w / norm``, ``clip(w)``), or None.

    ``w * w`` is a square (an L2 penalty), not the weight passed on."""
    op = ir.ops[_through(ir, root)]
    if op.type not in _KEEPS_WEIGHT:
        return None
    reads = [_read_of(ir, i) for i in op.inputs]
    whole = [v for v in reads if v is not None]
    return whole[0] if len(whole) == 1 else None


def output_kernels(ir: GraphIR, forward: set[int]) -> set[int]:
    """Kernels of the output layer(s): read by a MatMul / Conv whose result reaches the loss through no other
    MatMul / Conv (``forward``: the ops the loss depends on)."""
    from regcheck.graph.roles import kernel_reads

    consumers: dict[int, list[int]] = {}
    for index in forward:
        for source in ir.ops[index].inputs:
            consumers.setdefault(source, []).append(index)
    reads = {index: kernel_reads(ir, index) for index in forward}
    kernel_ops = {index for index, variables in reads.items() if variables}
    # Does a kernel op lie downstream of each op? Memoised over the consumers, without recursion.
    downstream: dict[int, bool] = {}
    for root in kernel_ops:
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            index, expanded = stack.pop()
            if index in downstream:
                continue
            following = consumers.get(index, [])
            if not expanded:
                stack.append((index, True))
                stack.extend((c, False) for c in following if c not in downstream)
                continue
            downstream[index] = any(c in kernel_ops or downstream.get(c, False) for c in following)
    hidden = {var for index in kernel_ops if downstream.get(index) for var in reads[index]}
    return {var for index in kernel_ops for var in reads[index]} - hidden


def analyse(ir: GraphIR) -> Analysis:
    result = Analysis(notes=list(ir.notes))
    dec = decompose(ir)
    roles = assign_roles(ir)
    by_var = dec.penalties_by_variable()
    trained = _trained(ir, dec)
    status: dict[int, list[str]] = {i: [] for i in trained}
    findings = result.findings

    def add(code: str, site: Site | None, message: str, var: int | None, also: Iterable[int] = ()) -> None:
        # A variable whose creating line is unknown points at the line where training (or the audit) was reached.
        findings.append(
            make_finding(code, site or ir.call_site, message, ir.variables[var].name if var is not None else None)
        )
        for index in {var, *also}:
            if index in status:
                status[index].append(code)

    # RC104 first: a late regularizer explains a missing penalty better than RC101 does. Only the variables
    # this step trains count (a model rebuilt from its config leaves the old, untrained layers behind), and
    # one assignment (a loop over a model's layers) is one finding, however many layers it reached.
    late = set()
    groups: dict[tuple[Site | None, str], list[LayerAttr]] = {}
    for entry in ir.late_regularizers:
        if entry.variable in status and not by_var.get(entry.variable):
            late.add(entry.variable)
            groups.setdefault((entry.site, entry.attr), []).append(entry)
    for (site, attr), entries in groups.items():
        first = ir.variables[entries[0].variable]
        if len(entries) == 1:
            message = (
                f"'{entries[0].layer}.{attr}' was set after the layer was built: its variable "
                f"'{first.name}' carries no penalty and training is unregularized"
            )
        else:
            layers = ", ".join(f"'{e.layer}'" for e in entries[:3])
            more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
            message = (
                f"'{attr}' was set on {len(entries)} layers after they were built ({layers}{more}): their "
                "variables carry no penalty and training is unregularized"
            )
        add("RC104", site or first.site, message, entries[0].variable, [e.variable for e in entries])

    kernels = [i for i in trained if roles[i] == KERNEL]
    covered = [i for i in kernels if _nonzero(by_var.get(i, []))]
    if covered:
        example = f"'{ir.variables[covered[0]].name}' has {by_var[covered[0]][0].describe()}"
        missed = [i for i in kernels if i not in by_var and i not in late]
        outputs = output_kernels(ir, dec.loss_ancestors)
        # Every hidden kernel penalized and only the output layer left free: advice (RC106), as on the static path.
        head_only = bool(missed) and all(i in outputs for i in missed)
        for i in missed:
            var = ir.variables[i]
            if head_only:
                add(
                    "RC106",
                    var.site,
                    f"output kernel '{var.name}' {format_shape(var.shape)} is the only kernel the minimized loss "
                    f"does not penalize; {len(covered)} hidden kernel(s) are ({example})",
                    i,
                )
            else:
                add(
                    "RC101",
                    var.site,
                    f"kernel '{var.name}' {format_shape(var.shape)} is not penalized by the "
                    f"minimized loss, while {len(covered)} other kernel(s) are ({example})",
                    i,
                )

    labels = {BIAS: "bias", NORM: "normalization parameter", EMBEDDING: "embedding table"}
    for i in trained:
        if roles[i] in labels and _nonzero(by_var.get(i, [])):
            var = ir.variables[i]
            what = " + ".join(p.describe() for p in by_var[i])
            add(
                "RC102" if roles[i] == BIAS else "RC103",
                var.site,
                f"{labels[roles[i]]} '{var.name}' {format_shape(var.shape)} is penalized ({what})",
                i,
            )

    # TF2's variable_scope keeps lazy collection entries that build fresh ops on every read,
    # so an entry also counts as used when the loss penalizes all the variables it reads.
    missing = [
        r
        for r in ir.regularization_losses
        if r not in dec.loss_ancestors and not all(by_var.get(v) for v in _vars_under(ir, [r]))
    ]
    if missing and ir.loss is not None:
        variables = _vars_under(ir, missing)
        add(
            "RC201",
            ir.call_site,
            f"{len(missing)} penalt{'y' if len(missing) == 1 else 'ies'} in "
            f"REGULARIZATION_LOSSES (on {_names(ir, variables) or 'no variable'}) never reach{'es' if len(missing) == 1 else ''} the loss given to "
            f"{ir.hook or 'the optimizer'}",
            variables[0] if variables else None,
            variables,
        )

    declared = [i for i in trained if ir.variables[i].declared_regularizer and not by_var.get(i) and i not in late]
    if declared:
        add(
            "RC202",
            ir.call_site,
            f"model.losses are left out of the loss given to {ir.hook or 'the optimizer'}: "
            f"the regularizers declared on {_names(ir, declared)} never reach training",
            declared[0],
            declared,
        )

    # RC208: one penalty reaching the loss twice (Keras 3 compute_loss / compiled_loss add model.losses themselves).
    doubled = [i for i in trained if _counted_twice(by_var.get(i, []))]
    if doubled:
        twice = next(p.describe() for p in by_var[doubled[0]] if _counted_twice([p, p]))
        add(
            "RC208",
            ir.call_site,
            f"the same penalty reaches the loss given to {ir.hook or 'the optimizer'} twice: "
            f"{_names(ir, doubled)} carr{'ies' if len(doubled) == 1 else 'y'} {twice} twice (model.losses counted twice)",
            doubled[0],
            doubled,
        )

    # RC305: a "penalty" that is the weight tensor itself, clipped or scaled: a constraint used as a regularizer.
    for penalty in dec.penalties:
        whole = _whole_weight(ir, penalty.term.root)
        if whole is not None and whole in status:
            var = ir.variables[whole]
            given = f" ({var.declared_regularizer})" if var.declared_regularizer else ""
            add(
                "RC305",
                var.site,
                f"a loss term of {var.name!r} {format_shape(var.shape)} is the weight tensor itself, "
                f"{ir.ops[_through(ir, penalty.term.root)].type} of the kernel{given}: a constraint passed as a "
                "regularizer adds the clipped weights to the loss and constrains nothing",
                whole,
            )

    # RC501: decoupled weight decay in the optimizer and an L2 penalty in the loss on the same weights.
    decayed = [
        i
        for i in trained
        if i in ir.weight_decay
        and any(p.kind in ("l2", "l2_loss") and p.term.coefficient != 0 for p in by_var.get(i, []))
    ]
    if decayed:
        optimizer, rate = ir.weight_decay[decayed[0]]
        l2 = next(p.describe() for p in by_var[decayed[0]] if p.kind in ("l2", "l2_loss"))
        add(
            "RC501",
            ir.call_site,
            f"{optimizer} decays {_names(ir, decayed)} (weight_decay={rate:g}) and the loss "
            f"also penalizes them with L2 ({l2}): weight decay is counted twice",
            decayed[0],
            decayed,
        )

    if ir.train_op is not None and ir.update_ops:
        needed = ancestors(ir, [ir.train_op], control=True)
        skipped = [u for u in ir.update_ops if u not in needed]
        if skipped:
            names = ", ".join(f"'{ir.ops[u].name}'" for u in skipped[:2])
            add(
                "RC207",
                ir.call_site,
                f"the train op does not depend on {len(skipped)} of {len(ir.update_ops)} "
                f"UPDATE_OPS ({names}...): batch-norm moving statistics are never updated",
                None,
            )

    for i in trained:
        var = ir.variables[i]
        penalties = by_var.get(i, [])
        state = ", ".join(status[i]) or ("penalized" if penalties else "unpenalized")
        result.coverage.append(
            CoverageRow(
                var.name, format_shape(var.shape), roles[i], " + ".join(p.describe() for p in penalties) or "-", state
            )
        )
    findings.sort(key=Finding.sort_key)
    return result
