"""The program model: what a module's code builds and trains, found by running it abstractly.

``program(facts)`` runs the module's top level (the root of the program), then
every function and class that nothing here calls (a builder another module
imports, a ``model_fn`` handed to an Estimator, a Keras model class) as an entry
of its own, with unknown arguments. The result is cached on the facts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

import libcst as cst

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program.interpreter import Interpreter, Truncated
from regcheck.facts.program.result import Program
from regcheck.facts.program.semantics import Semantics
from regcheck.facts.program.values import (
    UNKNOWN,
    Args,
    BoundMethod,
    ClassValue,
    Function,
    Instance,
    Layer,
    Model,
    Tensor,
    Term,
    Value,
)


def program(facts: ModuleFacts) -> Program:
    return facts.cached("program", _run)


def _run(facts: ModuleFacts) -> Program:
    result = Program(facts)
    semantics = Semantics(result)
    interpreter = Interpreter(facts, result, semantics)
    try:
        try:
            interpreter.run_module(facts, "__main__")
        except (Truncated, RecursionError):
            result.truncated = True
            semantics.reset_contexts()
            interpreter.reset_stacks()
        module = interpreter.modules[facts.path]
        _run_entries(interpreter, semantics, module.namespace, facts)
    except Exception as error:  # a bug of the program model must not cost the user the other rules
        if os.environ.get("REGCHECK_STRICT"):
            raise
        result.truncated = True
        result.failure = f"{type(error).__name__}: {error}"
    return result


def _run_entries(
    interpreter: Interpreter, semantics: Semantics, namespace: dict[str, Value], facts: ModuleFacts
) -> None:
    referenced = _referenced_names(facts.module)
    top_functions = [v for v in namespace.values() if isinstance(v, Function) and v.facts is facts]
    classes = [v for v in namespace.values() if isinstance(v, ClassValue) and v.facts is facts]

    def entry(run: Callable[[], object]) -> bool:
        """Run one entry on a budget of its own; False once the program's budget is spent."""
        if not interpreter.budget():
            interpreter.program.truncated = True
            return False
        semantics.new_entry()
        try:
            run()
        except (Truncated, RecursionError):
            interpreter.program.truncated = True
            semantics.reset_contexts()
            interpreter.reset_stacks()
        return True

    # Builders nobody calls here: each builds on its own (a graph of its own, its own models).
    for function in top_functions:
        if function.node not in interpreter.entered and referenced.get(function.name, 0) <= 1:
            if not entry(partial(interpreter.run_entry, function)):
                return
    for cls in classes:
        if cls.node not in interpreter.instantiated:
            if not entry(partial(_instantiate_entry, interpreter, cls)):
                return
    if not entry(lambda: _finish_instances(interpreter, semantics)):
        return
    while interpreter.escaped:
        node, function = interpreter.escaped.popitem()
        if node not in interpreter.entered:
            if not entry(partial(interpreter.run_entry, function)):
                return
    for function in top_functions:
        if function.node not in interpreter.entered:
            if not entry(partial(interpreter.run_entry, function)):
                return
    # Functions defined in a function and never called there (a step function inside main()):
    # each runs with the closure it was defined in. Running them may define more.
    while True:
        pending = [f for node, f in interpreter.nested.items() if node not in interpreter.entered and f.facts is facts]
        if not pending:
            break
        for function in pending:
            if not entry(partial(interpreter.run_entry, function)):
                return
            interpreter.entered.add(function.node)  # each once, whatever stopped it
    entry(lambda: _finish_instances(interpreter, semantics))


def _instantiate_entry(interpreter: Interpreter, cls: ClassValue) -> None:
    from regcheck.facts.program.frames import Frame
    from regcheck.facts.program.interpreter import Context

    module_frame = Frame({}, None, None)
    ctx = Context(cls.facts, module_frame)
    instance = interpreter.instantiate(cls, Args(unknown_star=True), None, ctx)
    if not isinstance(instance, Instance):
        return
    if instance.keras is not None:
        symbolic = Tensor((Term("data"),), data=True, symbolic=True)
        interpreter.call(instance, Args([symbolic]), None, ctx)
    if isinstance(instance.keras, Model) and _overrides_training(instance):
        interpreter.sem.implied_fit(instance.keras, ctx, interpreter)
    for klass in cls.mro():
        for name, member in list(klass.namespace.items()):
            if not isinstance(member, Function) or member.node in interpreter.entered:
                continue
            if name.startswith("__") and name not in ("__call__",):
                continue
            interpreter.run_entry(member, receiver=instance)


def _finish_instances(interpreter: Interpreter, semantics: Semantics) -> None:
    """Keras subclasses built but never called: Keras would build and call them when they are used."""
    from regcheck.facts.program.frames import Frame
    from regcheck.facts.program.interpreter import Context

    for model in list(semantics.program.models):
        instance = model.instance
        if instance is None:
            continue
        ctx = Context(instance.cls.facts, Frame({}, None, None))
        call = instance.cls.lookup("call")
        if not model.built and isinstance(call, Function) and call.node not in interpreter.entered:
            symbolic = Tensor((Term("data"),), data=True, symbolic=True)
            interpreter.call(instance, Args([symbolic]), None, ctx)
        if _overrides_training(instance):
            semantics.implied_fit(model, ctx, interpreter)
    for layer in list(semantics.program.layers):
        instance = layer.instance
        if instance is None or layer.built:
            continue
        layer.built = True
        build = instance.cls.lookup("build")
        if isinstance(build, Function) and build.node not in interpreter.entered:
            ctx = Context(instance.cls.facts, Frame({}, None, None))
            interpreter.call(BoundMethod(build, instance), Args([UNKNOWN]), None, ctx)


def _overrides_training(instance: Instance) -> bool:
    return any(isinstance(instance.cls.lookup(name), Function) for name in ("train_step", "compute_loss"))


def _referenced_names(module: cst.Module) -> dict[str, int]:
    """How many times each name is spelled (a function named once, by its def, is called by nobody here)."""
    from regcheck.facts.names import field_children  # reads fields: libcst's `children` runs a visitor per node

    counts: dict[str, int] = {}
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            counts[node.value] = counts.get(node.value, 0) + 1
        stack.extend(field_children(node))
    return counts


__all__ = ["Layer", "Model", "Program", "program"]
