"""Hooks on the points where training happens: every optimizer step is captured, none is applied.

A training step is a gradient of a loss with respect to trainable variables:
``GradientTape.gradient`` (symbolic inside a tf.function trace: its FuncGraph;
eager: the ops recorded since the tape opened), ``tf.gradients`` /
``Optimizer.minimize`` / ``compute_gradients`` in a TF1 graph. Keras
``fit`` / ``train_on_batch`` reach ``train_step`` and hence the tape, under
Keras 3 and tf-keras alike. A gradient that differentiates no trainable
variable (a gradient penalty, a saliency map) is not a training step.

The script keeps running after a capture, so that a second optimizer (a GAN's
generator, an actor-critic's critic) is captured too, but nothing trains:
optimizer updates (Keras 3 ``apply``, tf-keras ``apply_gradients``, TF1
optimizers outside a TF1 graph, and direct ``assign_sub`` on a captured
step's variables) are skipped. The run stops when the training loop comes
round again:

* a gradient is taken again at the same place for the same variables;
* an optimizer applies a second time;
* a ``tf.function`` whose trace held a step is called again;
* the trace of a Keras ``fit`` / ``train_on_batch`` step ends (before it runs);
* a TF1 ``Session.run`` (or a callable made from a session) would run an
  update of trainable variables computed from gradients (before it runs);
* the script ends.

``sink`` gets the final payload (see ``TrainingHooks.payload``); the runner
writes it and ends the process, so nothing more of the user's code runs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from regcheck.graph.catalog import VariableCatalog, tf_variable
from regcheck.graph.eager import EagerRecorder
from regcheck.graph.ir import GraphIR, LayerAttr, Op, Site
from regcheck.graph.locate import current_site

_UPDATE_TYPES = re.compile(
    r"^(Resource)?(Sparse)?Apply|^Assign(Sub|Add)?(VariableOp)?$|^(Resource)?Scatter(Sub|Add|Update)$"
)
_GRAD_YS = re.compile(r"(^|/)gradients(_\d+)?/grad_ys_\d+$")
_GRAD_OF = re.compile(r"(^|/)gradients(_\d+)?/(.+)_grad/")
_GRADIENT_SCOPE = re.compile(r"(^|/)gradients(_\d+)?/")
_VARIABLE_OPS = {"VarHandleOp", "VariableV2", "Variable"}


def flatten(value: Any) -> list[Any]:
    import tensorflow as tf

    return [v for v in tf.nest.flatten(value) if v is not None]


def _is_variable(value: Any) -> bool:
    var = tf_variable(value)
    return hasattr(var, "handle") or type(var).__name__ in ("RefVariable", "VariableV1")


def trainable_sources(sources: Any) -> list[Any]:
    """The trainable variables among a gradient's sources (tensors, inputs and frozen variables left out)."""
    return [v for v in flatten(sources) if _is_variable(v) and bool(getattr(v, "trainable", False))]


def source_indices(catalog: VariableCatalog, sources: Any) -> set[int] | None:
    if sources is None:
        return None
    return {catalog.add(v) for v in flatten(sources) if hasattr(v, "dtype")}


def tf1_collections(graph: Any) -> tuple[list[Any], list[Any]]:
    import tensorflow as tf

    keys = tf.compat.v1.GraphKeys
    return graph.get_collection(keys.REGULARIZATION_LOSSES), graph.get_collection(keys.UPDATE_OPS)


