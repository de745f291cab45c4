"""The values of the program model: what model-building code computes, abstracted.

A value is either plain Python (constants, containers, functions, classes,
instances), a reference into an API the interpreter does not read (TensorFlow,
Keras, numpy: :class:`ApiRef`), or one of the objects regularization is about:
TF1 graphs, variables, tensors (with the additive terms a loss is made of),
regularizers, Keras layers and models, optimizers, gradient tapes.

Objects that the code creates (variables, layers, models, graphs ...) are
:class:`Site` values: they remember the call that created them and the chain
of calls that led there, so a finding points at the line a user wrote and a
rule can tell one call of a helper from another.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from regcheck.facts.roles import Role

if TYPE_CHECKING:
    from regcheck.facts.module import ModuleFacts
    from regcheck.facts.program.frames import Frame

# At most this many alternatives are kept for one value; more become UNKNOWN.
MAX_ALTERNATIVES = 6

_ids = itertools.count(1)


class Value:
    """Base of every abstract value. Values compare by identity unless they say otherwise."""

    __slots__ = ()

    def describe(self) -> str:
        return type(self).__name__


class Unknown(Value):
    """Anything: a value the interpreter cannot see (a parameter with no call site, a library result)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


class Const(Value):
    """A Python literal: int, float, str, bool, None, or a tuple of those."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Const) and type(other.value) is type(self.value) and other.value == self.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


NONE = Const(None)
# A string formatted at run time (an f-string, "w%d" % i whose parts are not all known): a string, but
# no text to read a name from.
FORMATTED = Const("<formatted>")
TRUE = Const(True)
FALSE = Const(False)


class OneOf(Value):
    """One of a few values: what a name holds after an ``if`` whose branches bound it differently."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[Value, ...]) -> None:
        self.options = options

    def __repr__(self) -> str:
        return f"OneOf{self.options!r}"


def join(*values: Value) -> Value:
    """The value that may be any of ``values`` (flattened, deduplicated, capped)."""
    if len(values) == 1 and not isinstance(values[0], OneOf):
        return values[0]
    options: list[Value] = []
    seen: set[object] = set()
    for value in values:
        for option in value.options if isinstance(value, OneOf) else (value,):
            key = (
                (type(option.value), option.value)
                if isinstance(option, Const) and _hashable(option.value)
                else id(option)
            )
            if key in seen:
                continue
            seen.add(key)
            options.append(option)
            if len(options) > MAX_ALTERNATIVES:
                return UNKNOWN
    if not options:
        return UNKNOWN
    if len(options) == 1:
        return options[0]
    return OneOf(tuple(options))


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def alternatives(value: Value) -> tuple[Value, ...]:
    return value.options if isinstance(value, OneOf) else (value,)


# --- references to code the interpreter does not read ---------------------------------


class ApiRef(Value):
    """A name from a library: ``tensorflow.keras.layers.Dense``, ``numpy.eye``. ``canonical`` is the
    TF/Keras spelling (facts.vocabulary), None for other libraries."""

    __slots__ = ("canonical", "qualified")

    def __init__(self, qualified: str, canonical: str | None) -> None:
        self.qualified = qualified
        self.canonical = canonical

    def __repr__(self) -> str:
        return f"ApiRef({self.qualified})"


