"""The kinds of mistakes injected, where each can be injected (sites), and how (libcst rewrites).

Each kind has a finder: ``find(ctx)`` adds the sites of one parsed file to ``ctx.found``. A site keeps the nodes to
rewrite (``Site.rewrites``, by identity in ``ctx.tree``), the codes that count as detecting it
(``Site.expected``; the first is the one the site's reading expects), and the places a finding may
be at besides the lines the mutation changed (``Site.anchors``, spans of original module lines).
The places, per kind (``benchmarks/README.md``, Mutations, says the same):

- ``drop-layer-regularizer`` (RC101, or RC106 when the layer is the model's output layer): the
  layer call;
- ``drop-penalty-term`` (RC101 / RC106): the dropped weight's definitions (assignments, dict
  entries) and the penalty expression;
- ``add-bias-penalty`` (RC102): the layer call, or the new term and the bias's definitions;
- ``drop-collection-read`` (RC201): the loss expression and the training calls
  (``minimize``/``compute_gradients``/``gradients``/...) that read the loss's name in its scope;
- ``drop-model-losses`` (RC202): the loss expression and the gradient / ``compiled_loss`` calls of
  its function and of the functions that call it;
- ``penalty-after-tape`` (RC203): the moved addition and the ``tape.gradient`` call;
- ``list-added`` (RC204): the loss expression;
- ``drop-update-ops`` (RC207): the train op (the statements that were in the ``with`` block, or the
  training calls that the ``tf.group`` grouped);
- ``regularizer-after-build`` (RC104): the inserted assignment loop;
- ``separable-kernel-regularizer`` (RC107): the layer call.

Every site also requires that the unmutated file reports none of the expected codes at those
places, and that no line there carries a ``noqa`` comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from mutants import syntax
from mutants.imports import Project
from mutants.source import Source, split_lines
from mutants.syntax import Rewrite, Tree, callee_tail, dotted, keyword, tail, walk

# --- vocabulary ----------------------------------------------------------------------

KERNEL_TO_BIAS = {"kernel_regularizer": "bias_regularizer", "W_regularizer": "b_regularizer"}
KERNEL_TO_BIAS["weights_regularizer"] = "biases_regularizer"
BIAS_KEYWORDS = frozenset({"bias_regularizer", "b_regularizer", "biases_regularizer"})
KERAS_WEIGHT_LAYERS = frozenset(
    """Dense Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose Convolution1D Convolution2D
    Convolution3D Deconvolution2D Deconv2D LocallyConnected1D LocallyConnected2D SimpleRNN LSTM GRU ConvLSTM2D
    EinsumDense""".split()  # noqa: SIM905  (a word list reads better as words)
)
TF_WEIGHT_LAYERS = frozenset(
    """dense conv1d conv2d conv3d conv2d_transpose conv3d_transpose fully_connected convolution2d convolution""".split()  # noqa: SIM905  (a word list reads better as words)
)
SEPARABLE_LAYERS = frozenset(
    """SeparableConv1D SeparableConv2D DepthwiseConv1D DepthwiseConv2D SeparableConvolution1D SeparableConvolution2D""".split()  # noqa: SIM905  (a word list reads better as words)
)
WEIGHT_LAYERS = KERAS_WEIGHT_LAYERS | TF_WEIGHT_LAYERS
ANY_WEIGHT_USE = WEIGHT_LAYERS | SEPARABLE_LAYERS | frozenset({"separable_conv2d", "Embedding", "matmul"})
APPLICATIONS = frozenset(
    """ResNet50 ResNet101 ResNet152 ResNet50V2 ResNet101V2 ResNet152V2 VGG16 VGG19 InceptionV3
    InceptionResNetV2 Xception MobileNet MobileNetV2 MobileNetV3Small MobileNetV3Large DenseNet121 DenseNet169 DenseNet201
    NASNetMobile NASNetLarge EfficientNetB0 EfficientNetB1 EfficientNetB2 EfficientNetB3 EfficientNetB4 EfficientNetB5 EfficientNetB6
    EfficientNetB7 EfficientNetV2S EfficientNetV2M EfficientNetV2L ConvNeXtTiny load_model""".split()  # noqa: SIM905  (a word list reads better as words)
)
TRAINING_CALLS = frozenset(
    {"minimize", "compute_gradients", "gradients", "gradient", "create_train_op", "optimize_loss", "apply_gradients"}
)
SUMMING_CALLS = frozenset({"add_n", "sum", "reduce_sum", "reduce_mean", "scale_regularization_loss", "stop_gradient"})
BIAS_NAME = re.compile(r"(^|[^a-z])(b|bias|biases)(\d*|_.*)$|bias", re.I)
ZERO = re.compile(r"^\s*(0(\.0*)?|0?\.0+)\s*$")
PENALTY_WORDS = re.compile(r"_regularizer\s*=|\bregularizer\s*=|add_loss\s*\(|\bl2_regularizer\b|\bregularizers\.")
COLLECTION_WORDS = re.compile(
    r"_regularizer\s*=|\bregularizer\s*=|REGULARIZATION_LOSSES\s*,|add_to_collection\(\s*['\"]?[\w.]*REGULARIZ"
)
BATCH_NORM_WORDS = re.compile(
    r"\b(batch_norm|batch_normalization|BatchNormalization|BatchNorm|fused_batch_norm)\s*[(,\])]|normalizer_fn\s*="
)


@dataclass
class Site:
    kind: str
    repo: str
    path: str
    line: int  # module line of the mutated node, before the mutation
    column: int
    expected: tuple[str, ...]  # codes that count as detecting it; the first is the one expected by reading
    anchors: list[tuple[int, int]]  # original module line spans a finding may be at (and the changed lines)
    label: str
    variant: str = ""
    cell: int | None = None
    features: dict[str, Any] = field(default_factory=dict)
    rewrites: dict[cst.CSTNode, Rewrite] = field(default_factory=dict, repr=False, compare=False)
    statement_lines: tuple[int, int] = (0, 0)  # the mutated statement's span (for the report)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.repo}:{self.path}:{self.line}:{self.column}"

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "repo": self.repo,
            "path": self.path,
            "cell": self.cell,
            "line": self.line,
            "column": self.column,
            "anchors": [list(span) for span in self.anchors],
            "expected": list(self.expected),
            "label": self.label,
            "variant": self.variant,
            "features": self.features,
        }


def site_from_record(record: dict[str, Any]) -> Site:
    """A site as a results file recorded it (without its rewrites), for ``--summarize``."""
    return Site(
        record["kind"],
        record["repo"],
        record["path"],
        record["line"],
        record.get("column", 0),
        tuple(record["expected"]),
        [(a, b) for a, b in record.get("anchors", [])],
        record["label"],
        record["variant"],
        record["cell"],
        record["features"],
    )


def clean(site: Site, baseline: dict[str, set[int]]) -> bool:
    """Whether the unmutated file reports none of the site's expected codes at its places
    (``baseline``: code -> module lines where the unmutated file reports it)."""
    lines = {line for first, last in site.anchors for line in range(first, last + 1)}
    return not any(baseline.get(code, set()) & lines for code in site.expected)


@dataclass
class Context:
    """One parsed file, and the sites its finders found (``Context.site`` adds them)."""

    repo: str
    source: Source
    tree: Tree
    project: Project
    found: list[Site] = field(default_factory=list)
    _lines: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.source.rel

    def site(
        self,
        kind: str,
        node: cst.CSTNode,
        expected: tuple[str, ...],
        anchors: list[cst.CSTNode],
        rewrites: dict[cst.CSTNode, Rewrite],
        label: str,
        variant: str = "",
        **features: Any,
    ) -> None:
        """Add a site, unless a ``noqa`` comment sits at its places (:func:`clean` later drops the
        sites where the unmutated file already reports an expected code)."""
        tree = self.tree
        spans = [tree.lines(a) for a in anchors]
        spans.append(tree.lines(node))
        if not self._lines:
            self._lines = split_lines(self.source.text)
        for first, last in spans:
            if any("noqa" in line or "regcheck:" in line for line in self._lines[first - 1 : last]):
                return
        line, column = tree.start(node)
        cell, _ = self.source.place(line)
        features = {**context_features(self, node), **features}
        statement = tree.lines(tree.statement(node))
        self.found.append(
            Site(
                kind,
                self.repo,
                self.path,
                line,
                column,
                expected,
                spans,
                label,
                variant,
                cell,
                features,
                rewrites,
                statement,
            )
        )


# --- facts about a site's surroundings (what the miss causes are read from) -----------


def context_features(ctx: Context, node: cst.CSTNode) -> dict[str, Any]:
    tree = ctx.tree
    features: dict[str, Any] = {"notebook": ctx.source.is_notebook}
    function = tree.function(node)
    klass = tree.enclosing_class(node)
    if klass is not None:
        features["class"] = klass.name.value
        features["class_bases"] = [tree.code(base.value) for base in klass.bases]
    if function is None:
        features["scope"] = "module"
    else:
        outer = function
        for ancestor in tree.ancestors(function):
            if isinstance(ancestor, cst.FunctionDef):
                outer = ancestor
        features["scope"] = "method" if klass is not None and tree.inside(outer, klass) else "function"
        if outer is not function:
            features["scope"] = "nested function"
        features["function"] = function.name.value
        features["called"] = called_from(ctx, outer.name.value if klass is None else klass.name.value)
    features["imported_by"] = len(ctx.project.importers.get(ctx.path, ()))
    if isinstance(node, cst.Call):
        root = (dotted(node.func) or "").split(".")[0]
        if root and isinstance(node.func, cst.Attribute) and tree.assignments(tree.module, root):
            features["callee_alias"] = root  # `layers = tf.keras.layers` (or another module) bound by assignment
    return features


def called_from(ctx: Context, name: str) -> str:
    """Where a top-level function (or class) is called: in this file at module level, under the main
    guard, from another function (``main``), in another file, or nowhere."""
    tree = ctx.tree
    places = []
    for call in tree.nodes(cst.Call):
        if callee_tail(call) != name:
            continue
        function = tree.function(call)
        if function is not None:
            places.append("main()" if function.name.value == "main" else "function")
        elif any(_is_main_guard(a) for a in tree.ancestors(call)):
            places.append("main guard")
        else:
            places.append("module level")
    if places:
        for preferred in ("module level", "main guard", "main()", "function"):
            if preferred in places:
                return preferred
    word = re.compile(rf"\b{re.escape(name)}\s*\(")
    for other, text in ctx.project.texts.items():
        if other != ctx.path and word.search(text):
            return "other file"
    return "not called"


def _is_main_guard(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.If) and "__main__" in cst.Module([]).code_for_node(node.test)


# --- shared reading ------------------------------------------------------------------


def layer_calls(tree: Tree, names: frozenset[str]) -> Iterator[cst.Call]:
    for call in tree.nodes(cst.Call):
        if callee_tail(call) in names:
            yield call


def regularizer_arg(call: cst.Call) -> cst.Arg | None:
    """The call's kernel regularizer keyword, if it sets a non-zero one."""
    arg = keyword(call, *KERNEL_TO_BIAS)
    if arg is None or syntax.is_none(arg.value):
        return None
    return arg