def symbolic_ir(targets: list[Any], catalog: VariableCatalog, *, train_op: Any = None, tf1: bool = False) -> GraphIR:
    """IR for symbolic (TF1 graph or FuncGraph) targets, with the TF1 collections when asked.

    ``train_op`` may be one op or several (every op a TF1 graph's training runs)."""
    from regcheck.graph.tfgraph import graph_ir

    reg, updates = tf1_collections(targets[0].graph) if tf1 else ([], [])
    train_ops = [getattr(t, "op", t) for t in (train_op if isinstance(train_op, (list, tuple)) else [train_op])]
    train_ops = [t for t in train_ops if t is not None]
    roots = list(targets) + list(reg) + list(updates)
    ir, index_of = graph_ir(roots, catalog, control_roots=train_ops)
    ir.loss = _combine(ir, [index_of[id(t.op)] for t in targets])
    ir.regularization_losses = [index_of[id(t.op)] for t in reg]
    ir.update_ops = [index_of[id(getattr(u, "op", u))] for u in updates]
    if train_ops:
        indices = [index_of[id(t)] for t in train_ops]
        ir.train_op = indices[0] if len(indices) == 1 else ir.add(Op(type="NoOp", inputs=[], control=indices))
    return ir


def _combine(ir: GraphIR, roots: list[int]) -> int:
    # Several targets are trained as their sum, which is exactly what we analyse.
    return roots[0] if len(roots) == 1 else ir.add(Op(type="AddN", inputs=roots, name="targets"))


def find_loss_in_graph(graph: Any) -> Any | None:
    """The loss of a TF1 graph that holds gradients. Its gradient's grad_ys feed ``gradients/<op>_grad/...``
    for the ops the loss's gradient reached first (a sum's own gradient is passed through, so these are its
    terms); the loss is their nearest common consumer."""
    starts: dict[int, Any] = {}
    for op in graph.get_operations():
        if op.type == "Fill" and _GRAD_YS.search(op.name):
            for consumer in op.outputs[0].consumers():
                match = _GRAD_OF.search(consumer.name)
                if match:
                    try:
                        found = graph.get_operation_by_name(match.group(3))
                    except (KeyError, ValueError):
                        continue
                    starts.setdefault(id(found), found)
            if starts:
                break
    if not starts:
        return None
    ops = list(starts.values())
    if len(ops) == 1:
        return ops[0].outputs[0]
    distances = [_forward_distances(op) for op in ops]
    common = set(distances[0]).intersection(*distances[1:])
    if not common:
        return ops[0].outputs[0]
    by_id = _ops_by_id(graph)
    best = min(common, key=lambda key: max(d[key] for d in distances))
    return by_id[best].outputs[0]


def _ops_by_id(graph: Any) -> dict[int, Any]:
    return {id(op): op for op in graph.get_operations()}


def _forward_distances(start: Any) -> dict[int, int]:
    """id(op) -> how many ops downstream of ``start`` it is, through the forward (non-gradient) ops."""
    distances = {id(start): 0}
    frontier = [start]
    while frontier:
        following = []
        for op in frontier:
            for tensor in op.outputs:
                for consumer in tensor.consumers():
                    if id(consumer) not in distances and not _GRADIENT_SCOPE.search(consumer.name):
                        distances[id(consumer)] = distances[id(op)] + 1
                        following.append(consumer)
        frontier = following
    return distances


def find_train_ops(graph: Any) -> list[Any]:
    """The ops a TF1 graph's training runs: from each gradient update, forward to the ops nothing else uses."""
    consumers: dict[int, list[Any]] = {}
    updates = []
    for op in graph.get_operations():
        for tensor in op.inputs:
            consumers.setdefault(id(tensor.op), []).append(op)
        for control in op.control_inputs:
            consumers.setdefault(id(control), []).append(op)
        if _UPDATE_TYPES.search(op.type) and any(_GRADIENT_SCOPE.search(t.op.name) for t in op.inputs):
            updates.append(op)
    sinks: dict[int, Any] = {}
    seen: set[int] = set()
    stack = list(updates)
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        following = consumers.get(id(op), [])
        if not following:
            sinks[id(op)] = op
        stack.extend(following)
    return list(sinks.values())


@dataclass
class Step:
    """One captured optimizer step: its IR, and what applies it."""

    ir: GraphIR
    catalog: VariableCatalog
    key: Hashable
    variables: set[int]  # id() of the trainable variable objects it differentiates
    optimizer: Any = None  # the optimizer that applies it, once known
    applied: bool = False
    # A TF1 train op built before it runs: the IR again with every op fetched in the run that trains
    # (`sess.run([train_op, loss])` runs what `loss` waits for, UPDATE_OPS included), and the op itself.
    widen: Callable[[VariableCatalog, list[Any]], GraphIR] | None = None
    train_op: Any = None