class ApiObject(Value):
    """An object a library call returned that regularization does not care about (a Saver, a
    dataset, a session): its methods return unknown values."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"ApiObject({self.kind})"


# --- plain Python ----------------------------------------------------------------------


class Sequence(Value):
    """A list or tuple. ``exact`` is False when the items are what it may hold, not its contents
    (a list appended to in a loop the interpreter did not unroll)."""

    __slots__ = ("exact", "items", "mutable", "node")

    def __init__(
        self, items: list[Value], *, mutable: bool, exact: bool = True, node: cst.CSTNode | None = None
    ) -> None:
        self.items = items
        self.mutable = mutable
        self.exact = exact
        self.node = node

    def element(self) -> Value:
        return join(*self.items) if self.items else UNKNOWN

    def __repr__(self) -> str:
        kind = "List" if self.mutable else "Tuple"
        return f"{kind}({self.items!r}{'' if self.exact else ', inexact'})"


class Mapping(Value):
    """A dict with constant keys (``exact`` False: other keys may be there too)."""

    __slots__ = ("entries", "exact", "node", "nodes")

    def __init__(
        self,
        entries: dict[object, Value],
        *,
        exact: bool = True,
        node: cst.CSTNode | None = None,
        nodes: dict[object, cst.CSTNode] | None = None,
    ) -> None:
        self.entries = entries
        self.exact = exact
        self.node = node
        self.nodes: dict[object, cst.CSTNode] = nodes if nodes is not None else {}  # key -> where it was set

    def __repr__(self) -> str:
        return f"Mapping({self.entries!r})"


class Function(Value):
    """A function or lambda of the project, with the frame it closes over."""

    __slots__ = ("closure", "decorated", "defaults", "facts", "kw_defaults", "name", "node", "owner")

    def __init__(
        self,
        node: cst.FunctionDef | cst.Lambda,
        facts: ModuleFacts,
        closure: Frame,
        defaults: dict[str, Value],
        name: str,
        owner: ClassValue | None = None,
    ) -> None:
        self.node = node
        self.facts = facts
        self.closure = closure
        self.defaults = defaults
        self.kw_defaults = defaults
        self.name = name
        self.owner = owner
        self.decorated: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Function({self.name})"


class BoundMethod(Value):
    __slots__ = ("function", "receiver")

    def __init__(self, function: Function, receiver: Value) -> None:
        self.function = function
        self.receiver = receiver

    def __repr__(self) -> str:
        return f"BoundMethod({self.function.name})"


class Partial(Value):
    """``functools.partial(f, *args, **kwargs)``."""

    __slots__ = ("args", "func")

    def __init__(self, func: Value, args: Args) -> None:
        self.func = func
        self.args = args


@dataclass
class Args:
    """Evaluated call arguments, with the nodes they came from (for findings and fixes)."""

    positional: list[Value] = field(default_factory=list)
    keywords: dict[str, Value] = field(default_factory=dict)
    nodes: dict[object, cst.CSTNode] = field(default_factory=dict)  # position or keyword -> its node
    unknown_star: bool = False  # a `*x` / `**x` whose contents are not known

    def get(self, keyword: str, position: int | None = None) -> Value | None:
        if keyword in self.keywords:
            return self.keywords[keyword]
        if position is not None and position < len(self.positional):
            return self.positional[position]
        return None

    def node(self, keyword: str, position: int | None = None) -> cst.CSTNode | None:
        if keyword in self.keywords:
            return self.nodes.get(keyword)
        if position is not None and position < len(self.positional):
            return self.nodes.get(position)
        return None

    def given(self, keyword: str, position: int | None = None) -> bool:
        return self.get(keyword, position) is not None

    def values(self) -> Iterator[Value]:
        yield from self.positional
        yield from self.keywords.values()


class Builtin(Value):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Builtin({self.name})"


class ClassValue(Value):
    """A class of the project: its namespace and its bases (project classes or API classes)."""

    __slots__ = ("bases", "facts", "name", "namespace", "node")

    def __init__(self, node: cst.ClassDef, facts: ModuleFacts, name: str, bases: list[Value]) -> None:
        self.node = node
        self.facts = facts
        self.name = name
        self.bases = bases
        self.namespace: dict[str, Value] = {}

    def mro(self) -> Iterator[ClassValue]:
        seen: set[int] = set()
        stack: list[ClassValue] = [self]
        while stack:
            cls = stack.pop(0)
            if id(cls) in seen:
                continue
            seen.add(id(cls))
            yield cls
            stack.extend(b for b in cls.bases if isinstance(b, ClassValue))

    def lookup(self, name: str) -> Value | None:
        for cls in self.mro():
            if name in cls.namespace:
                return cls.namespace[name]
        return None

    def api_bases(self) -> list[str]:
        """The canonical names of the library classes it derives from (``keras.Model``)."""
        found: list[str] = []
        for cls in self.mro():
            for base in cls.bases:
                if isinstance(base, ApiRef) and base.canonical is not None:
                    found.append(base.canonical)
        return found

    def __repr__(self) -> str:
        return f"Class({self.name})"


class Instance(Value):
    """An instance of a project class. A Keras layer or model subclass also has a ``keras`` object
    (a :class:`Layer` or :class:`Model`) that holds what Keras does with it."""

    __slots__ = ("attrs", "cls", "keras", "site")

    def __init__(self, cls: ClassValue, site: SiteRef | None) -> None:
        self.cls = cls
        self.attrs: dict[str, Value] = {}
        self.keras: Layer | Model | None = None
        self.site = site

    def __repr__(self) -> str:
        return f"Instance({self.cls.name})"


class ModuleValue(Value):
    """A module of the project, with the names its top level binds."""

    __slots__ = ("facts", "loaded", "name", "namespace")

    def __init__(self, facts: ModuleFacts, name: str) -> None:
        self.facts = facts
        self.name = name
        self.namespace: dict[str, Value] = {}
        self.loaded = False

    def __repr__(self) -> str:
        return f"Module({self.name})"


# --- where objects come from ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SiteRef:
    """The call that created an object, in its module, and the calls that led there from the entry,
    outermost first (each a module and a call node)."""

    facts: ModuleFacts
    node: cst.CSTNode
    chain: tuple[tuple[ModuleFacts, cst.CSTNode], ...] = ()

    def via(self, facts: ModuleFacts) -> cst.CSTNode | None:
        """The outermost call in ``facts`` on the way to this object (None: built in ``facts`` itself,
        or reached from no call there)."""
        for chain_facts, node in self.chain:
            if chain_facts is facts:
                return node
        return None

    def modules_between(self, facts: ModuleFacts) -> list[ModuleFacts]:
        """The modules of the calls that lead here after ``facts``' last one, nearest the entry first,
        each once, neither ``facts`` nor this object's own module (a model module between a script
        and a layer helper)."""
        last = max((i for i, (chain_facts, _) in enumerate(self.chain) if chain_facts is facts), default=-1)
        found: dict[int, ModuleFacts] = {}
        for chain_facts, _ in self.chain[last + 1 :]:
            if chain_facts is not facts and chain_facts is not self.facts:
                found.setdefault(id(chain_facts), chain_facts)
        return list(found.values())

    def place_from(self, facts: ModuleFacts) -> str:
        """ "blocks.py, line 7": where it is, as a finding in ``facts`` names another module's line."""
        path = os.path.relpath(self.facts.path, os.path.dirname(facts.path) or ".")
        return f"{path}, line {self.facts.span(self.node).line}"

    def anchor(self, facts: ModuleFacts) -> cst.CSTNode | None:
        """Where a finding about this object goes in ``facts``: the object's own call when it is made
        there, else the call there that leads to it."""
        if self.facts is facts:
            return self.node
        return self.via(facts)