def is_zero_penalty(tree: Tree, node: cst.CSTNode) -> bool:
    """``l2(0.)``, ``l2(wd)`` with ``wd = 0.0`` bound in the function or the module: a zero
    coefficient, which counts as deliberate (and makes a mutation change nothing)."""
    for sub in walk(node):
        if not (isinstance(sub, cst.Call) and len(sub.args) == 1):
            continue
        value = sub.args[0].value
        if ZERO.match(tree.code(value)):
            return True
        if isinstance(value, cst.Name):
            function = tree.function(node)
            scopes: list[syntax.Scope] = [tree.module] if function is None else [function, tree.module]
            for scope in scopes:
                if any(ZERO.match(tree.code(a.value)) for a in tree.assignments(scope, value.value)):
                    return True
    return False


KNOWN_REGULARIZERS = frozenset({"l1", "l2", "l1_l2", "L1", "L2", "L1L2", "l2_regularizer", "l1_regularizer"})


def regularizer_form(tree: Tree, value: cst.BaseExpression) -> str:
    """How a ``*_regularizer=`` value is written: ``call`` (``l2(1e-4)``), ``uncalled function``
    (``regularizers.l1``), ``project helper`` (``_gen_l2_regularizer(flag)``), ``name`` (``reg``)."""
    if isinstance(value, cst.Call):
        if tail(value.func) in KNOWN_REGULARIZERS or (tail(value.func) or "").endswith("Regularizer"):
            return "call"
        return "project helper" if isinstance(value.func, cst.Name) or "self" in tree.code(value.func) else "call"
    if tail(value) in KNOWN_REGULARIZERS:
        return "uncalled function"
    return "name"


def wired(tree: Tree, call: cst.Call) -> bool:
    """Whether a layer call is part of a model: in a ``Sequential`` list, added with ``.add``,
    applied (``Dense(4)(x)``, ``tf.layers.dense(x, 4)``), an attribute of a class, returned, or bound
    to a name that one of these uses. A layer made and never used (a demo) is not."""
    parent = tree.parent(call)
    if isinstance(parent, (cst.Element, cst.Return)) or _add_owner(tree, call) is not None:
        return True
    if layer_result(tree, call) is not call or callee_tail(call) in TF_WEIGHT_LAYERS:
        return True
    if tree.enclosing_class(call) is not None:
        return True
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        name = parent.targets[0].target.value
        for use in uses(tree, tree.scope(call), name, parent):
            holder = tree.parent(use)
            if isinstance(holder, cst.Call) and holder.func is use:
                return True
            if isinstance(holder, (cst.Element, cst.Arg)):
                return True
    return False


def is_parameter_passthrough(tree: Tree, node: cst.BaseExpression) -> bool:
    """``kernel_regularizer=kernel_regularizer`` where that is a parameter whose default is None."""
    if not isinstance(node, cst.Name):
        return False
    function = tree.function(node)
    if function is None:
        return False
    for param in [*function.params.params, *function.params.kwonly_params]:
        if param.name.value == node.value:
            return param.default is None or syntax.is_none(param.default)
    return False


def layer_result(tree: Tree, call: cst.Call) -> cst.BaseExpression:
    """The expression whose value is the layer's output: ``Dense(...)(x)`` for a Keras class, the
    call itself for ``tf.layers.dense(x, ...)``."""
    parent = tree.parent(call)
    if isinstance(parent, cst.Call) and parent.func is call:
        return parent
    return call


def applies_weight_layer(call: cst.Call, extra: frozenset[str] = frozenset()) -> bool:
    names = ANY_WEIGHT_USE | extra
    if callee_tail(call) in names:
        return True
    return isinstance(call.func, cst.Call) and callee_tail(call.func) in names


def is_output_layer(tree: Tree, call: cst.Call, extra: frozenset[str] = frozenset()) -> bool:
    """Whether the layer is the model's output layer: no later weight layer of its model reads it."""
    parent = tree.parent(call)
    # Sequential([... , layer]) and model.add(layer)
    if isinstance(parent, cst.Element):
        container = tree.parent(parent)
        if isinstance(container, (cst.List, cst.Tuple)):
            later = container.elements[container.elements.index(parent) + 1 :]
            return not any(isinstance(e.value, cst.Call) and applies_weight_layer(e.value, extra) for e in later)
    if isinstance(parent, cst.Arg):
        holder = tree.parent(parent)
        if isinstance(holder, cst.Call) and callee_tail(holder) == "add" and isinstance(holder.func, cst.Attribute):
            scope = tree.scope(call)
            owner = tree.code(holder.func.value)
            line = tree.start(holder)
            for other in tree.own(scope, cst.Call):
                if (
                    other is not holder
                    and callee_tail(other) == "add"
                    and isinstance(other.func, cst.Attribute)
                    and tree.code(other.func.value) == owner
                    and tree.start(other) > line
                    and other.args
                    and isinstance(other.args[0].value, cst.Call)
                    and applies_weight_layer(other.args[0].value, extra)
                ):
                    return False
            return True
    klass = tree.enclosing_class(call)
    if klass is not None and not any("Model" in tree.code(base.value) for base in klass.bases):
        return False  # a custom Layer (a block): its last layer is not the model's output
    # self.fc = Dense(...) in __init__: the last such attribute that `call` uses
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Attribute) and tree.code(target.value) == "self":
            return _last_used_in_call(tree, call, target.attr.value)
    function = tree.function(call)
    if function is not None and klass is None and not _builds_model(tree, function):
        return False  # a block or a layer helper (returns a tensor): the model goes on after it
    return _flows_to_no_weight_layer(tree, layer_result(tree, call), extra)


def _builds_model(tree: Tree, function: cst.FunctionDef) -> bool:
    """Whether a function makes the model itself (``Model(...)``, ``Sequential(...)``, a loss or a train
    op), rather than a block of it."""
    names = {"Model", "Sequential", "minimize", "compute_gradients", "softmax_cross_entropy_with_logits"}
    return any(callee_tail(c) in names or "loss" in (callee_tail(c) or "") for c in tree.within(function, cst.Call))