class _Stop(BaseException):
    """Unwinds the user's code when the sink returns (BaseException: no `except Exception` stops it)."""


class TrainingHooks:
    def __init__(
        self,
        catalog_factory: Callable[[], tuple[VariableCatalog, list[LayerAttr]]],
        sink: Callable[[dict[str, Any]], None],
    ) -> None:
        self.catalog_factory = catalog_factory
        self.sink = sink
        self.recorder = EagerRecorder()
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.skipped: set[Any] = set()  # where gradients with respect to no trainable variable were taken
        self.pending: list[tuple[Any, Any, Site | None]] = []  # TF1 (loss, sources, site) not yet applied
        self.depth = 0  # inside our own minimize / compute_gradients: inner calls are not new steps
        self.applied: set[int] = set()  # optimizers that applied (eagerly) once
        self.tracing = 0  # nesting of tf.function traces
        self.traced_step = False  # the current outermost trace captured a step
        self.in_fit = 0  # inside Keras fit / train_on_batch
        self.calling: list[int] = []  # tf.functions being called (outermost first)
        self.captured_functions: set[int] = set()
        self._runs: dict[tuple[int, ...], bool] = {}
        self._undo: list[tuple[Any, str, Any]] = []
        self.stopped = False

    # -- steps ----------------------------------------------------------------------------
    def record(
        self,
        build: Callable[[VariableCatalog], GraphIR],
        hook: str,
        sources: Any,
        site: Site | None = None,
        *,
        place: Any = None,
    ) -> None:
        """Capture a step, unless it trains nothing, or it is a step already captured (then stop)."""
        trained = trainable_sources(sources) if sources is not None else None
        if trained is not None and not trained:
            self.skipped.add(place or site or len(self.skipped))
            return
        key = (place, frozenset(id(tf_variable(v)) for v in trained or ()))
        if place is not None and any(step.key == key for step in self.steps):
            self.stop()
        catalog, late = self.catalog_factory()
        ir = build(catalog)
        ir.sources = source_indices(catalog, trained) if trained is not None else ir.sources
        ir.late_regularizers = late
        ir.hook = hook
        ir.call_site = site or current_site()
        step = Step(ir, catalog, key, {id(tf_variable(v)) for v in trained or ()})
        self.steps.append(step)
        self.captured_functions.update(self.calling)
        if self.tracing:
            self.traced_step = True

    def on_apply(self, optimizer: Any, variables: Any, *, eager: bool) -> None:
        """An optimizer (or a direct update) applies a step: remember who applies it; a second eager
        application by the same optimizer means the loop came round: stop."""
        if optimizer is not None and eager and id(optimizer) in self.applied:
            self.stop()
        ids = {id(tf_variable(v)) for v in flatten(variables)} if variables is not None else set()
        step = next(
            (s for s in reversed(self.steps) if not s.applied and (not ids or s.variables & ids)),
            None,
        )
        if step is not None:
            step.applied = True
            step.optimizer = optimizer
        elif not self.steps:
            self.notes.append(
                "training was reached through an optimizer, but no GradientTape or tf.gradients showed the loss"
            )
        if optimizer is not None and eager:
            self.applied.add(id(optimizer))

    def payload(self) -> dict[str, Any]:
        """What the run found: ``{"status": "ok", "steps": [...], "findings": [...], "coverage": [...],
        "notes": [...]}``, or status ``no-training`` / ``no-loss``."""
        from regcheck.graph.analyse import analyse
        from regcheck.graph.optimizers import training_optimizers, weight_decay

        notes = list(self.notes)
        if self.skipped:
            notes.append(
                f"{len(self.skipped)} gradient(s) with respect to no trainable variable (a gradient penalty or a "
                "saliency map) were not taken for training steps"
            )
        steps = [s for s in self.steps if s.ir.loss is not None]
        for step in self.steps:
            if step.ir.loss is None:
                notes.extend(step.ir.notes)
        if not steps:
            return {"status": "no-loss" if self.steps else "no-training", "notes": notes}
        findings: dict[tuple[Any, ...], dict[str, Any]] = {}
        coverage: list[dict[str, Any]] = []
        described: list[dict[str, Any]] = []
        for number, step in enumerate(steps, 1):
            ir = step.ir
            try:
                optimizers: list[tuple[Any, list[Any] | None]] = (
                    [(step.optimizer, None)] if step.optimizer is not None else training_optimizers()
                )
                ir.weight_decay = weight_decay(step.catalog, optimizers)
            except Exception as exc:  # RC501 is then unknown; the rest of the analysis stands
                notes.append(f"the optimizer's weight decay could not be read: {type(exc).__name__}: {exc}")
            result = analyse(ir)
            notes.extend(n for n in result.notes if n not in notes)
            for finding in result.findings:
                data = finding.to_json()
                findings.setdefault((data["code"], data["path"], data["line"], data["symbol"], data["message"]), data)
            coverage.extend(dict(row.to_json(), step=number) for row in result.coverage)
            site = ir.call_site
            described.append(
                {
                    "step": number,
                    "hook": ir.hook,
                    "path": site.path if site else None,
                    "line": site.line if site else None,
                    "optimizer": type(step.optimizer).__name__ if step.optimizer is not None else None,
                }
            )
        return {
            "status": "ok",
            "steps": described,
            "findings": list(findings.values()),
            "coverage": coverage,
            "notes": notes,
        }

    def flush_pending(self) -> None:
        """TF1 gradients that were computed and never applied by an optimizer are steps too."""
        pending, self.pending = self.pending, []
        for loss, sources, site in pending:
            self._record_tf1(loss, sources, None, "tf.gradients", site)

    def finish(self) -> None:
        """The script ended, or the loop came round: hand over everything captured."""
        if self.stopped:
            return
        self.stopped = True
        self.recorder.stop()
        self.flush_pending()
        self.sink(self.payload())

    def stop(self) -> None:
        self.finish()
        raise _Stop  # the sink returned (in-process use): unwind the user's code

    # -- installation ---------------------------------------------------------------------
    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        namespace = getattr(owner, "__dict__", {})
        original = namespace[name] if name in namespace else getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, make(original))

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()
        self.recorder.stop()

    def install(self, *, tf1: bool = True) -> None:
        import tensorflow as tf

        from regcheck.graph.imports import after_import

        self._hook_tape(tf.GradientTape)
        self._hook_tracing()
        self._hook_variable_updates()
        if tf1:
            self._hook_tf1(tf)
        after_import("keras.src.optimizers.base_optimizer", self._hook_keras3_optimizer)
        after_import("keras.src.backend.tensorflow.trainer", self._hook_keras3_fit)
        after_import("keras.src.callbacks.callback_list", self._hook_keras3_callbacks)
        after_import("tf_keras.src.optimizers.optimizer", self._hook_tf_keras_optimizer)
        after_import("tf_keras.src.optimizers.legacy.optimizer_v2", self._hook_tf_keras_legacy_optimizer)
        after_import("tf_keras.src.engine.training", self._hook_tf_keras_fit)
        after_import("tf_keras.src.engine.training_v1", self._hook_tf_keras_fit_v1)
        after_import("tf_keras.src.callbacks", self._hook_tf_keras_callbacks)

    # -- TF2: tapes and traces --------------------------------------------------------------
    def _hook_tape(self, tape_cls: Any) -> None:
        hooks = self

        def make_enter(original: Any) -> Any:
            def __enter__(self: Any) -> Any:
                import tensorflow as tf

                result = original(self)
                if tf.executing_eagerly():
                    self._regcheck_recording = True
                    hooks.recorder.enter()
                return result

            return __enter__

        def make_exit(original: Any) -> Any:
            def __exit__(self: Any, *args: Any) -> Any:
                if getattr(self, "_regcheck_recording", False):
                    self._regcheck_recording = False
                    hooks.recorder.exit()
                return original(self, *args)

            return __exit__

        def make_gradient(original: Any) -> Any:
            def gradient(self: Any, target: Any, sources: Any, *args: Any, **kwargs: Any) -> Any:
                import tensorflow as tf

                targets = flatten(target)
                if targets:
                    caller = sys._getframe(1)
                    place = (caller.f_code.co_filename, caller.f_lineno)
                    if tf.executing_eagerly():
                        hooks.record(
                            lambda c: hooks._eager_ir(targets, c), "tape.gradient (eager)", sources, place=place
                        )
                    else:
                        hooks.record(
                            lambda c: symbolic_ir(targets, c), "tape.gradient (tf.function)", sources, place=place
                        )
                return original(self, target, sources, *args, **kwargs)

            return gradient

        self._patch(tape_cls, "__enter__", make_enter)
        self._patch(tape_cls, "__exit__", make_exit)
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

    def _hook_tracing(self) -> None:
        from tensorflow.python.eager.polymorphic_function import polymorphic_function
        from tensorflow.python.framework import func_graph

        hooks = self

        def make_trace(original: Any) -> Any:
            def func_graph_from_py_func(*args: Any, **kwargs: Any) -> Any:
                hooks.tracing += 1
                try:
                    return original(*args, **kwargs)
                finally:
                    hooks.tracing -= 1
                    if not hooks.tracing and hooks.traced_step:
                        hooks.traced_step = False
                        if hooks.in_fit:  # Keras' step function holds the whole step: stop before it runs
                            hooks.stop()

            return func_graph_from_py_func

        def make_call(original: Any) -> Any:
            def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:
                if id(self) in hooks.captured_functions and not hooks.tracing:
                    hooks.stop()  # a step function called again: the loop came round
                hooks.calling.append(id(self))
                try:
                    return original(self, *args, **kwargs)
                finally:
                    hooks.calling.pop()

            return __call__

        self._patch(func_graph, "func_graph_from_py_func", make_trace)
        self._patch(polymorphic_function.Function, "__call__", make_call)

    def _hook_variable_updates(self) -> None:
        """A direct update (``w.assign_sub(lr * g)``) of a captured step's variable applies that step."""
        from tensorflow.python.ops.resource_variable_ops import BaseResourceVariable

        hooks = self

        def make(original: Any) -> Any:
            def update(self: Any, *args: Any, **kwargs: Any) -> Any:
                import tensorflow as tf

                if hooks.steps and (tf.executing_eagerly() or tf.inside_function()):
                    if any(id(self) in step.variables for step in hooks.steps):
                        hooks.on_apply(None, [self], eager=tf.executing_eagerly())
                        return self
                return original(self, *args, **kwargs)

            return update

        for name in ("assign", "assign_add", "assign_sub"):
            self._patch(BaseResourceVariable, name, make)

    # -- Keras 3 and tf-keras ---------------------------------------------------------------
    def _apply_hook(self, returns: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """An optimizer update that is recorded and skipped (TF1 graphs excepted: building trains nothing)."""
        hooks = self

        def make(original: Any) -> Any:
            def apply(self: Any, *args: Any, **kwargs: Any) -> Any:
                import tensorflow as tf

                eager = tf.executing_eagerly()
                if not eager and not tf.inside_function():
                    return hooks._apply_tf1_graph(original, self, args, kwargs)
                grads_and_vars = args[0] if args else kwargs.get("grads_and_vars", kwargs.get("grads"))
                variables = _applied_variables(grads_and_vars, args[1:] or kwargs.get("trainable_variables"))
                hooks.on_apply(self, variables, eager=eager)
                return returns(self)

            return apply

        return make

    def _hook_keras3_optimizer(self, module: Any) -> None:
        self._patch(module.BaseOptimizer, "apply", self._apply_hook(lambda optimizer: None))

    def _hook_tf_keras_optimizer(self, module: Any) -> None:
        self._patch(module._BaseOptimizer, "apply_gradients", self._apply_hook(lambda optimizer: optimizer.iterations))

    def _hook_tf_keras_legacy_optimizer(self, module: Any) -> None:
        self._patch(module.OptimizerV2, "apply_gradients", self._apply_hook(lambda optimizer: optimizer.iterations))

    def _fit_hook(self, original: Any) -> Any:
        hooks = self

        def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
            hooks.in_fit += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                hooks.in_fit -= 1

        return fit

    def _hook_keras3_fit(self, module: Any) -> None:
        for name in ("fit", "train_on_batch"):
            self._patch(module.TensorFlowTrainer, name, self._fit_hook)

    def _hook_tf_keras_fit(self, module: Any) -> None:
        for name in ("fit", "train_on_batch", "fit_generator"):
            self._patch(module.Model, name, self._fit_hook)

    def _hook_tf_keras_fit_v1(self, module: Any) -> None:
        for name in ("fit", "train_on_batch", "fit_generator"):
            self._patch(module.Model, name, self._fit_hook)

    def _hook_callbacks(self, callback_list: Any, set_model: Callable[[Any, Any], None]) -> None:
        """Callbacks do nothing in a trace: no TensorBoard logs/, CSV log or checkpoint in the user's tree."""
        for name in list(vars(callback_list)):
            if name.startswith("on_"):
                self._patch(callback_list, name, lambda original: lambda self, *args, **kwargs: None)
        self._patch(callback_list, "set_model", lambda original: set_model)

    def _hook_keras3_callbacks(self, module: Any) -> None:
        def set_model(self: Any, model: Any) -> None:
            self._model = model

        self._hook_callbacks(module.CallbackList, set_model)

    def _hook_tf_keras_callbacks(self, module: Any) -> None:
        def set_model(self: Any, model: Any) -> None:
            self.model = model

        self._hook_callbacks(module.CallbackList, set_model)

    # -- TF1 ----------------------------------------------------------------------------------
    def _hook_tf1(self, tf: Any) -> None:
        from tensorflow.python.client import session
        from tensorflow.python.training import optimizer

        hooks = self
        opt = optimizer.Optimizer

        def tf1_graph() -> bool:
            return not tf.executing_eagerly() and not tf.inside_function()

        def make_minimize(original: Any) -> Any:
            def minimize(self: Any, loss: Any, *args: Any, **kwargs: Any) -> Any:
                if not tf1_graph() or hooks.depth:
                    return original(self, loss, *args, **kwargs)
                var_list = kwargs.get("var_list", args[1] if len(args) > 1 else None)
                hooks.depth += 1
                try:  # graph mode: building the train op trains nothing
                    train_op = original(self, loss, *args, **kwargs)
                finally:
                    hooks.depth -= 1
                sources = var_list if var_list is not None else _trainable(loss.graph)
                count = len(hooks.steps)
                hooks.record(lambda c: symbolic_ir([loss], c, train_op=train_op, tf1=True), "minimize", sources)
                if len(hooks.steps) > count:
                    step = hooks.steps[-1]
                    step.optimizer = self
                    step.train_op = getattr(train_op, "op", train_op)
                    step.widen = lambda c, fetched: symbolic_ir([loss], c, train_op=fetched, tf1=True)
                return train_op

            return minimize

        def make_compute(original: Any) -> Any:
            def compute_gradients(self: Any, loss: Any, var_list: Any = None, *args: Any, **kwargs: Any) -> Any:
                if hooks.depth or not tf1_graph():
                    return original(self, loss, var_list, *args, **kwargs)
                hooks.pending.append((loss, var_list, current_site()))
                hooks.depth += 1
                try:
                    return original(self, loss, var_list, *args, **kwargs)
                finally:
                    hooks.depth -= 1

            return compute_gradients

        def make_apply(original: Any) -> Any:
            apply_tf2 = self._apply_hook(lambda optimizer: tf.no_op() if tf.inside_function() else None)(original)

            def apply_gradients(self: Any, grads_and_vars: Any, *args: Any, **kwargs: Any) -> Any:
                if hooks.depth:
                    return original(self, grads_and_vars, *args, **kwargs)
                return apply_tf2(self, grads_and_vars, *args, **kwargs)

            return apply_gradients

        def make_gradients(original: Any) -> Any:
            def gradients(ys: Any, xs: Any, *args: Any, **kwargs: Any) -> Any:
                if not hooks.depth and tf.inside_function():
                    caller = sys._getframe(1)
                    targets = flatten(ys)
                    hooks.record(
                        lambda c: symbolic_ir(targets, c),
                        "tf.gradients (tf.function)",
                        xs,
                        place=(caller.f_code.co_filename, caller.f_lineno),
                    )
                elif not hooks.depth and tf1_graph():
                    hooks.pending.append((ys, xs, current_site()))
                return original(ys, xs, *args, **kwargs)

            return gradients

        def make_run(original: Any) -> Any:
            def run(self: Any, fetches: Any, *args: Any, **kwargs: Any) -> Any:
                if hooks._trains(flatten_fetches(fetches)):
                    hooks._stop_at_run(fetches)
                return original(self, fetches, *args, **kwargs)

            return run

        def make_callable(original: Any) -> Any:
            def _make_callable_from_options(self: Any, options: Any) -> Any:
                names = list(options.fetch) + list(options.target)
                ops = []
                for name in names:
                    try:
                        ops.append(self.graph.get_operation_by_name(name.split(":")[0]))
                    except (KeyError, ValueError):
                        continue
                if hooks._trains(ops):  # tf-keras graph-mode fit runs its train op through a callable
                    hooks._stop_at_run(ops)
                return original(self, options)

            return _make_callable_from_options

        self._patch(opt, "minimize", make_minimize)
        self._patch(opt, "compute_gradients", make_compute)
        self._patch(opt, "apply_gradients", make_apply)
        from tensorflow.python.ops import gradients_impl

        # `tf.gradients`, `tf.compat.v1.gradients`: every public API module that exports them (the
        # `import tensorflow.compat.v1 as tf` spelling reaches a module wrapper of its own), and their
        # definitions, which API modules loaded later import.
        originals = (gradients_impl.gradients, gradients_impl.gradients_v2)
        self._patch(gradients_impl, "gradients", make_gradients)
        self._patch(gradients_impl, "gradients_v2", make_gradients)
        for name, module in list(sys.modules.items()):
            if name.startswith("tensorflow") and not name.startswith("tensorflow.python") and module is not None:
                try:
                    exported = getattr(module, "gradients", None)
                except Exception:
                    continue
                if any(exported is original for original in originals):
                    self._patch(module, "gradients", make_gradients)
        self._patch(session.BaseSession, "run", make_run)
        self._patch(session.BaseSession, "_make_callable_from_options", make_callable)

    def _apply_tf1_graph(self, original: Any, optimizer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """An optimizer's update built in a TF1 graph (nothing runs yet): the step is the gradients it applies."""
        grads_and_vars = list(args[0]) if args else list(kwargs.pop("grads_and_vars", []))
        self.depth += 1
        try:
            train_op = original(optimizer, grads_and_vars, *args[1:], **kwargs)
        finally:
            self.depth -= 1
        loss, sources, site = self.pending.pop() if self.pending else (None, None, None)
        variables = [v for _, v in grads_and_vars]
        self._record_tf1(loss, sources if sources is not None else variables, train_op, "apply_gradients", site)
        if self.steps:
            self.steps[-1].optimizer = optimizer
        if self.in_fit:
            self.stop()  # tf-keras graph-mode fit: the train op runs next
        return train_op

    def _record_tf1(self, loss: Any, sources: Any, train_op: Any, hook: str, site: Site | None) -> None:
        graph = None
        if train_op is not None:
            graph = flatten_fetches(train_op)[0].graph
        elif loss is not None:
            graph = flatten(loss)[0].graph
        if loss is None and graph is not None:
            loss = find_loss_in_graph(graph)
        losses = flatten(loss) if loss is not None else []
        if not losses:
            self.record(lambda c: GraphIR(variables=c.variables, notes=["no loss tensor was found"]), hook, None, site)
            return
        graph = losses[0].graph
        sources = sources if sources is not None else _trainable(graph)
        train = flatten_fetches(train_op) if train_op is not None else None
        count = len(self.steps)
        self.record(lambda c: symbolic_ir(losses, c, train_op=train, tf1=True), hook, sources, site)
        if hook != "Session.run" and train is not None and len(train) == 1 and len(self.steps) > count:
            self.steps[-1].train_op = train[0]
            self.steps[-1].widen = lambda c, fetched: symbolic_ir(losses, c, train_op=fetched, tf1=True)

    def _stop_at_run(self, fetches: Any) -> None:
        """A session is about to run a training update: every pending gradient is a step of it; stop.
        A step whose train op was built before is judged with everything this run fetches."""
        train = flatten_fetches(fetches)
        fetched = {id(op) for op in train}
        for step in self.steps:
            if step.widen is not None and id(step.train_op) in fetched and len(train) > 1:
                ir = step.widen(step.catalog, train)
                ir.sources, ir.late_regularizers = step.ir.sources, step.ir.late_regularizers
                ir.hook, ir.call_site = step.ir.hook, step.ir.call_site
                step.ir = ir
        pending, self.pending = self.pending, []
        for loss, sources, site in pending:
            self._record_tf1(loss, sources, train, "Session.run", site)
        if not self.steps:
            self._record_tf1(None, None, train, "Session.run", None)
        self.stop()

    def _trains(self, fetches: list[Any]) -> bool:
        """Would running these fetches update a trainable variable with a value computed from gradients?"""
        if not fetches:
            return False
        key = tuple(sorted(id(f) for f in fetches))
        if key not in self._runs:
            self._runs[key] = _updates_trainable(fetches)
        return self._runs[key]


def _applied_variables(grads_and_vars: Any, variables: Any) -> Any:
    """The variables an ``apply`` / ``apply_gradients`` call updates."""
    if variables:
        return variables[0] if isinstance(variables, tuple) else variables
    try:
        pairs = list(grads_and_vars)
    except TypeError:
        return None
    found = [pair[1] for pair in pairs if isinstance(pair, (tuple, list)) and len(pair) == 2]
    return found or None


def _trainable(graph: Any) -> list[Any]:
    import tensorflow as tf

    return list(graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))


def flatten_fetches(fetches: Any) -> list[Any]:
    items = flatten(fetches) if not isinstance(fetches, str) else []
    return [getattr(f, "op", f) for f in items if hasattr(getattr(f, "op", f), "graph")]


def _variable_op(tensor: Any) -> Any:
    op = tensor.op
    for _ in range(4):
        if op.type in _VARIABLE_OPS:
            return op
        if op.type not in ("Identity", "ReadVariableOp", "Enter") or not op.inputs:
            return None
        op = op.inputs[0].op
    return None


def _updates_trainable(fetches: list[Any]) -> bool:
    """An update op of a trainable variable (an optimizer's Apply*, or ``assign_sub``) whose value comes from
    gradient ops. Initializers assign trainable variables too, but from no gradient."""
    graph = fetches[0].graph
    trainable = {getattr(v, "op", v).name for v in _trainable(graph)}
    seen: set[int] = set()
    stack = list(fetches)
    updates: list[Any] = []
    gradient = False
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if _UPDATE_TYPES.search(op.type) and op.inputs:
            target = _variable_op(op.inputs[0])
            if target is not None and target.name in trainable:
                updates.append(op)
        gradient = gradient or bool(_GRADIENT_SCOPE.search(op.name))
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return bool(updates) and gradient
