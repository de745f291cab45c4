"""In-process audit: ``assert regcheck.audit(model).ok`` inside a user's own tests.

* ``audit(loss=t)``: a symbolic loss (TF1 graph tensor or FuncGraph output) is
  analysed as the trace would analyse it, TF1 collections included;
* ``audit(graph=g)``: a TF1 graph that already holds gradients; its loss is
  found from the gradient ops;
* ``audit(model=m)``: a Keras 3 or tf-keras model is analysed under the loss
  its stock ``fit`` minimizes: its outputs' data term plus ``model.losses``.
  A model that overrides ``train_step`` / ``compute_loss`` gets a note:
  ``regcheck trace`` sees the real loss. A model without variables (a
  subclassed model never built) raises ``NotBuiltError``.

TensorFlow is imported only when ``audit`` is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regcheck.findings import Finding, Severity
from regcheck.graph.analyse import analyse
from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.coverage import CoverageRow, render_table
from regcheck.graph.ir import DATA, OP, VAR, GraphIR, LayerAttr, Op, Site
from regcheck.graph.keras_meta import loaded_classes
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


def _model_catalog(model: Any, sites: Any = None) -> tuple[VariableCatalog, list[LayerAttr]]:
    """The model's variables with their Keras metadata, each at the line that created its layer when that was
    recorded (``regcheck.keras`` imported before the layers were made, or the trace's own registry:
    ``sites`` is then its ``(layer sites, late-assignment sites)``)."""
    from regcheck.graph.keras_meta import enrich, model_layers
    from regcheck.graph.registry import creation_sites

    catalog = VariableCatalog()
    if model is None:
        return catalog, []
    layers = model_layers(model)
    if sites is None:
        recorded = creation_sites()
        sites = recorded.for_layers(layers) if recorded is not None else ({}, {})
    layer_sites, late_sites = sites
    return catalog, enrich(catalog, layers, layer_sites, late_sites)


def model_classes() -> tuple[type, ...]:
    """The Keras model base classes loaded in this process: Keras 3's and tf-keras's."""
    return loaded_classes("keras.src.models.model:Model", "tf_keras.src.engine.training:Model")


def _overrides(model: Any) -> list[str]:
    base = next((cls for cls in model_classes() if isinstance(model, cls)), None)
    if base is None:
        return []
    return [
        name
        for name in ("train_step", "compute_loss")
        if getattr(base, name, None) is not None and getattr(type(model), name, None) is not getattr(base, name)
    ]


class NotBuiltError(ValueError):
    """The model has no variables yet: there is nothing to audit."""


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
            # Inference mode: the same variables in the same roles, and half the ops to trace (batch norm
            # builds no moment and moving-average updates); what differs (dropout, noise) is data, not penalty.
            out = model(xs[0] if len(xs) == 1 else list(xs), training=False)
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
            ir.add(Op(type="Variable", inputs=[], kind=VAR, var=catalog.add(v), name=getattr(v, "path", v.name)))
            for v in model.trainable_variables
        ]
        forward = ir.add(Op(type="Forward", inputs=[data, *reads], kind=OP, name="model"))
        ir.loss = ir.add(Op(type="AddV2", inputs=[forward, ir.loss], name="loss"))  # type: ignore[list-item]  # set above
        ir.notes.append("the model has no input signature: roles come from layer attributes, not the graph")
    return ir


def model_ir(model: Any, caller: Site | None, sites: Any = None) -> tuple[GraphIR, VariableCatalog]:
    """The IR of the loss a Keras model's stock ``fit`` minimizes (no data, no training)."""
    if not list(getattr(model, "weights", None) or []):
        raise NotBuiltError(
            f"the model {getattr(model, 'name', '')!r} has no variables yet (a subclassed model that was never "
            "built or called): build it first (model.build(input_shape), or call it on a batch)"
        )
    catalog, late = _model_catalog(model, sites)
    ir = _stock_loss_ir(model, catalog)
    ir.call_site = caller
    ir.sources = {catalog.add(v) for v in model.trainable_variables}
    ir.notes += [
        f"the model overrides {name}: audit assumed the stock loss; `regcheck trace` sees the real one"
        for name in _overrides(model)
    ]
    ir.late_regularizers = late
    ir.hook = "audit"
    return ir, catalog


def graph_loss_ir(graph: Any, catalog: VariableCatalog) -> GraphIR:
    """The IR of a TF1 graph that already holds gradients: its loss, train ops and collections."""
    from regcheck.graph.hooks import find_loss_in_graph, find_train_ops, symbolic_ir

    loss = find_loss_in_graph(graph)
    if loss is None:
        raise ValueError("no loss found in the graph (it holds no gradients): pass loss=")
    return symbolic_ir([loss], catalog, train_op=find_train_ops(graph) or None, tf1=True)


def audit(model: Any = None, loss: Any = None, graph: Any = None) -> AuditReport:
    """Audit a Keras model, a symbolic loss tensor or a TF1 graph; see the module doc."""
    if model is None and loss is None and graph is None:
        raise TypeError("audit() needs a model, a loss tensor or a graph")
    from regcheck.graph.hooks import source_indices, symbolic_ir

    caller = current_site()  # the user's line that called audit (or fit, for the callback)
    if loss is None and graph is None:
        ir, catalog = model_ir(model, caller)
    else:
        catalog, late = _model_catalog(model)
        if loss is None:
            ir = graph_loss_ir(graph, catalog)
            ir.call_site = ir.op_site(ir.loss) if ir.loss is not None else None
        else:
            if not hasattr(loss, "graph") or type(loss).__name__ == "EagerTensor":
                raise ValueError(
                    "audit(loss=...) needs a symbolic loss (TF1 graph or tf.function); "
                    "eager losses keep no graph: use regcheck trace"
                )
            tf1 = type(loss.graph).__name__ != "FuncGraph"
            ir = symbolic_ir([loss], catalog, tf1=tf1)
            ir.call_site = op_site(loss.op)
        ir.call_site = ir.call_site or caller
        if model is not None:
            ir.sources = source_indices(catalog, model.trainable_variables)
        ir.late_regularizers = late
        ir.hook = "audit"
    if model is not None:
        from regcheck.graph.optimizers import training_optimizers, weight_decay

        ir.weight_decay = weight_decay(catalog, training_optimizers([model]))  # the compiled optimizer, if any
    result = analyse(ir)
    return AuditReport(result.findings, result.coverage, result.notes)