# --- TensorFlow / Keras objects ---------------------------------------------------------


class Graph(Value):
    """A TF1 graph: the default graph of an entry, ``tf.Graph()``, or one after ``reset_default_graph()``."""

    __slots__ = (
        "collections",
        "id",
        "keras_layers",
        "layers",
        "penalties",
        "registrations",
        "site",
        "update_assumptions",
        "update_ops",
        "variables",
    )

    def __init__(self, site: SiteRef | None) -> None:
        self.id = next(_ids)
        self.site = site
        self.variables: list[Variable] = []
        # Collections the code names itself (``tf.add_to_collection("losses", ...)``): what was added.
        self.collections: dict[str, list[Value]] = {}
        # REGULARIZATION_LOSSES: (the penalty, where it was registered)
        self.registrations: list[Registration] = []
        # batch norms that put moving-average updates in UPDATE_OPS, with the variables they normalize for
        self.update_ops: list[tuple[SiteRef, tuple[Variable, ...]]] = []
        # the flags each of those was made under (Semantics.assumptions), by id of its site
        self.update_assumptions: dict[int, Assumptions] = {}
        self.layers: list[Layer] = []
        self.penalties: list[Term] = []  # explicit penalty terms computed in this graph
        self.keras_layers: list[Layer] = []  # Keras layers built into it (their penalties skip the collection)

    def __repr__(self) -> str:
        return f"Graph#{self.id}"


@dataclass(frozen=True, eq=False)
class Declaration:
    """Where a regularizer is given to a variable: a ``*_regularizer=`` / ``regularizer=`` argument of the
    call that makes it, or the default of an enclosing ``variable_scope`` / ``slim.arg_scope``."""

    facts: ModuleFacts
    node: cst.CSTNode  # the argument (an Arg, or a dict entry a ``**kwargs`` came from)
    how: str  # "argument", "scope" (variable_scope), "arg_scope"
    call: cst.CSTNode | None  # the call the argument is passed to


@dataclass(eq=False)
class Registration:
    """A penalty put into REGULARIZATION_LOSSES: by ``get_variable(regularizer=)``, a layer's
    ``*_regularizer=``, a scope or arg_scope default, or ``add_to_collection``."""

    site: SiteRef
    variable: Variable | None
    regularizer: Value
    description: str


