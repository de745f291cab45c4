"""What TensorFlow and Keras calls do, for the program model.

The interpreter (:mod:`regcheck.facts.program.interpreter`) runs plain Python;
this module gives the library calls their meaning: which variables and layers a
call creates and with which regularizer, which graph they belong to, what a
penalty term is, what a loss is a sum of, and where training happens. It keeps
the state TensorFlow keeps behind the scenes: the default graph, the
``as_default`` / ``variable_scope`` / ``arg_scope`` / ``control_dependencies``
/ ``GradientTape`` contexts.

Names are canonical (:mod:`regcheck.facts.vocabulary`: ``tf.nn.l2_loss``,
``keras.layers.Dense``, ``slim.conv2d``), so every import style means the same.
A library call this module does not know returns a tensor computed from its
arguments (for lowercase functions) or an opaque object (for classes): neither
guesses a penalty that is not written.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.names import names_read
from regcheck.facts.program.frames import spelled_out
from regcheck.facts.program.values import (
    FALSE,
    FORMATTED,
    NONE,
    REPLICAS,
    TRUE,
    UNKNOWN,
    ApiObject,
    ApiRef,
    Args,
    BoundMethod,
    Const,
    Declaration,
    Function,
    GradientPairs,
    Gradients,
    Graph,
    Instance,
    Layer,
    Mapping,
    Model,
    OneOf,
    Optimizer,
    Registration,
    Regularizer,
    ReplicaCount,
    Sequence,
    SiteRef,
    Tape,
    Tensor,
    Term,
    TrainOp,
    TrainStep,
    Value,
    Variable,
    VarSet,
    VarSetMember,
    alternatives,
    is_zero,
    join,
)
from regcheck.facts.roles import Role, role_from_names, role_from_rank

if TYPE_CHECKING:
    from regcheck.facts.module import ModuleFacts
    from regcheck.facts.program.interpreter import Context, Interpreter
    from regcheck.facts.program.result import Program


# --- vocabularies ----------------------------------------------------------------------------------

_REDUCTIONS = frozenset(
    {
        "tf.reduce_sum",
        "tf.math.reduce_sum",
        "tf.reduce_mean",
        "tf.math.reduce_mean",
        "keras.backend.sum",
        "keras.backend.mean",
        "keras.ops.sum",
        "keras.ops.mean",
    }
)
# Ops whose result is a sum (or a rescaling) of their tensor arguments: a term added in stays a term.
_ADDITIVE = frozenset(
    {
        "tf.add",
        "tf.math.add",
        "tf.add_n",
        "tf.math.add_n",
        "tf.identity",
        "tf.cast",
        "tf.stack",
        "tf.concat",
        "tf.convert_to_tensor",
        "tf.math.accumulate_n",
        "keras.ops.add",
        "keras.backend.stack",
        "keras.ops.stack",
        *_REDUCTIONS,
    }
)
_SCALING = frozenset({"tf.multiply", "tf.math.multiply", "tf.scalar_mul", "tf.math.scalar_mul", "keras.ops.multiply"})
_SQUARES = frozenset({"tf.square", "tf.math.square", "keras.backend.square", "keras.ops.square"})
_ABS = frozenset({"tf.abs", "tf.math.abs", "keras.backend.abs", "keras.ops.abs"})
_NORMS = frozenset({"tf.norm", "tf.linalg.norm", "tf.math.l2_normalize"} - {"tf.math.l2_normalize"})
_KERNEL_OPS = frozenset(
    {
        "tf.matmul",
        "tf.linalg.matmul",
        "tf.nn.conv1d",
        "tf.nn.conv2d",
        "tf.nn.conv3d",
        "tf.nn.conv2d_transpose",
        "tf.nn.depthwise_conv2d",
        "tf.nn.separable_conv2d",
        "tf.nn.atrous_conv2d",
        "tf.nn.xw_plus_b",
        "tf.tensordot",
        "tf.einsum",
        "tf.nn.convolution",
        "keras.backend.dot",
        "keras.ops.matmul",
        "keras.ops.dot",
    }
)
_BIAS_OPS = frozenset({"tf.nn.bias_add"})
_EMBEDDING_OPS = frozenset({"tf.nn.embedding_lookup", "tf.gather", "tf.nn.embedding_lookup_sparse"})
_DATA_SOURCES = frozenset(
    {
        "tf.placeholder",
        "tf.placeholder_with_default",
        "tf.sparse_placeholder",
        "keras.Input",
        "keras.layers.Input",
        "keras.backend.placeholder",
    }
)
_GRAPH_RESETS = frozenset({"tf.reset_default_graph", "keras.backend.clear_session"})
_VARIABLE_LISTS = frozenset(
    {
        "tf.trainable_variables",
        "tf.global_variables",
        "tf.all_variables",
        "tf.model_variables",
        "tf.compat.v1.trainable_variables",
        "slim.get_model_variables",
        "slim.get_variables",
        "slim.get_trainable_variables",
        "tf.contrib.framework.get_model_variables",
        "tf.contrib.framework.get_trainable_variables",
        "tf.contrib.framework.get_variables",
    }
)
_GET_VARIABLE = frozenset(
    {
        "tf.get_variable",
        "tf.get_local_variable",
        "slim.variable",
        "slim.model_variable",
        "tf.contrib.framework.model_variable",
        "tf.contrib.framework.variable",
    }
)
_TF1_BATCH_NORMS = frozenset(
    {"tf.layers.batch_normalization", "tf.contrib.layers.batch_norm", "slim.batch_norm", "tf.nn.fused_batch_norm"}
)
# Layer functions that keep a bias unless given a normalizer (slim's fully connected layers are rarely
# given one: the logits of a network keep theirs).
_BIASED_SCOPE_FUNCTIONS = frozenset({"slim.fully_connected", "tf.contrib.layers.fully_connected"})
# Networks of slim's model zoo whose arg scopes normalize with batch norm (VGG, AlexNet, LeNet and
# OverFeat do not).
_NORMALIZING_NETWORKS = ("inception", "resnet", "mobilenet", "nasnet", "pnasnet", "i3d", "s3dg")
_TRAIN_OP_BUILDERS = vocabulary.UPDATE_AWARE_TRAIN_OPS
_KERAS_MODEL_CLASSES = frozenset({"keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential"})
_KERAS_LAYER_BASES = frozenset({"keras.layers.Layer", "keras.engine.base_layer.Layer", "keras.layers.InputSpec"})
_PASS_THROUGH_LAYERS = frozenset({"Lambda", "TimeDistributed", "Bidirectional", "Wrapper"})
_LIBRARY_MODEL_PREFIXES = ("keras.applications.", "keras.models.load_model", "keras.saving.load_model")
_L2_NAMES = vocabulary.KERAS_L2_REGULARIZERS
_L1L2_NAMES = vocabulary.KERAS_L1L2_REGULARIZERS
_NO_REGULARIZER = frozenset({"tf.no_regularizer", "tf.contrib.layers.no_regularizer"})
# Layer classes whose `kernel_regularizer=` names no weight of theirs (RC107): tf-keras accepts it
# and creates no penalty, Keras 3 raises.
IGNORED_KERNEL_REGULARIZER = frozenset(
    {
        "SeparableConv1D",
        "SeparableConv2D",
        "SeparableConvolution1D",
        "SeparableConvolution2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
    }
)
_KERAS_REG_SLOTS = vocabulary.KERAS_REGULARIZER_KWARGS


# Term.penalty of the model_losses terms Keras adds itself, by entry point (RC208 compares them with
# the ones the code adds by hand).
ADDED_BY_COMPUTE_LOSS = "added:compute_loss"
ADDED_BY_COMPILED_LOSS = "added:compiled_loss"  # compiled_loss(..., regularization_losses=...)
ADDED_BY_KERAS3_SHIM = "added:keras3_compiled_loss"  # Keras 3's compiled_loss, which adds them anyway


def is_known(canonical: str) -> bool:
    """A canonical name this module gives a meaning to (for names a star import may bring)."""
    last = canonical.rsplit(".", 1)[-1]
    if canonical.startswith("keras.layers.") and last[:1].isupper():
        return True
    return canonical in _KNOWN


# --- tokens for `with` blocks ---------------------------------------------------------------------


@dataclass
class _Token:
    kind: str
    value: object = None


class ArgScope(Value):
    """What ``slim.arg_scope(...)`` sets: defaults for some layer functions, and where each was written."""

    __slots__ = ("declarations", "defaults", "enclosing", "functions")

    def __init__(
        self,
        functions: frozenset[str] | None,
        defaults: dict[str, Value],
        declarations: dict[str, Declaration] | None = None,
        enclosing: tuple[ArgScope, ...] = (),
    ) -> None:
        self.functions = functions  # None: every function (an arg_scope built where we cannot see)
        self.defaults = defaults
        self.declarations = declarations or {}
        # The scopes it was entered inside: `with arg_scope(...) as sc:` binds all of them, as slim's
        # arg_scope yields the merged scope (a model zoo's `net_arg_scope()` returns that `sc`).
        self.enclosing = enclosing

    def layers(self) -> tuple[ArgScope, ...]:
        """What entering it sets, outermost first."""
        return (*self.enclosing, ArgScope(self.functions, self.defaults, self.declarations))


class UpdateOps(Value):
    """``tf.get_collection(tf.GraphKeys.UPDATE_OPS)``."""

    __slots__ = ("graph",)

    def __init__(self, graph: Graph) -> None:
        self.graph = graph


class GraphContext(Value):
    __slots__ = ("graph",)

    def __init__(self, graph: Graph) -> None:
        self.graph = graph


class GradientItem(Value):
    """One gradient (or a transformed one: clipped, scaled) of a training step."""

    __slots__ = ("step",)

    def __init__(self, step: TrainStep) -> None:
        self.step = step


class Semantics:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.default_graph = Graph(None)
        self.program.graphs.append(self.default_graph)
        self.graph_stack: list[Graph] = []
        self.scope_regularizers: list[Value] = []
        self.scope_declarations: list[Declaration | None] = []
        self.scope_names: list[str | None] = []
        self.reuse: list[bool] = []
        self.arg_scopes: list[ArgScope] = []
        self.tapes: list[Tape] = []
        self.control: list[list[Value]] = []
        # Tensors made under control_dependencies(UPDATE_OPS) (`loss = tf.identity(loss)` there): fetched
        # with a train op, they run the updates in that step. Kept by id, with the tensor held so no id is reused.
        self.after_updates: dict[int, Tensor] = {}
        # The flags of the branches being run (values.Assumptions): `if params.use_bn:` taken as True here.
        self.assumptions: list[tuple[str, bool]] = []
        self.replica = 0
        self.names: dict[tuple[int, str], Variable] = {}

    # --- state ---------------------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        return self.graph_stack[-1] if self.graph_stack else self.default_graph

    def new_entry(self) -> None:
        """A fresh default graph for an entry run on its own (a builder nobody calls here)."""
        if not self.default_graph.variables and not self.default_graph.registrations:
            return
        self.default_graph = Graph(None)
        self.program.graphs.append(self.default_graph)

    def reset_contexts(self) -> None:
        """Leave every ``with`` block an interrupted entry left open."""
        self.graph_stack.clear()
        self.scope_regularizers.clear()
        self.scope_declarations.clear()
        self.scope_names.clear()
        self.reuse.clear()
        self.arg_scopes.clear()
        self.tapes.clear()
        self.control.clear()
        self.assumptions.clear()
        self.replica = 0

    def implied_fit(self, model: Model, ctx: Context, interp: Interpreter) -> None:
        """A model class that overrides ``train_step`` or ``compute_loss`` is trained by ``fit``, whether or
        not this module calls it: take the step Keras would take."""
        if any(step.model is model for step in self.program.train_steps):
            return
        _m_fit(self, model.instance or model, model, Args(), None, ctx, interp)

    def context_key(self) -> tuple[object, ...]:
        """What of TensorFlow's hidden state a call's meaning depends on (the graph, open tapes, scopes)."""
        return (
            id(self.graph),
            len(self.tapes),
            len(self.control),
            tuple(id(s) for s in self.scope_regularizers),
            tuple(id(a) for a in self.arg_scopes),
            self.replica,
        )

    def open_tapes(self) -> frozenset[int]:
        return frozenset(t.id for t in self.tapes) if self.tapes else frozenset()

    def is_known(self, canonical: str) -> bool:
        return is_known(canonical)

    # --- hooks the interpreter calls --------------------------------------------------------------

    def bound(
        self, target: cst.Name, value: Value, source: cst.CSTNode | None, ctx: Context, interp: Interpreter
    ) -> None:
        for option in alternatives(value):
            if (isinstance(option, Variable) and option.symbol is None) or (
                isinstance(option, Layer) and option.symbol is None
            ):
                option.symbol = target.value
            elif isinstance(option, Model) and not option.api:
                option.api = target.value

    def refine(self, test: cst.BaseExpression, ctx: Context, interp: Interpreter) -> AbstractContextManager[None]:
        return self.refine_all([test], ctx, interp)

    def refines(self, test: cst.BaseExpression, ctx: Context) -> bool:
        """Would ``refine`` narrow anything (does the test read a member of some variables)?"""
        names = names_read(spelled_out(test, ctx.frame.tests))
        return any(isinstance(ctx.frame.vars.get(name), VarSetMember) for name in names)

    @contextmanager
    def refine_all(self, tests: list[cst.BaseExpression], ctx: Context, interp: Interpreter) -> Iterator[None]:
        """Inside ``if "bias" not in v.name:`` (or a comprehension's ``if``), ``v`` is a filtered member
        of the variables it ranges over."""
        changed: list[tuple[str, Value | None]] = []
        for test in tests:
            # Flags written in: `if not (skip_biases and is_bias):` tests what `is_bias` was bound to.
            flags = {
                name: value.value
                for name in names_read(test)
                if isinstance(value := ctx.frame.vars.get(name), Const) and isinstance(value.value, bool)
            }
            test = spelled_out(test, ctx.frame.tests, flags)
            for name in names_read(test):
                value = ctx.frame.vars.get(name)
                if isinstance(value, VarSetMember):
                    changed.append((name, value))
                    varset = value.varset
                    ctx.frame.vars[name] = VarSetMember(
                        VarSet(varset.owner, (*varset.filters, test), varset.part_only, varset.node)
                    )
        try:
            yield
        finally:
            for name, old in reversed(changed):
                if old is not None:
                    ctx.frame.vars[name] = old

    def enter(
        self, value: Value, item: cst.WithItem, node: cst.With, ctx: Context, interp: Interpreter
    ) -> tuple[object, Value]:
        for option in alternatives(value):
            if isinstance(option, GraphContext):
                self.graph_stack.append(option.graph)
                return _Token("graph"), option.graph
            if isinstance(option, Tape):
                option.open = True
                option.with_node = node
                self.tapes.append(option)
                return _Token("tape", option), option
            if isinstance(option, _ScopeRequest):
                return self._enter_scope(option), option
            if isinstance(option, ArgScope):
                scopes = option.layers()
                self.arg_scopes.extend(scopes)
                merged = ArgScope(option.functions, option.defaults, option.declarations, tuple(self.arg_scopes[:-1]))
                return _Token("arg_scope", len(scopes)), merged
            if isinstance(option, _ControlDependencies):
                self.control.append(option.deps)
                return _Token("control"), option
            if isinstance(option, Instance):
                enter = option.cls.lookup("__enter__")
                if isinstance(enter, Function):
                    return _Token("none"), interp.call(BoundMethod(enter, option), Args(), None, ctx)
        # `with tf.Session() as sess:` binds the session itself (its `run` is read); other library
        # objects entered may give anything.
        entered = value if not isinstance(value, ApiObject) or value.kind == "session" else UNKNOWN
        return _Token("none"), entered

    def _enter_scope(self, request: _ScopeRequest) -> _Token:
        self.scope_regularizers.append(request.regularizer if request.regularizer is not None else NONE)
        self.scope_declarations.append(request.declaration)
        self.scope_names.append(request.name)
        self.reuse.append(request.reuse or (bool(self.reuse) and self.reuse[-1]))
        return _Token("scope")

    def exit(self, token: object, interp: Interpreter) -> None:
        assert isinstance(token, _Token)
        if token.kind == "graph" and self.graph_stack:
            self.graph_stack.pop()
        elif token.kind == "tape" and self.tapes:
            tape = token.value
            assert isinstance(tape, Tape)
            tape.open = False
            if tape in self.tapes:
                self.tapes.remove(tape)
        elif token.kind == "scope" and self.scope_regularizers:
            self.scope_regularizers.pop()
            self.scope_declarations.pop()
            self.scope_names.pop()
            self.reuse.pop()
        elif token.kind == "arg_scope":
            count = token.value if isinstance(token.value, int) else 1
            del self.arg_scopes[max(0, len(self.arg_scopes) - count) :]
        elif token.kind == "control" and self.control:
            self.control.pop()

    def unpack_item(self, value: Value, index: int, count: int, interp: Interpreter) -> Value | None:
        if isinstance(value, Gradients):
            return GradientItem(value.step)
        if isinstance(value, Tensor) or value is UNKNOWN:
            return None
        return None

    def known_items(self, value: Value, interp: Interpreter) -> list[Value] | None:
        if isinstance(value, UpdateOps):
            return None
        return None

    def element(self, value: Value, node: cst.CSTNode | None, interp: Interpreter) -> Value:
        if isinstance(value, VarSet):
            return VarSetMember(value)
        if isinstance(value, Gradients):
            return Sequence([GradientItem(value.step), UNKNOWN], mutable=False)
        if isinstance(value, GradientPairs) and value.gradients is not None:
            return Sequence([GradientItem(value.gradients.step), UNKNOWN], mutable=False)
        if isinstance(value, Tensor):
            return value
        return UNKNOWN

    def zipped(self, args: Args, rows: Sequence, interp: Interpreter) -> Value:
        for value in args.positional:
            for option in alternatives(value):
                if isinstance(option, Gradients):
                    return GradientPairs(option)
                if isinstance(option, Sequence) and any(isinstance(i, GradientItem) for i in option.items):
                    item = next(i for i in option.items if isinstance(i, GradientItem))
                    return GradientPairs(Gradients(item.step))
                if isinstance(option, GradientItem):
                    return GradientPairs(Gradients(option.step))
        return rows

    def isinstance_(self, args: Args, interp: Interpreter) -> Value:
        obj, classes = args.positional
        wanted = [c for c in alternatives(classes) if isinstance(c, ApiRef)]
        if isinstance(classes, Sequence):
            wanted = [c for c in classes.items if isinstance(c, ApiRef)]
        if (
            isinstance(obj, Layer)
            and wanted
            and len(wanted) == len(classes.items if isinstance(classes, Sequence) else [classes])
        ):
            names = [c.canonical.rsplit(".", 1)[-1] for c in wanted if c.canonical]
            if any(n in ("Layer",) for n in names):
                return TRUE
            if obj.instance is not None:
                return UNKNOWN
            return TRUE if any(_class_matches(obj.cls, n) for n in names) else FALSE
        return UNKNOWN

    def add_all(
        self,
        values: list[Value],
        node: cst.CSTNode | None,
        ctx: Context,
        interp: Interpreter,
        summed: Value | None = None,
    ) -> Value:
        """``sum(...)``, ``tf.add_n([...])``: a sum of every item."""
        if all(isinstance(v, Const) and isinstance(v.value, (int, float)) for v in values):
            return UNKNOWN
        return self._additive(values, node, ctx)

    # --- instances of project classes -----------------------------------------------------------

    def attach(self, instance: Instance, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> None:
        bases = instance.cls.api_bases()
        site = instance.site or interp.site(ctx.facts, instance.cls.node)
        if any(b in _KERAS_MODEL_CLASSES or (b.endswith(".Model") and b.startswith("keras.")) for b in bases):
            model = Model(site, "subclass")
            model.instance = instance
            instance.keras = model
            self.program.models.append(model)
        elif any(b.startswith("keras.layers.") or b.startswith("tf.layers.") or b in _KERAS_LAYER_BASES for b in bases):
            cls = next((b for b in bases if b.startswith(("keras.layers.", "tf.layers."))), "keras.layers.Layer")
            layer = Layer(
                site, instance.cls.name, _layer_kind(cls.rsplit(".", 1)[-1]) if not cls.endswith(".Layer") else "weight"
            )
            layer.instance = instance
            layer.tf1 = cls.startswith("tf.layers.")  # class TpuBatchNormalization(tf.layers.BatchNormalization)
            instance.keras = layer
            self.program.layers.append(layer)
        elif any(b.startswith("keras.regularizers.") for b in bases):
            instance.keras = None

    def api_init(
        self, instance: Instance, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
    ) -> None:
        """A Keras subclass without an ``__init__`` of its own: Keras' does the work."""
        self._keras_init(instance, args, node, ctx, interp)

    def initialized(self, instance: Instance, node: cst.Call | None, ctx: Context, interp: Interpreter) -> None:
        keras = instance.keras
        if isinstance(keras, Layer) and keras.kind != "weight":
            # A subclass of a library layer (class MyDense(Dense)): the library builds its weights.
            self._library_layer_weights(keras, ctx, interp)

    def super_attribute(
        self, instance: Instance, name: str, node: cst.CSTNode | None, ctx: Context, interp: Interpreter
    ) -> Value:
        if name == "__init__":

            def init(args: Args, call_node: cst.Call | None, c: Context) -> Value:
                self._keras_init(instance, args, call_node, c, interp)
                return NONE

            return _Native(init)
        if name in ("build", "call") and isinstance(instance.keras, Layer):
            layer = instance.keras

            def native(args: Args, call_node: cst.Call | None, c: Context) -> Value:
                if name == "build":
                    layer.built = True
                    return NONE
                return self._combine(list(args.positional), call_node, c)

            return _Native(native)
        if name == "compute_loss":
            return _Native(lambda args, call_node, c: self._stock_compute_loss(instance, args, call_node, c))
        if name == "train_step":
            return _Native(lambda args, call_node, c: self._stock_train_step(instance, call_node, c, interp))
        return self.get_attribute(instance, name, node, ctx, interp)

    def _keras_init(
        self, instance: Instance, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
    ) -> None:
        model = instance.keras
        if isinstance(model, Model):
            if any(b.endswith("Sequential") for b in instance.cls.api_bases()):
                model.kind = "sequential"
                layers = args.get("layers", 0)
                current: Value = Tensor((Term("data"),), data=True, symbolic=True)
                for option in alternatives(layers) if layers is not None else ():
                    if isinstance(option, Sequence):
                        for item in option.items:
                            current = self._add_to_sequential(model, item, current, node, ctx, interp)
                self.program.sequential_outputs[model.id] = current
                return
            outputs = args.get("outputs", 1)
            if outputs is not None:
                model.kind = "functional"
                self._wire_functional(model, outputs)
        elif isinstance(model, Layer) and model.kind != "weight":
            self._configure_layer(model, args, ctx)

    def instance_attribute_set(
        self, instance: Instance, name: str, value: Value, node: cst.CSTNode, ctx: Context, interp: Interpreter
    ) -> None:
        keras = instance.keras
        if keras is None:
            return
        for option in alternatives(value):
            if isinstance(option, Variable) and isinstance(keras, Layer) and option.layer is None:
                option.layer = keras
                keras.variables.setdefault(name, option)
            elif isinstance(option, Variable) and isinstance(keras, Model) and option.layer is None:
                holder = self._holder(keras)
                option.layer = holder
                holder.variables.setdefault(name, option)

    def _holder(self, model: Model) -> Layer:
        """A pseudo-layer for variables a subclassed model creates itself (``self.w = tf.Variable(...)``)."""
        for layer in model.layers:
            if layer.cls == "<variables>":
                return layer
        holder = Layer(model.site, "<variables>", "weight")
        model.layers.append(holder)
        return holder

    # --- attributes -----------------------------------------------------------------------------

    def get_attribute(
        self, receiver: Value, name: str, node: cst.CSTNode | None, ctx: Context, interp: Interpreter
    ) -> Value:
        if name in ("num_replicas_in_sync", "num_replicas"):
            return REPLICAS
        target: Value = receiver
        if isinstance(receiver, Instance):
            if receiver.keras is None:
                return UNKNOWN
            target = receiver.keras
        if isinstance(target, (Model, Layer)) or target is UNKNOWN:
            return self._keras_attribute(target, receiver, name, node, ctx, interp)
        if isinstance(target, Variable):
            if name in ("name", "op", "shape", "dtype", "device", "graph"):
                return UNKNOWN
            return _Bound(target, name)
        if isinstance(target, VarSetMember):
            return UNKNOWN
        if isinstance(target, Graph):
            if name == "as_default":
                graph = target
                return _Native(lambda a, n, c: GraphContext(graph))
            return _Bound(target, name)
        if isinstance(
            target,
            (
                Tensor,
                Optimizer,
                Tape,
                ApiObject,
                TrainOp,
                Gradients,
                GradientItem,
                GradientPairs,
                UpdateOps,
                Regularizer,
            ),
        ):
            if isinstance(target, Tensor) and name in ("shape", "dtype", "name", "op", "graph"):
                return UNKNOWN
            return _Bound(target, name)
        return UNKNOWN

    def _keras_attribute(
        self, target: Value, receiver: Value, name: str, node: cst.CSTNode | None, ctx: Context, interp: Interpreter
    ) -> Value:
        owner = target if isinstance(target, (Model, Layer)) else None
        if name in ("losses", "_losses"):  # `_losses`: the list a layer's own add_loss calls fill
            site = interp.site(ctx.facts, node) if node is not None else None
            tapes = self.open_tapes()
            term = Term("model_losses", site=site, model=owner, tapes=tapes)
            return Sequence([Tensor((term,), tapes=tapes, node=node)], mutable=True, exact=False)
        if name in vocabulary.VARIABLE_LIST_ATTRIBUTES or name in ("trainable_weights", "non_trainable_weights"):
            if name.startswith("non_trainable"):
                return Sequence([], mutable=True, exact=False)
            # `self.layers_[0].trainable_variables`: the variables of one part, whatever it is.
            part = isinstance(node, cst.Attribute) and isinstance(node.value, cst.Subscript) and owner is None
            return VarSet(owner, part_only=part, node=node)
        if isinstance(target, Layer):
            for slot in (
                "kernel",
                "bias",
                "gamma",
                "beta",
                "embeddings",
                "depthwise_kernel",
                "pointwise_kernel",
                "recurrent_kernel",
            ):
                if name == slot:
                    variable = target.variables.get(_SLOT_ALIASES.get(slot, slot))
                    if variable is not None:
                        return variable
            if name in _KERAS_REG_SLOTS or name == "regularizer":
                return target.config.get(name, NONE)
        if isinstance(target, Model):
            if name == "layers":
                layers = target.all_layers()
                visible: list[Value] = [
                    layer.instance if layer.instance is not None else layer
                    for layer in layers
                    if layer.cls != "<variables>"
                ]
                if target.opaque:
                    return Sequence([*visible, self._library_layer(target)], mutable=True, exact=False)
                return Sequence(visible, mutable=True, exact=not target.opaque)
            if name == "optimizer":
                return target.optimizer or UNKNOWN
        if name in _METHODS or target is UNKNOWN:
            if target is UNKNOWN and name not in _UNKNOWN_RECEIVER_METHODS:
                return UNKNOWN
            return _Bound(receiver if isinstance(receiver, Instance) else target, name)
        return UNKNOWN

    def _library_layer(self, model: Model) -> Layer:
        layer = Layer(model.site, "?", "kernel")
        layer.built = True
        layer.pretrained = model.pretrained
        return layer

    def set_attribute(
        self, obj: Value, name: str, value: Value, node: cst.CSTNode, ctx: Context, interp: Interpreter
    ) -> None:
        target = obj.keras if isinstance(obj, Instance) else obj
        if isinstance(target, Layer):
            if name in vocabulary.KERAS_REGULARIZER_ATTRIBUTES:
                if target.built or target.pretrained:
                    self.program.late_regularizers.append((interp.site(ctx.facts, node), target, name, value))
                else:
                    target.config[name] = value
                    slot = _KERAS_REG_SLOTS.get(name)
                    for variable in target.variables.values():
                        if variable.slot == slot or (slot == "norm" and variable.slot == "norm"):
                            variable.regularizer = value
            elif name == "trainable" and isinstance(value, Const):
                for variable in target.variables.values():
                    variable.trainable = bool(value.value) if variable.slot != "moving" else False
        elif isinstance(target, Model) and name == "trainable" and isinstance(value, Const):
            for layer in target.all_layers():
                for variable in layer.variables.values():
                    variable.trainable = bool(value.value)
        elif isinstance(target, Variable) and name == "regularizer":
            target.regularizer = value

    def get_item(
        self, receiver: Value, key: Value, node: cst.CSTNode | None, ctx: Context, interp: Interpreter
    ) -> Value:
        if isinstance(receiver, Tensor):
            return receiver
        if isinstance(receiver, Variable):
            return self._tensor_of(receiver)
        if isinstance(receiver, VarSet):
            return VarSetMember(VarSet(receiver.owner, receiver.filters, True, receiver.node))
        if isinstance(receiver, Gradients):
            return GradientItem(receiver.step)
        return UNKNOWN

    # --- calls ----------------------------------------------------------------------------------

    def call_external(self, ref: ApiRef, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        name = ref.qualified
        if name.endswith(("extend_with_decoupled_weight_decay",)):
            return ApiObject("decoupled")
        if name.startswith("tensorflow_addons.optimizers.") or (
            ".optimizers." in name and name.rsplit(".", 1)[-1][:1].isupper()
        ):
            return self._optimizer(ref.qualified, args, node, ctx, interp)
        if _is_library_network(name):
            if name.endswith("arg_scope"):
                return self._library_arg_scope(name, args, node, ctx, interp)
            self._library_network(name, args, node, ctx, interp)
        return self.call_unknown(ref, args, node, ctx, interp)

    def call_unknown(self, func: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        """A callable the program model cannot read (a loss object, a library function, a free name).

        Given tensors, it computes a tensor from them, as a loss function does: a penalty written into
        its arguments is not one of the result's terms. Given a model, it may add the model's penalties
        itself: its result is unknown."""
        if isinstance(func, ApiObject) and func.kind == "decoupled":
            # The class extend_with_decoupled_weight_decay(Base) made, constructed.
            return self._optimizer("extend_with_decoupled_weight_decay", args, node, ctx, interp, decoupled_class=True)
        values = [v for v in args.values() if v is not UNKNOWN]
        if args.unknown_star or not values:
            return UNKNOWN
        for value in values:
            for option in alternatives(value):
                if isinstance(option, (Model, Instance, Layer, Function, BoundMethod, VarSet)):
                    return UNKNOWN
        if not any(isinstance(o, (Tensor, Variable)) for v in values for o in alternatives(v)):
            return UNKNOWN
        return self._combine(list(args.values()), node, ctx)

    def call_api(self, ref: ApiRef, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        result = self._call_api(ref, args, node, ctx, interp)
        if isinstance(result, Tensor) and self.control and any(self._has_update_ops(deps) for deps in self.control):
            self.after_updates[id(result)] = result
        return result

    def _call_api(self, ref: ApiRef, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        name = ref.canonical
        assert name is not None
        handler = _HANDLERS.get(name)
        if handler is not None:
            return handler(self, args, node, ctx, interp)
        last = name.rsplit(".", 1)[-1]
        if name.startswith("tf.layers.") and last[:1].isupper():
            # tf.layers.Dense(...), tf.layers.BatchNormalization(...): a TF1 layer object. Its penalties
            # go to REGULARIZATION_LOSSES, and a batch norm's call in training mode puts the moving-
            # average updates in UPDATE_OPS, as the tf.layers functions do.
            return self._keras_layer(last, args, node, ctx, interp, tf1=True)
        if name.startswith("keras.layers.") and last[:1].isupper():
            return self._keras_layer(last, args, node, ctx, interp)
        if name.startswith("keras.layers.") and last[:1].islower():
            return self._combine(list(args.values()), node, ctx)
        if name.startswith("keras.regularizers.") or name in vocabulary.REGULARIZER_FACTORIES:
            return self._regularizer(name, args, node, ctx, interp)
        if name.startswith(_LIBRARY_MODEL_PREFIXES):
            return self._library_model(name, args, node, ctx, interp)
        if name in vocabulary.TF1_LAYER_FUNCS:
            return self._tf1_layer(name, args, node, ctx, interp)
        if name in _TF1_BATCH_NORMS:
            return self._tf1_batch_norm(name, args, node, ctx, interp)
        if _is_optimizer_name(name):
            return self._optimizer(name, args, node, ctx, interp)
        if _is_library_network(name):
            if last.endswith("arg_scope"):
                return self._library_arg_scope(name, args, node, ctx, interp)
            self._library_network(name, args, node, ctx, interp)
            return UNKNOWN
        if _is_data_loss(name):
            return self._data_loss(args, node, ctx)
        if last[:1].isupper():
            if name.startswith("keras.constraints.") or name.startswith("keras.initializers."):
                return ApiObject(name)
            return ApiObject(name)
        return self._combine(list(args.values()), node, ctx)

    def _data_loss(self, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        """A loss function (``tf.losses.sparse_softmax_cross_entropy``, a cross-entropy with logits,
        ``keras.losses.mse``) computes a data loss from predictions and labels: a new tensor, never a
        penalty, whatever its logits were computed from (a codebook's distances)."""
        combined = self._combine(list(args.values()), node, ctx)
        reads = combined.reads if isinstance(combined, Tensor) else frozenset()
        return Tensor(
            (Term("data", tapes=self.open_tapes()),), reads, True, frozenset(), self.open_tapes(), self.graph, node
        )

    def _library_arg_scope(
        self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
    ) -> ArgScope:
        """A model zoo's ``*_arg_scope(weight_decay=...)``: every one gives its conv and fully connected
        layers an L2 ``weights_regularizer`` of ``weight_decay`` (nonzero by default), and may give batch
        norm (where the program model cannot see: the network's family decides)."""
        site = interp.site(ctx.facts, node) if node is not None else None
        regularizer = _with_coefficient(
            Regularizer("l2", site=site, name=name), args.get("weight_decay", 0), default=_ZOO_WEIGHT_DECAY
        )
        return ArgScope(None, {"weights_regularizer": regularizer, "normalizer_fn": UNKNOWN})

    def _library_network(self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> None:
        """A network of slim's model zoo (``inception.inception_v3(images, is_training=True)``) called
        under ``slim.arg_scope``: its layers take the scope's defaults, where the program model cannot
        see them. A regularizer the scope gives fills REGULARIZATION_LOSSES; a network of a family that
        normalizes, under a scope that may give ``normalizer_fn=slim.batch_norm`` (one built where the
        program model cannot see, as ``inception_v3_arg_scope()``), puts its updates in UPDATE_OPS."""
        if not self.arg_scopes or node is None:
            return
        site = interp.site(ctx.facts, node)
        for layer_function in ("slim.conv2d", "slim.fully_connected"):
            entry = self._scope_entry(layer_function, "weights_regularizer")
            if entry is not None and _active(entry[0]):
                self.graph.registrations.append(
                    Registration(site, None, entry[0], f"{name.rsplit('.', 1)[-1]}(...) under slim.arg_scope")
                )
                break
        training = args.get("is_training")
        if isinstance(training, Const) and training.value is False:
            return
        normalizer = self._scope_default("slim.conv2d", "normalizer_fn")
        normalizes = normalizer is not None and (
            normalizer is UNKNOWN
            or any(isinstance(o, ApiRef) and o.canonical in _TF1_BATCH_NORMS for o in alternatives(normalizer))
        )
        if normalizes and any(family in name.rsplit(".", 2)[-1].lower() for family in _NORMALIZING_NETWORKS):
            self.add_update_ops(self.graph, site, ())

    def call_object(self, obj: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        if isinstance(obj, _Native):
            return obj.function(args, node, ctx)
        if isinstance(obj, _Bound):
            return self.call_method(obj.receiver, obj.name, args, node, ctx, interp)
        if isinstance(obj, Instance) and obj.keras is not None:
            return self._call_keras_object(obj, obj.keras, args, node, ctx, interp)
        if isinstance(obj, Layer):
            return self._call_layer(obj, args, node, ctx, interp)
        if isinstance(obj, Model):
            return self._call_model(obj, args, node, ctx, interp)
        if isinstance(obj, Regularizer):
            return self._apply_regularizer(obj, args, node, ctx)
        return UNKNOWN

    def call_method(
        self, receiver: Value, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
    ) -> Value:
        target = receiver.keras if isinstance(receiver, Instance) and receiver.keras is not None else receiver
        handler = _METHOD_HANDLERS.get(name)
        if handler is not None:
            result = handler(self, receiver, target, args, node, ctx, interp)
            if result is not None:
                return result
        if isinstance(target, (Tensor, Variable)):
            return self._combine([target, *args.values()], node, ctx)
        return UNKNOWN

    # --- operators ------------------------------------------------------------------------------

    def binary(
        self, operator: type | None, left: Value, right: Value, node: cst.CSTNode, ctx: Context, interp: Interpreter
    ) -> Value:
        if isinstance(left, OneOf) or isinstance(right, OneOf):
            lefts, rights = alternatives(left), alternatives(right)
            if len(lefts) * len(rights) <= 4:
                return join(*(self.binary(operator, a, b, node, ctx, interp) for a in lefts for b in rights))
        if operator in (cst.Add, cst.Subtract):
            list_side = _loss_list(left) or _loss_list(right)
            if list_side is not None and not (isinstance(left, Sequence) and isinstance(right, Sequence)):
                self.program.list_additions.append((interp.site(ctx.facts, node), list_side))
            if (
                isinstance(left, (Tensor, Variable, VarSetMember))
                or isinstance(right, (Tensor, Variable, VarSetMember))
                or list_side is not None
            ):
                return self._additive([left, right], node, ctx, bias_candidate=True)
            if left is UNKNOWN or right is UNKNOWN:
                return UNKNOWN
            return UNKNOWN
        if operator is cst.Multiply:
            return self._scale(left, right, node, ctx)
        if operator is cst.Divide:
            if isinstance(left, (Tensor, Variable)) and not isinstance(right, (Tensor, Variable)):
                return self._scale(left, _reciprocal(right), node, ctx)
            return self._combine([left, right], node, ctx)
        if operator is cst.Power:
            if isinstance(left, (Tensor, Variable, VarSetMember)) and isinstance(right, Const) and right.value == 2:
                tensor = self._as_tensor(left)
                squared = self._derived(tensor, node)
                squared.node = node
                self.program.squares[id(squared)] = (squared, left)
                self.program.square_kinds[id(squared)] = "square"
                return squared
            return self._combine([left, right], node, ctx)
        if operator is cst.MatrixMultiply:
            return self._kernel_op([left, right], node, ctx)
        if isinstance(left, (Tensor, Variable)) or isinstance(right, (Tensor, Variable)):
            return self._combine([left, right], node, ctx)
        return UNKNOWN

    def unary(self, value: Value, node: cst.CSTNode, ctx: Context, interp: Interpreter) -> Value:
        if isinstance(value, (Tensor, Variable)):
            return self._additive([value], node, ctx)
        return UNKNOWN

    # --- tensors --------------------------------------------------------------------------------

    def _as_tensor(self, value: Value) -> Tensor | None:
        if isinstance(value, Tensor):
            return value
        if isinstance(value, Variable):
            return self._tensor_of(value)
        return None

    def _tensor_of(self, variable: Variable) -> Tensor:
        return Tensor(reads=frozenset({variable}), graph=variable.graph)

    def _derived(self, tensor: Tensor | None, node: cst.CSTNode | None) -> Tensor:
        if tensor is None:
            return Tensor(data=True, node=node, tapes=self.open_tapes())
        return Tensor(
            reads=tensor.reads,
            data=tensor.data,
            frontier=tensor.frontier,
            tapes=self.open_tapes(),
            graph=tensor.graph,
            node=node,
            opaque_reads=tensor.opaque_reads,
        )

    def _flat(self, values: list[Value]) -> list[Value]:
        flat: list[Value] = []
        for value in values:
            for option in alternatives(value):
                if isinstance(option, Sequence):
                    flat.extend(self._flat(option.items))
                    if not option.exact and not option.items:
                        flat.append(UNKNOWN)
                else:
                    flat.append(option)
        return flat

    def _combine(self, values: list[Value], node: cst.CSTNode | None, ctx: Context) -> Value:
        """A tensor computed from ``values`` by an op that is not a sum: reads and data flow through,
        terms do not (a penalty divided into something is not a penalty any more)."""
        reads: set[Variable] = set()
        frontier: set[Variable] = set()
        data = False
        opaque = False
        tensors = 0
        gradient: GradientItem | None = None
        member: VarSetMember | None = None
        for value in self._flat(values):
            if isinstance(value, Tensor):
                tensors += 1
                reads |= value.reads
                frontier |= value.frontier
                data = data or value.data
                opaque = opaque or value.opaque_reads
            elif isinstance(value, Variable):
                tensors += 1
                reads.add(value)
            elif isinstance(value, GradientItem):
                gradient = value
            elif isinstance(value, VarSetMember):
                member = value
                tensors += 1
            elif value is UNKNOWN or isinstance(value, (ApiObject, Instance)):
                data = True
        if gradient is not None:
            return GradientItem(gradient.step)
        if member is not None and not reads and not data:
            return member
        if not tensors and not data:
            return UNKNOWN
        tensor = Tensor(
            (Term("data"),) if data else (),
            frozenset(reads),
            data,
            frozenset(frontier),
            self.open_tapes(),
            self.graph,
            node,
            opaque,
        )
        return tensor

    def _additive(
        self, values: list[Value], node: cst.CSTNode | None, ctx: Context, bias_candidate: bool = False
    ) -> Value:
        """A sum: every operand's terms stay terms of the result."""
        terms: list[Term] = []
        reads: set[Variable] = set()
        frontier: set[Variable] = set()
        data = False
        opaque = False
        tapes = self.open_tapes()
        gradient: GradientItem | None = None
        candidates: list[Variable] = []
        for value in self._flat(values):
            if isinstance(value, Tensor):
                terms.extend(t.taped(tapes) for t in value.terms) if tapes else terms.extend(value.terms)
                reads |= value.reads
                frontier |= value.frontier
                data = data or value.data
                opaque = opaque or value.opaque_reads
            elif isinstance(value, Variable):
                reads.add(value)
                if bias_candidate and value.role is Role.UNKNOWN:
                    candidates.append(value)
            elif isinstance(value, VarSetMember):
                return value
            elif isinstance(value, GradientItem):
                gradient = value
            elif value is UNKNOWN or isinstance(value, (ApiObject, Instance)):
                terms.append(Term("opaque", tapes=tapes))
                data = True
                opaque = True
        if gradient is not None:
            return GradientItem(gradient.step)
        if frontier or opaque:
            # Added to what a kernel computed (or to what the program model cannot see): a bias. Added
            # to the inputs themselves (an adversarial perturbation, a learned offset), it is not.
            for variable in candidates:
                variable.role = Role.BIAS
        for term in terms:
            if term.kind == "penalty" and term.penalty == "norm":
                self._keep_penalty(term)
        return Tensor(tuple(terms), frozenset(reads), data, frozenset(frontier), tapes, self.graph, node, opaque)

    def _scale(self, left: Value, right: Value, node: cst.CSTNode, ctx: Context) -> Value:
        left_t, right_t = isinstance(left, (Tensor, Variable)), isinstance(right, (Tensor, Variable))
        if left_t and right_t:
            return self._combine([left, right], node, ctx)
        if not left_t and not right_t:
            if isinstance(left, VarSetMember) or isinstance(right, VarSetMember):
                return left if isinstance(left, VarSetMember) else right
            if isinstance(left, GradientItem) or isinstance(right, GradientItem):
                return left if isinstance(left, GradientItem) else right
            return UNKNOWN
        tensor = self._as_tensor(left if left_t else right)
        factor = right if left_t else left
        assert tensor is not None
        if isinstance(factor, (Sequence, Mapping, Function)):
            return self._combine([left, right], node, ctx)
        terms = tuple(t.scaled(factor) for t in tensor.terms)
        for term in terms:
            if term.kind == "penalty":
                self._keep_penalty(term)
        scaled = Tensor(
            terms,
            tensor.reads,
            tensor.data,
            tensor.frontier,
            self.open_tapes() or tensor.tapes,
            tensor.graph,
            node,
            tensor.opaque_reads,
        )
        squared = self.program.squared(tensor)
        if squared is not None:
            self.program.squares[id(scaled)] = (scaled, squared)
            self.program.square_kinds[id(scaled)] = self.program.square_kinds.get(id(tensor), "square")
        return scaled

    def _kernel_op(self, values: list[Value], node: cst.CSTNode | None, ctx: Context, embedding: bool = False) -> Value:
        """``tf.matmul(x, w)`` / ``tf.nn.conv2d(x, w)``: the weight variable is a kernel fed by ``x``."""
        weights: list[Variable] = []
        inputs: list[Value] = []
        for value in values:
            variable = _single_variable(value)
            if variable is not None and not weights:
                weights.append(variable)
                if variable.role is Role.UNKNOWN:
                    variable.role = Role.EMBEDDING if embedding else Role.WEIGHT
            else:
                inputs.append(value)
        result = self._combine(values, node, ctx)
        if isinstance(result, Tensor) and weights:
            kernel = weights[0]
            for source in _frontier(inputs):
                if source is not kernel:
                    self.program.feeds.setdefault(source, set()).add(kernel)
                else:
                    self.program.feeds.setdefault(kernel, set()).add(kernel)
            result.frontier = frozenset({kernel})
        return result

    def _keep_penalty(self, term: Term) -> None:
        graph = term.graph or self.graph
        if term not in graph.penalties:
            graph.penalties.append(term)

    def _penalty(
        self,
        kind: str,
        subject: Value,
        node: cst.CSTNode | None,
        ctx: Context,
        interp: Interpreter,
        regularizer: Regularizer | None = None,
    ) -> Value:
        """``tf.nn.l2_loss(subject)`` and friends: a penalty when the subject is computed from variables
        only, a data loss otherwise (``tf.nn.l2_loss(pred - y)``)."""
        tapes = self.open_tapes()
        site = interp.site(ctx.facts, node) if node is not None else None
        for option in alternatives(subject):
            if isinstance(option, VarSetMember):
                term = Term(
                    "penalty",
                    site,
                    covers_all=option.varset,
                    penalty=kind,
                    graph=self.graph,
                    tapes=tapes,
                    regularizer=regularizer,
                )
                if kind != "norm":
                    self._keep_penalty(term)
                return Tensor((term,), tapes=tapes, graph=self.graph, node=node)
        tensor = self._as_tensor(subject) if not isinstance(subject, OneOf) else None
        if isinstance(subject, OneOf):
            tensors = [self._as_tensor(o) for o in subject.options]
            if all(t is not None and t.reads and not t.data for t in tensors):
                reads = frozenset(v for t in tensors if t is not None for v in t.reads)
                tensor = Tensor(reads=reads)
        if tensor is None or not tensor.reads or tensor.data or tensor.opaque_reads or _is_activation(tensor):
            return self._combine([subject], node, ctx)
        term = Term(
            "penalty",
            site,
            covers=tuple(sorted(tensor.reads, key=lambda v: v.id)),
            penalty=kind,
            graph=self.graph,
            tapes=tapes,
            regularizer=regularizer,
        )
        term.source_list = interp.loop_lists[-1] if interp.loop_lists else None
        if kind != "norm":
            self._keep_penalty(term)
        return Tensor((term,), tensor.reads, False, frozenset(), tapes, self.graph, node)

    # --- variables ------------------------------------------------------------------------------

    def _variable(
        self,
        args: Args,
        node: cst.Call | None,
        ctx: Context,
        interp: Interpreter,
        *,
        via_get: bool,
        trainable: bool = True,
    ) -> Value:
        facts = ctx.facts
        site = interp.site(facts, node) if node is not None else interp.site(facts, facts.module)
        name_value = args.get("name", 0 if via_get else None)
        name_node = args.node("name", 0 if via_get else None)
        name = _name_text(name_value)
        full_name = self._scoped_name(name)
        graph = self.graph
        if via_get and full_name is not None:
            existing = self.names.get((graph.id, full_name))
            if existing is not None:
                return existing
        shape = args.get("shape", 1 if via_get else None)
        if shape is None and not via_get:
            shape = _shape_of_initializer(args.get("initial_value", 0))
        elif shape is None:
            shape = _shape_of_initializer(args.get("initializer"))
        rank = len(shape.items) if isinstance(shape, Sequence) and shape.exact else None
        symbol = _symbol_for(facts, node) if node is not None else None
        role = role_from_names(
            name if name is not None else _literal_prefix(name_node),
            symbol.split("[")[0] if symbol else None,
            _dict_of(facts, node),
        )
        if role is Role.UNKNOWN:
            role = role_from_rank(rank)
        elif role in (Role.WEIGHT, Role.BIAS) and rank is not None:
            by_rank = role_from_rank(rank)
            if by_rank is not Role.UNKNOWN:
                role = by_rank
        trainable_value = args.get("trainable")
        if isinstance(trainable_value, Const) and trainable_value.value is False:
            trainable = False
        regularizer: Value = NONE
        scope_regularizer = self.scope_regularizers[-1] if self.scope_regularizers else None
        scope_regularizer = next(
            (r for r in reversed(self.scope_regularizers) if r is not None and not _is_none(r)), None
        )
        declared: Declaration | None = None
        if via_get:
            given = args.get("regularizer")
            if given is not None and not _is_none(given):
                regularizer = self._as_regularizer(given, ctx, interp)
                where = args.nodes.get("regularizer")
                declared = Declaration(facts, where, "argument", node) if where is not None else None
            elif scope_regularizer is not None:
                regularizer = self._as_regularizer(scope_regularizer, ctx, interp)
                declared = next((d for d in reversed(self.scope_declarations) if d is not None), None)
        variable = Variable(
            site,
            role,
            name=name,
            symbol=symbol,
            graph=graph,
            trainable=trainable,
            regularizer=regularizer,
            route="collection" if via_get else "none",
        )
        variable.explicit = True
        variable.declared = declared
        if full_name is not None:
            variable.tf_names = (f"{full_name}:0",)
        elif name is None and not via_get and not any(n is None for n in self.scope_names):
            variable.tf_names = ("/".join([*(n for n in self.scope_names if n), "Variable"]) + ":0",)
        if not via_get and scope_regularizer is not None:
            variable.scope_regularizer = scope_regularizer
        graph.variables.append(variable)
        self.program.variables.append(variable)
        if full_name is not None:
            self.names[(graph.id, full_name)] = variable
        if via_get and _active(regularizer):
            given = args.get("regularizer")
            how = (
                "tf.get_variable(regularizer=...)"
                if given is not None and not _is_none(given)
                else "tf.variable_scope(regularizer=...)"
            )
            graph.registrations.append(Registration(site, variable, regularizer, how))
        return variable

    def _scoped_name(self, name: str | None) -> str | None:
        if name is None or any(n is None for n in self.scope_names):
            return None
        return "/".join([*(n for n in self.scope_names if n), name])

    # --- regularizers ---------------------------------------------------------------------------

    def _regularizer(self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else None
        last = name.rsplit(".", 1)[-1]
        if name in ("keras.regularizers.get", "keras.regularizers.deserialize"):
            first = args.get("identifier", 0)
            return self._as_regularizer(first, ctx, interp) if first is not None else UNKNOWN
        if name in _L2_NAMES:
            coefficient = args.get("l2", 0) or args.get("scale", 0)
            return _with_coefficient(Regularizer("l2", site=site, name=name), coefficient, default=0.01)
        if name in _L1L2_NAMES:
            class_default = 0.0 if last == "L1L2" else 0.01
            l1 = args.get("l1", 0)
            l2 = args.get("l2", 1)
            if name.startswith(("tf.contrib", "slim")):
                l1, l2 = args.get("scale_l1", 0), args.get("scale_l2", 1)
                class_default = 1.0
            l1_zero = is_zero(l1) if l1 is not None else class_default == 0
            l2_zero = is_zero(l2) if l2 is not None else class_default == 0
            if not l2_zero:
                return _with_coefficient(Regularizer("l2", site=site, name=name), l2, default=class_default)
            return Regularizer("l1", zero=l1_zero, site=site, name=name)
        if last in ("l1", "L1", "l1_regularizer"):
            return _with_coefficient(
                Regularizer("l1", site=site, name=name), args.get("l1", 0) or args.get("scale", 0), default=0.01
            )
        if last in ("OrthogonalRegularizer", "orthogonal_regularizer"):
            return _with_coefficient(Regularizer("other", site=site, name=name), args.get("factor", 0), default=0.01)
        return Regularizer("other", site=site, name=name)

    def _as_regularizer(self, value: Value, ctx: Context, interp: Interpreter) -> Value:
        """What a ``*_regularizer=`` argument adds: a Regularizer, NONE, or UNKNOWN (or a OneOf of those)."""
        options: list[Value] = []
        for option in alternatives(value):
            if isinstance(option, Regularizer) or option is UNKNOWN:
                options.append(option)
            elif isinstance(option, Const):
                if option.value is None:
                    options.append(NONE)
                elif isinstance(option.value, str):
                    text = option.value.lower()
                    kind = "l2" if text in ("l2", "l1_l2") else "l1" if text == "l1" else "other"
                    options.append(Regularizer(kind, coefficient=0.01))
                else:
                    options.append(UNKNOWN)
            elif isinstance(option, (Function, BoundMethod, Partial_)):
                function = (
                    option
                    if isinstance(option, Function)
                    else option.function
                    if isinstance(option, BoundMethod)
                    else None
                )
                # A function that returns no penalty (the max-norm trick: it registers clip ops and
                # returns None) adds nothing to the loss.
                silent = function is not None and not _returns_a_value(function.node)
                options.append(Regularizer("other", function=function, known=True, zero=silent))
            elif isinstance(option, Instance):
                call = option.cls.lookup("__call__")
                options.append(Regularizer("other", function=call if isinstance(call, Function) else None))
            elif isinstance(option, ApiRef):
                if option.canonical in _NO_REGULARIZER:
                    options.append(NONE)
                elif option.canonical is not None and (
                    option.canonical.startswith("keras.regularizers.")
                    or option.canonical in vocabulary.REGULARIZER_FACTORIES
                ):
                    kind = "l2" if option.canonical.rsplit(".", 1)[-1].lower() == "l2" else "other"
                    options.append(Regularizer(kind))
                else:
                    options.append(UNKNOWN)
            elif isinstance(option, ApiObject):
                options.append(
                    Regularizer("other", known=False)
                    if "constraints" not in option.kind
                    else Regularizer("constraint", name=option.kind)
                )
            else:
                options.append(UNKNOWN)
        return join(*options) if options else UNKNOWN

    def _apply_regularizer(self, regularizer: Regularizer, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        subject = args.get("x", 0)
        if subject is None or regularizer.zero:
            return Tensor(node=node)
        from regcheck.facts.program.interpreter import Interpreter  # noqa: F401  (typing only)

        tensor = self._penalty_term_for(regularizer, subject, node, ctx)
        return tensor

    def _penalty_term_for(
        self, regularizer: Regularizer, subject: Value, node: cst.CSTNode | None, ctx: Context
    ) -> Value:
        tapes = self.open_tapes()
        site = SiteRef(ctx.facts, node) if node is not None else None
        for option in alternatives(subject):
            if isinstance(option, VarSetMember):
                term = Term(
                    "penalty",
                    site,
                    covers_all=option.varset,
                    penalty=regularizer.kind,
                    graph=self.graph,
                    tapes=tapes,
                    regularizer=regularizer,
                    coefficient=regularizer.coefficient,
                )
                self._keep_penalty(term)
                return Tensor((term,), tapes=tapes, graph=self.graph, node=node)
        tensor = self._as_tensor(subject)
        if tensor is None or not tensor.reads or tensor.data:
            return self._combine([subject], node, ctx)
        term = Term(
            "penalty",
            site,
            covers=tuple(sorted(tensor.reads, key=lambda v: v.id)),
            penalty="regularizer",
            coefficient=regularizer.coefficient,
            graph=self.graph,
            tapes=tapes,
            regularizer=regularizer,
        )
        self._keep_penalty(term)
        return Tensor((term,), tensor.reads, False, frozenset(), tapes, self.graph, node)

    # --- Keras layers ---------------------------------------------------------------------------

    def _keras_layer(
        self, cls: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter, *, tf1: bool = False
    ) -> Value:
        if cls in ("Input", "InputLayer"):
            return Tensor((Term("data"),), data=True, node=node, symbolic=True)
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        if cls in _PASS_THROUGH_LAYERS:
            inner = args.get("layer", 0) if cls != "Lambda" else args.get("function", 0)
            layer = Layer(site, cls, "other")
            if inner is not None:
                layer.keywords["inner"] = inner
            self.program.layers.append(layer)
            return layer
        layer = Layer(site, cls, _layer_kind(cls))
        layer.tf1 = tf1
        self.program.layers.append(layer)
        self._configure_layer(layer, args, ctx, interp)
        self._library_layer_weights(layer, ctx, interp)
        return layer

    def _configure_layer(self, layer: Layer, args: Args, ctx: Context, interp: Interpreter | None = None) -> None:
        for keyword, value in args.keywords.items():
            layer.keywords[keyword] = value
            if keyword in _KERAS_REG_SLOTS:
                layer.config[keyword] = self._as_regularizer(value, ctx, interp) if interp is not None else value
                node = args.nodes.get(keyword)
                if node is not None:
                    layer.declarations[keyword] = Declaration(ctx.facts, node, "argument", layer.site.node)
        use_bias = args.get("use_bias")
        if use_bias is not None:
            layer.use_bias = use_bias
        if layer.kind == "norm":
            center, scale = args.get("center"), args.get("scale")
            if (
                isinstance(center, Const)
                and center.value is False
                and isinstance(scale, Const)
                and scale.value is False
            ):
                layer.kind = "other"
        units = args.get("units", 0)
        if units is not None:
            layer.units = units
        activation = args.get("activation", 1 if layer.cls == "Dense" else None)
        if activation is not None:
            layer.activation = activation

    def _library_layer_weights(self, layer: Layer, ctx: Context, interp: Interpreter) -> None:
        """The weights a library layer class makes, each with the regularizer its keyword gives."""
        if layer.variables:
            return
        config = layer.config
        graph = self.graph
        cls = layer.cls

        def make(slot: str, role: Role, keyword: str | None, key: str) -> None:
            regularizer = config.get(keyword, NONE) if keyword else NONE
            # A tf.layers object (TF1) registers its penalties in REGULARIZATION_LOSSES, as the
            # tf.layers functions do; a Keras layer keeps them in its own losses.
            route = "collection" if layer.tf1 else "model"
            variable = Variable(
                layer.site, role, slot=slot, graph=graph, regularizer=regularizer, route=route, layer=layer
            )
            variable.declared = layer.declarations.get(keyword) if keyword else None
            short = f"{key}_kernel" if key in ("depthwise", "pointwise") else key
            variable.tf_names = (short, f"{_snake(cls)}/{short}:0")  # Keras 3, Keras 2 (and tf.layers)
            layer.variables[key] = variable
            self.program.variables.append(variable)
            if layer.tf1:
                graph.variables.append(variable)
                if _active(regularizer):
                    graph.registrations.append(Registration(layer.site, variable, regularizer, f"{cls}(...)"))

        if layer.kind == "kernel":
            if (
                cls in IGNORED_KERNEL_REGULARIZER
                or "depthwise_regularizer" in config
                or "pointwise_regularizer" in config
            ):
                make("kernel", Role.WEIGHT, "depthwise_regularizer", "depthwise")
                if cls.startswith("Separable"):
                    make("kernel", Role.WEIGHT, "pointwise_regularizer", "pointwise")
                if "kernel_regularizer" in config and cls in IGNORED_KERNEL_REGULARIZER:
                    self.program.ignored_arguments.append((layer, "kernel_regularizer"))
            else:
                keyword = "kernel_regularizer" if "kernel_regularizer" in config else "W_regularizer"
                make("kernel", Role.WEIGHT, keyword, "kernel")
            if cls in (
                "SimpleRNN",
                "LSTM",
                "GRU",
                "SimpleRNNCell",
                "LSTMCell",
                "GRUCell",
                "ConvLSTM2D",
                "ConvLSTM1D",
                "ConvLSTM3D",
            ):
                keyword = "recurrent_regularizer" if "recurrent_regularizer" in config else "U_regularizer"
                make("recurrent", Role.WEIGHT, keyword, "recurrent_kernel")
            if _truth_of(layer.use_bias) is not False:
                keyword = "bias_regularizer" if "bias_regularizer" in config else "b_regularizer"
                make("bias", Role.BIAS, keyword, "bias")
        elif layer.kind == "norm":
            make("norm", Role.NORM, "gamma_regularizer", "gamma")
            make("norm", Role.NORM, "beta_regularizer", "beta")
        elif layer.kind == "embedding":
            make("embedding", Role.EMBEDDING, "embeddings_regularizer", "embeddings")
        if layer.graph is None:
            layer.graph = graph
            graph.keras_layers.append(layer)

    def _call_layer(self, layer: Layer, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        layer.calls += 1
        inputs = args.get("inputs", 0)
        if layer.cls in _PASS_THROUGH_LAYERS:
            inner = layer.keywords.get("inner")
            if inner is not None and inputs is not None:
                return interp.call(inner, args, node, ctx)
            return self._combine(list(args.values()), node, ctx)
        if layer.tf1:
            layer.built = True
        was_built = layer.built
        layer.built = True
        del was_built
        result = self._combine([inputs] if inputs is not None else list(args.values()), node, ctx)
        if not isinstance(result, Tensor):
            result = Tensor(data=True, node=node)
        variables = list(layer.variables.values())
        kernels = [
            v for v in variables if v.slot in ("kernel", "embedding") or (v.role is Role.WEIGHT and v.slot == "")
        ]
        result.reads = result.reads | frozenset(variables)
        if kernels:
            # The input feeds the first kernel; a separable convolution's depthwise kernel feeds its pointwise one.
            for source in result.frontier:
                self.program.feeds.setdefault(source, set()).add(kernels[0])
            for before, after in itertools.pairwise(kernels):
                self.program.feeds.setdefault(before, set()).add(after)
            result.frontier = frozenset(kernels[-1:])
        if isinstance(inputs, Tensor) and inputs.symbolic:
            result.symbolic = True
        result.graph = self.graph
        if layer.tf1 and layer.kind == "norm":
            self._tf1_norm_updates(layer, args.get("training"), result)
        return result

    def _tf1_norm_updates(self, layer: Layer, training: Value | None, result: Tensor) -> None:
        """A tf.layers batch norm object called in training mode puts its updates in UPDATE_OPS (its
        ``training`` defaults to False: inference, no updates)."""
        if training is None or (isinstance(training, Const) and training.value is False):
            return
        self.add_update_ops(self.graph, layer.site, (*layer.variables.values(), *result.frontier))

    def _call_keras_object(
        self,
        instance: Instance,
        keras: Layer | Model,
        args: Args,
        node: cst.Call | None,
        ctx: Context,
        interp: Interpreter,
    ) -> Value:
        """``layer(x)`` / ``model(x)`` of a project subclass: Keras builds it once, then runs ``call``."""
        if isinstance(keras, Layer) and not keras.built:
            keras.built = True
            build = instance.cls.lookup("build")
            if isinstance(build, Function):
                from regcheck.facts.program.values import Args as _Args

                interp.call(BoundMethod(build, instance), _Args([UNKNOWN]), None, ctx)
        if isinstance(keras, Model):
            keras.built = True
        call = instance.cls.lookup("call")
        if isinstance(call, Function):
            result = interp.call(BoundMethod(call, instance), args, node, ctx)
            if isinstance(keras, Model):
                keras.outputs.append(result) if isinstance(result, Tensor) else None
            return result
        if isinstance(keras, Model):
            return self._call_model(keras, args, node, ctx, interp)
        return self._call_layer(keras, args, node, ctx, interp)

    # --- Keras models ---------------------------------------------------------------------------

    def _sequential(self, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        model = Model(site, "sequential")
        self.program.models.append(model)
        layers = args.get("layers", 0)
        current: Value = Tensor((Term("data"),), data=True, symbolic=True)
        for option in alternatives(layers) if layers is not None else ():
            if isinstance(option, Sequence):
                for item in option.items:
                    current = self._add_to_sequential(model, item, current, node, ctx, interp)
        self.program.sequential_outputs[model.id] = current
        return model

    def _add_to_sequential(
        self, model: Model, item: Value, current: Value, node: cst.Call | None, ctx: Context, interp: Interpreter
    ) -> Value:
        from regcheck.facts.program.values import Args as _Args

        for option in alternatives(item):
            layer = option.keras if isinstance(option, Instance) else option
            if isinstance(layer, Layer):
                model.layers.append(layer)
                return interp.call(option, _Args([current]), None, ctx)
            if isinstance(layer, Model):
                model.layers.extend(layer.all_layers())
                return interp.call(option, _Args([current]), None, ctx)
            if isinstance(option, Tensor):
                return option
        model.opaque = model.opaque or item is UNKNOWN
        return current

    def _functional(self, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        outputs = args.get("outputs", 1)
        model = Model(site, "functional")
        self.program.models.append(model)
        if outputs is None:
            model.opaque = True
            return model
        self._wire_functional(model, outputs)
        return model

    def _wire_functional(self, model: Model, outputs: Value) -> None:
        tensors = [t for t in self._flat([outputs]) if isinstance(t, Tensor)]
        if any(o is UNKNOWN for o in self._flat([outputs])):
            model.opaque = True
        model.outputs = tensors
        layers: dict[int, Layer] = {}
        for tensor in tensors:
            if tensor.opaque_reads:
                model.opaque = True
            for variable in tensor.reads:
                if variable.layer is not None:
                    layers.setdefault(variable.layer.id, variable.layer)
        model.layers = [layers[k] for k in sorted(layers)]
        model.built = True

    def _library_model(self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        model = Model(site, "library")
        model.opaque = True
        model.built = True
        model.api = name
        weights = args.get("weights")
        model.pretrained = not (isinstance(weights, Const) and weights.value is None) or name.startswith(
            ("keras.models.load_model", "keras.saving")
        )
        self.program.models.append(model)
        return model

    def _call_model(self, model: Model, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        inputs = args.get("inputs", 0)
        result = self._combine([inputs] if inputs is not None else [], node, ctx)
        if not isinstance(result, Tensor):
            result = Tensor(data=True, node=node)
        variables = model.all_variables()
        result.reads = result.reads | frozenset(variables)
        if model.opaque:
            result.opaque_reads = True
        else:
            # A model called as a layer (a head wrapped in its own Model): what feeds it feeds its first
            # kernels, and its output comes from its last ones.
            kernels = {v for v in variables if v.role is Role.WEIGHT}
            if kernels:
                feeds = self.program.feeds
                firsts = {k for k in kernels if not any(k in feeds.get(j, ()) for j in kernels if j is not k)}
                for source in _frontier([inputs] if inputs is not None else []):
                    feeds.setdefault(source, set()).update(firsts)
                result.frontier = frozenset(self.program.heads(kernels))
        self.program.model_calls.append(
            (model, interp.site(ctx.facts, node) if node is not None else None, frozenset(self.open_tapes()))
        )
        return result

    def _stock_compute_loss(self, instance: Instance, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        model = instance.keras if isinstance(instance.keras, Model) else None
        tapes = self.open_tapes()
        site = SiteRef(ctx.facts, node) if node is not None else None
        added = Term("model_losses", site=site, model=model, tapes=tapes, penalty=ADDED_BY_COMPUTE_LOSS)
        return Tensor(
            (Term("data", tapes=tapes), added),
            data=True,
            tapes=tapes,
            node=node,
        )

    def _stock_train_step(self, instance: Instance, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        return UNKNOWN

    # --- TF1 layers -------------------------------------------------------------------------------

    def _scope_default(self, name: str, keyword: str) -> Value | None:
        found = self._scope_entry(name, keyword)
        return found[0] if found is not None else None

    def _scope_entry(self, name: str, keyword: str) -> tuple[Value, Declaration | None] | None:
        """The default an enclosing ``slim.arg_scope`` gives ``keyword`` of ``name``, and where it was written."""
        for scope in reversed(self.arg_scopes):
            if scope.functions is None:
                if keyword in scope.defaults or not scope.defaults:
                    return scope.defaults.get(keyword, UNKNOWN), scope.declarations.get(keyword)
                continue
            if name in scope.functions and keyword in scope.defaults:
                return scope.defaults[keyword], scope.declarations.get(keyword)
        return None

    def _tf1_layer(self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        facts = ctx.facts
        site = interp.site(facts, node) if node is not None else interp.site(facts, facts.module)
        cls = name.rsplit(".", 1)[-1]
        layer = Layer(site, cls, "kernel")
        layer.tf1 = True
        layer.built = True
        self.program.layers.append(layer)
        slim_style = not name.startswith("tf.layers.")
        kernel_keyword = next((k for k in vocabulary.KERNEL_REGULARIZER_KWARGS if k in args.keywords), None)
        bias_keyword = next((k for k in vocabulary.BIAS_REGULARIZER_KWARGS if k in args.keywords), None)
        declared: dict[str, Declaration | None] = {}
        regularizers: dict[str, Value | None] = {}
        for slot, keyword, default in (
            ("kernel", kernel_keyword, "weights_regularizer"),
            ("bias", bias_keyword, "biases_regularizer"),
        ):
            if keyword is not None:
                regularizers[slot] = args.keywords[keyword]
                where = args.nodes.get(keyword)
                declared[slot] = Declaration(facts, where, "argument", node) if where is not None else None
            elif slim_style and (entry := self._scope_entry(name, default)) is not None:
                regularizers[slot], declared[slot] = entry
        for slot in ("kernel", "bias"):
            value = regularizers.get(slot)
            layer.config[f"{slot}_regularizer"] = (
                self._as_regularizer(value, ctx, interp) if value is not None else NONE
            )
        layer.kernel_keyword = kernel_keyword or ("weights_regularizer" if slim_style else "kernel_regularizer")
        if declared.get("kernel") is not None and kernel_keyword is not None:
            layer.declarations[kernel_keyword] = declared["kernel"]  # type: ignore[assignment]
        graph = self.graph
        symbol = _symbol_for(facts, node) if node is not None else None
        kernel = Variable(
            site,
            Role.WEIGHT,
            slot="kernel",
            symbol=symbol,
            graph=graph,
            regularizer=layer.config["kernel_regularizer"],
            route="collection",
            layer=layer,
        )
        kernel.declared = declared.get("kernel")
        layer.variables["kernel"] = kernel
        has_bias = True
        use_bias = args.get("use_bias")
        biases_initializer = args.get("biases_initializer")
        normalizer = args.get("normalizer_fn")
        if normalizer is None and slim_style:
            normalizer = self._scope_default(name, "normalizer_fn")
        if isinstance(use_bias, Const) and use_bias.value is False:
            has_bias = False
        if isinstance(biases_initializer, Const) and biases_initializer.value is None:
            has_bias = False
        variables = [kernel]
        if normalizer is not None and not _is_none(normalizer):
            has_bias = False
            self._normalizer(name, normalizer, args, site, kernel, ctx, interp)
        if has_bias:
            bias = Variable(
                site,
                Role.BIAS,
                slot="bias",
                graph=graph,
                regularizer=layer.config["bias_regularizer"],
                route="collection",
                layer=layer,
            )
            bias.declared = declared.get("bias")
            layer.variables["bias"] = bias
            variables.append(bias)
        layer_name = args.get("scope" if slim_style else "name")
        own = layer_name.value if isinstance(layer_name, Const) and isinstance(layer_name.value, str) else None
        scoped = self._scoped_name(own or _snake(cls))
        for variable in variables:
            if scoped is not None:
                slot = "weights" if slim_style and variable is kernel else variable.slot
                slot = "biases" if slim_style and variable.slot == "bias" else slot
                variable.tf_names = (f"{scoped}/{slot}:0",)
            graph.variables.append(variable)
            self.program.variables.append(variable)
            if _active(variable.regularizer):
                keyword = (
                    (kernel_keyword or "weights_regularizer")
                    if variable is kernel
                    else (bias_keyword or "biases_regularizer")
                )
                graph.registrations.append(Registration(site, variable, variable.regularizer, f"{name}({keyword}=...)"))
        graph.layers.append(layer)
        inputs = args.get("inputs", 0)
        result = self._combine([inputs] if inputs is not None else [UNKNOWN], node, ctx)
        if not isinstance(result, Tensor):
            result = Tensor(data=True, node=node)
        for source in result.frontier:
            self.program.feeds.setdefault(source, set()).add(kernel)
        result.reads = result.reads | frozenset(variables)
        result.frontier = frozenset({kernel})
        return result

    def _normalizer(
        self,
        layer_function: str,
        normalizer: Value,
        args: Args,
        site: SiteRef,
        kernel: Variable,
        ctx: Context,
        interp: Interpreter,
    ) -> None:
        for option in alternatives(normalizer):
            if isinstance(option, ApiRef) and option.canonical in _TF1_BATCH_NORMS:
                params = args.get("normalizer_params")
                if params is None:
                    params = self._scope_default(layer_function, "normalizer_params")
                updates = params.entries.get("updates_collections") if isinstance(params, Mapping) else None
                training = params.entries.get("is_training") if isinstance(params, Mapping) else None
                if isinstance(updates, Const) and updates.value is None:
                    continue
                if isinstance(training, Const) and training.value is False:
                    continue
                self.add_update_ops(self.graph, site, (kernel,))

    def _tf1_batch_norm(self, name: str, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        graph = self.graph
        training = args.get("training") if name == "tf.layers.batch_normalization" else args.get("is_training")
        if training is None and name.startswith(("slim", "tf.contrib")):
            training = self._scope_default(name, "is_training")
        updates = args.get("updates_collections")
        if updates is None and name.startswith(("slim", "tf.contrib")):
            updates = self._scope_default(name, "updates_collections")
        registers = True
        if name == "tf.layers.batch_normalization" and training is None:
            registers = False  # training defaults to False: inference mode, no updates
        if isinstance(training, Const) and training.value is False:
            registers = False
        if isinstance(updates, Const) and updates.value is None:
            registers = False
        if name == "tf.nn.fused_batch_norm":
            registers = False
        layer = Layer(site, name.rsplit(".", 1)[-1], "norm")
        layer.tf1 = True
        gamma_reg = args.get("gamma_regularizer") or (args.get("param_regularizers"))
        beta_reg = args.get("beta_regularizer")
        for key, reg in (("gamma", gamma_reg), ("beta", beta_reg)):
            where = args.nodes.get(f"{key}_regularizer")
            regularizer = (
                self._as_regularizer(reg, ctx, interp) if reg is not None and not isinstance(reg, Mapping) else NONE
            )
            variable = Variable(
                site, Role.NORM, slot="norm", graph=graph, regularizer=regularizer, route="collection", layer=layer
            )
            variable.declared = Declaration(ctx.facts, where, "argument", node) if where is not None else None
            layer.variables[key] = variable
            graph.variables.append(variable)
            self.program.variables.append(variable)
            if _active(regularizer):
                graph.registrations.append(Registration(site, variable, regularizer, f"{name}(...)"))
        inputs = args.get("inputs", 0)
        result = self._combine([inputs] if inputs is not None else [UNKNOWN], node, ctx)
        if isinstance(result, Tensor):
            result.reads = result.reads | frozenset(layer.variables.values())
        if registers:
            normalized = tuple(result.frontier) if isinstance(result, Tensor) else ()
            self.add_update_ops(graph, site, (*layer.variables.values(), *normalized))
        return result

    # --- training ---------------------------------------------------------------------------------

    def _optimizer(
        self,
        name: str,
        args: Args,
        node: cst.Call | None,
        ctx: Context,
        interp: Interpreter,
        *,
        decoupled_class: bool = False,
    ) -> Value:
        site = interp.site(ctx.facts, node) if node is not None else None
        arguments = dict(args.keywords)
        if args.positional:
            arguments.setdefault("learning_rate", args.positional[0])
        optimizer = Optimizer(site, name, arguments, node, decoupled_class=decoupled_class)
        self.program.optimizers.append(optimizer)
        return optimizer

    def train_step(
        self, kind: str, loss: Value, node: cst.Call | None, ctx: Context, interp: Interpreter, **fields: object
    ) -> TrainStep:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        step = TrainStep(kind, site, loss, graph=self.graph, function=ctx.function, **fields)  # type: ignore[arg-type]
        step.assumptions = frozenset(self.assumptions)
        if self.control and any(self._has_update_ops(deps) for deps in self.control):
            step.update_ops = True
        # A loss that waits for the updates does not make its gradients wait (they need only its static
        # shape): the updates run when that loss is fetched with the train op, not when it is minimized.
        step.replicas = self.replica > 0
        self.program.train_steps.append(step)
        return step

    def add_update_ops(self, graph: Graph, site: SiteRef, variables: tuple[Variable, ...]) -> None:
        """Batch norm at ``site`` puts its moving-average updates in ``graph``'s UPDATE_OPS."""
        graph.update_ops.append((site, variables))
        if self.assumptions:
            graph.update_assumptions[id(site)] = frozenset(self.assumptions)

    def waits_for_updates(self, value: Value) -> bool:
        """A tensor made after UPDATE_OPS ran (under their control dependencies)."""
        return self.after_updates.get(id(value)) is value

    def _has_update_ops(self, values: list[Value]) -> bool:
        for value in self._flat(values):
            if isinstance(value, UpdateOps):
                return True
            if isinstance(value, TrainOp) and value.step.update_ops:
                return True
        return False

    def _is_training_target(self, sources: Value | None) -> bool:
        """Are these the variables a gradient is taken for (training), not inputs (a gradient penalty)?"""
        if sources is None:
            return True
        flat = self._flat([sources])
        if not flat:
            return True
        for value in flat:
            if isinstance(value, (Variable, VarSet, VarSetMember)):
                return True
            if isinstance(value, Tensor):
                if value.data and not value.reads:
                    continue
                if value.reads and not value.data:
                    return True
                continue
            if value is UNKNOWN:
                return True
        return False


# --- helpers ------------------------------------------------------------------------------------------


class _Native(Value):
    """A library method of a project subclass's Keras side (``super().__init__``, ``self.add_weight``)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Args, cst.Call | None, Context], Value]) -> None:
        self.function = function


class _Bound(Value):
    """A library method bound to its receiver (``opt.minimize``, ``tape.gradient``, ``model.fit``)."""

    __slots__ = ("name", "receiver")

    def __init__(self, receiver: Value, name: str) -> None:
        self.receiver = receiver
        self.name = name


class _ScopeRequest(Value):
    __slots__ = ("declaration", "name", "regularizer", "reuse")

    def __init__(
        self, regularizer: Value | None, name: str | None, reuse: bool, declaration: Declaration | None = None
    ) -> None:
        self.regularizer = regularizer
        self.name = name
        self.reuse = reuse
        self.declaration = declaration


class _ControlDependencies(Value):
    __slots__ = ("deps",)

    def __init__(self, deps: list[Value]) -> None:
        self.deps = deps


Partial_ = _Native  # a stand-in type for isinstance tests that accept any project callable


_SLOT_ALIASES = {"embeddings": "embeddings", "depthwise_kernel": "depthwise", "pointwise_kernel": "pointwise"}


def _layer_kind(cls: str) -> str:
    if cls in vocabulary.KERAS_KERNEL_LAYERS:
        return "kernel"
    if cls in vocabulary.KERAS_NORM_LAYERS:
        return "norm"
    if cls in vocabulary.KERAS_EMBEDDING_LAYERS:
        return "embedding"
    return "other"


def _class_matches(cls: str, wanted: str) -> bool:
    if cls == wanted:
        return True
    bases = {"Conv": ("Conv1D", "Conv2D", "Conv3D", "Convolution2D"), "RNN": ("SimpleRNN", "LSTM", "GRU")}
    return cls in bases.get(wanted, ())


def _truth_of(value: Value) -> bool | None:
    if isinstance(value, Const):
        return bool(value.value)
    return None


def _is_none(value: Value) -> bool:
    return isinstance(value, Const) and value.value is None


def _active(regularizer: Value) -> bool:
    """A regularizer that certainly adds a non-zero penalty."""
    return isinstance(regularizer, Regularizer) and not regularizer.zero and regularizer.kind != "constraint"


def _with_coefficient(regularizer: Regularizer, coefficient: Value | None, default: float) -> Regularizer:
    if coefficient is None:
        regularizer.coefficient = default
        regularizer.zero = default == 0
        return regularizer
    if isinstance(coefficient, Const) and isinstance(coefficient.value, (int, float)):
        regularizer.coefficient = float(coefficient.value)
    regularizer.zero = is_zero(coefficient)
    regularizer.known = not isinstance(coefficient, OneOf) or not regularizer.zero
    return regularizer


def _reciprocal(value: Value) -> Value:
    if isinstance(value, ReplicaCount):
        return value  # divided by the replica count: spread over the replicas, as multiplying by 1/n
    if isinstance(value, Const) and isinstance(value.value, (int, float)) and value.value:
        return Const(1 / value.value)
    return UNKNOWN if not is_zero(value) else value


def _single_variable(value: Value) -> Variable | None:
    if isinstance(value, Variable):
        return value
    if isinstance(value, Tensor) and len(value.reads) == 1 and not value.data and not value.frontier:
        return next(iter(value.reads))
    return None


def _name_text(value: Value | None) -> str | None:
    """A variable's name when the code gives it whole (not formatted at run time)."""
    if value is FORMATTED or not (isinstance(value, Const) and isinstance(value.value, str)):
        return None
    return value.value


def _literal_prefix(node: cst.CSTNode | None) -> str | None:
    """The literal start of a name computed at run time (``"b_" + str(i)``, ``f"bias_{i}"``): enough to
    tell a bias from a kernel."""
    if isinstance(node, cst.Arg):
        node = node.value
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        node = node.left  # "b_" + str(i), "bias_%d" % i
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.split("%", 1)[0] or None if isinstance(value, str) else None
    if isinstance(node, cst.FormattedString) and node.parts and isinstance(node.parts[0], cst.FormattedStringText):
        return node.parts[0].value or None
    return None


def _is_activation(tensor: Tensor) -> bool:
    """A layer's output computed from other parameters than its kernel (``fc(conv(v))``, ``x @ w`` for a
    trainable ``x``): a norm of it is an objective on activations, not a penalty on each variable it
    reads. ``w^T w`` reads only its kernel: that stays a penalty."""
    return bool(tensor.frontier) and not tensor.reads <= tensor.frontier


def _frontier(values: list[Value]) -> frozenset[Variable]:
    found: set[Variable] = set()
    for value in values:
        for option in alternatives(value):
            if isinstance(option, Tensor):
                found |= option.frontier
    return frozenset(found)


def _loss_list(value: Value) -> Sequence | None:
    """A Python list of loss tensors (``model.losses``, ``get_regularization_losses()``)."""
    for option in alternatives(value):
        if (
            isinstance(option, Sequence)
            and option.items
            and all(
                isinstance(i, Tensor)
                and i.terms
                and all(t.kind in ("collection", "model_losses", "penalty") for t in i.terms)
                for i in option.items
            )
        ):
            return option
    return None


def _is_optimizer_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    if not last[:1].isupper():
        return False
    return (
        name.startswith(("keras.optimizers.", "tf.train.", "tf.optimizers.", "tf.keras.optimizers."))
        and "Schedule" not in last
        and last
        not in (
            "Saver",
            "Coordinator",
            "Server",
            "ClusterSpec",
            "Checkpoint",
            "CheckpointManager",
            "ExponentialMovingAverage",
            "Scaffold",
            "SessionRunHook",
            "LoggingTensorHook",
            "StopAtStepHook",
            "MonitoredTrainingSession",
            "Example",
            "Features",
            "Feature",
            "BytesList",
            "Int64List",
            "FloatList",
            "SequenceExample",
        )
    )


def _shape_of_initializer(value: Value | None) -> Value | None:
    if isinstance(value, Tensor):
        return getattr(value, "shape_hint", None)
    return None


def _symbol_for(facts: ModuleFacts, call: cst.CSTNode | None) -> str | None:
    """The name code uses for what a call creates: the assignment target, or ``d['k']`` for a dict entry."""
    if call is None:
        return None
    parent = facts.parent(call)
    if isinstance(parent, cst.DictElement) and parent.value is call:
        holder = facts.parent(parent)
        target = facts.parent(holder) if holder is not None else None
        if isinstance(target, cst.Assign) and len(target.targets) == 1 and isinstance(parent.key, cst.SimpleString):
            return f"{facts.code(target.targets[0].target)}[{facts.code(parent.key)}]"
    if isinstance(parent, cst.Element):
        holder = facts.parent(parent)
        target = facts.parent(holder) if isinstance(holder, (cst.List, cst.Tuple)) else None
        if (
            isinstance(target, cst.Assign)
            and len(target.targets) == 1
            and isinstance(target.targets[0].target, cst.Name)
        ):
            assert isinstance(holder, (cst.List, cst.Tuple))
            index = next(i for i, e in enumerate(holder.elements) if e is parent)
            return f"{target.targets[0].target.value}[{index}]"
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return facts.code(parent.targets[0].target)
    if isinstance(parent, cst.AnnAssign):
        return facts.code(parent.target)
    return None


def _dict_of(facts: ModuleFacts, call: cst.CSTNode | None) -> str | None:
    if call is None:
        return None
    parent = facts.parent(call)
    if isinstance(parent, cst.DictElement):
        holder = facts.parent(parent)
        target = facts.parent(holder) if holder is not None else None
        if isinstance(target, cst.Assign) and len(target.targets) == 1:
            return facts.code(target.targets[0].target)
    return None


# --- handlers by canonical name ------------------------------------------------------------------------

ApiHandler = Callable[[Semantics, Args, "cst.Call | None", "Context", "Interpreter"], Value]
MethodHandler = Callable[[Semantics, Value, Value, Args, "cst.Call | None", "Context", "Interpreter"], "Value | None"]
_HANDLERS: dict[str, ApiHandler] = {}
_METHOD_HANDLERS: dict[str, MethodHandler] = {}


def _api(*names: str) -> Callable[[ApiHandler], ApiHandler]:
    def register(function: ApiHandler) -> ApiHandler:
        for name in names:
            _HANDLERS[name] = function
        return function

    return register


def _method(*names: str) -> Callable[[MethodHandler], MethodHandler]:
    def register(function: MethodHandler) -> MethodHandler:
        for name in names:
            _METHOD_HANDLERS[name] = function
        return function

    return register


@_api("tf.Variable", "tf.contrib.eager.Variable", "tfe.Variable", "tf.compat.v2.Variable")
def _tf_variable(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return sem._variable(args, node, ctx, interp, via_get=False)


@_api(*_GET_VARIABLE)
def _get_variable(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return sem._variable(args, node, ctx, interp, via_get=True)


@_api(*_DATA_SOURCES)
def _data_source(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return Tensor((Term("data"),), data=True, node=node, graph=sem.graph, symbolic=True)


@_api(*vocabulary.L2_PENALTY_FUNCS)
def _l2_loss(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    subject = args.get("t", 0)
    return sem._penalty("l2", subject, node, ctx, interp) if subject is not None else UNKNOWN


@_api(*_NORMS)
def _norm(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    subject = args.get("tensor", 0)
    axis = args.get("axis", 2)
    if subject is None or (axis is not None and not _is_none(axis)) or len(args.positional) > 2:
        return sem._combine(list(args.values()), node, ctx)
    return sem._penalty("norm", subject, node, ctx, interp)


@_api(*_SQUARES, *_ABS)
def _square(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    subject = args.get("x", 0)
    result = sem._combine(list(args.values()), node, ctx)
    if subject is not None and isinstance(result, (Tensor, VarSetMember)):
        name = ""
        if node is not None:
            name = "abs" if "abs" in ctx.facts.code(node.func) else "square"
        sem.program.squares[id(result)] = (result, subject)
        sem.program.square_kinds[id(result)] = name
    return result


@_api(*_REDUCTIONS)
def _reduction(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    subject = args.get("input_tensor", 0)
    if subject is None:
        return UNKNOWN
    base = sem.program.squared(subject)
    axis = args.get("axis", 1)
    if base is not None and (axis is None or _is_none(axis)):
        # A sum of squares over the whole tensor is a penalty; one per row or column (``axis=-1``) is
        # a norm for a distance or a normalization (a codebook's distances, cosine similarity).
        kind = "l1" if sem.program.square_kinds.get(id(subject)) == "abs" else "l2"
        return sem._penalty(kind, base, node, ctx, interp)
    return sem._additive([subject], node, ctx)


@_api(
    "tf.add_n",
    "tf.math.add_n",
    "tf.add",
    "tf.math.add",
    "tf.identity",
    "tf.cast",
    "tf.stack",
    "tf.concat",
    "tf.convert_to_tensor",
    "tf.math.accumulate_n",
    "keras.ops.add",
    "keras.backend.stack",
    "keras.ops.stack",
)
def _sum(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    values = list(args.positional[:2]) if node is not None and args.positional else list(args.values())
    if args.positional and isinstance(args.positional[0], Sequence):
        values = [args.positional[0]]
    return sem._additive(values, node, ctx)


@_api(*_SCALING)
def _multiply(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    if len(args.positional) >= 2:
        return sem._scale(args.positional[0], args.positional[1], node or cst.Name("_"), ctx)
    return sem._combine(list(args.values()), node, ctx)


@_api(*_KERNEL_OPS)
def _kernel(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    values = list(args.positional)
    if "b" in args.keywords or "weights" in args.keywords or "filters" in args.keywords:
        values.extend(args.keywords.values())
    return sem._kernel_op(values or list(args.values()), node, ctx)


@_api(*_EMBEDDING_OPS)
def _embedding(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    params = args.get("params", 0)
    variable = _single_variable(params) if params is not None else None
    if variable is not None and variable.role in (Role.UNKNOWN, Role.WEIGHT) and node is not None:
        variable.role = Role.EMBEDDING
    return sem._combine(list(args.values()), node, ctx)


@_api(*_BIAS_OPS)
def _bias_add(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    bias = args.get("bias", 1)
    variable = _single_variable(bias) if bias is not None else None
    if variable is not None and variable.role is Role.UNKNOWN:
        variable.role = Role.BIAS
    value = args.get("value", 0)
    result = sem._combine(list(args.values()), node, ctx)
    if isinstance(result, Tensor) and value is not None:
        result.frontier = _frontier([value])
    return result


@_api("tf.Graph")
def _graph(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    graph = Graph(interp.site(ctx.facts, node) if node is not None else None)
    sem.program.graphs.append(graph)
    return graph


@_api(*_GRAPH_RESETS)
def _reset(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    if not sem.graph_stack:
        sem.default_graph = Graph(interp.site(ctx.facts, node) if node is not None else None)
        sem.program.graphs.append(sem.default_graph)
    return NONE


@_api("tf.get_default_graph")
def _default_graph(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return sem.graph


@_api("tf.variable_scope", "tf.name_scope", "tf.compat.v1.variable_scope", "slim.variable_scope")
def _variable_scope(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    name = args.get("name_or_scope", 0) or args.get("name", 0)
    text = name.value if isinstance(name, Const) and isinstance(name.value, str) else None
    reuse = args.get("reuse")
    reusing = (isinstance(reuse, Const) and reuse.value is True) or isinstance(reuse, ApiRef)
    regularizer = args.get("regularizer")
    if node is not None and ctx.facts.code(node.func).endswith("name_scope"):
        regularizer = None
    where = args.nodes.get("regularizer") if regularizer is not None else None
    declaration = Declaration(ctx.facts, where, "scope", node) if where is not None else None
    return _ScopeRequest(regularizer, text if name is not None else "", reusing, declaration)


@_api("slim.arg_scope", "tf.contrib.framework.arg_scope")
def _arg_scope(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    first = args.get("list_ops_or_scope", 0)
    if isinstance(first, ArgScope):
        return first
    functions: set[str] = set()
    if isinstance(first, Sequence):
        for item in first.items:
            if isinstance(item, ApiRef) and item.canonical is not None:
                functions.add(item.canonical)
                if item.canonical.startswith("slim."):
                    functions.add("tf.contrib.layers." + item.canonical[5:])
                if item.canonical.startswith("tf.contrib.layers."):
                    functions.add("slim." + item.canonical[len("tf.contrib.layers.") :])
    elif first is None or first is UNKNOWN or isinstance(first, (OneOf, Const)):
        return ArgScope(None, {})
    declarations = {
        keyword: Declaration(ctx.facts, where, "arg_scope", node)
        for keyword, where in args.nodes.items()
        if isinstance(keyword, str)
    }
    biases = args.keywords.get("biases_regularizer")
    if biases is not None and "biases_regularizer" in declarations and "normalizer_fn" not in args.keywords:
        if functions & _BIASED_SCOPE_FUNCTIONS:
            regularizer = sem._as_regularizer(biases, ctx, interp)
            sem.program.scope_bias_regularizers.append((declarations["biases_regularizer"], regularizer))
    return ArgScope(frozenset(functions), dict(args.keywords), declarations)


@_api("tf.control_dependencies")
def _control_dependencies(
    sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value:
    deps = args.get("control_inputs", 0)
    return _ControlDependencies([deps] if deps is not None else [])


@_api("tf.get_collection", "tf.get_collection_ref", "tf.compat.v1.get_collection")
def _get_collection(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    key = args.get("key", 0)
    kind = _collection_key(key)
    if kind == "regularization":
        tapes = sem.open_tapes()
        return Sequence(
            [Tensor((Term("collection", graph=sem.graph, tapes=tapes),), graph=sem.graph, node=node)],
            mutable=True,
            exact=False,
        )
    if kind == "update_ops":
        return UpdateOps(sem.graph)
    if kind == "variables":
        return VarSet(sem.graph, node=node)
    name = _own_collection(key)
    added = sem.graph.collections.get(name) if name is not None and args.get("scope", 1) is None else None
    if added:
        # A copy of what was added so far (the CIFAR-10 tutorial's "losses": the data loss and each
        # layer's weight decay, summed by tf.add_n).
        return Sequence(list(added), mutable=True, exact=True)
    return Sequence([], mutable=True, exact=False)


@_api("tf.losses.get_regularization_loss", "tf.compat.v1.losses.get_regularization_loss")
def _regularization_loss(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    tapes = sem.open_tapes()
    return Tensor((Term("collection", graph=sem.graph, tapes=tapes),), graph=sem.graph, node=node, tapes=tapes)


@_api(
    "tf.losses.get_regularization_losses",
    "tf.contrib.losses.get_regularization_losses",
    "slim.losses.get_regularization_losses",
)
def _regularization_losses(
    sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value:
    tapes = sem.open_tapes()
    return Sequence(
        [Tensor((Term("collection", graph=sem.graph, tapes=tapes),), graph=sem.graph, node=node)],
        mutable=True,
        exact=False,
    )


@_api("tf.losses.get_total_loss", "tf.contrib.losses.get_total_loss", "slim.losses.get_total_loss")
def _total_loss(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    add = args.get("add_regularization_losses", 0)
    terms = [Term("data")]
    if not (isinstance(add, Const) and add.value is False):
        terms.append(Term("collection", graph=sem.graph))
    return Tensor(tuple(terms), data=True, graph=sem.graph, node=node, tapes=sem.open_tapes())


@_api("tf.add_to_collection", "tf.add_to_collections")
def _add_to_collection(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    key = args.get("name", 0)
    value = args.get("value", 1)
    kind = _collection_key(key)
    if kind == "regularization" and value is not None:
        site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
        sem.graph.registrations.append(
            Registration(site, None, value, "tf.add_to_collection(REGULARIZATION_LOSSES, ...)")
        )
    elif kind == "update_ops" and node is not None:
        sem.add_update_ops(sem.graph, interp.site(ctx.facts, node), ())
    elif kind is None and value is not None:
        name = _own_collection(key)
        if name is not None:
            sem.graph.collections.setdefault(name, []).append(value)
    return NONE


@_api("tf.contrib.layers.apply_regularization", "slim.apply_regularization")
def _apply_regularization(
    sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value:
    regularizer = args.get("regularizer", 0)
    weights = args.get("weights_list", 1)
    reg = sem._as_regularizer(regularizer, ctx, interp) if regularizer is not None else UNKNOWN
    subject: Value = (
        weights if weights is not None and not _is_none(weights) else VarSetMember(VarSet(sem.graph, node=node))
    )
    if isinstance(subject, Sequence) and subject.exact:
        reads = frozenset(v for item in subject.items for v in ([item] if isinstance(item, Variable) else []))
        subject = Tensor(reads=reads) if reads else subject
    elif isinstance(subject, VarSet):
        subject = VarSetMember(subject)
    if isinstance(reg, Regularizer):
        result = sem._penalty_term_for(reg, subject, node, ctx)
    else:
        result = sem._penalty("regularizer", subject, node, ctx, interp)
    site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
    sem.graph.registrations.append(Registration(site, None, result, "apply_regularization"))
    return result


@_api(*_VARIABLE_LISTS)
def _variables_of_graph(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return VarSet(sem.graph, node=node)


@_api("tf.gradients")
def _gradients(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    loss = args.get("ys", 0)
    sources = args.get("xs", 1)
    if loss is None or not sem._is_training_target(sources):
        return Sequence([UNKNOWN], mutable=True, exact=False)
    step = sem.train_step("gradients", loss, node, ctx, interp, sources=sources or UNKNOWN)
    return Gradients(step)


@_api("tf.GradientTape")
def _tape(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    tape = Tape(interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module))
    sem.program.tapes.append(tape)
    return tape


@_api("tf.python.ops.control_flow_ops.with_dependencies")
def _with_dependencies(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    """``with_dependencies(deps, output)``: ``output``, computed after ``deps`` (slim's way of making the
    total loss wait for UPDATE_OPS)."""
    deps, output = args.get("dependencies", 0), args.get("output_tensor", 1)
    result = sem._additive([output], node, ctx) if output is not None else UNKNOWN
    if deps is not None and isinstance(result, Tensor) and sem._has_update_ops([deps]):
        sem.after_updates[id(result)] = result
    return result


@_api("tf.group", "tf.tuple")
def _group(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    values = sem._flat(list(args.values()))
    steps = [v.step for v in values if isinstance(v, TrainOp)]
    if steps and (any(isinstance(v, UpdateOps) for v in values) or any(sem._has_update_ops(d) for d in sem.control)):
        for step in steps:
            step.update_ops = True
    if steps:
        return TrainOp(steps[0])
    return ApiObject("op")


@_api(*_TRAIN_OP_BUILDERS)
def _create_train_op(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    loss = args.get("total_loss", 0) or args.get("loss", 0)
    optimizer = args.get("optimizer", 1)
    step = sem.train_step(
        "minimize", loss if loss is not None else UNKNOWN, node, ctx, interp, optimizer=optimizer, applied=True
    )
    update = args.get("update_ops")
    if not (isinstance(update, Sequence) and update.exact and not update.items):
        step.update_ops = True
    return TrainOp(step)


@_api("tf.nn.scale_regularization_loss", "tf.nn.compute_average_loss")
def _scale_regularization(
    sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value:
    first = args.get("regularization_loss", 0) or args.get("per_example_loss", 0)
    result = sem._additive([first] if first is not None else [], node, ctx)
    if isinstance(result, Tensor):
        result.terms = tuple(dataclasses.replace(t, replica_scaled=True) for t in result.terms)
    return result


@_api("tf.function", "tf.contrib.eager.defun", "tf.autograph.experimental.do_not_convert")
def _tf_function(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    first = args.get("func", 0)
    if first is not None:
        return first
    return _Native(lambda a, n, c: a.positional[0] if a.positional else UNKNOWN)


@_api("keras.Sequential", "keras.models.Sequential")
def _keras_sequential(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return sem._sequential(args, node, ctx, interp)


@_api("keras.Model", "keras.models.Model")
def _keras_model(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return sem._functional(args, node, ctx, interp)


@_api(
    "keras.models.clone_model",
    "keras.models.model_from_json",
    "keras.models.model_from_config",
    "keras.models.model_from_yaml",
    "keras.Model.from_config",
    "keras.models.Model.from_config",
    "keras.Sequential.from_config",
)
def _rebuilt(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
    model = Model(site, "library")
    model.opaque = True
    model.api = "rebuilt"
    sem.program.models.append(model)
    sem.program.rebuilds.append(site)
    return model


@_api(
    "tf.train.Saver", "tf.Session", "tf.InteractiveSession", "tf.compat.v1.Session", "tf.train.MonitoredTrainingSession"
)
def _session(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    return ApiObject("session")


def _is_gradient(value: Value) -> bool:
    return any(isinstance(o, (Gradients, GradientItem)) for o in alternatives(value))


@_api("tf.clip_by_global_norm")
def _clip_by_global_norm(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    """``grads, norm = tf.clip_by_global_norm(grads, 5.0)``: the same gradients, clipped."""
    grads = args.get("t_list", 0)
    if grads is not None and _is_gradient(grads):
        return Sequence([grads, UNKNOWN], mutable=False)
    return sem._combine(list(args.values()), node, ctx)


@_api("tf.clip_by_norm", "tf.math.clip_by_norm", "tf.clip_by_value", "tf.clip_by_average_norm")
def _clip(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    """A gradient clipped is still that gradient (``[tf.clip_by_norm(g, 5) for g in grads]``)."""
    grad = args.get("t", 0)
    if grad is not None and _is_gradient(grad):
        return grad
    return sem._combine(list(args.values()), node, ctx)


_KNOWN = frozenset(_HANDLERS) | _DATA_SOURCES | vocabulary.TF1_LAYER_FUNCS | vocabulary.REGULARIZER_FACTORIES


# --- methods --------------------------------------------------------------------------------------------


@_method("minimize")
def _m_minimize(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not _optimizer_like(target):
        return None
    loss = args.get("loss", 0)
    if loss is None:
        return None
    if isinstance(target, Optimizer) and args.get("decay_var_list") is not None:
        # tensorflow_addons: only the listed variables decay.
        target.exclusions.append(_written(ctx, node, interp, args))
    sources = args.get("var_list", 1 if isinstance(target, Optimizer) and target.name.startswith("keras.") else 2)
    step = sem.train_step(
        "minimize", loss, node, ctx, interp, optimizer=target, sources=sources or UNKNOWN, applied=True
    )
    return TrainOp(step)


@_method("compute_gradients")
def _m_compute_gradients(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not _optimizer_like(target):
        return None
    loss = args.get("loss", 0)
    if loss is None:
        return None
    step = sem.train_step(
        "compute_gradients", loss, node, ctx, interp, optimizer=target, sources=args.get("var_list", 1) or UNKNOWN
    )
    return Gradients(step)


@_method("apply_gradients", "apply")
def _m_apply_gradients(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not _optimizer_like(target):
        return None
    pairs = args.get("grads_and_vars", 0)
    steps: list[TrainStep] = []
    for option in sem._flat([pairs] if pairs is not None else []):
        if isinstance(option, GradientPairs) and option.gradients is not None:
            steps.append(option.gradients.step)
        elif isinstance(option, (Gradients, GradientItem)):
            steps.append(option.step)
    for step in steps:
        step.applied = True
        step.optimizer = target
        if sem.control and any(sem._has_update_ops(deps) for deps in sem.control):
            step.update_ops = True
    if isinstance(target, Optimizer):
        if args.get("decay_var_list") is not None:
            target.exclusions.append(_written(ctx, node, interp, args))
        if not steps:
            models = _models_updated(pairs)
            target.updated_models.extend(m for m in models if m not in target.updated_models)
            target.unseen_updates = target.unseen_updates or not models
    if steps:
        return TrainOp(steps[0])
    return ApiObject("op")


def _models_updated(pairs: Value | None, depth: int = 0) -> list[Model]:
    """The models whose variables (``model.trainable_variables``) are paired with gradients the program
    model cannot see: ``zip(grads, model.trainable_variables)``."""
    found: list[Model] = []
    if pairs is None or depth > 3:
        return found
    for option in alternatives(pairs):
        varset = option.varset if isinstance(option, VarSetMember) else option
        if isinstance(varset, VarSet) and isinstance(varset.owner, Model):
            found.append(varset.owner)
        elif isinstance(option, Sequence):
            for item in option.items:
                found.extend(_models_updated(item, depth + 1))
    return found


def _written(ctx: Context, node: cst.Call | None, interp: Interpreter, args: Args) -> tuple[SiteRef | None, Args]:
    """Arguments with where they are written (an optimizer's exclusions)."""
    return (interp.site(ctx.facts, node) if node is not None else None, args)


@_method("exclude_from_weight_decay")
def _m_exclude_from_weight_decay(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Optimizer):
        return None
    target.exclusions.append(_written(ctx, node, interp, args))
    return NONE


@_method("gradient")
def _m_gradient(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Tape):
        return None
    loss = args.get("target", 0)
    sources = args.get("sources", 1)
    if loss is None:
        return None
    if not sem._is_training_target(sources):
        return Sequence([UNKNOWN], mutable=True, exact=False)
    step = sem.train_step("tape", loss, node, ctx, interp, sources=sources or UNKNOWN, tape=target)
    return Gradients(step)


@_method("as_default")
def _m_as_default(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if isinstance(target, Graph):
        return GraphContext(target)
    return None


@_method("run")
def _m_run(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    fetches = args.get("fetches", 0)
    strategy = isinstance(target, ApiObject) and (target.kind.startswith("tf.distribute.") or "Strategy" in target.kind)
    if strategy or (target is UNKNOWN and fetches is not None and isinstance(fetches, (Function, BoundMethod))):
        function = args.get("fn", 0)
        if isinstance(function, (Function, BoundMethod)):
            inner_args = args.get("args", 1)
            from regcheck.facts.program.values import Args as _Args

            items = interp.known_items(inner_args) if inner_args is not None else []
            sem.replica += 1
            try:
                return interp.call(function, _Args(items or [], unknown_star=items is None), node, ctx)
            finally:
                sem.replica -= 1
        return UNKNOWN
    if fetches is None:
        return None
    values = sem._flat([fetches])
    steps = [v.step for v in values if isinstance(v, TrainOp)]
    updates = [v for v in values if isinstance(v, UpdateOps)]
    if updates and not steps:
        # `sess.run(update_ops)` on its own, next to the train op's run: the graph's train ops update.
        steps = [s for s in sem.program.train_steps if any(s.graph is u.graph for u in updates)]
        for step in steps:
            step.update_ops = True
        return UNKNOWN
    if steps and (updates or any(sem.waits_for_updates(v) for v in values)):
        # The updates run in the same call: asked for, or waited for by a fetched tensor.
        for step in steps:
            step.update_ops = True
    for step in steps:
        step.applied = True
    return UNKNOWN


@_api(
    "tf.estimator.EstimatorSpec",
    "tf.estimator.tpu.TPUEstimatorSpec",
    "tf.contrib.tpu.TPUEstimatorSpec",
    "tf.tpu.estimator.TPUEstimatorSpec",
)
def _estimator_spec(sem: Semantics, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter) -> Value:
    """The estimator runs ``train_op`` and fetches ``loss`` in one call: a loss that waits for UPDATE_OPS
    runs them at every step, whatever the train op depends on."""
    loss, train_op = args.get("loss", 2), args.get("train_op", 3)
    if loss is not None and train_op is not None and any(sem.waits_for_updates(v) for v in sem._flat([loss])):
        for value in sem._flat([train_op]):
            if isinstance(value, TrainOp):
                value.step.update_ops = True
    return ApiObject("tf.estimator.EstimatorSpec")


@_method("experimental_run_v2", "experimental_run")
def _m_strategy_run(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    function = args.get("fn", 0)
    if isinstance(function, (Function, BoundMethod)):
        from regcheck.facts.program.values import Args as _Args

        inner_args = args.get("args", 1)
        items = interp.known_items(inner_args) if inner_args is not None else []
        sem.replica += 1
        try:
            return interp.call(function, _Args(items or [], unknown_star=items is None), node, ctx)
        finally:
            sem.replica -= 1
    return None


@_method("compile")
def _m_compile(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Model):
        return None
    optimizer = args.get("optimizer", 0)
    if isinstance(optimizer, Const) and isinstance(optimizer.value, str):
        optimizer = Optimizer(
            interp.site(ctx.facts, node) if node is not None else None,
            optimizer.value.lower(),
            {},
            args.nodes.get("optimizer", args.nodes.get(0)),
        )
        sem.program.optimizers.append(optimizer)
    target.optimizer = optimizer
    target.loss = args.get("loss", 1)
    target.compiled = interp.site(ctx.facts, node) if node is not None else None
    return NONE


@_method("fit", "fit_generator", "train_on_batch")
def _m_fit(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Model):
        return None
    instance = target.instance
    if instance is None:
        stock = Tensor((Term("data"), Term("model_losses", model=target)), data=True)
        sem.train_step("fit", stock, node, ctx, interp, model=target, optimizer=target.optimizer, applied=True)
        return UNKNOWN
    override = instance.cls.lookup("train_step")
    loss_override = instance.cls.lookup("compute_loss")
    if isinstance(override, Function):
        sem.program.overrides.append((target, override))
        if override.node not in interp.entered:
            from regcheck.facts.program.values import Args as _Args

            data = Tensor((Term("data"),), data=True, symbolic=True)
            interp.call(BoundMethod(override, instance), _Args([data]), None, ctx)
        return UNKNOWN
    if isinstance(loss_override, Function):
        from regcheck.facts.program.values import Args as _Args

        data = Tensor((Term("data"),), data=True, symbolic=True)
        loss: Value = (
            interp.call(BoundMethod(loss_override, instance), _Args([data, data, data]), None, ctx)
            if loss_override.node not in interp.entered
            else UNKNOWN
        )
        sem.train_step(
            "fit",
            loss,
            node,
            ctx,
            interp,
            model=target,
            optimizer=target.optimizer,
            applied=True,
            compute_loss_override=loss_override,
        )
        return UNKNOWN
    loss = Tensor((Term("data"), Term("model_losses", model=target)), data=True)
    sem.train_step("fit", loss, node, ctx, interp, model=target, optimizer=target.optimizer, applied=True)
    return UNKNOWN


@_method("add")
def _m_add(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Model) or not args.positional:
        return None
    current = sem.program.sequential_outputs.get(target.id, Tensor((Term("data"),), data=True, symbolic=True))
    sem.program.sequential_outputs[target.id] = sem._add_to_sequential(
        target, args.positional[0], current, node, ctx, interp
    )
    return NONE


@_method("add_loss")
def _m_add_loss(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, (Model, Layer)):
        return None
    value = args.get("losses", 0)
    if value is None:
        return NONE
    if isinstance(value, (Function, BoundMethod)):
        from regcheck.facts.program.values import Args as _Args

        value = interp.call(value, _Args(), node, ctx)
    site = interp.site(ctx.facts, node) if node is not None else None
    terms = [t for v in sem._flat([value]) if isinstance(v, Tensor) for t in v.terms]
    if not terms:
        terms = [Term("opaque", site)]
    target.losses.extend(terms)
    sem.program.add_losses.append((target, site))
    return NONE


@_method("add_weight", "add_variable")
def _m_add_weight(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, (Layer, Model)):
        return None
    layer = target if isinstance(target, Layer) else sem._holder(target)
    site = interp.site(ctx.facts, node) if node is not None else interp.site(ctx.facts, ctx.facts.module)
    name = args.get("name", 0 if not isinstance(args.get("shape", 0), Sequence) else None)
    text = _name_text(name)
    symbol = _symbol_for(ctx.facts, node)
    if symbol is not None and symbol.startswith("self."):
        symbol = symbol[5:]
    role = role_from_names(text if text is not None else _literal_prefix(args.node("name")), symbol)
    shape = args.get(
        "shape", 1 if text is not None and args.positional and isinstance(args.positional[0], Const) else 0
    )
    if role is Role.UNKNOWN and isinstance(shape, Sequence) and shape.exact:
        role = role_from_rank(len(shape.items))
    regularizer_arg = args.get("regularizer")
    regularizer = sem._as_regularizer(regularizer_arg, ctx, interp) if regularizer_arg is not None else NONE
    trainable = args.get("trainable")
    variable = Variable(
        site,
        role,
        slot="weight",
        name=text,
        symbol=symbol,
        graph=sem.graph,
        regularizer=regularizer,
        route="model",
        layer=layer,
    )
    variable.trainable = not (isinstance(trainable, Const) and trainable.value is False)
    if regularizer_arg is not None and "regularizer" in args.nodes:
        variable.declared = Declaration(ctx.facts, args.nodes["regularizer"], "argument", node)
    layer.variables[f"{text or symbol or 'w'}#{variable.id}"] = variable
    sem.program.variables.append(variable)
    return variable


@_method("get_layer")
def _m_get_layer(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Model):
        return None
    layers = [layer for layer in target.all_layers() if layer.cls != "<variables>"]
    if target.opaque or not layers:
        return sem._library_layer(target)
    return join(*[layer.instance if layer.instance is not None else layer for layer in layers])


@_method("compute_loss", "compiled_loss")
def _m_compute_loss(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if not isinstance(target, Model) and target is not UNKNOWN:
        return None
    model = target if isinstance(target, Model) else None
    tapes = sem.open_tapes()
    name = node.func.attr.value if node is not None and isinstance(node.func, cst.Attribute) else "compute_loss"
    site = interp.site(ctx.facts, node) if node is not None else None
    terms = [Term("data", site=site, tapes=tapes)]
    # compute_loss adds model.losses (Keras 3 and tf-keras); Keras 3's compiled_loss is a shim that adds
    # them too (on the TensorFlow backend); Keras 2's adds only the regularization_losses it is given.
    # Each term Keras adds says which entry point added it (RC208 tells them from the ones the code adds).
    if name == "compute_loss":
        terms.append(Term("model_losses", site=site, model=model, tapes=tapes, penalty=ADDED_BY_COMPUTE_LOSS))
    elif args.given("regularization_losses"):
        terms.append(Term("model_losses", site=site, model=model, tapes=tapes, penalty=ADDED_BY_COMPILED_LOSS))
    elif ctx.facts.keras_version != "2":
        terms.append(Term("model_losses", site=site, model=model, tapes=tapes, penalty=ADDED_BY_KERAS3_SHIM))
    elif name == "compiled_loss":
        terms[0].penalty = "compiled_loss"  # a data term that could have carried the penalties: the fix goes here
        sem.program.compiled_losses.append((model, site))
    return Tensor(tuple(terms), data=True, tapes=tapes, node=node)


@_method(
    "get_config",
    "to_json",
    "get_weights",
    "save",
    "save_weights",
    "summary",
    "predict",
    "evaluate",
    "load_weights",
    "set_weights",
)
def _m_opaque(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if isinstance(target, (Model, Layer)):
        if (
            node is not None
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "load_weights"
            and isinstance(target, Model)
        ):
            target.pretrained = True
            for layer in target.all_layers():
                layer.pretrained = True
        return UNKNOWN
    return None


@_method("build")
def _m_build(
    sem: Semantics, receiver: Value, target: Value, args: Args, node: cst.Call | None, ctx: Context, interp: Interpreter
) -> Value | None:
    if isinstance(target, (Model, Layer)):
        target.built = True
        if isinstance(target, Model):
            for layer in target.all_layers():
                layer.built = True
        return NONE
    return None


_METHODS = frozenset(_METHOD_HANDLERS) | {
    "fit",
    "compile",
    "add",
    "add_loss",
    "add_weight",
    "get_layer",
    "build",
    "call",
}
_UNKNOWN_RECEIVER_METHODS = frozenset(
    {"minimize", "compute_gradients", "apply_gradients", "compute_loss", "compiled_loss"}
)


def _returns_a_value(node: cst.FunctionDef | cst.Lambda) -> bool:
    """Does the function return something other than None on some path (nested functions aside)?"""
    if isinstance(node, cst.Lambda):
        return True
    stack: list[cst.CSTNode] = [node.body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Return):
            value = current.value
            if value is not None and not (isinstance(value, cst.Name) and value.value == "None"):
                return True
        elif isinstance(current, (cst.Yield, cst.Raise)):
            return True  # a generator, or a function that only raises: not the case meant here
        if not isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            stack.extend(current.children)
    return False


def _snake(cls: str) -> str:
    """The default name TF gives a layer: ``Conv2D`` / ``conv2d`` -> ``conv2d``, ``BatchNormalization``
    -> ``batch_normalization``, ``fully_connected`` -> ``fully_connected``."""
    if cls.islower():
        return cls
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", cls).lower()


def _is_data_loss(name: str) -> bool:
    """``tf.losses.<loss>`` (not the collection readers), the cross-entropies with logits, and
    ``keras.losses.<function>``."""
    last = name.rsplit(".", 1)[-1]
    if name in vocabulary.CROSS_ENTROPY_WITH_LOGITS:
        return True
    if name.startswith("tf.losses.") and not last.startswith(("get_", "add_")) and last[:1].islower():
        return True
    return name.startswith("keras.losses.") and last[:1].islower() and last not in ("get", "serialize", "deserialize")


# The smallest default weight_decay of slim's model zoo arg_scopes (inception's 4e-5; resnet's 1e-4).
_ZOO_WEIGHT_DECAY = 4e-5


def _is_library_network(name: str) -> bool:
    """A function of a model zoo's ``nets`` package (slim's, or its copies: ``nets.inception``)."""
    parts = name.split(".")
    return "nets" in parts[:-1]


def _optimizer_like(value: Value) -> bool:
    if isinstance(value, Optimizer):
        return True
    return value is UNKNOWN


def _own_collection(key: Value | None) -> str | None:
    """The name of a collection the code names itself with one string (``"losses"``), else None."""
    options = alternatives(key) if key is not None else ()
    if len(options) == 1 and isinstance(options[0], Const) and isinstance(options[0].value, str):
        return options[0].value
    return None


def _collection_key(key: Value | None) -> str | None:
    for option in alternatives(key) if key is not None else ():
        if isinstance(option, ApiRef) and option.canonical is not None:
            if option.canonical in vocabulary.REGULARIZATION_COLLECTION_KEYS:
                return "regularization"
            if option.canonical in vocabulary.UPDATE_OPS_KEYS:
                return "update_ops"
            if option.canonical in (
                "tf.GraphKeys.TRAINABLE_VARIABLES",
                "tf.GraphKeys.GLOBAL_VARIABLES",
                "tf.GraphKeys.MODEL_VARIABLES",
            ):
                return "variables"
        if isinstance(option, Const):
            if option.value == "regularization_losses":
                return "regularization"
            if option.value == "update_ops":
                return "update_ops"
            if option.value in ("trainable_variables", "variables"):
                return "variables"
    return None