def _last_used_in_call(tree: Tree, node: cst.CSTNode, attr: str) -> bool:
    klass = tree.enclosing_class(node)
    if klass is None:
        return False
    layers = set()
    for assign in tree.within(klass, cst.Assign):
        target = assign.targets[0].target if len(assign.targets) == 1 else None
        if (
            isinstance(target, cst.Attribute)
            and isinstance(assign.value, cst.Call)
            and applies_weight_layer(assign.value)
        ):
            layers.add(target.attr.value)
    for function in tree.within(klass, cst.FunctionDef):
        if function.name.value not in ("call", "__call__", "forward"):
            continue
        used = [
            c.func.attr.value
            for c in tree.within(function, cst.Call)
            if isinstance(c.func, cst.Attribute) and tree.code(c.func.value) == "self" and c.func.attr.value in layers
        ]
        return bool(used) and used[-1] == attr
    return False


def _flows_to_no_weight_layer(tree: Tree, result: cst.BaseExpression, extra: frozenset[str]) -> bool:
    scope = tree.scope(result)
    current: cst.CSTNode = result
    while True:  # climb through wrappers: Activation()(h), tf.nn.relu(h), Flatten()(h)
        parent = tree.parent(current)
        if isinstance(parent, cst.Arg):
            holder = tree.parent(parent)
            if isinstance(holder, cst.Call):
                if applies_weight_layer(holder, extra):
                    return False
                current = holder
                continue
        break
    statement = tree.statement(current)
    if not isinstance(statement, cst.SimpleStatementLine):
        return True
    small = statement.body[0]
    if isinstance(small, cst.Return):
        return True
    names: set[str] = set()
    if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        targets = small.targets if isinstance(small, cst.Assign) else [small]
        for target in targets:
            names |= {n.value for n in walk(target.target) if isinstance(n, cst.Name)}
    if not names:
        return True
    start = tree.start(statement)
    for call in tree.own(scope, cst.Call):
        if tree.start(call) <= start or tree.inside(call, statement) or not applies_weight_layer(call, extra):
            continue
        if any(tree.mentions(arg.value, name) for arg in call.args for name in names):
            return False
    # one level of renaming: h = tf.nn.relu(h1); out = Dense(..)(h)
    for assign in tree.own(scope, cst.Assign):
        if tree.start(assign) <= start or not any(tree.mentions(assign.value, n) for n in names):
            continue
        if any(isinstance(c, cst.Call) and applies_weight_layer(c, extra) for c in walk(assign.value)):
            return False
        later = {n.value for t in assign.targets for n in walk(t.target) if isinstance(n, cst.Name)}
        for call in tree.own(scope, cst.Call):
            if tree.start(call) > tree.start(assign) and applies_weight_layer(call, extra):
                if any(tree.mentions(arg.value, name) for arg in call.args for name in later - names):
                    return False
    return True


def definitions(tree: Tree, expression: cst.BaseExpression) -> list[cst.CSTNode]:
    """Where the value an expression names is bound, last before the expression (all of them when
    none comes before): ``w = ...``, ``self.w = ...``, or the dict entry ``'h1': ...`` of a literal
    bound to ``weights`` for ``weights['h1']``."""
    code = tree.code(expression).strip()
    found: list[cst.CSTNode] = []
    for assign in tree.nodes(cst.Assign):
        for target in assign.targets:
            if tree.code(target.target).strip() == code:
                found.append(assign)
    if isinstance(expression, cst.Subscript) and len(expression.slice) == 1:
        index = expression.slice[0].slice
        key = tree.code(index.value).strip() if isinstance(index, cst.Index) else None
        owner = tree.code(expression.value).strip()
        for assign in tree.nodes(cst.Assign):
            if not any(tree.code(t.target).strip() == owner for t in assign.targets):
                continue
            for entry in walk(assign.value):
                if isinstance(entry, cst.DictElement) and tree.code(entry.key).strip() == key:
                    found.append(entry)
    before = [node for node in found if tree.start(node) < tree.start(expression)]
    return before[-1:] if before else found


class Term:
    """A summand of the loss: an operand of a ``+`` chain, an element of a summed list, the value of
    ``loss += ...``, or a ``*_losses=`` keyword. ``drop()`` removes it and keeps the rest."""

    def __init__(self, node: cst.CSTNode, holder: cst.CSTNode, how: str) -> None:
        self.node = node  # the summand
        self.holder = holder  # the BinaryOperation, List, statement line or Call it is removed from
        self.how = how  # "operand", "element", "statement", "keyword"

    def drop(self, tree: Tree) -> dict[cst.CSTNode, Rewrite]:
        node, holder = self.node, self.holder
        if self.how == "operand":
            assert isinstance(holder, cst.BinaryOperation)
            keep_left = holder.right is node
            return {holder: syntax.keep_operand(keep_left)}
        if self.how == "element":
            assert isinstance(holder, (cst.List, cst.Tuple))
            index = [e.value for e in holder.elements].index(node)  # type: ignore[arg-type]
            return {holder: syntax.drop_element(index)}
        if self.how == "keyword":
            assert isinstance(holder, cst.Call)
            index = list(holder.args).index(node)  # type: ignore[arg-type]
            return {holder: syntax.drop_arg(index)}
        return {holder: syntax.remove}


def summand(tree: Tree, node: cst.CSTNode) -> Term | None:
    """The loss summand that holds ``node``, climbing through coefficients (``0.01 * x``), one-argument
    sums (``tf.add_n(x)``, ``sum(x)``) and parentheses."""
    current = node
    while True:
        parent = tree.parent(current)
        if isinstance(parent, cst.BinaryOperation):
            if isinstance(parent.operator, cst.Add):
                return Term(current, parent, "operand")
            if isinstance(parent.operator, (cst.Multiply, cst.Divide)):
                current = parent
                continue
            return None
        if isinstance(parent, cst.Arg):
            call = tree.parent(parent)
            if parent.keyword is not None and parent.keyword.value == "regularization_losses":
                assert isinstance(call, cst.Call)
                return Term(parent, call, "keyword")
            if isinstance(call, cst.Call) and callee_tail(call) in SUMMING_CALLS and call.args[0] is parent:
                current = call
                continue
            if isinstance(call, cst.Call) and _appends_to_summed_list(tree, call):
                return Term(call, tree.statement(call), "statement")
            return None
        if isinstance(parent, cst.Element):
            holder = tree.parent(parent)
            if isinstance(holder, (cst.List, cst.Tuple)) and len(holder.elements) > 1 and _is_summed(tree, holder):
                return Term(current, holder, "element")
            return None
        if isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign):
            line = tree.parent(parent)
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
                return Term(parent, line, "statement")
            return None
        return None


def _appends_to_summed_list(tree: Tree, call: cst.Call) -> bool:
    """``losses.append(x)`` alone on its line, where ``losses`` is summed later (``tf.add_n(losses)``)."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "append" and len(call.args) == 1):
        return False
    line = tree.statement(call)
    if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and isinstance(line.body[0], cst.Expr)):
        return False
    owner = tree.code(call.func.value).strip()
    after = tree.start(call)
    return any(
        callee_tail(other) in SUMMING_CALLS
        and other.args
        and tree.code(other.args[0].value).strip() == owner
        and tree.start(other) > after
        for other in tree.within(tree.scope(call), cst.Call)
    )


def _is_summed(tree: Tree, node: cst.CSTNode) -> bool:
    """A list whose elements are summed: the argument of ``tf.add_n`` / ``sum``, or a part of one."""
    current = node
    for _ in range(4):
        parent = tree.parent(current)
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
            current = parent
            continue
        if isinstance(parent, cst.Arg):
            call = tree.parent(parent)
            return isinstance(call, cst.Call) and callee_tail(call) in SUMMING_CALLS
        return False
    return False


def bound_names(tree: Tree, node: cst.CSTNode) -> list[str]:
    """``x = <node>``: the names the node's value is bound to (through wrapping sums)."""
    current = node
    while True:
        parent = tree.parent(current)
        if isinstance(parent, cst.Arg):
            call = tree.parent(parent)
            if isinstance(call, cst.Call) and callee_tail(call) in SUMMING_CALLS:
                current = call
                continue
            return []
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, (cst.Multiply, cst.Divide)):
            current = parent
            continue
        if isinstance(parent, cst.Assign) and parent.value is current:
            return [n.value for t in parent.targets if isinstance(n := t.target, cst.Name)]
        return []


def uses(tree: Tree, scope: syntax.Scope, name: str, after: cst.CSTNode) -> list[cst.Name]:
    start = tree.start(after)
    found = []
    for node in tree.within(scope, cst.Name):
        if node.value != name or tree.start(node) <= start:
            continue
        parent = tree.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            continue
        if isinstance(parent, cst.AssignTarget):
            continue
        found.append(node)
    return found