class Variable(Value):
    """A trainable parameter: a TF1 variable, or a Keras layer's kernel / bias / scale."""

    __slots__ = (
        "declared",
        "explicit",
        "graph",
        "id",
        "layer",
        "name",
        "regularizer",
        "role",
        "route",
        "scope_regularizer",
        "site",
        "slot",
        "symbol",
        "tf_names",
        "trainable",
    )

    def __init__(
        self,
        site: SiteRef,
        role: Role,
        *,
        slot: str = "",
        name: str | None = None,
        symbol: str | None = None,
        graph: Graph | None = None,
        trainable: bool = True,
        regularizer: Value = NONE,
        route: str = "none",
        layer: Layer | None = None,
    ) -> None:
        self.id = next(_ids)
        self.site = site
        self.role = role
        self.slot = slot  # "kernel", "bias", "norm", "embedding", "recurrent", "" (a plain variable)
        self.name = name
        self.symbol = symbol
        self.graph = graph
        self.trainable = trainable
        self.regularizer = regularizer  # the regularizer declared where it is created
        self.route = route  # where that penalty goes: "collection" (TF1), "model" (Keras), "none"
        self.layer = layer
        # What ``variable.name`` may be at run time (``"hidden/W:0"``; a Keras layer's ``"bias"`` in
        # Keras 3, ``"dense/bias:0"`` in Keras 2); empty when it cannot be told.
        self.tf_names: tuple[str, ...] = ()
        self.scope_regularizer: Value | None = None
        self.explicit = False  # created by the code itself (tf.Variable / get_variable), not by a layer
        self.declared: Declaration | None = None  # where its regularizer was given

    def __repr__(self) -> str:
        return f"Variable#{self.id}({self.symbol or self.name or self.slot}, {self.role.value})"


class VarSet(Value):
    """Every trainable variable of a graph or a model (``tf.trainable_variables()``,
    ``model.trainable_weights``), possibly filtered by name tests."""

    __slots__ = ("filters", "node", "owner", "part_only")

    def __init__(
        self,
        owner: Graph | Model | Layer | None,
        filters: tuple[cst.BaseExpression, ...] = (),
        part_only: bool = False,
        node: cst.CSTNode | None = None,
    ) -> None:
        self.owner = owner
        self.filters = filters
        self.part_only = part_only
        self.node = node

    def variables(self) -> list[Variable]:
        owner = self.owner
        if isinstance(owner, Graph):
            return [v for v in owner.variables if v.trainable]
        if isinstance(owner, (Model, Layer)):
            return [v for v in owner.all_variables() if v.trainable]
        return []

    def __repr__(self) -> str:
        return f"VarSet({self.owner!r}, {len(self.filters)} filters)"


class VarSetMember(Value):
    """One variable of a :class:`VarSet`, in a loop or comprehension over it."""

    __slots__ = ("varset",)

    def __init__(self, varset: VarSet) -> None:
        self.varset = varset


@dataclass(eq=False)
class Term:
    """One additive part of a tensor that may be a loss.

    kind:
    - "data": computed from inputs (a data loss, or anything mixed with data);
    - "penalty": a function of variables only (``0.01 * tf.nn.l2_loss(w)``, a regularizer applied);
    - "collection": the REGULARIZATION_LOSSES of ``graph``;
    - "model_losses": ``model.losses`` of ``model`` (its layers' penalties and ``add_loss``);
    - "opaque": a value from code the interpreter cannot read, added in: it may hold anything.
    """

    kind: str
    site: SiteRef | None = None
    covers: tuple[Variable, ...] = ()  # penalty: the variables it penalizes
    covers_all: VarSet | None = None  # penalty: every variable of a graph or model
    penalty: str = ""  # penalty: "l2", "l1", "norm", "regularizer", "other"
    coefficient: float | None = None  # the factor it is scaled by (None: unknown or 1)
    zero: bool = False  # scaled by zero: deliberately off
    graph: Graph | None = None
    model: Model | Layer | None = None
    tapes: frozenset[int] = frozenset()  # the tapes that recorded it being computed
    source_list: cst.CSTNode | None = None  # a hand-kept list of variables it loops over
    regularizer: Regularizer | None = None

    replica_scaled: bool = False  # divided by the replica count (tf.nn.scale_regularization_loss and the like)

    def scaled(self, factor: Value) -> Term:
        """This term multiplied by ``factor``."""
        number = factor.value if isinstance(factor, Const) and isinstance(factor.value, (int, float)) else None
        coefficient = self.coefficient
        if number is not None:
            coefficient = number if coefficient is None else coefficient * number
        return dataclasses.replace(
            self,
            coefficient=coefficient,
            zero=self.zero or is_zero(factor),
            replica_scaled=self.replica_scaled or isinstance(factor, ReplicaCount),
        )

    def taped(self, tapes: frozenset[int]) -> Term:
        """This term, recorded by these tapes too (an op on it ran while they were open)."""
        if not tapes or tapes <= self.tapes:
            return self
        return dataclasses.replace(self, tapes=self.tapes | tapes)


