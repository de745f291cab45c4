"""In-process audit: ``assert regcheck.audit(model).ok`` inside a user's own tests.

* ``audit(loss=t)``: a symbolic loss (TF1 graph tensor or FuncGraph output) is
  analysed as the trace would analyse it, TF1 collections included;
* ``audit(graph=g)``: a TF1 graph that already holds gradients; its loss is
  found from the gradient ops;
* ``audit(model=m)``: a Keras 3 model is analysed under the loss its stock
  ``fit`` minimizes: its outputs' data term plus ``model.losses``. A model
  that overrides ``train_step`` / ``compute_loss`` gets a note: ``regcheck
  trace`` sees the real loss.

TensorFlow is imported only when ``audit`` is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regcheck.findings import Finding, Severity
from regcheck.graph.analyse import analyse
from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.coverage import CoverageRow, render_table
from regcheck.graph.ir import DATA, OP, VAR, GraphIR, LayerAttr, Op
from regcheck.graph.locate import current_site, op_site


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity >= Severity.WARNING for f in self.findings)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"regcheck audit: {len(self.findings)} finding(s)"]
        lines += [f"  {f.path}:{f.line}: {f.code} [{f.name}] {f.message}" for f in self.findings]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n" + render_table(self.coverage)


def _model_catalog(model: Any) -> tuple[VariableCatalog, list[LayerAttr]]:
    """The model's variables with their Keras metadata, each at the line that created its layer when that was
    recorded (``regcheck.keras`` imported before the layers were made)."""
    from regcheck.graph.keras_meta import enrich, model_layers
    from regcheck.graph.registry import creation_sites

    catalog = VariableCatalog()
    if model is None:
        return catalog, []
    layers = model_layers(model)
    recorded = creation_sites()
    sites, late_sites = recorded.for_layers(layers) if recorded is not None else ({}, {})
    return catalog, enrich(catalog, layers, sites, late_sites)


def _overrides(model: Any) -> list[str]:
    import keras

    return [
        name
        for name in ("train_step", "compute_loss")
        if getattr(type(model), name, None) is not getattr(keras.Model, name, None)
    ]


def _stock_loss_ir(model: Any, catalog: VariableCatalog) -> GraphIR:
    """The loss stock fit minimizes: a data term on the outputs plus model.losses, traced as a FuncGraph."""
    import tensorflow as tf

    from regcheck.graph.hooks import symbolic_ir

    inputs = getattr(model, "inputs", None)
    try:
        specs = [tf.TensorSpec(tuple(t.shape), t.dtype) for t in inputs] if inputs else None
    except (AttributeError, TypeError, ValueError):
        specs = None

    def step(*xs: Any) -> Any:
        terms = []
        if xs:
            out = model(xs[0] if len(xs) == 1 else list(xs), training=True)
            terms += [tf.reduce_mean(tf.cast(o, tf.float32)) for o in tf.nest.flatten(out)]
        # fit adds ops.sum(model.losses): a term that is not a scalar (a constraint's output, RC305) is summed.
        terms += [tf.reduce_sum(tf.cast(loss, tf.float32)) for loss in model.losses]
        return tf.add_n(terms) if terms else tf.constant(0.0)

    concrete = tf.function(step).get_concrete_function(*(specs or []))
    ir = symbolic_ir([concrete.outputs[0]], catalog)
    if specs is None:
        # No input signature: stand in for the forward pass, which trains every variable.
        data = ir.add(Op(type="Input", inputs=[], kind=DATA, name="inputs"))
        reads = [
            ir.add(Op(type="Variable", inputs=[], kind=VAR, var=catalog.add(v), name=v.path))
            for v in model.trainable_variables
        ]
        forward = ir.add(Op(type="Forward", inputs=[data, *reads], kind=OP, name="model"))
        ir.loss = ir.add(Op(type="AddV2", inputs=[forward, ir.loss], name="loss"))  # type: ignore[list-item]  # set above
        ir.notes.append("the model has no input signature: roles come from layer attributes, not the graph")
    return ir


def audit(model: Any = None, loss: Any = None, graph: Any = None) -> AuditReport:
    """Audit a Keras model, a symbolic loss tensor or a TF1 graph; see the module doc."""
    if model is None and loss is None and graph is None:
        raise TypeError("audit() needs a model, a loss tensor or a graph")
    from regcheck.graph.hooks import find_loss_in_graph, symbolic_ir

    caller = current_site()  # the user's line that called audit (or fit, for the callback)
    catalog, late = _model_catalog(model)
    if loss is None and graph is not None:
        loss = find_loss_in_graph(graph)
        if loss is None:
            raise ValueError("no loss found in the graph (it holds no gradients): pass loss=")
    if loss is not None:
        if not hasattr(loss, "graph") or type(loss).__name__ == "EagerTensor":
            raise ValueError(
                "audit(loss=...) needs a symbolic loss (TF1 graph or tf.function); "
                "eager losses keep no graph: use regcheck trace"
            )
        tf1 = type(loss.graph).__name__ != "FuncGraph"
        ir = symbolic_ir([loss], catalog, tf1=tf1)
        ir.call_site = op_site(loss.op) or caller
        if model is not None:
            from regcheck.graph.hooks import source_indices

            ir.sources = source_indices(catalog, model.trainable_variables)
    else:
        ir = _stock_loss_ir(model, catalog)
        ir.call_site = caller
        ir.sources = {catalog.add(v) for v in model.trainable_variables}
        ir.notes += [
            f"the model overrides {name}: audit assumed the stock loss; `regcheck trace` sees the real one"
            for name in _overrides(model)
        ]
    ir.late_regularizers = late
    ir.hook = "audit"
    if model is not None:
        from regcheck.graph.optimizers import training_optimizers, weight_decay

        ir.weight_decay = weight_decay(catalog, training_optimizers([model]))  # the compiled optimizer, if any
    result = analyse(ir)
    return AuditReport(result.findings, result.coverage, result.notes)
