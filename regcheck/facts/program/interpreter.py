"""A small abstract interpreter of the project's model-building code.

It executes a module the way Python would, with abstract values
(:mod:`regcheck.facts.program.values`): statements in source (and notebook
cell) order, so a name holds the value bound last before it is read; calls
into project code bind their arguments (positional, keyword, defaults,
``*args``, ``**kwargs``, ``functools.partial``) and return their results;
classes are instantiated (``__init__``, and for Keras subclasses ``build`` and
``call`` when Keras would run them); imports of every kind are followed across
the project. Both branches of an ``if`` run and their bindings are joined;
loops over short known sequences are unrolled, others run twice.

What TensorFlow and Keras calls do is :mod:`regcheck.facts.program.semantics`'s
business; this module is plain Python. Everything is bounded: call depth,
modules loaded, and a step budget per program; past a bound, values become
UNKNOWN and the program says it was truncated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Sequence as SequenceOf
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from regcheck.facts import vocabulary
from regcheck.facts.names import field_children
from regcheck.facts.program.frames import Frame, spelled_out
from regcheck.facts.program.values import (
    FALSE,
    FORMATTED,
    NONE,
    TRUE,
    UNKNOWN,
    ApiObject,
    ApiRef,
    Args,
    BoundMethod,
    Builtin,
    ClassValue,
    Const,
    Function,
    Instance,
    Mapping,
    ModuleValue,
    OneOf,
    Partial,
    Sequence,
    SiteRef,
    Value,
    alternatives,
    join,
)

if TYPE_CHECKING:
    from regcheck.facts.module import ModuleFacts
    from regcheck.facts.program.result import Program
    from regcheck.facts.program.semantics import Semantics

MAX_DEPTH = 12  # nested calls into project code
MAX_STEPS = 60_000  # statements and calls for a module's top level, and again for each entry
MAX_TOTAL_STEPS = 250_000  # for a whole program
MAX_MODULES = 48  # project modules loaded per program
MAX_UNROLL = 16  # loops over known sequences up to this length run once per item
MAX_REPEATS = 3  # runs of one function with alike arguments before its result is reused


class Truncated(Exception):
    """The step budget is spent."""


class Method(Value):
    """A method of a container or library object, bound to its receiver (``lst.append``, ``opt.minimize``)."""

    __slots__ = ("name", "receiver")

    def __init__(self, receiver: Value, name: str) -> None:
        self.receiver = receiver
        self.name = name

    def __repr__(self) -> str:
        return f"Method({self.receiver!r}.{self.name})"


class LazyImport(Value):
    """``from mod import name`` of a project module, loaded when the name is first read."""

    __slots__ = ("dotted", "name", "path")

    def __init__(self, path: str, name: str, dotted: str) -> None:
        self.path = path
        self.name = name
        self.dotted = dotted


class Super(Value):
    __slots__ = ("cls", "receiver")

    def __init__(self, cls: ClassValue, receiver: Value) -> None:
        self.cls = cls
        self.receiver = receiver


@dataclass
class Context:
    """One running body: a module's top level, a function call or a class body."""

    facts: ModuleFacts
    frame: Frame
    function: Function | None = None
    returns: list[Value] = field(default_factory=list)
    stop: str | None = None  # "return", "raise", "break", "continue"
    yields: list[Value] = field(default_factory=list)