def terms_reading(tree: Tree, node: cst.CSTNode, depth: int = 5, via: str = "direct") -> list[tuple[Term, str]]:
    """The loss summands that read ``node``'s value, and how they read it: ``direct`` (the node is
    in the summand), ``name`` (through names it is bound to: ``reg = tf.get_collection(...)``,
    ``reg_loss = tf.add_n(reg)``, ``loss = ce + reg_loss``), ``parameter`` (also passed to a function
    of the file and read there through the parameter), up to ``depth`` steps."""
    term = summand(tree, node)
    if term is not None:
        return [(term, via)]
    if depth == 0:
        return []
    found: list[tuple[Term, str]] = []
    scope = tree.scope(node)
    for name in bound_names(tree, node):
        for use in uses(tree, scope, name, tree.statement(node)):
            found += terms_reading(tree, use, depth - 1, "name" if via == "direct" else via)
    for use in _parameter_uses(tree, node):
        found += terms_reading(tree, use, depth - 1, "parameter")
    return found


def _parameter_uses(tree: Tree, node: cst.CSTNode) -> list[cst.Name]:
    """``f(..., node, ...)`` with ``f`` (or ``self.f``) defined in the file: the uses of the
    parameter the node is passed as, in ``f``'s body."""
    parent = tree.parent(node)
    call = tree.parent(parent) if isinstance(parent, cst.Arg) else None
    if not isinstance(call, cst.Call) or not isinstance(parent, cst.Arg) or parent.star:
        return []
    name = callee_tail(call)
    method = isinstance(call.func, cst.Attribute) and tree.code(call.func.value).strip() == "self"
    if name is None or not (isinstance(call.func, cst.Name) or method):
        return []
    index = list(call.args).index(parent)
    for function in tree.nodes(cst.FunctionDef):
        if function.name.value != name:
            continue
        params = [*function.params.posonly_params, *function.params.params]
        if method and params:
            params = params[1:]
        if parent.keyword is not None:
            param = parent.keyword.value
        elif index < len(params):
            param = params[index].name.value
        else:
            return []
        return [use for use in uses(tree, function, param, function.params)]
    return []


def training_statements(ctx: Context, near: cst.CSTNode, names: set[str]) -> list[cst.CSTNode]:
    """Statements in ``near``'s scope whose training call reads one of ``names``; if none, every
    training call of the file (the place a finding about the trained loss is at)."""
    tree = ctx.tree
    scope = tree.scope(near)
    calls = [c for c in tree.nodes(cst.Call) if callee_tail(c) in TRAINING_CALLS]
    mine = [
        c for c in calls if tree.scope(c) is scope and any(tree.mentions(arg.value, n) for arg in c.args for n in names)
    ]
    return list(mine or calls)


def penalty_target(statement: cst.CSTNode) -> set[str]:
    """The names a loss statement binds."""
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        small = statement.body[0]
        if isinstance(small, cst.Assign):
            return {n.value for t in small.targets for n in walk(t.target) if isinstance(n, cst.Name)}
        if isinstance(small, (cst.AugAssign, cst.AnnAssign)):
            return {n.value for n in walk(small.target) if isinstance(n, cst.Name)}
    return set()


# --- the kinds -----------------------------------------------------------------------


def model_group(ctx: Context, call: cst.Call, regularized: list[cst.Call]) -> tuple[list[cst.Call], str]:
    """The other regularized layers of the layer's model, and how the model is read: the same
    ``Sequential([...])`` list, the same ``model.add`` chain, the same class, the same function, or
    (module level) the same notebook cell or file."""
    tree = ctx.tree
    others = [c for c in regularized if c is not call]
    parent = tree.parent(call)
    container = tree.parent(parent) if isinstance(parent, cst.Element) else None
    if isinstance(container, (cst.List, cst.Tuple)):
        return [c for c in others if _list_of(tree, c) is container], "list"
    owner = _add_owner(tree, call)
    if owner is not None:
        scope = tree.scope(call)
        return [c for c in others if _add_owner(tree, c) == owner and tree.scope(c) is scope], "add chain"
    klass = tree.enclosing_class(call)
    if klass is not None:
        return [c for c in others if tree.inside(c, klass)], "class"
    scope = tree.scope(call)
    if not isinstance(scope, cst.Module):
        return [c for c in others if tree.scope(c) is scope], "function"
    module_level = [c for c in others if isinstance(tree.scope(c), cst.Module)]
    if ctx.source.is_notebook:
        cell = ctx.source.cell_of(tree.start(call)[0])
        return [c for c in module_level if ctx.source.cell_of(tree.start(c)[0]) is cell], "cell"
    return module_level, "module"


def _list_of(tree: Tree, call: cst.Call) -> cst.CSTNode | None:
    parent = tree.parent(call)
    return tree.parent(parent) if isinstance(parent, cst.Element) else None


def _add_owner(tree: Tree, call: cst.Call) -> str | None:
    parent = tree.parent(call)
    holder = tree.parent(parent) if isinstance(parent, cst.Arg) else None
    if isinstance(holder, cst.Call) and callee_tail(holder) == "add" and isinstance(holder.func, cst.Attribute):
        return tree.code(holder.func.value).strip()
    return None


def find_drop_layer_regularizer(ctx: Context) -> None:
    """Drop one layer's kernel regularizer where other layers of its model keep theirs."""
    tree = ctx.tree
    regularized = [
        c
        for c in layer_calls(tree, WEIGHT_LAYERS)
        if (arg := regularizer_arg(c)) is not None and not is_zero_penalty(tree, arg.value)
    ]
    for call in regularized:
        arg = regularizer_arg(call)
        assert arg is not None
        if is_zero_penalty(tree, arg.value) or is_parameter_passthrough(tree, arg.value) or not wired(tree, call):
            continue
        peers, model = model_group(ctx, call, regularized)
        if not peers and model == "function":
            # a helper that makes one regularized layer (called for several layers): the model's
            # other layers are the file's other regularized layers
            peers, model = [c for c in regularized if c is not call], "helper"
        if not peers:
            continue
        output = is_output_layer(tree, call)
        expected = ("RC106", "RC101") if output else ("RC101", "RC106")
        index = list(call.args).index(arg)
        keyword_name = arg.keyword.value if arg.keyword else ""
        ctx.site(
            "drop-layer-regularizer",
            call,
            expected,
            [call],
            {call: syntax.drop_arg(index)},
            f"{callee_tail(call)}: {keyword_name}= dropped",
            variant=keyword_name,
            layer=callee_tail(call),
            output_layer=output,
            model=model,
            regularizer=regularizer_form(tree, arg.value),
        )
    _partial_overrides(ctx)


def _partial_overrides(ctx: Context) -> None:
    """``Dense = partial(layers.Dense, kernel_regularizer=R)`` used for several layers: one use gets
    ``kernel_regularizer=None``."""
    tree = ctx.tree
    for assign in tree.nodes(cst.Assign):
        value = assign.value
        if not (isinstance(value, cst.Call) and callee_tail(value) == "partial" and value.args):
            continue
        if tail(value.args[0].value) not in WEIGHT_LAYERS or regularizer_arg(value) is None:
            continue
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            continue
        alias = assign.targets[0].target.value
        arg = regularizer_arg(value)
        assert arg is not None and arg.keyword is not None
        keyword_name = arg.keyword.value
        uses_ = [c for c in tree.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == alias]
        uses_ = [c for c in uses_ if keyword(c, *KERNEL_TO_BIAS) is None]
        if len(uses_) < 2:
            continue
        for call in uses_:
            new = cst.Arg(
                cst.Name("None"),
                keyword=cst.Name(keyword_name),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            )
            output = is_output_layer(tree, call, frozenset({alias}))
            ctx.site(
                "drop-layer-regularizer",
                call,
                ("RC106", "RC101") if output else ("RC101", "RC106"),
                [call],
                {call: _add_last_arg(new)},
                f"{alias} (a partial of {tail(value.args[0].value)}): {keyword_name}=None",
                variant="partial override",
                layer=tail(value.args[0].value),
                output_layer=output,
                model="partial",
            )


def _add_last_arg(new: cst.Arg) -> Rewrite:
    def rewrite(call: cst.Call) -> cst.Call:
        if not call.args:
            return call.with_changes(args=[new])
        return syntax.with_arg_after(call, len(call.args) - 1, new)

    return rewrite


def _bare_argument(call: cst.Call) -> cst.BaseExpression:
    """``tf.add_n(x)`` -> ``x`` (with the call's parentheses)."""
    return call.args[0].value.with_changes(lpar=call.lpar, rpar=call.rpar)


