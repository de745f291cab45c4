"""Weight constraints and norm clipping: what each one bounds.

Three facts feed the RC3xx rules:

* ``norm_bounds``: per-unit norm bounds on a kernel whose layout is known:
  ``MaxNorm`` / ``max_norm`` (and the other axis-taking norm constraints)
  passed as a layer's ``*_constraint=``, a constraint function that calls
  ``clip_by_norm`` on its argument, and the TF1 idiom of clipping a variable
  or ``layer.kernel`` (``tf.assign(w, tf.clip_by_norm(w, 3, axes=[0]))``).
* ``clip_calls``: every ``tf.clip_by_norm`` with what its tensor ranges over
  (gradients or variables, and the ranks of the collection when it loops).
* ``dropouts`` / ``uses_max_norm``: for the dropout + max-norm advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import literal_value, resolve_expr, values_of
from regcheck.facts.kernel_layouts import (
    KERNEL_ATTRIBUTES,
    LAYER_KERNELS,
    Kernel,
    layer_kernel,
    stated_shape,
    variable_kernel,
)
from regcheck.facts.module import CallFact, LoopSource, ModuleFacts
from regcheck.facts.penalties import ALL_VARIABLE_SOURCES


@dataclass(eq=False)
class NormBound:
    """A per-unit norm bound on one kernel (or on several kernels of one layout)."""

    report: cst.CSTNode  # where a finding points
    kernels: list[Kernel]
    axes: tuple[int, ...] | None  # None: the axes are not a literal
    axes_node: cst.BaseExpression | None  # the axis expression, None when defaulted
    owner: cst.Call | None  # the MaxNorm / clip_by_norm call a fix edits (None: no fix)
    keyword: str  # "axis" (constraints) or "axes" (clip_by_norm)
    spelled: str  # how the code spells the bound, for messages


@dataclass(eq=False)
class Members:
    """What a clipped tensor ranges over."""

    gradients: bool = False
    ranks: set[int] = field(default_factory=set)
    all_variables: bool = False  # a whole model's / graph's variables
    many: bool = False  # a loop over several tensors


@dataclass(eq=False)
class ClipCall:
    call: CallFact
    subject: cst.BaseExpression
    axes: tuple[int, ...] | None  # literal axes, None when absent or not a literal
    axes_node: cst.BaseExpression | None
    members: Members


def literal_axes(facts: ModuleFacts, node: cst.BaseExpression | None) -> tuple[int, ...] | None:
    """``0``, ``[0, 1]``, ``(0, 1, 2)`` (also through a name) as a tuple of ints."""
    if node is None:
        return None
    candidates = resolve_expr(facts, node) if isinstance(node, cst.Name) else [node]
    if len(candidates) != 1:
        return None
    value = candidates[0]
    if isinstance(value, (cst.List, cst.Tuple)):
        items = [literal_value(e.value) for e in value.elements]
        return tuple(items) if items and all(isinstance(i, int) for i in items) else None  # type: ignore[arg-type]
    single = literal_value(value)
    return (single,) if isinstance(single, int) else None


def _axis_arg(call: CallFact) -> tuple[str, int]:
    """Keyword and position of the axis argument of a norm constraint (one of vocabulary.NORM_CONSTRAINTS)."""
    return "axis", vocabulary.NORM_CONSTRAINT_AXIS[call.name or ""]


# --- norm bounds on kernels ---------------------------------------------------


def norm_bounds(facts: ModuleFacts) -> list[NormBound]:
    return facts.cached("norm_bounds", _collect_bounds)


def _collect_bounds(facts: ModuleFacts) -> list[NormBound]:
    bounds: list[NormBound] = []
    inside_constraints: set[cst.Call] = set()
    for call in facts.calls:
        kernels = LAYER_KERNELS.get(call.name or "")
        if not kernels:
            continue
        for keyword in kernels:
            arg = call.arg(keyword)
            kernel = layer_kernel(facts, call, keyword) if arg is not None else None
            if arg is None or kernel is None:
                continue
            for bound in _constraint_bounds(facts, arg, kernel):
                bounds.append(bound)
                if bound.keyword == "axes" and bound.owner is not None:
                    inside_constraints.add(bound.owner)
    for clip in clip_calls(facts):
        if clip.call.node in inside_constraints or clip.members.gradients:
            continue
        clipped = weight_kernels(facts, clip.subject)
        if clipped:
            bounds.append(
                NormBound(clip.call.node, clipped, clip.axes, clip.axes_node, clip.call.node, "axes", "clip_by_norm")
            )
    return bounds


def _constraint_bounds(facts: ModuleFacts, arg: cst.Arg, kernel: Kernel) -> list[NormBound]:
    found: list[NormBound] = []
    inline = arg.value
    for value in resolve_expr(facts, inline) if isinstance(inline, cst.Name) else [inline]:
        fact = facts.call(value)
        if fact is not None and fact.name in vocabulary.NORM_CONSTRAINTS:
            assert isinstance(value, cst.Call)  # facts.call finds calls only
            keyword, position = _axis_arg(fact)
            axes_node = fact.value(keyword, position)
            axes = literal_axes(facts, axes_node) if axes_node is not None else (0,)
            owner = value if value is inline else None  # a shared object cannot get one layer's axis
            short = fact.name.rsplit(".", 1)[-1] if fact.name else "MaxNorm"
            found.append(NormBound(arg, [kernel], axes, axes_node, owner, keyword, short))
        elif isinstance(value, cst.SimpleString) and literal_value(value) in vocabulary.NORM_CONSTRAINT_IDENTIFIERS:
            found.append(NormBound(arg, [kernel], (0,), None, None, "axis", f'"{literal_value(value)}"'))
        elif isinstance(value, cst.Lambda):
            found.extend(_clip_in_function(facts, arg, kernel, value, value.params))
    for function in values_of(facts, inline).functions if isinstance(inline, cst.Name) else []:
        found.extend(_clip_in_function(facts, arg, kernel, function, function.params))
    return found


def _clip_in_function(
    facts: ModuleFacts, arg: cst.Arg, kernel: Kernel, function: cst.CSTNode, params: cst.Parameters
) -> list[NormBound]:
    """A custom constraint ``lambda w: tf.clip_by_norm(w, 3, axes=1)``: the clip bounds the layer's kernel."""
    if not params.params:
        return []
    param = params.params[0].name.value
    found = []
    for clip in clip_calls(facts):
        if (
            isinstance(clip.subject, cst.Name)
            and clip.subject.value == param
            and function in facts.ancestors(clip.call.node)
        ):
            found.append(
                NormBound(clip.call.node, [kernel], clip.axes, clip.axes_node, clip.call.node, "axes", "clip_by_norm")
            )
    return found