class ReplicaCount(Value):
    """``strategy.num_replicas_in_sync``: what spreads a per-replica value over the replicas."""

    __slots__ = ()


REPLICAS = ReplicaCount()


def is_zero(value: Value) -> bool:
    """The value is (or may be) a literal zero: a coefficient that switches a penalty off."""
    return any(isinstance(v, Const) and v.value == 0 and not isinstance(v.value, bool) for v in alternatives(value))


class Tensor(Value):
    """A tensor: what it is computed from (variables read, data or not), the additive terms it is a
    sum of, the kernels it last went through (to tell which layers feed which), and the tapes that
    recorded the op that made it."""

    __slots__ = ("data", "frontier", "graph", "node", "opaque_reads", "reads", "symbolic", "tapes", "terms")

    def __init__(
        self,
        terms: tuple[Term, ...] = (),
        reads: frozenset[Variable] = frozenset(),
        data: bool = False,
        frontier: frozenset[Variable] = frozenset(),
        tapes: frozenset[int] = frozenset(),
        graph: Graph | None = None,
        node: cst.CSTNode | None = None,
        opaque_reads: bool = False,
        symbolic: bool = False,
    ) -> None:
        self.terms = terms
        self.reads = reads
        self.data = data
        self.frontier = frontier
        self.tapes = tapes
        self.graph = graph
        self.node = node
        self.opaque_reads = opaque_reads  # reads weights of something the interpreter cannot see
        self.symbolic = symbolic  # a Keras symbolic tensor (functional API)

    def __repr__(self) -> str:
        kinds = ",".join(t.kind for t in self.terms)
        return f"Tensor([{kinds}], reads={len(self.reads)}, data={self.data})"


class Regularizer(Value):
    """A regularizer object or callable: ``l2(1e-4)``, ``"l2"``, ``tf.contrib.layers.l2_regularizer(s)``,
    a project function used as one. ``kind`` is "l2", "l1", "other"; ``zero`` when its coefficients
    are zero (deliberately off); ``known`` False when it depends on something the interpreter cannot see."""

    __slots__ = ("coefficient", "function", "kind", "known", "name", "site", "zero")

    def __init__(
        self,
        kind: str,
        *,
        coefficient: float | None = None,
        zero: bool = False,
        site: SiteRef | None = None,
        name: str = "",
        function: Function | None = None,
        known: bool = True,
    ) -> None:
        self.kind = kind
        self.coefficient = coefficient
        self.zero = zero
        self.site = site
        self.name = name
        self.function = function
        self.known = known

    def __repr__(self) -> str:
        return f"Regularizer({self.kind}{', zero' if self.zero else ''})"


class Layer(Value):
    """A layer object: a Keras layer (library class, or a project subclass through ``instance``),
    or a TF1 layer class (``tf.layers.Dense``). ``config`` holds the regularizer given per slot."""

    __slots__ = (
        "activation",
        "built",
        "calls",
        "cls",
        "config",
        "declarations",
        "graph",
        "id",
        "instance",
        "kernel_keyword",
        "keywords",
        "kind",
        "losses",
        "pretrained",
        "site",
        "symbol",
        "tf1",
        "units",
        "use_bias",
        "variables",
    )

    def __init__(self, site: SiteRef, cls: str, kind: str) -> None:
        self.id = next(_ids)
        self.site = site
        self.cls = cls
        self.kind = kind  # "kernel", "norm", "embedding", "weight" (custom), "other"
        self.config: dict[str, Value] = {}  # regularizer keyword -> value given
        self.variables: dict[str, Variable] = {}
        self.built = False
        self.use_bias: Value = TRUE
        self.instance: Instance | None = None
        self.losses: list[Term] = []  # add_loss penalties
        self.keywords: dict[str, Value] = {}
        self.graph: Graph | None = None
        self.tf1 = False  # a tf.layers / slim layer: its penalties go to REGULARIZATION_LOSSES
        self.calls = 0
        self.pretrained = False
        self.units: Value = UNKNOWN
        self.activation: Value = NONE
        self.declarations: dict[str, Declaration] = {}  # regularizer keyword -> where it was given
        self.symbol: str | None = None  # the name the code first binds it to
        self.kernel_keyword = "kernel_regularizer"  # how this layer's call spells its kernel regularizer

    def all_variables(self) -> list[Variable]:
        """Its own variables, then those of the layers it tracks, at any depth."""
        return [v for layer in reachable_layers(layers=[self]) for v in layer.variables.values()]

    def __repr__(self) -> str:
        return f"Layer#{self.id}({self.cls})"