def _l2_argument(call: cst.Call) -> cst.BaseExpression | None:
    """``tf.nn.l2_loss(w)`` -> ``w``; ``tf.reduce_sum(tf.square(w))`` -> ``w``."""
    tail = callee_tail(call)
    if tail == "l2_loss" and len(call.args) >= 1:
        return call.args[0].value
    if tail == "reduce_sum" and len(call.args) == 1 and isinstance(call.args[0].value, cst.Call):
        inner = call.args[0].value
        if callee_tail(inner) == "square" and len(inner.args) == 1:
            return inner.args[0].value
    return None


def _penalty_terms(tree: Tree, top: cst.CSTNode) -> list[tuple[cst.Call, cst.BaseExpression]]:
    found: list[tuple[cst.Call, cst.BaseExpression]] = []
    for node in walk(top):
        if isinstance(node, cst.Call):
            argument = _l2_argument(node)
            if argument is not None and isinstance(argument, (cst.Name, cst.Attribute, cst.Subscript)):
                found.append((node, argument))
    return found


def _chain_top(tree: Tree, term: Term) -> cst.CSTNode:
    """The whole ``+`` chain (or summed list) a term belongs to."""
    top = term.holder
    while True:
        parent = tree.parent(top)
        if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
            top = parent
            continue
        return top


def _is_bias(tree: Tree, expression: cst.BaseExpression) -> bool:
    code = tree.code(expression)
    last = re.split(r"[.\[\]'\"]+", code.strip("]'\" "))[-1] if code else code
    return bool(BIAS_NAME.search(last))


def find_drop_penalty_term(ctx: Context) -> None:
    """Drop one ``l2_loss(w)`` term from a penalty over several weights (or one weight from the
    hand-kept list a penalty loop runs over)."""
    tree = ctx.tree
    for call in tree.nodes(cst.Call):
        argument = _l2_argument(call)
        if argument is None or _is_bias(tree, argument):
            continue
        term = summand(tree, call)
        if term is None or term.how not in ("operand", "element"):
            continue
        top = _chain_top(tree, term)
        weights = [a for _, a in _penalty_terms(tree, top) if not _is_bias(tree, a)]
        if len(weights) < 2:
            continue
        anchors: list[cst.CSTNode] = [call, *definitions(tree, argument)]
        ctx.site(
            "drop-penalty-term",
            call,
            ("RC101", "RC106"),
            anchors,
            term.drop(tree),
            f"l2 term on `{tree.code(argument)}` dropped",
            variant="chain" if term.how == "operand" else "list",
            weight=tree.code(argument),
            defined=bool(anchors[1:]),
        )
    _hand_kept_lists(ctx)


def _hand_kept_lists(ctx: Context) -> None:
    """``[tf.nn.l2_loss(v) for v in [w1, w2, w3]]`` or ``for v in weights`` with ``weights = [w1, w2]``."""
    tree = ctx.tree
    for comp in [*tree.nodes(cst.ListComp), *tree.nodes(cst.GeneratorExp)]:
        target = comp.for_in.target
        if not isinstance(target, cst.Name):
            continue
        if not any(
            isinstance(c, cst.Call) and isinstance(_l2_argument(c), cst.Name) and _l2_argument(c).value == target.value  # type: ignore[union-attr]
            for c in walk(comp.elt)
        ):
            continue
        listing: cst.CSTNode | None = comp.for_in.iter
        if isinstance(listing, cst.Name):
            bound = [a for a in tree.assignments(tree.scope(comp), listing.value) if len(a.targets) == 1]
            listing = bound[0].value if len(bound) == 1 else None
        if not isinstance(listing, (cst.List, cst.Tuple)):
            continue
        weights = [e.value for e in listing.elements if not _is_bias(tree, e.value)]
        if len(weights) < 2:
            continue
        for index, element in enumerate(listing.elements):
            if _is_bias(tree, element.value) or not isinstance(element.value, (cst.Name, cst.Attribute, cst.Subscript)):
                continue
            ctx.site(
                "drop-penalty-term",
                element.value,
                ("RC101", "RC106"),
                [comp, *definitions(tree, element.value)],
                {listing: syntax.drop_element(index)},
                f"`{tree.code(element.value)}` dropped from a penalty list",
                variant="hand-kept list",
                weight=tree.code(element.value),
            )


def find_add_bias_penalty(ctx: Context) -> None:
    """Penalize a bias: ``bias_regularizer=`` the layer's kernel regularizer, or a ``l2_loss(b)`` term."""
    tree = ctx.tree
    for call in layer_calls(tree, WEIGHT_LAYERS):
        arg = regularizer_arg(call)
        if arg is None or arg.keyword is None or is_zero_penalty(tree, arg.value):
            continue
        if keyword(call, *BIAS_KEYWORDS) is not None:
            continue
        use_bias = keyword(call, "use_bias", "bias")
        if use_bias is not None and tree.code(use_bias.value).strip() != "True":
            continue  # no bias, or one that exists only sometimes (use_bias=not batch_norm)
        if not wired(tree, call):
            continue
        normalizer = keyword(call, "normalizer_fn")
        if normalizer is not None and not syntax.is_none(normalizer.value):
            continue  # slim: a normalizer replaces the biases
        bias_keyword = KERNEL_TO_BIAS[arg.keyword.value]
        new = arg.with_changes(keyword=cst.Name(bias_keyword), value=arg.value.deep_clone())
        index = list(call.args).index(arg)
        ctx.site(
            "add-bias-penalty",
            call,
            ("RC102",),
            [call],
            {call: syntax.add_arg_after(index, new)},
            f"{callee_tail(call)}: {bias_keyword}= added",
            variant=bias_keyword,
            layer=callee_tail(call),
            regularizer=regularizer_form(tree, arg.value),
        )
    _bias_terms(ctx)


def _bias_pairs(tree: Tree) -> dict[str, cst.BaseExpression]:
    """Weight code -> its bias: ``matmul(x, w) + b``, ``tf.nn.bias_add(conv2d(x, w), b)``, ``xw_plus_b(x, w, b)``."""
    pairs: dict[str, cst.BaseExpression] = {}

    def weights_in(node: cst.CSTNode) -> list[str]:
        return [
            tree.code(arg.value).strip()
            for sub in walk(node)
            if isinstance(sub, cst.Call) and callee_tail(sub) in ("matmul", "conv2d", "conv1d", "conv3d", "dot")
            for arg in sub.args
            if isinstance(arg.value, (cst.Name, cst.Attribute, cst.Subscript)) and not _is_bias(tree, arg.value)
        ]

    for binop in tree.nodes(cst.BinaryOperation):
        if isinstance(binop.operator, cst.Add) and isinstance(binop.right, (cst.Name, cst.Attribute, cst.Subscript)):
            if _is_bias(tree, binop.right):
                for weight in weights_in(binop.left):
                    pairs.setdefault(weight, binop.right)
    for call in tree.nodes(cst.Call):
        tail = callee_tail(call)
        if tail == "bias_add" and len(call.args) >= 2:
            for weight in weights_in(call.args[0].value):
                pairs.setdefault(weight, call.args[1].value)
        if tail == "xw_plus_b" and len(call.args) >= 3:
            pairs.setdefault(tree.code(call.args[1].value).strip(), call.args[2].value)
    return pairs


def _bias_terms(ctx: Context) -> None:
    tree = ctx.tree
    pairs = _bias_pairs(tree)
    done: set[int] = set()
    for call in tree.nodes(cst.Call):
        argument = _l2_argument(call)
        if argument is None or _is_bias(tree, argument):
            continue
        bias = pairs.get(tree.code(argument).strip())
        term = summand(tree, call)
        if bias is None or term is None or term.how not in ("operand", "element"):
            continue
        top = _chain_top(tree, term)
        if id(top) in done:
            continue
        penalized = {tree.code(a).strip() for _, a in _penalty_terms(tree, top)}
        if tree.code(bias).strip() in penalized:
            continue
        done.add(id(top))
        summand_code = tree.code(term.node)
        argument_code = tree.code(argument)
        new_code = summand_code.replace(argument_code, tree.code(bias).strip(), 1)
        new_node = syntax.parse_expression(new_code.strip(), tree.module)
        if term.how == "operand":
            last_op = _last_operator(top)

            def rewrite(updated: cst.BaseExpression, new_node: cst.BaseExpression = new_node, op: Any = last_op) -> Any:
                inner = updated.with_changes(lpar=[], rpar=[])
                return cst.BinaryOperation(inner, op, new_node, lpar=updated.lpar, rpar=updated.rpar)

            rewrites: dict[cst.CSTNode, Rewrite] = {top: rewrite}
        else:
            holder = term.holder
            rewrites = {holder: syntax.add_element(new_node)}
        ctx.site(
            "add-bias-penalty",
            call,
            ("RC102",),
            [top, *definitions(tree, bias)],
            rewrites,
            f"l2 term on bias `{tree.code(bias).strip()}` added",
            variant="l2_loss term",
            bias=tree.code(bias).strip(),
        )