def weight_kernels(facts: ModuleFacts, subject: cst.BaseExpression) -> list[Kernel]:
    """Kernels (with known layouts) that a tensor expression may be: variables or `layer.kernel`."""
    kernels: list[Kernel] = []
    for value, symbol, uses in _variable_candidates(facts, subject):
        fact = facts.call(value)
        if fact is not None and fact.name in vocabulary.VARIABLE_CONSTRUCTORS:
            kernel = variable_kernel(facts, fact, symbol, uses)
            if kernel is not None:
                kernels.append(kernel)
        elif isinstance(value, cst.Attribute) and value.attr.value in KERNEL_ATTRIBUTES:
            for layer in resolve_expr(facts, value.value):
                layer_fact = facts.call(layer)
                if layer_fact is not None:
                    kernel = layer_kernel(facts, layer_fact, KERNEL_ATTRIBUTES[value.attr.value])
                    if kernel is not None:
                        kernels.append(kernel)
        elif fact is not None and fact.method in ("get_tensor_by_name", "get_variable"):
            kernels.extend(_named_layer_kernels(facts, literal_value(fact.value("name", 0))))
    return kernels


def _named_layer_kernels(facts: ModuleFacts, tensor_name: object) -> list[Kernel]:
    """``graph.get_tensor_by_name("hidden1/kernel:0")``: the kernel of the layer this module builds
    with ``name="hidden1"``."""
    if not isinstance(tensor_name, str) or "/" not in tensor_name:
        return []
    scope, _, variable = tensor_name.split(":", 1)[0].rpartition("/")
    keyword = KERNEL_ATTRIBUTES.get(variable)
    if keyword is None:
        return []
    found: list[Kernel] = []
    for call in facts.calls:
        if call.name in LAYER_KERNELS and literal_value(call.value("name")) == scope:
            kernel = layer_kernel(facts, call, keyword)
            if kernel is not None:
                found.append(kernel)
    return found


