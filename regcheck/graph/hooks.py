"""Hooks on the points where training starts; the first one reached captures the step.

TF1: ``Optimizer.minimize`` / ``compute_gradients`` / ``apply_gradients``,
``tf.gradients`` and ``Session.run`` of a train op. TF2: ``GradientTape.gradient``
(symbolic inside a tf.function trace: its FuncGraph; eager: the step recorded
by EagerRecorder since the tape opened). Keras ``Model.fit`` / ``train_on_batch``
reach ``train_step`` and hence the tape. In TF1 graph mode building the train
op trains nothing, so minimize may run; everywhere else the capture happens
before any variable changes. ``sink`` decides what a capture does: the runner
writes results and exits the process, ``audit`` raises to unwind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.eager import EagerRecorder
from regcheck.graph.ir import GraphIR, LayerAttr, Op
from regcheck.graph.locate import current_site
from regcheck.graph.tfgraph import graph_ir

_UPDATE_TYPES = re.compile(r"^(Resource)?(Apply|SparseApply)|^Assign(Sub|Add)?(VariableOp)?$")
_GRAD_YS = re.compile(r"(^|/)gradients(_\d+)?/grad_ys_\d+$")
_GRAD_OF = re.compile(r"(^|/)gradients(_\d+)?/(.+)_grad/")


def flatten(value: Any) -> list[Any]:
    import tensorflow as tf

    return [v for v in tf.nest.flatten(value) if v is not None]


def source_indices(catalog: VariableCatalog, sources: Any) -> set[int] | None:
    if sources is None:
        return None
    return {catalog.add(v) for v in flatten(sources) if hasattr(v, "dtype")}


def tf1_collections(graph: Any) -> tuple[list[Any], list[Any]]:
    import tensorflow as tf

    keys = tf.compat.v1.GraphKeys
    return graph.get_collection(keys.REGULARIZATION_LOSSES), graph.get_collection(keys.UPDATE_OPS)


def symbolic_ir(targets: list[Any], catalog: VariableCatalog, *, train_op: Any = None, tf1: bool = False) -> GraphIR:
    """IR for symbolic (TF1 graph or FuncGraph) targets, with the TF1 collections when asked."""
    reg, updates = tf1_collections(targets[0].graph) if tf1 else ([], [])
    roots = list(targets) + list(reg) + list(updates)
    ir, index_of = graph_ir(roots, catalog, control_roots=[train_op] if train_op is not None else [])
    ir.loss = _combine(ir, [index_of[id(t.op)] for t in targets])
    ir.regularization_losses = [index_of[id(t.op)] for t in reg]
    ir.update_ops = [index_of[id(getattr(u, "op", u))] for u in updates]
    if train_op is not None:
        ir.train_op = index_of[id(getattr(train_op, "op", train_op))]
    return ir


def _combine(ir: GraphIR, roots: list[int]) -> int:
    # Several targets are trained as their sum, which is exactly what we analyse.
    return roots[0] if len(roots) == 1 else ir.add(Op(type="AddN", inputs=roots, name="targets"))


def find_loss_in_graph(graph: Any) -> Any | None:
    """The loss of a TF1 graph that holds gradients: grad_ys feed `gradients/<loss op>_grad/...`."""
    for op in graph.get_operations():
        if op.type == "Fill" and _GRAD_YS.search(op.name):
            for consumer in op.outputs[0].consumers():
                match = _GRAD_OF.search(consumer.name)
                if match:
                    try:
                        return graph.get_operation_by_name(match.group(3)).outputs[0]
                    except (KeyError, IndexError):
                        continue
    return None


class TrainingHooks:
    def __init__(
        self, catalog_factory: Callable[[], tuple[VariableCatalog, list[LayerAttr]]], sink: Callable[[GraphIR], None]
    ) -> None:
        self.catalog_factory = catalog_factory
        self.sink = sink
        self.recorder = EagerRecorder()
        self.pending: tuple[Any, Any, Any] | None = None  # TF1 (loss, var_list, site) seen before apply
        self.depth = 0  # inside our own minimize: its inner calls are not new entry points
        self._undo: list[tuple[Any, str, Any]] = []

    # -- capture --------------------------------------------------------------------------
    def capture(
        self, build: Callable[[VariableCatalog], GraphIR], hook: str, sources: Any = None, site: Any = None
    ) -> None:
        from regcheck.graph.optimizers import training_optimizers, weight_decay

        catalog, late = self.catalog_factory()
        ir = build(catalog)
        try:
            ir.weight_decay = weight_decay(catalog, training_optimizers())
        except Exception as exc:  # RC501 is then unknown; the rest of the analysis stands
            ir.notes.append(f"the optimizer's weight decay could not be read: {type(exc).__name__}: {exc}")
        ir.sources = source_indices(catalog, sources) if sources is not None else ir.sources
        ir.late_regularizers = late
        ir.hook = hook
        ir.call_site = site or current_site()
        self.sink(ir)

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name] if name in owner.__dict__ else getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, make(original))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()
        self.recorder.stop()

    # -- installation ---------------------------------------------------------------------
    def install(self, *, tf1: bool = True, keras: bool = True) -> None:
        import tensorflow as tf

        self._hook_tape(tf.GradientTape)
        if tf1:
            self._hook_tf1(tf)
        if keras:
            self._hook_keras()

    def _hook_tape(self, tape_cls: Any) -> None:
        hooks = self

        def make_enter(original: Any) -> Any:
            def __enter__(self: Any) -> Any:
                import tensorflow as tf

                result = original(self)
                if tf.executing_eagerly():
                    hooks.recorder.start()
                return result

            return __enter__

        def make_gradient(original: Any) -> Any:
            def gradient(self: Any, target: Any, sources: Any, *args: Any, **kwargs: Any) -> Any:
                import tensorflow as tf

                targets = flatten(target)
                if not targets:
                    return original(self, target, sources, *args, **kwargs)
                if tf.executing_eagerly():
                    hooks.recorder.stop()
                    hooks.capture(lambda c: hooks._eager_ir(targets, c), "tape.gradient (eager)", sources)
                else:
                    hooks.capture(lambda c: symbolic_ir(targets, c), "tape.gradient (tf.function)", sources)
                return original(self, target, sources, *args, **kwargs)

            return gradient

        self._patch(tape_cls, "__enter__", make_enter)
        self._patch(tape_cls, "gradient", make_gradient)

    def _eager_ir(self, targets: list[Any], catalog: VariableCatalog) -> GraphIR:
        ir = GraphIR(variables=catalog.variables)
        roots = []
        for target in targets:
            part, root = self.recorder.build(target, catalog)
            if root is not None:
                offset = len(ir.ops)
                for op in part.ops:
                    ir.ops.append(Op(op.type, [i + offset for i in op.inputs], [], op.kind, op.var, op.value, op.name))
                roots.append(root + offset)
        if roots:
            ir.loss = _combine(ir, roots)
        else:
            ir.notes.append("the loss was computed outside the GradientTape block: no eager op was recorded")
        return ir

    def _hook_tf1(self, tf: Any) -> None:
        from tensorflow.python.client import session
        from tensorflow.python.training import optimizer

        hooks = self
        opt = optimizer.Optimizer

        def make_minimize(original: Any) -> Any:
            def minimize(self: Any, loss: Any, *args: Any, **kwargs: Any) -> Any:
                if tf.executing_eagerly() and callable(loss):
                    hooks.recorder.start()
                    value = loss()
                    hooks.recorder.stop()
                    hooks.capture(
                        lambda c: hooks._eager_ir([value], c), "Optimizer.minimize (eager)", kwargs.get("var_list")
                    )
                if tf.executing_eagerly():
                    return original(self, loss, *args, **kwargs)
                var_list = kwargs.get("var_list", args[1] if len(args) > 1 else None)
                hooks.depth += 1
                try:  # graph mode: building the train op trains nothing
                    train_op = original(self, loss, *args, **kwargs)
                finally:
                    hooks.depth -= 1
                sources = var_list if var_list is not None else _trainable(loss.graph)
                hooks.capture(lambda c: symbolic_ir([loss], c, train_op=train_op, tf1=True), "minimize", sources)
                return train_op

            return minimize

        def make_compute(original: Any) -> Any:
            def compute_gradients(self: Any, loss: Any, var_list: Any = None, *args: Any, **kwargs: Any) -> Any:
                if not hooks.depth and not tf.executing_eagerly() and hooks.pending is None:
                    hooks.pending = (loss, var_list, current_site())
                return original(self, loss, var_list, *args, **kwargs)

            return compute_gradients

        def make_apply(original: Any) -> Any:
            def apply_gradients(self: Any, grads_and_vars: Any, *args: Any, **kwargs: Any) -> Any:
                if hooks.depth or tf.executing_eagerly():
                    return original(self, grads_and_vars, *args, **kwargs)
                pairs = list(grads_and_vars)
                train_op = original(self, pairs, *args, **kwargs)
                hooks._capture_tf1(train_op, [v for _, v in pairs], "apply_gradients")
                return train_op

            return apply_gradients

        def make_gradients(original: Any) -> Any:
            def gradients(ys: Any, xs: Any, *args: Any, **kwargs: Any) -> Any:
                if not tf.executing_eagerly() and hooks.pending is None:
                    hooks.pending = (ys, xs, current_site())
                return original(ys, xs, *args, **kwargs)

            return gradients

        def make_run(original: Any) -> Any:
            def run(self: Any, fetches: Any, *args: Any, **kwargs: Any) -> Any:
                if hooks.pending is not None and _trains(flatten_fetches(fetches), hooks.pending[0]):
                    hooks._capture_tf1(fetches, None, "Session.run")
                return original(self, fetches, *args, **kwargs)

            return run

        self._patch(opt, "minimize", make_minimize)
        self._patch(opt, "compute_gradients", make_compute)
        self._patch(opt, "apply_gradients", make_apply)
        self._patch(tf, "gradients", make_gradients)
        self._patch(tf.compat.v1, "gradients", make_gradients)
        self._patch(session.BaseSession, "run", make_run)

    def _capture_tf1(self, train_op: Any, var_list: Any, hook: str) -> None:
        graph = flatten_fetches(train_op)[0].graph
        if self.pending is not None:
            loss, pending_vars, site = self.pending
        else:
            loss, pending_vars, site = find_loss_in_graph(graph), None, None
        losses = [t for t in flatten(loss)] if loss is not None else []
        if not losses:
            self.capture(lambda c: GraphIR(variables=c.variables, notes=["no loss tensor was found"]), hook)
            return
        sources = pending_vars if pending_vars is not None else var_list
        sources = sources if sources is not None else _trainable(graph)
        self.capture(
            lambda c: symbolic_ir(losses, c, train_op=flatten_fetches(train_op)[0], tf1=True), hook, sources, site
        )

    def _hook_keras(self) -> None:
        try:
            import keras
        except Exception:
            return
        # fit / train_on_batch reach train_step, whose tape.gradient captures; apply
        # without a tape (a custom train_step using something else) still means training.
        hooks = self

        def make_apply(original: Any) -> Any:
            def apply(self: Any, *args: Any, **kwargs: Any) -> Any:
                hooks.capture(
                    lambda c: GraphIR(
                        variables=c.variables,
                        notes=["training was reached through optimizer.apply, but no GradientTape showed the loss"],
                    ),
                    "optimizer.apply",
                )
                return original(self, *args, **kwargs)

            return apply

        self._patch(keras.optimizers.Optimizer, "apply", make_apply)


def _trainable(graph: Any) -> list[Any]:
    import tensorflow as tf

    return list(graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))


def flatten_fetches(fetches: Any) -> list[Any]:
    items = flatten(fetches) if not isinstance(fetches, str) else []
    return [getattr(f, "op", f) for f in items if hasattr(getattr(f, "op", f), "graph")]


def _trains(fetches: list[Any], loss: Any) -> bool:
    """Does running these fetches apply an update computed from the loss?"""
    loss_ops = {id(getattr(t, "op", t)) for t in flatten(loss)}
    seen: set[int] = set()
    stack = list(fetches)
    updates = reaches_loss = False
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        updates = updates or bool(_UPDATE_TYPES.search(op.type))
        reaches_loss = reaches_loss or id(op) in loss_ops
        if updates and reaches_loss:
            return True
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return False