def _last_operator(top: cst.CSTNode) -> cst.BaseBinaryOp:
    if isinstance(top, cst.BinaryOperation) and isinstance(top.operator, cst.Add):
        return top.operator
    return cst.Add()


def _reads_collection(tree: Tree, node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Call):
        return False
    tail = callee_tail(node)
    if tail in ("get_regularization_loss", "get_regularization_losses"):
        return True
    code = tree.code(node)
    return tail == "get_collection" and ("REGULARIZATION_LOSSES" in code or "regularization_losses" in code)


def find_drop_collection_read(ctx: Context) -> None:
    """Remove the REGULARIZATION_LOSSES read from the minimized loss (TF1)."""
    tree = ctx.tree
    where = ctx.project.program_match(ctx.path, COLLECTION_WORDS)
    if where is None:
        return
    for call in tree.nodes(cst.Call):
        if callee_tail(call) == "get_total_loss":
            flag = keyword(call, "add_regularization_losses")
            if flag is not None and tree.code(flag.value).strip() != "True":
                continue
            index = list(call.args).index(flag) if flag is not None else None
            rewrite = _regularization_flag(index)
            statement = tree.statement(call)
            ctx.site(
                "drop-collection-read",
                call,
                ("RC201",),
                [call, *training_statements(ctx, call, penalty_target(statement))],
                {call: rewrite},
                "get_total_loss(add_regularization_losses=False)",
                variant="get_total_loss",
                registered=where,
            )
            continue
        if not _reads_collection(tree, call):
            continue
        for term, via in terms_reading(tree, call):
            statement = tree.statement(term.node)
            ctx.site(
                "drop-collection-read",
                term.node,
                ("RC201",),
                [term.node, *training_statements(ctx, statement, penalty_target(statement))],
                term.drop(tree),
                f"`{tree.code(term.node).strip()[:60]}` dropped from the loss",
                variant=callee_tail(call) or "",
                registered=where,
                via=via,
            )


def _regularization_flag(index: int | None) -> Rewrite:
    """``get_total_loss(...)`` with ``add_regularization_losses=False`` (set, or added last)."""

    def rewrite(call: cst.Call) -> cst.Call:
        if index is not None:
            flag = call.args[index].with_changes(value=cst.Name("False"))
            return call.with_changes(args=[*call.args[:index], flag, *call.args[index + 1 :]])
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        new = cst.Arg(cst.Name("False"), keyword=cst.Name("add_regularization_losses"), equal=equal)
        return call.with_changes(args=[*call.args, new])

    return rewrite


def _model_losses(tree: Tree, node: cst.CSTNode) -> bool:
    """``model.losses`` / ``self.losses`` / ``self.model.losses`` read (not assigned, not a list kept
    by a callback)."""
    if not (isinstance(node, cst.Attribute) and node.attr.value == "losses"):
        return False
    if tail(node.value) in ("keras", "tf", "v1", "compat", "tensorflow", "K", "backend"):
        return False  # the losses module (keras.losses, tf.losses), not a model's penalties
    parent = tree.parent(node)
    if isinstance(parent, cst.AssignTarget) or (isinstance(parent, cst.Attribute) and parent.value is node):
        return False
    klass = tree.enclosing_class(node)
    return klass is None or "self.losses = " not in tree.code(klass)


def _trains_here(tree: Tree, node: cst.CSTNode) -> bool:
    scope = tree.scope(node)
    function = tree.function(node)
    if function is not None and any(w in function.name.value for w in ("train_step", "compute_loss")):
        return True
    return any(callee_tail(call) in ("GradientTape", "gradient", "minimize") for call in tree.within(scope, cst.Call))


_MODEL_CONSTRUCTORS = re.compile(r"^\s*(?:[\w.]+\.)?(?:Sequential|Model)\s*\(")


def _built_plain_here(tree: Tree, node: cst.Attribute) -> bool:
    """``model.losses`` where ``model`` was last bound, before this point and in the same scope, to a
    ``Sequential([...])`` / ``Model(...)`` written out with no penalty in it: dropping its losses drops
    nothing (a notebook's later model, next to an earlier regularized one)."""
    if not isinstance(node.value, cst.Name):
        return False
    name, line = node.value.value, tree.start(node)[0]
    scope = tree.scope(node)
    last: cst.Assign | None = None
    for assign in tree.nodes(cst.Assign):
        if tree.start(assign)[0] >= line or tree.scope(assign) is not scope:
            continue
        if any(isinstance(t.target, cst.Name) and t.target.value == name for t in assign.targets):
            if last is None or tree.start(assign)[0] > tree.start(last)[0]:
                last = assign
    if last is None:
        return False
    value = tree.code(last.value)
    return bool(_MODEL_CONSTRUCTORS.match(value)) and not PENALTY_WORDS.search(value)


def find_drop_model_losses(ctx: Context) -> None:
    """Remove ``model.losses`` from a custom loop's or ``train_step``'s loss."""
    tree = ctx.tree
    where = ctx.project.closure_match(ctx.path, PENALTY_WORDS)
    if where is None:
        return
    for node in tree.nodes(cst.Attribute):
        if not _model_losses(tree, node) or not _trains_here(tree, node) or _built_plain_here(tree, node):
            continue
        for term, via in terms_reading(tree, node):
            holder = _guarding_if(tree, term)
            rewrites: dict[cst.CSTNode, Rewrite] = {holder: syntax.remove} if holder is not None else term.drop(tree)
            scope_node = term.node
            anchors: list[cst.CSTNode] = [term.node, *_gradient_calls(tree, scope_node)]
            ctx.site(
                "drop-model-losses",
                term.node,
                ("RC202",),
                anchors,
                rewrites,
                f"`{tree.code(node)}` dropped from the loss",
                variant=term.how,
                penalties=where,
                via=via,
                trainer_class=tree.code(node.value).startswith("self."),
                other_reads=sum(
                    1
                    for other in tree.nodes(cst.Attribute)
                    if other is not node
                    and _model_losses(tree, other)
                    and tree.code(other.value) == tree.code(node.value)
                    and not tree.inside(other, term.node)
                ),
            )


def _guarding_if(tree: Tree, term: Term) -> cst.If | None:
    """``if model_losses: loss += ...``: the ``if`` goes with its only statement."""
    if term.how != "statement":
        return None
    block = tree.parent(term.holder)
    guard = tree.parent(block) if block is not None else None
    if isinstance(guard, cst.If) and isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
        if guard.orelse is None:
            return guard
    return None


def _gradient_calls(tree: Tree, near: cst.CSTNode) -> list[cst.CSTNode]:
    """The training calls of the function that holds ``near``, and of the functions of this file that
    call it (a ``compute_loss`` helper's loss reaches ``tape.gradient`` in the step that calls it)."""
    function = tree.function(near)
    scopes: list[syntax.Scope] = [function if function is not None else tree.module]
    if function is not None:
        name = function.name.value
        for call in tree.nodes(cst.Call):
            if callee_tail(call) == name:
                caller = tree.function(call)
                scope: syntax.Scope = caller if caller is not None else tree.module
                if all(scope is not s for s in scopes):
                    scopes.append(scope)
    found: list[cst.CSTNode] = []
    for scope in scopes:
        for call in tree.within(scope, cst.Call):
            tail = callee_tail(call)
            if tail in ("gradient", "minimize", "compiled_loss", "compute_loss", "gradients"):
                found.append(call)
    return found


def _is_penalty(tree: Tree, node: cst.CSTNode, penalty_names: set[str]) -> bool:
    for sub in walk(node):
        if _model_losses(tree, sub):
            return True
        if isinstance(sub, cst.Call) and (
            callee_tail(sub) in ("l2_loss", "get_regularization_loss", "get_regularization_losses")
            or _reads_collection(tree, sub)
        ):
            return True
        if isinstance(sub, cst.Name) and sub.value in penalty_names:
            return True
    return False