def _variable_candidates(
    facts: ModuleFacts, subject: cst.BaseExpression
) -> list[tuple[cst.CSTNode, str, list[cst.CSTNode]]]:
    """(value, symbol, uses of the name) for each thing a subject may hold, through loops over lists."""
    if isinstance(subject, cst.Attribute) and subject.attr.value in KERNEL_ATTRIBUTES:
        return [(subject, facts.code(subject), [])]
    out: list[tuple[cst.CSTNode, str, list[cst.CSTNode]]] = []
    if isinstance(subject, cst.Name):
        for loop, _index in loop_bindings(facts, subject):
            for iterable in resolve_expr(facts, loop.iterable):
                if isinstance(iterable, (cst.List, cst.Tuple)):
                    for element in iterable.elements:
                        out.extend(_variable_candidates(facts, element.value))
        if out:
            return out
        for value in resolve_expr(facts, subject):
            out.append((value, subject.value, _references(facts, subject)))
        return out
    return [(value, facts.code(subject), []) for value in resolve_expr(facts, subject)]


def _references(facts: ModuleFacts, name: cst.Name) -> list[cst.CSTNode]:
    return [node for binding in facts.assignments(name) for node in facts.references(binding)]


def loop_bindings(facts: ModuleFacts, name: cst.Name) -> list[tuple[LoopSource, int | None]]:
    """Loops binding ``name``, with its index in a tuple target (``for g, v in ...``: g is 0)."""
    found = []
    for assignment in facts.assignments(name):
        target = assignment.node
        source = facts.loop_sources.get(target) if target is not None else None
        if target is None or source is None:
            continue
        index = None
        element = facts.parent(target)
        holder = facts.parent(element) if isinstance(element, cst.Element) else None
        if isinstance(holder, (cst.Tuple, cst.List)):
            index = next(i for i, e in enumerate(holder.elements) if e is element)
        found.append((source, index))
    return found


# --- clip_by_norm calls -------------------------------------------------------


def clip_calls(facts: ModuleFacts) -> list[ClipCall]:
    return facts.cached("clip_calls", _collect_clips)


def _collect_clips(facts: ModuleFacts) -> list[ClipCall]:
    found = []
    for call in facts.calls_named(vocabulary.CLIP_BY_NORM):
        subject = call.value("t", 0)
        if subject is None:
            continue
        axes_node = call.value("axes", 2)
        found.append(ClipCall(call, subject, literal_axes(facts, axes_node), axes_node, members(facts, subject)))
    return found


def members(facts: ModuleFacts, subject: cst.BaseExpression) -> Members:
    """Whether a tensor is a gradient, and the ranks of what it ranges over when it loops."""
    result = Members()
    if isinstance(subject, cst.Subscript):
        # `grads[0]`, `gv[0]`: an element of a gradient list.
        inner = members(facts, subject.value)
        result.gradients = inner.gradients
        return result
    if not isinstance(subject, cst.Name):
        return result
    for loop, index in loop_bindings(facts, subject):
        result.many = True
        _range_over(facts, loop.iterable, index, result, depth=4)
    if not result.many:
        for value in resolve_expr(facts, subject):
            fact = facts.call(value)
            if fact is not None and _gradient_call(fact)[0]:
                result.gradients = True
    return result