class Model(Value):
    """A Keras model: ``Sequential``, functional ``Model(inputs, outputs)``, a subclass, or a library
    model (an application, ``load_model``) whose layers the interpreter cannot see (``opaque``)."""

    __slots__ = (
        "api",
        "built",
        "compiled",
        "id",
        "instance",
        "kind",
        "layers",
        "loss",
        "losses",
        "opaque",
        "optimizer",
        "outputs",
        "pretrained",
        "site",
    )

    def __init__(self, site: SiteRef, kind: str) -> None:
        self.id = next(_ids)
        self.site = site
        self.kind = kind  # "sequential", "functional", "subclass", "library"
        self.layers: list[Layer] = []
        self.outputs: list[Tensor] = []
        self.instance: Instance | None = None
        self.losses: list[Term] = []  # add_loss on the model itself
        self.optimizer: Value | None = None
        self.loss: Value | None = None
        self.compiled: SiteRef | None = None
        self.opaque = False
        self.pretrained = False
        self.built = False
        self.api = ""  # the library constructor of a library model

    def all_layers(self) -> list[Layer]:
        return reachable_layers(models=[self])

    def all_variables(self) -> list[Variable]:
        found: list[Variable] = []
        for layer in self.all_layers():
            found.extend(layer.variables.values())
        if self.instance is not None:
            found.extend(v for v in _attribute_values(self.instance) if isinstance(v, Variable))
        return list(dict.fromkeys(found))

    def __repr__(self) -> str:
        return f"Model#{self.id}({self.kind})"


def sublayers(instance: Instance) -> list[Layer]:
    """The layers a project class instance tracks in its attributes (directly, in lists, dicts, or
    in nested models and layers)."""
    return reachable_layers(instances=[instance])


def reachable_layers(
    layers: Iterable[Layer] = (), models: Iterable[Model] = (), instances: Iterable[Instance] = ()
) -> list[Layer]:
    """These layers, the layers of these models, and the layers their instances track, at any depth,
    each once, depth first in the order they are held. Models and instances may hold each other (a
    model keeping a reference to itself or to the model that holds it), so each is entered once."""
    found: list[Layer] = []
    entered: set[int] = set()
    # The work still to do, last first: ("layer" | "model" | "instance", object).
    todo: list[tuple[str, Value]] = [
        *(("instance", i) for i in reversed(list(instances))),
        *(("model", m) for m in reversed(list(models))),
        *(("layer", layer) for layer in reversed(list(layers))),
    ]
    while todo:
        kind, value = todo.pop()
        if id(value) in entered:
            continue
        entered.add(id(value))
        below: list[tuple[str, Value]] = []
        if kind == "layer":
            assert isinstance(value, Layer)
            found.append(value)
            if value.instance is not None:
                below.append(("instance", value.instance))
        elif kind == "model":
            assert isinstance(value, Model)
            below.extend(("layer", layer) for layer in value.layers)
            if value.instance is not None:
                below.append(("instance", value.instance))
        else:
            assert isinstance(value, Instance)
            for attribute in _attribute_values(value):
                if isinstance(attribute, Layer):
                    below.append(("layer", attribute))
                elif isinstance(attribute, Model):
                    below.append(("model", attribute))
                elif isinstance(attribute, Instance) and isinstance(attribute.keras, Layer):
                    below.append(("layer", attribute.keras))
                elif isinstance(attribute, Instance) and isinstance(attribute.keras, Model):
                    below.append(("model", attribute.keras))
        todo.extend(reversed(below))
    return found