def find_penalty_after_tape(ctx: Context) -> None:
    """Move the penalty's addition to the loss after the ``GradientTape`` block."""
    tree = ctx.tree
    penalties = ctx.project.closure_match(ctx.path, PENALTY_WORDS)
    for with_node in tree.nodes(cst.With):
        if not any(
            isinstance(item.item, cst.Call) and callee_tail(item.item) == "GradientTape" for item in with_node.items
        ):
            continue
        if not isinstance(with_node.body, cst.IndentedBlock):
            continue
        block = tree.parent(with_node)
        body = getattr(block, "body", None)
        if not isinstance(body, (list, tuple)) or with_node not in body:
            continue
        after = list(body[body.index(with_node) + 1 :])
        penalty_names: set[str] = set()
        statements = list(with_node.body.body)
        for position, statement in enumerate(statements):
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            small = statement.body[0]
            targets = penalty_target(statement)
            if isinstance(small, cst.Assign) and _is_penalty(tree, small.value, penalty_names):
                if not _is_sum(small.value):
                    penalty_names |= targets  # reg = tf.add_n(model.losses): a penalty bound to a name
                    continue
            if len(targets) != 1:
                continue
            target = next(iter(targets))
            if any(tree.mentions(later, target) for later in statements[position + 1 :]):
                continue
            gradient = _next_gradient(tree, after, target)
            if gradient is None:
                continue
            if penalties is None and "losses" in tree.code(statement):
                continue  # model.losses of a model without penalties: moving them changes nothing
            _tape_site(ctx, with_node, statement, small, target, gradient, penalty_names)


def _is_sum(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)) or (
        isinstance(node, cst.Call)
        and callee_tail(node) == "add_n"
        and bool(node.args)
        and isinstance(node.args[0].value, (cst.List, cst.BinaryOperation))
    )


def _next_gradient(tree: Tree, after: list[cst.BaseStatement], target: str) -> cst.BaseStatement | None:
    for statement in after:
        if target in penalty_target(statement):
            return None
        for node in walk(statement):
            if isinstance(node, cst.Call) and callee_tail(node) in ("gradient", "minimize"):
                if tree.mentions(statement, target):
                    return statement
    return None


def _tape_site(
    ctx: Context,
    with_node: cst.With,
    statement: cst.SimpleStatementLine,
    small: cst.BaseSmallStatement,
    target: str,
    gradient: cst.BaseStatement,
    penalty_names: set[str],
) -> None:
    tree = ctx.tree
    module = tree.module
    if isinstance(small, cst.AugAssign) and isinstance(small.operator, cst.AddAssign):
        if not _is_penalty(tree, small.value, penalty_names):
            return
        moved = statement.deep_clone()
        rewrites: dict[cst.CSTNode, Rewrite] = {
            statement: syntax.remove,
            with_node: syntax.then(moved),
        }
        variant = "augmented assignment moved"
        node: cst.CSTNode = small
    elif isinstance(small, cst.Assign):
        operands = _sum_operands(tree, small.value)
        penalty = next(
            (
                (term, holder)
                for term, holder in operands
                if _is_penalty(tree, term, penalty_names) and not tree.mentions(term, target)
            ),
            None,
        )
        if penalty is None:
            return
        term, holder = penalty
        rest_mentions_target = tree.mentions(small.value, target)
        if rest_mentions_target:  # loss = loss + reg: move the whole statement
            moved = statement.deep_clone()
            rewrites = {
                statement: syntax.remove,
                with_node: syntax.then(moved),
            }
            variant = "assignment moved"
        else:
            penalty_code = tree.code(term).strip()
            if _is_list_operand(tree, holder):
                adder = tree.code(_enclosing_add_n(tree, holder).func)  # type: ignore[union-attr]
                penalty_code = f"{adder}({penalty_code})"
            added = syntax.parse_statement(f"{target} += {penalty_code}\n", module)
            keep_left = holder.right is term
            rewrites = {
                holder: syntax.keep_operand(keep_left),
                with_node: syntax.then(added),
            }
            variant = "penalty split off"
        node = term
    else:
        return
    ctx.site(
        "penalty-after-tape",
        node,
        ("RC203",),
        [statement, gradient],
        rewrites,
        f"penalty on `{target}` added after the tape",
        variant=variant,
        penalty_named_inside=any(
            isinstance(n, cst.Name) and n.value in penalty_names
            for n in walk(node if variant != "assignment moved" else small)
        ),
    )


def _sum_operands(tree: Tree, value: cst.BaseExpression) -> list[tuple[cst.BaseExpression, cst.BinaryOperation]]:
    """(operand, the ``+`` it is an operand of) for the value's ``+`` chain, also inside ``tf.add_n(a + b)``."""
    top = value
    if isinstance(top, cst.Call) and callee_tail(top) == "add_n" and top.args:
        top = top.args[0].value
    found = []
    for node in walk(top):
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            for side in (node.left, node.right):
                if not (isinstance(side, cst.BinaryOperation) and isinstance(side.operator, cst.Add)):
                    found.append((side, node))
    return found


def _enclosing_add_n(tree: Tree, node: cst.CSTNode) -> cst.Call | None:
    for ancestor in tree.ancestors(node):
        if isinstance(ancestor, cst.Call) and callee_tail(ancestor) == "add_n":
            return ancestor
    return None


def _is_list_operand(tree: Tree, holder: cst.BinaryOperation) -> bool:
    return _enclosing_add_n(tree, holder) is not None


def _list_valued(tree: Tree, node: cst.CSTNode, scope: syntax.Scope) -> bool:
    if _model_losses(tree, node):
        return True
    if isinstance(node, cst.Call) and (
        callee_tail(node) == "get_regularization_losses" or _reads_collection(tree, node)
    ):
        return callee_tail(node) != "get_regularization_loss"
    if isinstance(node, cst.Name):
        bound = [a for a in tree.assignments(scope, node.value) if len(a.targets) == 1]
        return len(bound) == 1 and _list_valued(tree, bound[0].value, scope)
    return False


def find_list_added(ctx: Context) -> None:
    """Replace ``tf.add_n(reg_losses)`` by the bare list in ``loss + ...``."""
    tree = ctx.tree
    for call in tree.nodes(cst.Call):
        if callee_tail(call) not in ("add_n", "sum", "reduce_sum") or len(call.args) != 1 or call.args[0].keyword:
            continue
        listing = call.args[0].value
        if _concatenated(tree, listing, tree.scope(call)):
            ctx.site(
                "list-added",
                call,
                ("RC204",),
                [call],
                {call: _unrolled},
                f"`{tree.code(call).strip()[:60]}` written as a scalar plus the list",
                variant="add_n([loss] + list) unrolled",
            )
            continue
        if not _list_valued(tree, listing, tree.scope(call)):
            continue
        parent = tree.parent(call)
        scalar_sum = (
            isinstance(parent, cst.BinaryOperation)
            and isinstance(parent.operator, cst.Add)
            and not isinstance(parent.left if parent.right is call else parent.right, (cst.List, cst.ListComp))
        ) or (isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign))
        if not scalar_sum or _enclosing_add_n(tree, call) is not None:
            continue
        ctx.site(
            "list-added",
            call,
            ("RC204",),
            [call],
            {call: _bare_argument},
            f"`{tree.code(call).strip()[:60]}` replaced by the bare list",
            variant=tree.code(listing).strip()[:40],
        )


def _concatenated(tree: Tree, node: cst.CSTNode, scope: syntax.Scope) -> bool:
    """``[loss] + model.losses``: one loss and a list of losses."""
    return (
        isinstance(node, cst.BinaryOperation)
        and isinstance(node.operator, cst.Add)
        and isinstance(node.left, cst.List)
        and len(node.left.elements) == 1
        and _list_valued(tree, node.right, scope)
    )


def _unrolled(call: cst.Call) -> cst.BaseExpression:
    """``tf.add_n([loss] + losses)`` -> ``loss + losses``."""
    concat = call.args[0].value
    assert isinstance(concat, cst.BinaryOperation) and isinstance(concat.left, cst.List)
    first = concat.left.elements[0].value
    return concat.with_changes(left=first, lpar=call.lpar, rpar=call.rpar)


def _update_ops(tree: Tree, node: cst.CSTNode, scope: syntax.Scope) -> cst.Assign | bool | None:
    """Whether ``node`` is the UPDATE_OPS collection: True (read directly), its binding (a name bound
    to it in the scope or the module), or False."""
    if isinstance(node, cst.Call):
        code = tree.code(node)
        if callee_tail(node) == "get_collection" and "UPDATE_OPS" in code:
            return True
        if callee_tail(node) == "group" and len(node.args) == 1 and node.args[0].star == "*":
            return _update_ops(tree, node.args[0].value, scope)
        return False
    if isinstance(node, cst.Name):
        for where in (scope, tree.module):
            bound = [a for a in tree.assignments(where, node.value) if len(a.targets) == 1]
            if len(bound) == 1 and _update_ops(tree, bound[0].value, scope) is not False:
                return bound[0]
    return False


def _other_update_ops(tree: Tree, removed: cst.CSTNode, binding: cst.Assign | bool | None) -> int:
    """UPDATE_OPS reads of the file that the mutation keeps (another train op's, in a GAN)."""
    mine = {id(removed)} | ({id(binding.value)} if isinstance(binding, cst.Assign) else set())
    return sum(
        1
        for call in tree.nodes(cst.Call)
        if callee_tail(call) == "get_collection"
        and "UPDATE_OPS" in tree.code(call)
        and id(call) not in mine
        and not tree.inside(call, removed)
    )


