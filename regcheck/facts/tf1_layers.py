"""TF1 layer functions (tf.layers, tf.contrib.layers, slim) and the regularizers they get."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.dataflow import is_given
from regcheck.facts.module import CallFact, ModuleFacts


@dataclass(eq=False)
class LayerCall:
    call: CallFact
    symbol: str
    kernel_regularizer: cst.Arg | None
    bias_regularizer: cst.Arg | None
    # Covered by an enclosing or module-level slim.arg_scope(weights_regularizer=...),
    # or by an arg_scope we cannot see into (built by a helper from another module).
    kernel_from_arg_scope: bool
    bias_from_arg_scope: bool

    @property
    def kernel_keyword(self) -> str:
        return (
            "weights_regularizer"
            if self.call.name and not self.call.name.startswith("tf.layers.")
            else "kernel_regularizer"
        )


def _present(arg: cst.Arg | None) -> bool:
    return arg is not None and is_given(arg.value)


def layer_calls(facts: ModuleFacts) -> list[LayerCall]:
    return facts.cached("tf1_layer_calls", _collect)


def _collect(facts: ModuleFacts) -> list[LayerCall]:
    scopes = facts.calls_named("slim.arg_scope")
    scope_kernel = any(_present(s.arg("weights_regularizer")) for s in scopes)
    scope_bias = any(_present(s.arg("biases_regularizer")) for s in scopes)
    # `with slim.arg_scope(helper_scope()):` hands over a scope built elsewhere: unknown contents.
    opaque_scope = any(not s.keywords and s.positional and isinstance(s.positional[0].value, cst.Call) for s in scopes)
    found: list[LayerCall] = []
    for call in facts.calls_named(vocabulary.TF1_LAYER_FUNCS):
        kernel = next((call.arg(k) for k in vocabulary.KERNEL_REGULARIZER_KWARGS if call.arg(k) is not None), None)
        bias = next((call.arg(k) for k in vocabulary.BIAS_REGULARIZER_KWARGS if call.arg(k) is not None), None)
        in_scope = call.name is not None and not call.name.startswith("tf.layers.")
        found.append(
            LayerCall(
                call=call,
                symbol=_symbol(facts, call.node),
                kernel_regularizer=kernel if _present(kernel) else None,
                bias_regularizer=bias if _present(bias) else None,
                kernel_from_arg_scope=in_scope and (scope_kernel or opaque_scope) and kernel is None,
                bias_from_arg_scope=in_scope and scope_bias and bias is None,
            )
        )
    return found


def _symbol(facts: ModuleFacts, node: cst.Call) -> str:
    parent = facts.parent(node)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return facts.code(parent.targets[0].target)
    name = facts.call(node)
    layer_name = name.value("name") if name is not None else None
    if isinstance(layer_name, cst.SimpleString):
        return str(layer_name.evaluated_value)
    return facts.code(node.func)