def _attribute_values(instance: Instance) -> Iterator[Value]:
    seen: set[int] = set()
    stack: list[Value] = list(instance.attrs.values())
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, OneOf):
            stack.extend(value.options)
        elif isinstance(value, Sequence):
            stack.extend(value.items)
        elif isinstance(value, Mapping):
            stack.extend(value.entries.values())
        else:
            yield value


class Optimizer(Value):
    """An optimizer: ``tf.train.AdamOptimizer``, ``keras.optimizers.AdamW(weight_decay=...)``, a compile
    string, or a class made decoupled by ``tensorflow_addons``' ``extend_with_decoupled_weight_decay``."""

    __slots__ = (
        "arguments",
        "decoupled_class",
        "exclusions",
        "name",
        "node",
        "site",
        "unseen_updates",
        "updated_models",
    )

    def __init__(
        self,
        site: SiteRef | None,
        name: str,
        arguments: dict[str, Value],
        node: cst.CSTNode | None,
        *,
        decoupled_class: bool = False,
    ) -> None:
        self.site = site
        self.name = name  # canonical or qualified name, or the compile string ("adam")
        self.arguments = arguments
        self.node = node
        self.decoupled_class = decoupled_class  # made by extend_with_decoupled_weight_decay(...)
        # ``exclude_from_weight_decay(...)`` calls on it, and the ``decay_var_list=`` given to it, each
        # with where it is written.
        self.exclusions: list[tuple[SiteRef | None, Args]] = []
        self.unseen_updates = False  # applied to gradients and variables the program model cannot see
        # Models whose variables it updates with gradients the program model cannot see.
        self.updated_models: list[Model] = []

    def __repr__(self) -> str:
        return f"Optimizer({self.name})"


class Tape(Value):
    __slots__ = ("id", "open", "site", "with_node")

    def __init__(self, site: SiteRef) -> None:
        self.id = next(_ids)
        self.site = site
        self.open = False
        self.with_node: cst.With | None = None


class Gradients(Value):
    """What ``tape.gradient(loss, sources)`` / ``tf.gradients`` / ``compute_gradients`` returned."""

    __slots__ = ("step",)

    def __init__(self, step: TrainStep) -> None:
        self.step = step


class GradientPairs(Value):
    """``zip(grads, variables)``: gradient / variable pairs for ``apply_gradients``."""

    __slots__ = ("gradients",)

    def __init__(self, gradients: Gradients | None) -> None:
        self.gradients = gradients


class TrainOp(Value):
    """What ``minimize`` / ``apply_gradients`` returns in TF1 (an op to run)."""

    __slots__ = ("step",)

    def __init__(self, step: TrainStep) -> None:
        self.step = step


@dataclass(eq=False)
class TrainStep:
    """One place where training happens: a loss is differentiated and (usually) applied.

    kind: "minimize", "compute_gradients", "gradients" (tf.gradients), "tape", "fit", "train_step".
    """

    kind: str
    site: SiteRef
    loss: Value
    sources: Value = UNKNOWN  # var_list / the sources of the gradient
    optimizer: Value | None = None
    model: Model | None = None
    graph: Graph | None = None
    tape: Tape | None = None
    update_ops: bool = False  # runs under control_dependencies(UPDATE_OPS) (or an equivalent)
    applied: bool = False  # the gradients reach an optimizer
    replicas: bool = False  # inside a tf.distribute per-replica step
    train_step_override: Function | None = None
    compute_loss_override: Function | None = None
    function: Function | None = None  # the project function it is in
    dependents: list[TrainOp] = field(default_factory=list)
    assumptions: Assumptions = frozenset()  # the flags its branch was taken under


# Flags a branch was taken under: (the test's text, the value it had), `if params.use_bn:` ->
# ("params.use_bn", True) inside, ("params.use_bn", False) in its `else`.
Assumptions = frozenset[tuple[str, bool]]


def contradict(first: Assumptions, second: Assumptions) -> bool:
    """Were these taken under opposite values of one flag (they never happen in one run)?"""
    return any((flag, not value) in second for flag, value in first)


def tensor_terms(value: Value) -> tuple[Term, ...]:
    return value.terms if isinstance(value, Tensor) else ()


def flatten(values: Iterable[Value]) -> list[Value]:
    out: list[Value] = []
    for value in values:
        out.extend(alternatives(value))
    return out