class Interpreter:
    def __init__(self, root: ModuleFacts, program: Program, semantics: Semantics) -> None:
        self.root = root
        self.program = program
        self.sem = semantics
        self.modules: dict[str, ModuleValue] = {}
        self.chain: list[tuple[ModuleFacts, cst.CSTNode]] = []  # calls on the way here, outermost first
        self.active: list[cst.CSTNode] = []  # function nodes being run (recursion guard)
        self.steps = 0
        self.limit = MAX_STEPS
        self.entered: set[cst.CSTNode] = set()  # function nodes that ran at least once
        self.instantiated: set[cst.CSTNode] = set()  # class nodes instantiated at least once
        self.escaped: dict[cst.CSTNode, Function] = {}  # functions handed to code we cannot read
        # Functions defined inside a running function (a train_step inside main()), the last
        # definition of each: what is never called there is an entry of its own, with its closure.
        self.nested: dict[cst.CSTNode, Function] = {}
        self.branch_depth = 0
        self.loop_lists: list[cst.CSTNode] = []  # literal lists being iterated over, innermost last
        self._generators: dict[cst.CSTNode, bool] = {}
        self._strings: dict[cst.CSTNode, Value] = {}
        # (function, what its arguments look like) -> (times run, what it returned): a helper called many
        # times alike is run a few times, then its result is reused (a ResNet's blocks, a conv helper).
        self.calls_seen: dict[tuple[object, ...], tuple[int, Value]] = {}

    # --- bookkeeping ---------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise Truncated

    def reset_stacks(self) -> None:
        """After an entry was cut short: no call is running any more."""
        self.chain.clear()
        self.active.clear()
        self.branch_depth = 0
        self.loop_lists.clear()

    def budget(self) -> bool:
        """Give the next entry its own share of steps; False when the program's budget is spent."""
        if self.steps >= MAX_TOTAL_STEPS:
            return False
        self.limit = min(self.steps + MAX_STEPS, MAX_TOTAL_STEPS)
        return True

    def site(self, facts: ModuleFacts, node: cst.CSTNode) -> SiteRef:
        return SiteRef(facts, node, tuple(self.chain))

    def record(self, node: cst.CSTNode, value: Value, ctx: Context) -> None:
        """Remember what an expression of the checked module evaluated to (joined over its runs)."""
        if ctx.facts is not self.root:
            return
        values = self.program.values
        old = values.get(node)
        if old is None:
            values[node] = value
        elif old is not value and not (isinstance(old, OneOf) and value in old.options):
            values[node] = join(old, value)

    # --- modules ---------------------------------------------------------------------

    def run_module(self, facts: ModuleFacts, name: str) -> ModuleValue:
        module = ModuleValue(facts, name)
        self.modules[facts.path] = module
        module.namespace["__name__"] = Const(name)
        module.namespace["__file__"] = Const(facts.path)
        module.loaded = True
        frame = Frame(module.namespace, None, None)
        ctx = Context(facts, frame)
        self.exec_block(facts.module.body, ctx)
        return module

    def load_module(self, path: str, requested_by: ModuleFacts) -> ModuleValue | None:
        if path in self.modules:
            return self.modules[path]
        project = requested_by.project
        if project is None or len(self.modules) >= MAX_MODULES:
            return None
        facts = project.facts_for(path, requested_by=self.root.path)
        if facts is None:
            return None
        if facts.project is None:
            facts.project = project
        dotted = path.rsplit("/", 1)[-1].removesuffix(".py")
        saved_chain, self.chain = self.chain, []
        saved_depth, self.branch_depth = self.branch_depth, 0
        try:
            module = self.run_module(facts, dotted)
        except Truncated:
            raise
        except RecursionError:
            module = self.modules[path]
        finally:
            self.chain = saved_chain
            self.branch_depth = saved_depth
        return module

    def import_value(self, facts: ModuleFacts, dotted: str, level: int) -> Value:
        """The value ``import dotted`` (or a relative import) gives: a project module or an API reference."""
        if not level:
            canonical = vocabulary.canonical(dotted)
            if canonical is not None:
                return ApiRef(dotted, canonical)
        project = facts.project
        path = project.resolve_module(dotted, facts.path, level) if project is not None else None
        if path is not None:
            module = self.modules.get(path) or self.load_module(path, facts)
            if module is not None:
                return module
            return UNKNOWN
        if level:
            return UNKNOWN
        return ApiRef(dotted, None)

    # --- statements --------------------------------------------------------------------

    def exec_block(self, statements: object, ctx: Context) -> None:
        listed = list(statements)  # type: ignore[call-overload]
        for index, statement in enumerate(listed):
            if ctx.stop is not None:
                return
            self.exec_statement(statement, ctx)
            guard = _guard_test(statement)
            if guard is not None and ctx.stop is None and index + 1 < len(listed) and self.sem.refines(guard, ctx):
                # `if "bias" in v.name: continue`: what follows runs only when the test failed.
                negated = cst.UnaryOperation(
                    cst.Not(), guard.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                )
                with self.sem.refine(negated, ctx, self):
                    self.exec_block(listed[index + 1 :], ctx)
                return

    def exec_body(self, body: cst.BaseSuite, ctx: Context) -> None:
        if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            self.exec_block(body.body, ctx)

    def exec_statement(self, node: cst.CSTNode, ctx: Context) -> None:
        self.tick()
        handler = _STATEMENTS.get(type(node))
        if handler is not None:
            handler(self, node, ctx)

    def _simple_line(self, node: cst.SimpleStatementLine, ctx: Context) -> None:
        self.exec_block(node.body, ctx)

    def _expr(self, node: cst.Expr, ctx: Context) -> None:
        self.eval(node.value, ctx)

    def _assign(self, node: cst.Assign, ctx: Context) -> None:
        value = self.eval(node.value, ctx)
        # A name bound to a test keeps the test, written with what its names meant here (`keep = keep
        # and "gamma" not in v.name` reads the `keep` bound before).
        test = spelled_out(node.value, ctx.frame.tests) if _is_test(node.value) else None
        for target in node.targets:
            self.assign(target.target, value, ctx, node.value)
            if test is not None and isinstance(target.target, cst.Name):
                ctx.frame.tests[target.target.value] = test

    def _ann_assign(self, node: cst.AnnAssign, ctx: Context) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value, ctx), ctx, node.value)

    def _aug_assign(self, node: cst.AugAssign, ctx: Context) -> None:
        current = self.eval(node.target, ctx)
        right = self.eval(node.value, ctx)
        operator = _AUG_TO_BINARY.get(type(node.operator))
        if operator is cst.Add and isinstance(current, Sequence) and current.mutable:
            current.items.extend(self.iterate_items(right, node.value))
            if not isinstance(right, Sequence) or not right.exact:
                current.exact = False
            return
        result = self.binary(operator, current, right, node, ctx)
        self.assign(node.target, result, ctx, node.value)

    def _return(self, node: cst.Return, ctx: Context) -> None:
        ctx.returns.append(self.eval(node.value, ctx) if node.value is not None else NONE)
        ctx.stop = "return"

    def _raise(self, node: cst.Raise, ctx: Context) -> None:
        if node.exc is not None:
            self.eval(node.exc, ctx)
        ctx.stop = "raise"

    def _break(self, node: cst.Break, ctx: Context) -> None:
        ctx.stop = "break"

    def _continue(self, node: cst.Continue, ctx: Context) -> None:
        ctx.stop = "continue"

    def _assert(self, node: cst.Assert, ctx: Context) -> None:
        self.eval(node.test, ctx)

    def _del(self, node: cst.Del, ctx: Context) -> None:
        target = node.target
        if isinstance(target, cst.Name):
            ctx.frame.delete(target.value)

    def _global(self, node: cst.Global, ctx: Context) -> None:
        ctx.frame.global_names.update(item.name.value for item in node.names)

    def _nonlocal(self, node: cst.Nonlocal, ctx: Context) -> None:
        ctx.frame.nonlocal_names.update(item.name.value for item in node.names)

    def _import(self, node: cst.Import, ctx: Context) -> None:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                ctx.frame.store(alias.asname.name.value, self.import_value(ctx.facts, dotted, 0))
                continue
            head = dotted.split(".", 1)[0]
            value = self.import_value(ctx.facts, head, 0)
            if isinstance(value, ModuleValue) and "." in dotted:
                self.import_value(ctx.facts, dotted, 0)  # `import pkg.sub` loads pkg.sub as pkg's attribute
            ctx.frame.store(head, value)

    def _import_from(self, node: cst.ImportFrom, ctx: Context) -> None:
        level = len(node.relative)
        module_name = _dotted(node.module) if node.module is not None else ""
        facts = ctx.facts
        if isinstance(node.names, cst.ImportStar):
            source = self.import_value(facts, module_name, level)
            if isinstance(source, ModuleValue):
                exported = source.namespace.get("__all__")
                names = (
                    [str(c.value) for c in exported.items if isinstance(c, Const)]
                    if isinstance(exported, Sequence)
                    else [n for n in source.namespace if not n.startswith("_")]
                )
                for name in names:
                    if name in source.namespace:
                        ctx.frame.store(name, source.namespace[name])
            elif isinstance(source, ApiRef):
                stars = ctx.frame.module.vars.setdefault("__stars__", Sequence([], mutable=True))
                if isinstance(stars, Sequence):
                    stars.items.append(source)
            return
        for alias in node.names:
            name = _dotted(alias.name)
            local = (
                alias.asname.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                else name
            )
            ctx.frame.store(local, self._from_import(facts, module_name, name, level))

    def _from_import(self, facts: ModuleFacts, module_name: str, name: str, level: int) -> Value:
        full = f"{module_name}.{name}" if module_name else name
        if not level:
            canonical = vocabulary.canonical(full)
            if canonical is not None:
                return ApiRef(full, canonical)
        project = facts.project
        if project is None:
            return UNKNOWN if level else ApiRef(full, None)
        path = project.resolve_module(module_name, facts.path, level) if (module_name or level) else None
        if path is not None:
            return LazyImport(path, name, full)
        sub = project.resolve_module(full, facts.path, level)
        if sub is not None:
            return self.modules.get(sub) or self.load_module(sub, facts) or UNKNOWN
        return UNKNOWN if level else ApiRef(full, None)

    def resolve_lazy(self, value: LazyImport, facts: ModuleFacts) -> Value:
        module = self.modules.get(value.path) or self.load_module(value.path, facts)
        if module is None:
            return UNKNOWN
        found = module.namespace.get(value.name)
        if isinstance(found, LazyImport):
            if found.path == value.path:
                return UNKNOWN
            found = self.resolve_lazy(found, module.facts)
        if found is not None:
            return found
        project = module.facts.project
        sub = project.resolve_module(value.name, value.path, 1) if project is not None else None
        if sub is not None:
            return self.modules.get(sub) or self.load_module(sub, facts) or UNKNOWN
        return UNKNOWN

    def _if(self, node: cst.If, ctx: Context) -> None:
        test = self.eval(node.test, ctx)
        truth = _truth(test)
        flag = _flag(node.test)
        if truth is None and flag is not None:
            # A flag this branch already took (`if params.use_bn:` inside `if params.use_bn:`) has its value.
            name, value = flag
            for assumed, assumed_value in reversed(self.sem.assumptions):
                if assumed == name:
                    truth = assumed_value == value
                    break
        orelse = node.orelse
        if truth is True:
            self.exec_body(node.body, ctx)
            return
        if truth is False:
            if isinstance(orelse, cst.If):
                self._if(orelse, ctx)
            elif isinstance(orelse, cst.Else):
                self.exec_body(orelse.body, ctx)
            return
        refine = self.sem.refine(node.test, ctx, self)

        def then() -> None:
            with refine, self._assuming(flag, True):
                self.exec_body(node.body, ctx)

        def other() -> None:
            with self._assuming(flag, False):
                if isinstance(orelse, cst.If):
                    self._if(orelse, ctx)
                elif isinstance(orelse, cst.Else):
                    self.exec_body(orelse.body, ctx)

        self.branches(ctx, [then, other], fallthrough=False)

    @contextmanager
    def _assuming(self, flag: tuple[str, bool] | None, taken: bool) -> Iterator[None]:
        """Run a branch of ``if flag:`` with the flag's value known (``taken``: the ``if`` block)."""
        if flag is None:
            yield
            return
        name, value = flag
        self.sem.assumptions.append((name, value == taken))
        try:
            yield
        finally:
            self.sem.assumptions.pop()

    def branches(self, ctx: Context, bodies: SequenceOf[Callable[[], object]], fallthrough: bool) -> None:
        """Run each body from the same state and join what they bound."""
        frame = ctx.frame
        outcomes: list[dict[str, Value | None]] = []
        stops: list[str | None] = []
        self.branch_depth += 1
        try:
            for body in bodies:
                frame.begin_branch()
                ctx.stop = None
                try:
                    body()
                finally:
                    stopped = ctx.stop
                    written = frame.end_branch()
                if stopped in ("return", "raise"):
                    stops.append(stopped)
                    continue  # a branch that leaves the function does not bind anything after it
                stops.append(stopped)
                outcomes.append(written)
        finally:
            self.branch_depth -= 1
        ctx.stop = None
        if not outcomes and not fallthrough:
            ctx.stop = "return" if "return" in stops else "raise"
            return
        if outcomes:
            frame.merge(outcomes, fallthrough)
        if stops and all(s in ("break", "continue") for s in stops) and not fallthrough:
            ctx.stop = stops[0]

    def _for(self, node: cst.For, ctx: Context) -> None:
        iterable = self.eval(node.iter, ctx)
        items = self.known_items(iterable)
        if items is not None and len(items) <= MAX_UNROLL:
            literal = _literal_list(iterable)
            for item in items:
                self.assign(node.target, item, ctx, node.iter)
                if literal is not None:
                    self.loop_lists.append(literal)
                try:
                    self.exec_body(node.body, ctx)
                finally:
                    if literal is not None:
                        self.loop_lists.pop()
                if ctx.stop in ("return", "raise"):
                    return
                if ctx.stop == "break":
                    ctx.stop = None
                    return
                ctx.stop = None
            if node.orelse is not None:
                self.exec_body(node.orelse.body, ctx)
            return
        element = self.element(iterable, node.iter)

        def body() -> None:
            for _ in range(2):  # twice: what one iteration binds reaches the next
                self.assign(node.target, element, ctx, node.iter)
                self.exec_body(node.body, ctx)
                if ctx.stop in ("return", "raise", "break"):
                    return
                ctx.stop = None

        self.branches(ctx, [body], fallthrough=True)
        if node.orelse is not None:
            self.exec_body(node.orelse.body, ctx)

    def _while(self, node: cst.While, ctx: Context) -> None:
        self.eval(node.test, ctx)

        def body() -> None:
            for _ in range(2):
                self.exec_body(node.body, ctx)
                if ctx.stop in ("return", "raise", "break"):
                    return
                ctx.stop = None
                self.eval(node.test, ctx)

        truth = _truth(self.eval(node.test, ctx))
        if truth is False:
            return
        self.branches(ctx, [body], fallthrough=truth is not True)
        if node.orelse is not None:
            self.exec_body(node.orelse.body, ctx)

    def _try(self, node: cst.Try, ctx: Context) -> None:
        self.exec_body(node.body, ctx)
        if ctx.stop in ("break", "continue"):
            return
        body_stop = ctx.stop
        ctx.stop = None
        handlers = [h for h in node.handlers]
        if handlers:

            def run(handler: cst.ExceptHandler) -> Callable[[], None]:
                def go() -> None:
                    if handler.name is not None and isinstance(handler.name.name, cst.Name):
                        ctx.frame.store(handler.name.name.value, UNKNOWN)
                    self.exec_body(handler.body, ctx)

                return go

            self.branches(ctx, [run(h) for h in handlers], fallthrough=True)
        if node.orelse is not None and body_stop is None:
            self.exec_body(node.orelse.body, ctx)
        stop = ctx.stop
        ctx.stop = None
        if node.finalbody is not None:
            self.exec_body(node.finalbody.body, ctx)
        if ctx.stop is None:
            ctx.stop = stop if stop is not None else (body_stop if not handlers else None)

    def _with(self, node: cst.With, ctx: Context) -> None:
        tokens: list[object] = []
        try:
            for item in node.items:
                value = self.eval(item.item, ctx)
                token, entered = self.sem.enter(value, item, node, ctx, self)
                tokens.append(token)
                if item.asname is not None:
                    self.assign(item.asname.name, entered, ctx, item.item)
            self.exec_body(node.body, ctx)
        finally:
            for token in reversed(tokens):
                self.sem.exit(token, self)

    def _match(self, node: cst.Match, ctx: Context) -> None:
        self.eval(node.subject, ctx)
        bodies: list[Callable[[], None]] = []
        for case in node.cases:

            def go(case: cst.MatchCase = case) -> None:
                self.exec_body(case.body, ctx)

            bodies.append(go)
        self.branches(ctx, bodies, fallthrough=True)

    def _function_def(self, node: cst.FunctionDef, ctx: Context) -> None:
        function = self.make_function(node, ctx)
        if ctx.function is not None and not ctx.frame.is_class:
            self.nested[node] = function
        value: Value = function
        for decorator in reversed(node.decorators):
            value = self.decorate(value, decorator, ctx)
        ctx.frame.store(node.name.value, value)

    def make_function(self, node: cst.FunctionDef | cst.Lambda, ctx: Context) -> Function:
        defaults: dict[str, Value] = {}
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            if param.default is not None:
                defaults[param.name.value] = self.eval(param.default, ctx)
        closure = ctx.frame
        while closure.is_class:  # a class body's names are not visible inside its methods
            closure = closure.parent or closure.module
        name = node.name.value if isinstance(node, cst.FunctionDef) else "<lambda>"
        owner = ctx.frame.vars.get("__class__") if ctx.frame.is_class else None
        return Function(node, ctx.facts, closure, defaults, name, owner if isinstance(owner, ClassValue) else None)

    def decorate(self, value: Value, decorator: cst.Decorator, ctx: Context) -> Value:
        deco = self.eval(decorator.decorator, ctx)
        if isinstance(deco, Builtin) and deco.name in ("property", "staticmethod", "classmethod"):
            if isinstance(value, Function):
                value.decorated = (*value.decorated, deco.name)
            return value
        if isinstance(deco, Function) and isinstance(value, Function):
            wrapped = self.call(deco, Args([value]), None, ctx)
            if isinstance(wrapped, (Function, BoundMethod, Partial)):
                return wrapped
            return value
        if isinstance(value, Function) and isinstance(deco, (ApiRef, Method)):
            name = deco.canonical if isinstance(deco, ApiRef) else None
            value.decorated = (*value.decorated, name or "")
        return value  # an unknown decorator is taken to keep the function callable as it is

    def _class_def(self, node: cst.ClassDef, ctx: Context) -> None:
        bases = [self.eval(arg.value, ctx) for arg in node.bases if arg.keyword is None]
        cls = ClassValue(node, ctx.facts, node.name.value, bases)
        body = Frame(cls.namespace, ctx.frame if not ctx.frame.is_class else ctx.frame.parent, ctx.frame.module, True)
        cls.namespace["__class__"] = cls
        inner = Context(ctx.facts, body)
        self.exec_body(node.body, inner)
        cls.namespace.pop("__class__", None)
        for value in cls.namespace.values():
            if isinstance(value, Function) and value.owner is None:
                value.owner = cls
        ctx.frame.store(node.name.value, cls)

    # --- assignment ------------------------------------------------------------------------

    def assign(self, target: cst.BaseExpression, value: Value, ctx: Context, source: cst.CSTNode | None) -> None:
        if isinstance(target, cst.Name):
            ctx.frame.store(target.value, value)
            if ctx.frame.tests:
                ctx.frame.tests.pop(target.value, None)
            self.record(target, value, ctx)
            self.sem.bound(target, value, source, ctx, self)
        elif isinstance(target, (cst.Tuple, cst.List)):
            self.unpack(target.elements, value, ctx, source)
        elif isinstance(target, cst.Attribute):
            receiver = self.eval(target.value, ctx)
            self.set_attribute(receiver, target.attr.value, value, target, ctx)
        elif isinstance(target, cst.Subscript):
            receiver = self.eval(target.value, ctx)
            key = self.eval_slice(target, ctx)
            self.set_item(receiver, key, value, target)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, Sequence([value], mutable=True, exact=False), ctx, source)

    def unpack(self, elements: object, value: Value, ctx: Context, source: cst.CSTNode | None) -> None:
        targets = list(elements)  # type: ignore[call-overload]
        items = self.known_items(value)
        starred = [i for i, e in enumerate(targets) if isinstance(e, cst.StarredElement)]
        if items is not None and not starred and len(items) == len(targets):
            for element, item in zip(targets, items):
                self.assign(element.value, item, ctx, source)
            return
        if items is not None and len(starred) == 1:
            index = starred[0]
            tail = len(targets) - index - 1
            if len(items) >= index + tail:
                for element, item in zip(targets[:index], items[:index]):
                    self.assign(element.value, item, ctx, source)
                middle = items[index : len(items) - tail]
                self.assign(targets[index].value, Sequence(list(middle), mutable=True), ctx, source)
                for element, item in zip(targets[index + 1 :], items[len(items) - tail :]):
                    self.assign(element.value, item, ctx, source)
                return
        for index, element in enumerate(targets):
            part = self.sem.unpack_item(value, index, len(targets), self)
            if part is None:
                part = self.element(value, source)
            self.assign(element.value, part, ctx, source)

    def set_attribute(self, receiver: Value, name: str, value: Value, node: cst.CSTNode, ctx: Context) -> None:
        for option in alternatives(receiver):
            if isinstance(option, Instance):
                prop = option.cls.lookup(name)
                if isinstance(prop, Function) and "property" in prop.decorated:
                    continue
                if self.branch_depth and name in option.attrs:
                    option.attrs[name] = join(option.attrs[name], value)
                else:
                    option.attrs[name] = value
                self.sem.instance_attribute_set(option, name, value, node, ctx, self)
            elif isinstance(option, (ClassValue, ModuleValue)):
                option.namespace[name] = value
            else:
                self.sem.set_attribute(option, name, value, node, ctx, self)

    def set_item(self, receiver: Value, key: Value, value: Value, node: cst.CSTNode) -> None:
        for option in alternatives(receiver):
            if isinstance(option, Mapping):
                if isinstance(key, Const) and _hashable(key.value):
                    if self.branch_depth and key.value in option.entries:
                        option.entries[key.value] = join(option.entries[key.value], value)
                    else:
                        option.entries[key.value] = value
                    option.nodes[key.value] = node
                else:
                    option.exact = False
                    option.entries.setdefault(_ANY_KEY, value)
                    option.entries[_ANY_KEY] = join(option.entries[_ANY_KEY], value)
            elif isinstance(option, Sequence) and option.mutable:
                if (
                    isinstance(key, Const)
                    and isinstance(key.value, int)
                    and -len(option.items) <= key.value < len(option.items)
                ):
                    option.items[key.value] = value if not self.branch_depth else join(option.items[key.value], value)
                else:
                    option.items.append(value)
                    option.exact = False

    # --- expressions -------------------------------------------------------------------------

    def eval(self, node: cst.BaseExpression, ctx: Context) -> Value:
        handler = _EXPRESSIONS.get(type(node))
        if handler is None:
            return UNKNOWN
        return handler(self, node, ctx)

    def _name(self, node: cst.Name, ctx: Context) -> Value:
        name = node.value
        value = ctx.frame.lookup(name)
        if value is None:
            value = self._global_fallback(name, ctx)
        elif isinstance(value, LazyImport):
            resolved = self.resolve_lazy(value, ctx.facts)
            owner: Frame | None = ctx.frame
            while owner is not None and owner.vars.get(name) is not value:
                owner = owner.parent
            (owner or ctx.frame.module).vars[name] = resolved
            value = resolved
        self.record(node, value, ctx)
        return value

    def _global_fallback(self, name: str, ctx: Context) -> Value:
        if name in _BUILTIN_CONSTANTS:
            return _BUILTIN_CONSTANTS[name]
        if name in BUILTINS:
            return Builtin(name)
        stars = ctx.frame.module.vars.get("__stars__")
        if isinstance(stars, Sequence):
            for source in reversed(stars.items):
                if isinstance(source, ApiRef):
                    full = f"{source.qualified}.{name}"
                    canonical = vocabulary.canonical(full)
                    if canonical is not None and self.sem.is_known(canonical):
                        return ApiRef(full, canonical)
        return UNKNOWN

    def _attribute(self, node: cst.Attribute, ctx: Context) -> Value:
        receiver = self.eval(node.value, ctx)
        value = self.get_attribute(receiver, node.attr.value, node, ctx)
        self.record(node, value, ctx)
        return value

    def get_attribute(self, receiver: Value, name: str, node: cst.CSTNode | None, ctx: Context) -> Value:
        if isinstance(receiver, OneOf):
            return join(*(self.get_attribute(o, name, node, ctx) for o in receiver.options))
        if isinstance(receiver, ApiRef):
            qualified = f"{receiver.qualified}.{name}"
            return ApiRef(qualified, vocabulary.canonical(qualified) if receiver.canonical is not None else None)
        if isinstance(receiver, ModuleValue):
            found = receiver.namespace.get(name)
            if isinstance(found, LazyImport):
                found = self.resolve_lazy(found, receiver.facts)
                receiver.namespace[name] = found
            if found is not None:
                return found
            project = receiver.facts.project
            if project is not None:
                sub = project.resolve_module(name, receiver.facts.path, 1)
                if sub is not None and sub != receiver.facts.path:
                    module = self.modules.get(sub) or self.load_module(sub, receiver.facts)
                    if module is not None:
                        receiver.namespace[name] = module
                        return module
            return UNKNOWN
        if isinstance(receiver, Instance):
            if name in receiver.attrs:
                return receiver.attrs[name]
            member = receiver.cls.lookup(name)
            if member is not None:
                return self.bind_member(member, receiver, ctx)
            if name == "__class__":
                return receiver.cls
            return self.sem.get_attribute(receiver, name, node, ctx, self)
        if isinstance(receiver, ClassValue):
            member = receiver.lookup(name)
            if isinstance(member, Function) and "classmethod" in member.decorated:
                return BoundMethod(member, receiver)
            if member is not None:
                return member
            return UNKNOWN
        if isinstance(receiver, Super):
            return self._super_attribute(receiver, name, node, ctx)
        if isinstance(receiver, (Sequence, Mapping)):
            return Method(receiver, name)
        if isinstance(receiver, Const):
            return Method(receiver, name) if isinstance(receiver.value, str) else UNKNOWN
        if isinstance(receiver, (Function, BoundMethod)):
            return UNKNOWN
        return self.sem.get_attribute(receiver, name, node, ctx, self)

    def bind_member(self, member: Value, receiver: Value, ctx: Context) -> Value:
        if isinstance(member, Function):
            if "staticmethod" in member.decorated:
                return member
            if "classmethod" in member.decorated and isinstance(receiver, Instance):
                return BoundMethod(member, receiver.cls)
            bound = BoundMethod(member, receiver)
            if "property" in member.decorated:
                return self.call(bound, Args(), None, ctx)
            return bound
        return member

    def _super_attribute(self, sup: Super, name: str, node: cst.CSTNode | None, ctx: Context) -> Value:
        mro = list(sup.cls.mro())
        for cls in mro[1:]:
            if name in cls.namespace:
                return self.bind_member(cls.namespace[name], sup.receiver, ctx)
        if isinstance(sup.receiver, Instance):
            return self.sem.super_attribute(sup.receiver, name, node, ctx, self)
        return UNKNOWN

    def _subscript(self, node: cst.Subscript, ctx: Context) -> Value:
        receiver = self.eval(node.value, ctx)
        key = self.eval_slice(node, ctx)
        value = self.get_item(receiver, key, node, ctx)
        self.record(node, value, ctx)
        return value

    def eval_slice(self, node: cst.Subscript, ctx: Context) -> Value:
        if len(node.slice) != 1:
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    self.eval(element.slice.value, ctx)
            return UNKNOWN
        inner = node.slice[0].slice
        if isinstance(inner, cst.Index):
            return self.eval(inner.value, ctx)
        if not isinstance(inner, cst.Slice):
            return UNKNOWN
        bounds = [self.eval(part, ctx) if part is not None else NONE for part in (inner.lower, inner.upper, inner.step)]
        return SliceValue(bounds)

    def get_item(self, receiver: Value, key: Value, node: cst.CSTNode | None, ctx: Context) -> Value:
        if isinstance(receiver, OneOf):
            return join(*(self.get_item(o, key, node, ctx) for o in receiver.options))
        if isinstance(receiver, Sequence):
            if isinstance(key, SliceValue):
                return self._slice(receiver, key)
            if (
                receiver.exact
                and isinstance(key, Const)
                and isinstance(key.value, int)
                and not isinstance(key.value, bool)
            ):
                if -len(receiver.items) <= key.value < len(receiver.items):
                    return receiver.items[key.value]
                return UNKNOWN
            return receiver.element()
        if isinstance(receiver, Mapping):
            if isinstance(key, Const) and _hashable(key.value) and key.value in receiver.entries:
                return receiver.entries[key.value]
            if isinstance(key, OneOf) and all(
                isinstance(k, Const) and _hashable(k.value) and k.value in receiver.entries for k in key.options
            ):
                return join(*(receiver.entries[k.value] for k in key.options))  # type: ignore[attr-defined]
            if not isinstance(key, Const) and receiver.entries:
                return join(*receiver.entries.values())
            return receiver.entries.get(_ANY_KEY, UNKNOWN)
        if isinstance(receiver, Instance):
            getitem = receiver.cls.lookup("__getitem__")
            if isinstance(getitem, Function):
                return self.call(BoundMethod(getitem, receiver), Args([key]), None, ctx)
        if isinstance(receiver, Const) and isinstance(receiver.value, (str, tuple)):
            return UNKNOWN
        return self.sem.get_item(receiver, key, node, ctx, self)

    def _slice(self, receiver: Sequence, key: SliceValue) -> Value:
        bounds: list[int | None] = []
        for bound in key.bounds:
            value = bound.value if isinstance(bound, Const) else ...
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                return Sequence(list(receiver.items), mutable=receiver.mutable, exact=False)
            bounds.append(value)
        if receiver.exact:
            return Sequence(receiver.items[slice(*bounds)], mutable=receiver.mutable)
        return Sequence(list(receiver.items), mutable=receiver.mutable, exact=False)

    def _call(self, node: cst.Call, ctx: Context) -> Value:
        func = self.eval(node.func, ctx)
        args = self.eval_args(node.args, ctx)
        value = self.call(func, args, node, ctx)
        self.record(node, value, ctx)
        return value

    def eval_args(self, nodes: object, ctx: Context) -> Args:
        args = Args()
        for arg in nodes:  # type: ignore[attr-defined]
            value = self.eval(arg.value, ctx)
            if arg.star == "*":
                items = self.known_items(value)
                if items is None:
                    args.unknown_star = True
                else:
                    for item in items:
                        args.nodes[len(args.positional)] = arg
                        args.positional.append(item)
            elif arg.star == "**":
                for option in alternatives(value):
                    if isinstance(option, Mapping):
                        for key, item in option.entries.items():
                            if isinstance(key, str):
                                args.keywords[key] = (
                                    item if key not in args.keywords else join(args.keywords[key], item)
                                )
                                args.nodes[key] = option.nodes.get(key, arg)
                        if not option.exact:
                            args.unknown_star = True
                    else:
                        args.unknown_star = True
            elif arg.keyword is not None:
                args.keywords[arg.keyword.value] = value
                args.nodes[arg.keyword.value] = arg
            else:
                args.nodes[len(args.positional)] = arg
                args.positional.append(value)
        return args

    def call(self, func: Value, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        self.tick()
        if isinstance(func, OneOf):
            return join(*(self.call(option, args, node, ctx) for option in func.options))
        if isinstance(func, Function):
            return self.invoke(func, args, node, ctx)
        if isinstance(func, BoundMethod):
            bound = Args([func.receiver, *args.positional], dict(args.keywords), _shift(args.nodes), args.unknown_star)
            return self.invoke(func.function, bound, node, ctx)
        if isinstance(func, ClassValue):
            return self.instantiate(func, args, node, ctx)
        if isinstance(func, Partial):
            merged = Args(
                [*func.args.positional, *args.positional],
                {**func.args.keywords, **args.keywords},
                {
                    **func.args.nodes,
                    **_shift(args.nodes, len(func.args.positional)),
                    **{k: v for k, v in args.nodes.items() if isinstance(k, str)},
                },
                func.args.unknown_star or args.unknown_star,
            )
            return self.call(func.func, merged, node, ctx)
        if isinstance(func, Builtin):
            return self.call_builtin(func.name, args, node, ctx)
        if isinstance(func, Method):
            return self.call_method(func, args, node, ctx)
        if isinstance(func, Super):
            return UNKNOWN
        if isinstance(func, Instance):
            dunder = func.cls.lookup("__call__")
            if isinstance(dunder, Function):
                return self.call(BoundMethod(dunder, func), args, node, ctx)
            return self.sem.call_object(func, args, node, ctx, self)
        if isinstance(func, ApiRef):
            if func.qualified in ("functools.partial", "partial"):
                if args.positional:
                    return Partial(
                        args.positional[0],
                        Args(args.positional[1:], dict(args.keywords), _shift(args.nodes, -1), args.unknown_star),
                    )
                return UNKNOWN
            if func.canonical is None:
                self.escape(args)
                return self.sem.call_external(func, args, node, ctx, self)
            return self.sem.call_api(func, args, node, ctx, self)
        if func is UNKNOWN or isinstance(func, (Const, ApiObject)):
            self.escape(args)
            return self.sem.call_unknown(func, args, node, ctx, self)
        return self.sem.call_object(func, args, node, ctx, self)

    def escape(self, args: Args) -> None:
        """Project functions handed to code the interpreter cannot read run later, as entries."""
        for value in args.values():
            for option in alternatives(value):
                if isinstance(option, Function) and option.node not in self.entered:
                    self.escaped.setdefault(option.node, option)
                elif isinstance(option, BoundMethod) and option.function.node not in self.entered:
                    self.escaped.setdefault(option.function.node, option.function)

    def invoke(self, function: Function, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        definition = function.node
        if len(self.chain) >= MAX_DEPTH or definition in self.active:
            self.escape(args)
            return UNKNOWN
        key = (definition, self.sem.context_key(), *_signature(args))
        seen = self.calls_seen.get(key)
        if seen is not None and seen[0] >= MAX_REPEATS:
            return seen[1]
        result = self._run_call(function, args, node, ctx)
        if seen is None:
            self.calls_seen[key] = (1, result)
        else:
            self.calls_seen[key] = (seen[0] + 1, join(seen[1], result))
        return result

    def _run_call(self, function: Function, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        definition = function.node
        self.entered.add(definition)
        frame = Frame(
            {}, function.closure if function.closure.module is not function.closure else None, function.closure.module
        )
        self.bind_parameters(function, args, frame)
        inner = Context(function.facts, frame, function)
        if node is not None:
            self.chain.append((ctx.facts, node))
        self.active.append(definition)
        saved_depth, self.branch_depth = self.branch_depth, 0
        try:
            if isinstance(definition, cst.Lambda):
                return self.eval(definition.body, inner)
            self.exec_body(definition.body, inner)
        except RecursionError:
            self.program.truncated = True
            return UNKNOWN
        finally:
            self.branch_depth = saved_depth
            self.active.pop()
            if node is not None:
                self.chain.pop()
        if self._is_generator(definition):
            return Sequence(inner.yields, mutable=False, exact=False)
        if not inner.returns:
            return NONE
        return join(*inner.returns)

    def run_entry(self, function: Function, receiver: Value | None = None) -> None:
        """Run a function nobody calls here (a builder another module imports, a model_fn handed to
        an Estimator) with unknown arguments: a parameter with a default may hold it, or anything."""
        args = Args(unknown_star=True)
        definition = function.node
        if definition in self.active or definition in self.entered:
            return
        self.entered.add(definition)
        frame = Frame(
            {}, function.closure if function.closure.module is not function.closure else None, function.closure.module
        )
        params = definition.params
        positional = [*params.posonly_params, *params.params]
        for index, param in enumerate([*positional, *params.kwonly_params]):
            name = param.name.value
            if index == 0 and receiver is not None and param in positional:
                frame.vars[name] = receiver
            elif name in function.defaults:
                frame.vars[name] = join(function.defaults[name], UNKNOWN)
            else:
                frame.vars[name] = UNKNOWN
        if isinstance(params.star_arg, cst.Param):
            frame.vars[params.star_arg.name.value] = Sequence([], mutable=False, exact=False)
        if isinstance(params.star_kwarg, cst.Param):
            frame.vars[params.star_kwarg.name.value] = Mapping({}, exact=False)
        inner = Context(function.facts, frame, function)
        self.active.append(definition)
        del args
        try:
            if isinstance(definition, cst.Lambda):
                self.eval(definition.body, inner)
            else:
                self.exec_body(definition.body, inner)
        except RecursionError:
            self.program.truncated = True
        finally:
            self.active.pop()

    def bind_parameters(self, function: Function, args: Args, frame: Frame) -> None:
        params = function.node.params
        positional = [*params.posonly_params, *params.params]
        keywords = dict(args.keywords)
        passed = args.positional
        for index, param in enumerate(positional):
            name = param.name.value
            if index < len(passed):
                frame.vars[name] = passed[index]
            elif name in keywords:
                frame.vars[name] = keywords.pop(name)
            elif args.unknown_star:
                frame.vars[name] = join(function.defaults[name], UNKNOWN) if name in function.defaults else UNKNOWN
            elif name in function.defaults:
                frame.vars[name] = function.defaults[name]
            else:
                frame.vars[name] = UNKNOWN
        for param in params.kwonly_params:
            name = param.name.value
            if name in keywords:
                frame.vars[name] = keywords.pop(name)
            elif args.unknown_star:
                frame.vars[name] = join(function.defaults[name], UNKNOWN) if name in function.defaults else UNKNOWN
            else:
                frame.vars[name] = function.defaults.get(name, UNKNOWN)
        if isinstance(params.star_arg, cst.Param):
            extra = passed[len(positional) :]
            frame.vars[params.star_arg.name.value] = Sequence(list(extra), mutable=False, exact=not args.unknown_star)
        if isinstance(params.star_kwarg, cst.Param):
            frame.vars[params.star_kwarg.name.value] = Mapping(
                dict(keywords.items()),
                exact=not args.unknown_star,
                nodes={k: v for k, v in args.nodes.items() if isinstance(k, str) and k in keywords},
            )

    def _is_generator(self, definition: cst.FunctionDef | cst.Lambda) -> bool:
        if isinstance(definition, cst.Lambda):
            return False
        known = self._generators.get(definition)
        if known is None:
            known = self._generators[definition] = _has_yield(definition.body)
        return known

    def instantiate(self, cls: ClassValue, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        self.instantiated.add(cls.node)
        instance = Instance(cls, self.site(ctx.facts, node) if node is not None else None)
        self.sem.attach(instance, args, node, ctx, self)
        init = cls.lookup("__init__")
        if isinstance(init, Function):
            self.call(BoundMethod(init, instance), args, node, ctx)
        else:
            self.sem.api_init(instance, args, node, ctx, self)
        self.sem.initialized(instance, node, ctx, self)
        return instance

    def call_method(self, method: Method, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        receiver, name = method.receiver, method.name
        if isinstance(receiver, Sequence):
            return self._sequence_method(receiver, name, args)
        if isinstance(receiver, Mapping):
            return self._mapping_method(receiver, name, args, node)
        if isinstance(receiver, Const):
            return UNKNOWN
        return self.sem.call_method(receiver, name, args, node, ctx, self)

    def _sequence_method(self, receiver: Sequence, name: str, args: Args) -> Value:
        if name == "append" and args.positional:
            receiver.items.append(args.positional[0])
            if self.branch_depth:
                receiver.exact = False
            return NONE
        if name == "extend" and args.positional:
            items = self.known_items(args.positional[0])
            receiver.items.extend(items if items is not None else [self.element(args.positional[0], None)])
            if items is None or self.branch_depth:
                receiver.exact = False
            return NONE
        if name == "insert" and len(args.positional) > 1:
            receiver.items.insert(0, args.positional[1])
            receiver.exact = False
            return NONE
        if name == "pop":
            if receiver.items and receiver.exact and not args.positional:
                return receiver.items.pop()
            return receiver.element()
        if name in ("index", "count"):
            return UNKNOWN
        if name == "copy":
            return Sequence(list(receiver.items), mutable=True, exact=receiver.exact)
        return UNKNOWN

    def _mapping_method(self, receiver: Mapping, name: str, args: Args, node: cst.CSTNode | None) -> Value:
        entries = receiver.entries
        if name == "get" and args.positional:
            key = args.positional[0]
            if isinstance(key, Const) and _hashable(key.value) and key.value in entries:
                return entries[key.value]
            default = args.positional[1] if len(args.positional) > 1 else NONE
            if receiver.exact and isinstance(key, Const):
                return default
            return join(default, *entries.values()) if entries else UNKNOWN
        if name == "items":
            pairs = [Sequence([Const(k), v], mutable=False) for k, v in entries.items() if k is not _ANY_KEY]
            return Sequence(pairs, mutable=False, exact=receiver.exact)  # type: ignore[arg-type]
        if name == "values":
            return Sequence(list(entries.values()), mutable=False, exact=receiver.exact)
        if name == "keys":
            return Sequence([Const(k) for k in entries if k is not _ANY_KEY], mutable=False, exact=receiver.exact)
        if name == "update":
            for value in args.positional:
                if isinstance(value, Mapping):
                    entries.update(value.entries)
                    receiver.nodes.update(value.nodes)
                else:
                    receiver.exact = False
            for keyword, value in args.keywords.items():
                entries[keyword] = value
                if keyword in args.nodes:
                    receiver.nodes[keyword] = args.nodes[keyword]
            return NONE
        if name == "setdefault" and args.positional:
            key = args.positional[0]
            if isinstance(key, Const) and _hashable(key.value):
                if key.value not in entries:
                    entries[key.value] = args.positional[1] if len(args.positional) > 1 else NONE
                return entries[key.value]
            return UNKNOWN
        if name == "pop" and args.positional:
            key = args.positional[0]
            if isinstance(key, Const) and _hashable(key.value) and key.value in entries:
                return entries.pop(key.value)
            return args.positional[1] if len(args.positional) > 1 else UNKNOWN
        if name == "copy":
            return Mapping(dict(entries), exact=receiver.exact, nodes=dict(receiver.nodes))
        return UNKNOWN

    # --- iteration ------------------------------------------------------------------------------

    def known_items(self, value: Value) -> list[Value] | None:
        """The items a value iterates over, when known exactly."""
        if isinstance(value, Sequence) and value.exact:
            return list(value.items)
        if isinstance(value, Mapping) and value.exact:
            return [Const(k) for k in value.entries]
        if isinstance(value, Const) and isinstance(value.value, tuple):
            return [Const(v) for v in value.value]
        if isinstance(value, RangeValue) and value.length is not None:
            return [Const(i) for i in value.items()]
        return self.sem.known_items(value, self)

    def iterate_items(self, value: Value, node: cst.CSTNode | None) -> list[Value]:
        items = self.known_items(value)
        return items if items is not None else [self.element(value, node)]

    def element(self, value: Value, node: cst.CSTNode | None) -> Value:
        """What one iteration over ``value`` gives, when its items are not known one by one."""
        options: list[Value] = []
        for option in alternatives(value):
            if isinstance(option, Sequence):
                options.append(option.element())
            elif isinstance(option, Mapping):
                options.append(
                    join(*(Const(k) for k in option.entries if k is not _ANY_KEY)) if option.entries else UNKNOWN
                )
            elif isinstance(option, RangeValue):
                options.append(UNKNOWN)
            else:
                options.append(self.sem.element(option, node, self))
        return join(*options) if options else UNKNOWN

    # --- operators --------------------------------------------------------------------------------

    def _binary(self, node: cst.BinaryOperation, ctx: Context) -> Value:
        # A long chain `a + b + c + ...` is a left-deep tree: evaluate it without recursion.
        chain: list[cst.BinaryOperation] = [node]
        current: cst.BaseExpression = node.left
        while isinstance(current, cst.BinaryOperation) and not current.lpar:
            chain.append(current)
            current = current.left
        value = self.eval(current, ctx)
        for operation in reversed(chain):
            right = self.eval(operation.right, ctx)
            value = self.binary(type(operation.operator), value, right, operation, ctx)
        return value

    def binary(self, operator: type | None, left: Value, right: Value, node: cst.CSTNode, ctx: Context) -> Value:
        if isinstance(left, Const) and isinstance(right, Const):
            return _fold(operator, left, right)
        if operator is cst.Add:
            if isinstance(left, Sequence) and isinstance(right, Sequence):
                return Sequence([*left.items, *right.items], mutable=left.mutable, exact=left.exact and right.exact)
        return self.sem.binary(operator, left, right, node, ctx, self)

    def _unary(self, node: cst.UnaryOperation, ctx: Context) -> Value:
        value = self.eval(node.expression, ctx)
        if isinstance(node.operator, cst.Not):
            truth = _truth(value)
            return UNKNOWN if truth is None else Const(not truth)
        if isinstance(value, Const) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            if isinstance(node.operator, cst.Minus):
                return Const(-value.value)
            if isinstance(node.operator, cst.Plus):
                return value
        return self.sem.unary(value, node, ctx, self)

    def _boolean(self, node: cst.BooleanOperation, ctx: Context) -> Value:
        left = self.eval(node.left, ctx)
        truth = _truth(left)
        is_and = isinstance(node.operator, cst.And)
        if truth is not None and truth != is_and:
            return left  # `a or b` with a truthy a, `a and b` with a falsy a
        right = self.eval(node.right, ctx)
        if truth is not None:
            return right
        return join(left, right)

    def _comparison(self, node: cst.Comparison, ctx: Context) -> Value:
        left = self.eval(node.left, ctx)
        result: Value = TRUE
        for target in node.comparisons:
            right = self.eval(target.comparator, ctx)
            outcome = _compare(target.operator, left, right)
            if outcome is None:
                result = UNKNOWN
            elif outcome is False and result is not UNKNOWN:
                result = FALSE
            left = right
        return result

    def _if_exp(self, node: cst.IfExp, ctx: Context) -> Value:
        truth = _truth(self.eval(node.test, ctx))
        if truth is True:
            return self.eval(node.body, ctx)
        if truth is False:
            return self.eval(node.orelse, ctx)
        return join(self.eval(node.body, ctx), self.eval(node.orelse, ctx))

    def _lambda(self, node: cst.Lambda, ctx: Context) -> Value:
        return self.make_function(node, ctx)

    def _named_expr(self, node: cst.NamedExpr, ctx: Context) -> Value:
        value = self.eval(node.value, ctx)
        self.assign(node.target, value, ctx, node.value)
        return value

    def _await(self, node: cst.Await, ctx: Context) -> Value:
        self.eval(node.expression, ctx)
        return UNKNOWN

    def _yield(self, node: cst.Yield, ctx: Context) -> Value:
        value = node.value
        if isinstance(value, cst.From):
            ctx.yields.append(self.element(self.eval(value.item, ctx), value.item))
        elif value is not None:
            ctx.yields.append(self.eval(value, ctx))
        return UNKNOWN

    # --- literals -----------------------------------------------------------------------------------

    def _integer(self, node: cst.Integer, ctx: Context) -> Value:
        return Const(node.evaluated_value)

    def _float(self, node: cst.Float, ctx: Context) -> Value:
        return Const(node.evaluated_value)

    def _string(self, node: cst.SimpleString, ctx: Context) -> Value:
        known = self._strings.get(node)
        if known is None:
            try:
                known = Const(node.evaluated_value)
            except Exception:  # an odd literal libcst cannot evaluate
                known = UNKNOWN
            self._strings[node] = known
        return known

    def _concatenated(self, node: cst.ConcatenatedString, ctx: Context) -> Value:
        try:
            value = node.evaluated_value
        except Exception:
            return UNKNOWN
        return Const(value) if isinstance(value, str) else UNKNOWN

    def _formatted(self, node: cst.FormattedString, ctx: Context) -> Value:
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                self.eval(part.expression, ctx)
        return FORMATTED

    def _sequence_literal(self, node: cst.List | cst.Tuple | cst.Set, ctx: Context) -> Value:
        items: list[Value] = []
        exact = True
        for element in node.elements:
            value = self.eval(element.value, ctx)
            if isinstance(element, cst.StarredElement):
                known = self.known_items(value)
                if known is None:
                    items.append(self.element(value, element.value))
                    exact = False
                else:
                    items.extend(known)
            else:
                items.append(value)
        return Sequence(items, mutable=not isinstance(node, cst.Tuple), exact=exact, node=node)

    def _dict_literal(self, node: cst.Dict, ctx: Context) -> Value:
        mapping = Mapping({}, node=node)
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = self.eval(element.key, ctx)
                value = self.eval(element.value, ctx)
                if isinstance(key, Const) and _hashable(key.value):
                    mapping.entries[key.value] = value
                    mapping.nodes[key.value] = element
                else:
                    mapping.exact = False
                    mapping.entries[_ANY_KEY] = join(mapping.entries.get(_ANY_KEY, value), value)
            else:
                value = self.eval(element.value, ctx)
                if isinstance(value, Mapping):
                    mapping.entries.update(value.entries)
                    mapping.nodes.update(value.nodes)
                    mapping.exact = mapping.exact and value.exact
                else:
                    mapping.exact = False
        return mapping

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, ctx: Context) -> Value:
        frame = Frame({}, ctx.frame, ctx.frame.module)
        inner = Context(ctx.facts, frame, ctx.function)
        results: list[Value] = []
        keys: list[Value] = []
        exact = self._comprehend(node.for_in, node, inner, results, keys)
        if isinstance(node, cst.DictComp):
            mapping = Mapping({}, exact=False, node=node)
            for key, value in zip(keys, results):
                if isinstance(key, Const) and _hashable(key.value):
                    mapping.entries[key.value] = value
                else:
                    mapping.entries[_ANY_KEY] = join(mapping.entries.get(_ANY_KEY, value), value)
            mapping.exact = exact and _ANY_KEY not in mapping.entries
            return mapping
        return Sequence(results, mutable=not isinstance(node, cst.GeneratorExp), exact=exact, node=node)

    def _comprehend(
        self, comp: cst.CompFor, node: cst.CSTNode, ctx: Context, results: list[Value], keys: list[Value]
    ) -> bool:
        """Run one ``for ... in ... if ...`` clause (and the ones nested in it); True when the results
        are exactly the items the comprehension makes."""
        iterable = self.eval(comp.iter, ctx)
        items = self.known_items(iterable)
        exact = items is not None and len(items) <= MAX_UNROLL
        literal = _literal_list(iterable) if exact else None
        for item in items if items is not None and exact else [self.element(iterable, comp.iter)]:
            self.tick()
            self.assign(comp.target, item, ctx, comp.iter)
            if literal is not None:
                self.loop_lists.append(literal)
            try:
                exact = self._comprehend_item(comp, node, ctx, results, keys) and exact
            finally:
                if literal is not None:
                    self.loop_lists.pop()
        return exact

    def _comprehend_item(
        self, comp: cst.CompFor, node: cst.CSTNode, ctx: Context, results: list[Value], keys: list[Value]
    ) -> bool:
        tests = [self.eval(condition.test, ctx) for condition in comp.ifs]
        if any(_truth(t) is False for t in tests):
            return True
        exact = not any(_truth(t) is None for t in tests)
        with self.sem.refine_all([c.test for c in comp.ifs], ctx, self):
            if comp.inner_for_in is not None:
                exact = self._comprehend(comp.inner_for_in, node, ctx, results, keys) and exact
            elif isinstance(node, cst.DictComp):
                keys.append(self.eval(node.key, ctx))
                results.append(self.eval(node.value, ctx))
            else:
                results.append(self.eval(node.elt, ctx))  # type: ignore[attr-defined]
        return exact

    # --- builtins -----------------------------------------------------------------------------------

    def call_builtin(self, name: str, args: Args, node: cst.Call | None, ctx: Context) -> Value:
        first = args.positional[0] if args.positional else None
        if name == "super":
            cls = ctx.function.owner if ctx.function is not None else None
            receiver = ctx.frame.vars.get("self") or (
                ctx.frame.lookup(ctx.function.node.params.params[0].name.value)
                if ctx.function is not None and ctx.function.node.params.params
                else None
            )
            if len(args.positional) == 2 and isinstance(args.positional[0], ClassValue):
                cls, receiver = args.positional[0], args.positional[1]
            if isinstance(cls, ClassValue) and receiver is not None:
                return Super(cls, receiver)
            return UNKNOWN
        if name in ("list", "tuple", "set", "frozenset", "sorted", "reversed"):
            if first is None:
                return Sequence([], mutable=name != "tuple")
            items = self.known_items(first)
            if name == "reversed" and items is not None:
                items = items[::-1]
            if items is None:
                return Sequence([self.element(first, node)], mutable=name != "tuple", exact=False)
            exact = name not in ("set", "frozenset", "sorted")
            return Sequence(items, mutable=name != "tuple", exact=exact or len(items) <= 1)
        if name == "dict":
            mapping = Mapping({}, exact=not args.unknown_star)
            if first is not None:
                if isinstance(first, Mapping):
                    mapping.entries.update(first.entries)
                    mapping.nodes.update(first.nodes)
                    mapping.exact = first.exact
                else:
                    mapping.exact = False
            for key, value in args.keywords.items():
                mapping.entries[key] = value
                if key in args.nodes:
                    mapping.nodes[key] = args.nodes[key]
            return mapping
        if name == "range":
            bounds = [a.value if isinstance(a, Const) else None for a in args.positional]
            return RangeValue(bounds)  # type: ignore[arg-type]
        if name == "enumerate" and first is not None:
            items = self.known_items(first)
            if items is not None:
                return Sequence([Sequence([Const(i), v], mutable=False) for i, v in enumerate(items)], mutable=False)
            return Sequence([Sequence([UNKNOWN, self.element(first, node)], mutable=False)], mutable=False, exact=False)
        if name == "zip":
            known = [self.known_items(a) for a in args.positional]
            columns = [k for k in known if k is not None]
            if columns and len(columns) == len(known):
                rows: list[Value] = [Sequence(list(row), mutable=False) for row in zip(*columns)]
                return self.sem.zipped(args, Sequence(rows, mutable=False), self)
            row = Sequence([self.element(a, node) for a in args.positional], mutable=False)
            return self.sem.zipped(args, Sequence([row], mutable=False, exact=False), self)
        if name == "len":
            if isinstance(first, Sequence) and first.exact:
                return Const(len(first.items))
            return UNKNOWN
        if name in ("isinstance", "issubclass"):
            return self.sem.isinstance_(args, self) if len(args.positional) == 2 else UNKNOWN
        if name == "getattr" and len(args.positional) >= 2:
            attr = args.positional[1]
            if isinstance(attr, Const) and isinstance(attr.value, str):
                found = self.get_attribute(args.positional[0], attr.value, node, ctx)
                if found is UNKNOWN and len(args.positional) > 2:
                    return args.positional[2]
                return found
            return UNKNOWN
        if name == "setattr" and len(args.positional) == 3:
            attr = args.positional[1]
            if isinstance(attr, Const) and isinstance(attr.value, str) and node is not None:
                self.set_attribute(args.positional[0], attr.value, args.positional[2], node, ctx)
            return NONE
        if name == "hasattr":
            return UNKNOWN
        if name == "sum" and first is not None:
            start = args.positional[1] if len(args.positional) > 1 else Const(0)
            return self.sem.add_all([start, *self.iterate_items(first, node)], node, ctx, self, summed=first)
        if name in ("map", "filter"):
            if len(args.positional) == 2:
                if name == "map":
                    element = self.element(args.positional[1], node)
                    return Sequence(
                        [self.call(args.positional[0], Args([element]), node, ctx)], mutable=False, exact=False
                    )
                return Sequence([self.element(args.positional[1], node)], mutable=False, exact=False)
            return UNKNOWN
        if name in ("min", "max", "next", "iter"):
            if first is None:
                return UNKNOWN
            if name in ("min", "max") and len(args.positional) > 1:
                return join(*args.positional)
            return self.element(first, node) if name != "iter" else first
        if name in (
            "print",
            "exec",
            "eval",
            "delattr",
            "breakpoint",
            "input",
            "open",
            "vars",
            "globals",
            "locals",
            "format",
            "repr",
            "hash",
            "id",
            "type",
            "callable",
            "any",
            "all",
            "abs",
            "round",
            "divmod",
            "pow",
            "chr",
            "ord",
            "bin",
            "hex",
            "oct",
            "ascii",
        ):
            self.escape(args)
            return NONE if name == "print" else UNKNOWN
        if name in ("int", "float", "str", "bool", "complex", "bytes"):
            if isinstance(first, Const):
                convert: Callable[[Any], object] = {"int": int, "float": float, "str": str, "bool": bool}.get(name, str)
                try:
                    return Const(convert(first.value))
                except (TypeError, ValueError, OverflowError):
                    return UNKNOWN
            return UNKNOWN
        if name == "property" and first is not None:
            if isinstance(first, Function):
                first.decorated = (*first.decorated, "property")
            return first
        if name in ("staticmethod", "classmethod") and first is not None:
            return first
        if name == "object":
            return UNKNOWN
        self.escape(args)
        return UNKNOWN


# --- small values the interpreter needs ---------------------------------------------------------------


class SliceValue(Value):
    __slots__ = ("bounds",)

    def __init__(self, bounds: list[Value]) -> None:
        self.bounds = bounds


class RangeValue(Value):
    __slots__ = ("bounds", "length")

    def __init__(self, bounds: list[int | None]) -> None:
        self.bounds = bounds
        self.length: int | None = None
        if bounds and all(isinstance(b, int) for b in bounds):
            try:
                self.length = len(range(*bounds))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                self.length = None

    def items(self) -> list[int]:
        return list(range(*self.bounds))  # type: ignore[arg-type]


_ANY_KEY = object()  # a Mapping entry under a key the interpreter does not know

_BUILTIN_CONSTANTS: dict[str, Value] = {
    "None": NONE,
    "True": TRUE,
    "False": FALSE,
    "__debug__": TRUE,
    "NotImplemented": UNKNOWN,
    "Ellipsis": UNKNOWN,
}
BUILTINS = frozenset(
    {
        "super",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "reversed",
        "dict",
        "range",
        "enumerate",
        "zip",
        "len",
        "isinstance",
        "issubclass",
        "getattr",
        "setattr",
        "hasattr",
        "sum",
        "map",
        "filter",
        "min",
        "max",
        "next",
        "iter",
        "print",
        "exec",
        "eval",
        "delattr",
        "breakpoint",
        "input",
        "open",
        "vars",
        "globals",
        "locals",
        "format",
        "repr",
        "hash",
        "id",
        "type",
        "callable",
        "any",
        "all",
        "abs",
        "round",
        "divmod",
        "pow",
        "chr",
        "ord",
        "bin",
        "hex",
        "oct",
        "ascii",
        "int",
        "float",
        "str",
        "bool",
        "complex",
        "bytes",
        "property",
        "staticmethod",
        "classmethod",
        "object",
        "Exception",
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "RuntimeError",
        "NotImplementedError",
        "AttributeError",
        "ImportError",
        "StopIteration",
        "AssertionError",
        "OSError",
        "IOError",
        "ZeroDivisionError",
        "slice",
        "memoryview",
        "bytearray",
    }
)


def _literal_list(value: Value) -> cst.CSTNode | None:
    """The ``[...]`` / ``(...)`` written in the code that a sequence was made from."""
    if isinstance(value, Sequence) and isinstance(value.node, (cst.List, cst.Tuple)):
        return value.node
    return None


def _signature(args: Args) -> tuple[object, ...]:
    """What a call's arguments look like, for telling a repeat of a call from a call that may differ."""
    return (
        tuple(_shape(v) for v in args.positional),
        tuple(sorted((k, _shape(v)) for k, v in args.keywords.items())),
        args.unknown_star,
    )


def _shape(value: Value, depth: int = 0) -> object:
    if isinstance(value, Const):
        return ("c", value.value) if _hashable(value.value) else "c"
    if isinstance(value, OneOf):
        return ("o", tuple(_shape(o, depth + 1) for o in value.options)) if depth < 2 else "o"
    if isinstance(value, Sequence):
        if depth < 2 and len(value.items) <= 8:
            return ("s", value.exact, tuple(_shape(i, depth + 1) for i in value.items))
        return ("s", len(value.items))
    if isinstance(value, Mapping):
        if depth < 2 and len(value.entries) <= 8:
            return ("d", tuple(sorted((str(k), _shape(v, depth + 1)) for k, v in value.entries.items())))
        return ("d", len(value.entries))
    kind = type(value).__name__
    if kind in ("Tensor", "Unknown", "VarSetMember"):
        return kind  # the data flowing through: alike for every call
    if kind == "Regularizer":
        return (kind, getattr(value, "kind", ""), getattr(value, "zero", False))
    return (kind, id(value))


def _shift(nodes: dict[object, cst.CSTNode], by: int = 1) -> dict[object, cst.CSTNode]:
    return {(k + by if isinstance(k, int) else k): v for k, v in nodes.items() if not isinstance(k, int) or k + by >= 0}


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


# Calls that test a name (``v.name.endswith("bias:0")``, ``re.search("bias", v.name)``).
_TEST_METHODS = frozenset({"endswith", "startswith", "match", "search", "fullmatch"})


def _is_test(node: cst.BaseExpression) -> bool:
    """An expression a flag is bound to: a comparison, ``and`` / ``or`` / ``not``, a name test."""
    if isinstance(node, (cst.Comparison, cst.BooleanOperation)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.operator, cst.Not)
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _TEST_METHODS


def _flag(test: cst.BaseExpression) -> tuple[str, bool] | None:
    """``params.use_bn`` -> ("params.use_bn", True); ``not use_bn`` -> ("use_bn", False): a test that is
    only a (dotted) name, whose value the code does not show, read the same wherever it is written."""
    value = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, value = test.expression, not value
    parts: list[str] = []
    node: cst.BaseExpression = test
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name) or (not parts and node.value in ("True", "False", "None")):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts)), value


def _guard_test(statement: cst.CSTNode) -> cst.BaseExpression | None:
    """The test of ``if test: continue`` (or ``break`` / ``return`` / ``raise``): an ``if`` without
    ``else`` whose block always leaves."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return None
    body = statement.body
    last = body.body[-1] if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) and body.body else None
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        last = last.body[-1]
    return statement.test if isinstance(last, (cst.Continue, cst.Break, cst.Return, cst.Raise)) else None


def _truth(value: Value) -> bool | None:
    """The truth of a value when the interpreter knows it."""
    if isinstance(value, Const):
        try:
            return bool(value.value) if value is not FORMATTED else None
        except Exception:
            return None
    if isinstance(value, OneOf):
        truths = {_truth(o) for o in value.options}
        return truths.pop() if len(truths) == 1 else None
    if isinstance(value, (Function, ClassValue, BoundMethod, Instance, ModuleValue)):
        if isinstance(value, Instance) and (value.cls.lookup("__bool__") or value.cls.lookup("__len__")):
            return None
        return True
    if isinstance(value, Sequence) and value.exact:
        return bool(value.items)
    return None


def _compare(operator: cst.BaseCompOp, left: Value, right: Value) -> bool | None:
    if isinstance(operator, (cst.Is, cst.IsNot)):
        same: bool | None
        if isinstance(left, Const) and isinstance(right, Const):
            same = left.value is right.value or (
                (left.value is None) == (right.value is None) and left.value == right.value
            )
        elif (
            isinstance(right, Const)
            and right.value is None
            and left is not UNKNOWN
            and not isinstance(left, (OneOf, Const))
        ):
            same = False
        else:
            same = None
        if same is None:
            return None
        return same if isinstance(operator, cst.Is) else not same
    if not (isinstance(left, Const) and isinstance(right, Const)) or left is FORMATTED or right is FORMATTED:
        if (
            isinstance(operator, (cst.In, cst.NotIn))
            and isinstance(left, Const)
            and isinstance(right, Sequence)
            and right.exact
        ):
            if all(isinstance(i, Const) for i in right.items):
                found = any(i == left for i in right.items)
                return found if isinstance(operator, cst.In) else not found
        return None
    a, b = left.value, right.value
    try:
        if isinstance(operator, cst.Equal):
            return bool(a == b)
        if isinstance(operator, cst.NotEqual):
            return bool(a != b)
        if isinstance(operator, cst.LessThan):
            return bool(a < b)  # type: ignore[operator]
        if isinstance(operator, cst.LessThanEqual):
            return bool(a <= b)  # type: ignore[operator]
        if isinstance(operator, cst.GreaterThan):
            return bool(a > b)  # type: ignore[operator]
        if isinstance(operator, cst.GreaterThanEqual):
            return bool(a >= b)  # type: ignore[operator]
        if isinstance(operator, cst.In):
            return bool(a in b)  # type: ignore[operator]
        if isinstance(operator, cst.NotIn):
            return bool(a not in b)  # type: ignore[operator]
    except TypeError:
        return None
    return None


_AUG_TO_BINARY: dict[type, type] = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.FloorDivideAssign: cst.FloorDivide,
    cst.ModuloAssign: cst.Modulo,
    cst.PowerAssign: cst.Power,
    cst.MatrixMultiplyAssign: cst.MatrixMultiply,
    cst.BitAndAssign: cst.BitAnd,
    cst.BitOrAssign: cst.BitOr,
    cst.BitXorAssign: cst.BitXor,
    cst.LeftShiftAssign: cst.LeftShift,
    cst.RightShiftAssign: cst.RightShift,
}


def _fold(operator: type | None, left: Const, right: Const) -> Value:
    a, b = left.value, right.value
    try:
        if operator is cst.Add:
            return Const(a + b)  # type: ignore[operator]
        if operator is cst.Subtract:
            return Const(a - b)  # type: ignore[operator]
        if operator is cst.Multiply:
            if isinstance(a, str) or isinstance(b, str):
                return UNKNOWN
            return Const(a * b)  # type: ignore[operator]
        if operator is cst.Divide:
            return Const(a / b)  # type: ignore[operator]
        if operator is cst.FloorDivide:
            return Const(a // b)  # type: ignore[operator]
        if operator is cst.Power:
            if isinstance(b, (int, float)) and abs(b) > 64:
                return UNKNOWN
            return Const(a**b)  # type: ignore[operator]
        if operator is cst.Modulo:
            if isinstance(a, str):
                return FORMATTED
            return Const(a % b)  # type: ignore[operator]
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return UNKNOWN
    return UNKNOWN


def _has_yield(body: cst.CSTNode) -> bool:
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Yield):
            return True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and node is not body:
            continue
        stack.extend(field_children(node))  # the fields: libcst's `children` runs a visitor per node
    return False


_STATEMENTS: dict[type, Callable[[Interpreter, Any, Context], None]] = {
    cst.SimpleStatementLine: Interpreter._simple_line,
    cst.Expr: Interpreter._expr,
    cst.Assign: Interpreter._assign,
    cst.AnnAssign: Interpreter._ann_assign,
    cst.AugAssign: Interpreter._aug_assign,
    cst.Return: Interpreter._return,
    cst.Raise: Interpreter._raise,
    cst.Break: Interpreter._break,
    cst.Continue: Interpreter._continue,
    cst.Assert: Interpreter._assert,
    cst.Del: Interpreter._del,
    cst.Global: Interpreter._global,
    cst.Nonlocal: Interpreter._nonlocal,
    cst.Import: Interpreter._import,
    cst.ImportFrom: Interpreter._import_from,
    cst.If: Interpreter._if,
    cst.For: Interpreter._for,
    cst.While: Interpreter._while,
    cst.Try: Interpreter._try,
    cst.With: Interpreter._with,
    cst.Match: Interpreter._match,
    cst.FunctionDef: Interpreter._function_def,
    cst.ClassDef: Interpreter._class_def,
}
if hasattr(cst, "TryStar"):
    _STATEMENTS[cst.TryStar] = Interpreter._try

_EXPRESSIONS: dict[type, Callable[[Interpreter, Any, Context], Value]] = {
    cst.Name: Interpreter._name,
    cst.Attribute: Interpreter._attribute,
    cst.Subscript: Interpreter._subscript,
    cst.Call: Interpreter._call,
    cst.BinaryOperation: Interpreter._binary,
    cst.UnaryOperation: Interpreter._unary,
    cst.BooleanOperation: Interpreter._boolean,
    cst.Comparison: Interpreter._comparison,
    cst.IfExp: Interpreter._if_exp,
    cst.Lambda: Interpreter._lambda,
    cst.NamedExpr: Interpreter._named_expr,
    cst.Await: Interpreter._await,
    cst.Yield: Interpreter._yield,
    cst.Integer: Interpreter._integer,
    cst.Float: Interpreter._float,
    cst.SimpleString: Interpreter._string,
    cst.ConcatenatedString: Interpreter._concatenated,
    cst.FormattedString: Interpreter._formatted,
    cst.List: Interpreter._sequence_literal,
    cst.Tuple: Interpreter._sequence_literal,
    cst.Set: Interpreter._sequence_literal,
    cst.Dict: Interpreter._dict_literal,
    cst.ListComp: Interpreter._comprehension,
    cst.SetComp: Interpreter._comprehension,
    cst.GeneratorExp: Interpreter._comprehension,
    cst.DictComp: Interpreter._comprehension,
}