def _gradient_call(fact: CallFact) -> tuple[bool, cst.BaseExpression | None]:
    """Whether a call returns gradients, and the variables it differentiates with respect to."""
    if fact.name == "tf.gradients":
        return True, fact.value("xs", 1)
    if fact.name is None and fact.method == "gradient":
        return True, fact.value("sources", 1)
    if fact.name is None and fact.method == "compute_gradients":
        return True, fact.value("var_list", 1)
    return False, None


def _range_over(
    facts: ModuleFacts, iterable: cst.BaseExpression, index: int | None, result: Members, depth: int
) -> None:
    if depth == 0:
        return
    # An attribute nothing in this module assigns (`model.trainable_variables`) stands for itself.
    for value in resolve_expr(facts, iterable) or [iterable]:
        fact = facts.call(value)
        if (
            fact is not None
            and fact.name is None
            and isinstance(fact.node.func, cst.Name)
            and fact.node.func.value == "zip"
        ):
            if index is not None and index < len(fact.positional):
                _range_over(facts, fact.positional[index].value, None, result, depth - 1)
            continue
        if fact is not None:
            is_gradient, sources = _gradient_call(fact)
            if is_gradient:
                # compute_gradients yields (gradient, variable) pairs; the others a list of gradients.
                result.gradients = not (fact.method == "compute_gradients" and index == 1)
                if sources is None:
                    result.all_variables = True
                else:
                    _range_over(facts, sources, None, result, depth - 1)
                continue
            if fact.name in ALL_VARIABLE_SOURCES:
                result.all_variables = True
                continue
        if isinstance(value, cst.Attribute) and value.attr.value in vocabulary.VARIABLE_LIST_ATTRIBUTES:
            result.all_variables = True
        elif isinstance(value, (cst.List, cst.Tuple)):
            for element in value.elements:
                rank = tensor_rank(facts, element.value)
                if rank is not None:
                    result.ranks.add(rank)
    if result.all_variables:
        result.ranks |= module_variable_ranks(facts)


def tensor_rank(facts: ModuleFacts, node: cst.BaseExpression) -> int | None:
    """Rank of a variable or layer weight the code states, else None."""
    if isinstance(node, cst.Attribute) and node.attr.value in ("bias", "beta", "gamma"):
        return 1
    kernels = weight_kernels(facts, node)
    if kernels:
        return kernels[0].layout.rank
    for value in resolve_expr(facts, node):
        fact = facts.call(value)
        if fact is not None and fact.name in vocabulary.VARIABLE_CONSTRUCTORS:
            shape = stated_shape(facts, fact)
            if shape is not None:
                return len(shape)
    return None


def module_variable_ranks(facts: ModuleFacts) -> set[int]:
    ranks = set()
    for call in facts.calls_named(vocabulary.VARIABLE_CONSTRUCTORS):
        shape = stated_shape(facts, call)
        if shape is not None:
            ranks.add(len(shape))
    return ranks


# --- dropout and max-norm presence ---------------------------------------------


def dropouts(facts: ModuleFacts) -> list[CallFact]:
    """Dropout layers and ops with a rate that is not a literal zero."""
    found = []
    for call in facts.calls_named(vocabulary.DROPOUT_FUNCS):
        rate = call.value("rate", 0 if call.name and call.name.startswith("keras.") else None)
        if rate is None and call.name and not call.name.startswith("keras."):
            rate = call.value("rate") or call.value("keep_prob", 1)
            if literal_value(rate) == 1:
                continue
        if literal_value(rate) == 0:
            continue
        found.append(call)
    return found


def uses_max_norm(facts: ModuleFacts) -> bool:
    """A max-norm style bound anywhere in the module: a norm constraint, any *_constraint=, or a weight clip."""
    if facts.calls_named(vocabulary.NORM_CONSTRAINTS):
        return True
    for call in facts.calls:
        if any(keyword.endswith("constraint") for keyword in call.keywords):
            return True
    return any(bound.keyword == "axes" for bound in norm_bounds(facts))