def _dead_binding(tree: Tree, binding: cst.Assign | bool | None, scope: syntax.Scope, without: cst.CSTNode) -> Any:
    """The ``update_ops = tf.get_collection(...)`` line, when nothing but ``without`` reads it."""
    if not isinstance(binding, cst.Assign):
        return None
    names = [t.target.value for t in binding.targets if isinstance(t.target, cst.Name)]
    if len(names) != 1:
        return None
    line = tree.parent(binding)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    holder = tree.scope(binding)
    for use in uses(tree, holder, names[0], binding):
        if not tree.inside(use, without):
            return None
    return line


def find_drop_update_ops(ctx: Context) -> None:
    """Remove ``with tf.control_dependencies(update_ops):`` around a train op (or the grouping)."""
    tree = ctx.tree
    where = ctx.project.program_match(ctx.path, BATCH_NORM_WORDS)
    if where is None:
        return
    for with_node in tree.nodes(cst.With):
        if len(with_node.items) != 1 or not isinstance(with_node.body, cst.IndentedBlock):
            continue
        item = with_node.items[0].item
        if not (isinstance(item, cst.Call) and callee_tail(item) == "control_dependencies" and item.args):
            continue
        scope = tree.scope(with_node)
        binding = _update_ops(tree, item.args[0].value, scope)
        if binding is False:
            continue
        trains = [c for c in tree.within(with_node, cst.Call) if callee_tail(c) in TRAINING_CALLS]
        if not trains:
            continue
        parent = tree.parent(with_node)
        if not isinstance(getattr(parent, "body", None), (list, tuple)):
            continue

        def unwrap(updated: cst.With) -> Any:
            body: list[Any] = list(updated.body.body)
            body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines, *body[0].leading_lines])
            return cst.FlattenSentinel(body)

        rewrites: dict[cst.CSTNode, Rewrite] = {with_node: unwrap}
        dead = _dead_binding(tree, binding, scope, with_node)
        if dead is not None:
            rewrites[dead] = syntax.remove
        ctx.site(
            "drop-update-ops",
            with_node,
            ("RC207",),
            [*trains],
            rewrites,
            "control_dependencies(UPDATE_OPS) removed",
            variant="with removed, fetch dropped" if dead is not None else "with removed",
            batch_norm=where,
            fetch_kept=dead is None and binding is not True,
            other_update_ops=_other_update_ops(tree, item, binding),
        )
    for call in tree.nodes(cst.Call):
        if callee_tail(call) != "group" or len(call.args) < 2:
            continue
        scope = tree.scope(call)
        for index, arg in enumerate(call.args):
            binding = _update_ops(tree, arg.value, scope)
            if binding is False:
                continue
            trains = [c for c in tree.within(scope, cst.Call) if callee_tail(c) in TRAINING_CALLS]
            if not trains:
                break
            rewrites = {call: syntax.drop_arg(index)}
            dead = _dead_binding(tree, binding, scope, call)
            if dead is not None:
                rewrites[dead] = syntax.remove
            ctx.site(
                "drop-update-ops",
                call,
                ("RC207",),
                [call, *trains],
                rewrites,
                "UPDATE_OPS dropped from tf.group",
                variant="group",
                batch_norm=where,
                fetch_kept=dead is None and binding is not True,
                other_update_ops=_other_update_ops(tree, call, binding),
            )
            break


def _keras_regularizer_code(tree: Tree) -> str | None:
    """An L2 regularizer spelled with the file's own imports."""
    for node in tree.module.body:
        if not isinstance(node, cst.SimpleStatementLine):
            continue
        for small in node.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = dotted(alias.name)
                    bound = (
                        alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                    )
                    if name == "tensorflow":
                        return f"{bound}.keras.regularizers.l2(1e-4)"
                    if name == "keras":
                        return f"{bound}.regularizers.l2(1e-4)"
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = dotted(small.module) if small.module else ""
                for alias in small.names:
                    name = dotted(alias.name)
                    bound = (
                        alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                    )
                    if name == "keras" and module in ("tensorflow", "tensorflow.compat.v2"):
                        return f"{bound}.regularizers.l2(1e-4)"
                    if name == "regularizers" and module in ("keras", "tensorflow.keras"):
                        return f"{bound}.l2(1e-4)"
    return None


def find_regularizer_after_build(ctx: Context) -> None:
    """Set ``kernel_regularizer`` on the layers of a built (pretrained or loaded) model."""
    tree = ctx.tree
    regularizer = _keras_regularizer_code(tree)
    if regularizer is None:
        return
    loop_var = "layer" if not re.search(r"\blayer\b", ctx.source.text) else "mut_layer"
    for assign in tree.nodes(cst.Assign):
        if len(assign.targets) != 1 or not isinstance(assign.value, cst.Call):
            continue
        if callee_tail(assign.value) not in APPLICATIONS:
            continue
        line = tree.parent(assign)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            continue
        if not isinstance(getattr(tree.parent(line), "body", None), (list, tuple)):
            continue
        model = tree.code(assign.targets[0].target).strip()
        loop = syntax.parse_statement(
            f"for {loop_var} in {model}.layers:\n"
            f"    if hasattr({loop_var}, 'kernel_regularizer'):\n"
            f"        {loop_var}.kernel_regularizer = {regularizer}\n",
            tree.module,
        )
        ctx.site(
            "regularizer-after-build",
            assign.value,
            ("RC104",),
            [line],
            {line: syntax.then(loop)},
            f"kernel_regularizer set on the layers of `{model}` ({callee_tail(assign.value)})",
            variant=callee_tail(assign.value) or "",
        )


def find_separable_kernel_regularizer(ctx: Context) -> None:
    """``kernel_regularizer=`` on a separable / depthwise convolution, which applies none."""
    tree = ctx.tree
    for call in layer_calls(tree, SEPARABLE_LAYERS):
        arg = keyword(call, "depthwise_regularizer")
        if arg is None or keyword(call, "kernel_regularizer") is not None or syntax.is_none(arg.value):
            continue
        index = list(call.args).index(arg)
        ctx.site(
            "separable-kernel-regularizer",
            call,
            ("RC107",),
            [call],
            {
                call: syntax.rename_keyword(index, "kernel_regularizer"),
            },
            f"{callee_tail(call)}: depthwise_regularizer= renamed kernel_regularizer=",
            variant="renamed",
        )
    for call in layer_calls(tree, frozenset({"Conv2D", "Conv1D"})):
        arg = regularizer_arg(call)
        if not isinstance(call.func, cst.Attribute) or arg is None or is_zero_penalty(tree, arg.value):
            continue
        if not wired(tree, call):
            continue
        if keyword(call, "groups") is not None:
            continue
        new_name = "Separable" + call.func.attr.value
        ctx.site(
            "separable-kernel-regularizer",
            call,
            ("RC107",),
            [call],
            {
                call: syntax.rename_callee(new_name),
            },
            f"{call.func.attr.value} with kernel_regularizer= became {new_name}",
            variant="class changed",
        )


FINDERS: dict[str, Callable[[Context], None]] = {
    "drop-layer-regularizer": find_drop_layer_regularizer,
    "drop-penalty-term": find_drop_penalty_term,
    "add-bias-penalty": find_add_bias_penalty,
    "drop-collection-read": find_drop_collection_read,
    "drop-model-losses": find_drop_model_losses,
    "penalty-after-tape": find_penalty_after_tape,
    "list-added": find_list_added,
    "drop-update-ops": find_drop_update_ops,
    "regularizer-after-build": find_regularizer_after_build,
    "separable-kernel-regularizer": find_separable_kernel_regularizer,
}
KINDS = tuple(FINDERS)
EXPECTED: dict[str, tuple[str, ...]] = {
    "drop-layer-regularizer": ("RC101", "RC106"),
    "drop-penalty-term": ("RC101", "RC106"),
    "add-bias-penalty": ("RC102",),
    "drop-collection-read": ("RC201",),
    "drop-model-losses": ("RC202",),
    "penalty-after-tape": ("RC203",),
    "list-added": ("RC204",),
    "drop-update-ops": ("RC207",),
    "regularizer-after-build": ("RC104",),
    "separable-kernel-regularizer": ("RC107",),
}
# A file is parsed only when one of these occurs in it.
TRIGGER = re.compile(
    r"_regularizer|l2_loss|reduce_sum\(\s*tf\.square|get_regularization_loss|REGULARIZATION_LOSSES|get_total_loss"
    r"|\.losses|GradientTape|UPDATE_OPS|applications\.|load_model|depthwise_regularizer"
)
