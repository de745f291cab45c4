"""The coverage view: per trained model or graph, what each weight's penalty is, read from the program model.

One table per unit the rules judge (``regcheck.facts.program.coverage``): a training step (the
variables its loss is differentiated for), or, where no step is in view, a Keras model, a TF1 graph,
or layers wired outside a model. Each row is one variable: its role, the penalties that reach it
(kind and coefficient, and where each is written), its status, and the line that makes it; then the
optimizer that trains the unit and its weight decay.

``regcheck coverage PATH`` prints it (text, or JSON that ``schemas/coverage.schema.json`` describes),
the language server shows a layer's rows on hover, and ``regcheck trace --coverage`` prints the
graph path's measured table with the same columns and words (regcheck.report.columns), so the static
view can be held against the measured one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program.coverage import Cover, Unit, units
from regcheck.facts.program.optimization import (
    ADAMW_DEFAULT_DECAY,
    decay_argument,
    decouples,
    is_keras,
    short_name,
    switched_off,
)
from regcheck.facts.program.result import Program
from regcheck.facts.program.values import (
    UNKNOWN,
    Const,
    Optimizer,
    Regularizer,
    SiteRef,
    Term,
    Value,
    Variable,
    alternatives,
)
from regcheck.facts.roles import Role
from regcheck.report.columns import render_columns

SCHEMA_VERSION = 1
# The words both coverage tables use (the graph path's regcheck.graph.roles names them the same way).
ROLES = {Role.WEIGHT: "kernel", Role.BIAS: "bias", Role.NORM: "norm", Role.EMBEDDING: "embedding"}
STATUSES = ("penalized", "unpenalized", "declared, not in the loss", "off (coefficient 0)", "unknown")
# Keras's AdamW (Keras 3, and tf.keras since 2.11) decays weights by this much unless told otherwise.
_MODEL_KINDS = {
    "sequential": "Sequential model",
    "functional": "functional Model",
    "subclass": "Model subclass",
    "library": "library model",
}
_STEP_KINDS = {
    "minimize": "minimize",
    "compute_gradients": "compute_gradients",
    "gradients": "tf.gradients",
    "tape": "GradientTape",
    "fit": "fit",
    "train_step": "train_step",
}


class Where(Protocol):
    """A place in a unit (regcheck.run.programs.Location): a file's line, or a notebook cell's line."""

    @property
    def path(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def cell(self) -> int | None: ...


# Turns a program site into a place in its unit (regcheck.run.programs.Located); None: not known.
Locate = Callable[[SiteRef | None], "Where | None"]


@dataclass(frozen=True)
class Place:
    path: str
    line: int
    cell: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:cell {self.cell}:{self.line}" if self.cell is not None else f"{self.path}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "cell": self.cell}


@dataclass(frozen=True)
class Penalty:
    """One penalty that reaches a variable: ``l2`` x ``0.01``, written at ``place``."""

    kind: str  # "l2", "l1", "norm", "regularizer", "other"
    coefficient: float | None  # None: not known (or 1)
    state: str  # "active", "zero", "unknown"
    how: str  # "term" (written into the loss), "collection", "model" (model.losses), "declared"
    place: Place | None

    def describe(self) -> str:
        """As the graph path's table says it: ``l2 x0.01``."""
        return self.kind if self.coefficient is None else f"{self.kind} x{self.coefficient:g}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "coefficient": self.coefficient,
            "state": self.state,
            "how": self.how,
            "place": self.place.to_json() if self.place else None,
        }


@dataclass(frozen=True)
class Row:
    variable: str
    role: str  # ROLES' words, or "other"
    penalties: tuple[Penalty, ...]
    status: str  # one of STATUSES
    place: Place | None  # where the variable (or its layer) is made
    layer: str | None = None  # the layer class that makes it

    @property
    def penalty(self) -> str:
        return " + ".join(p.describe() for p in self.penalties) or "-"

    def to_json(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "role": self.role,
            "layer": self.layer,
            "penalty": self.penalty,
            "penalties": [p.to_json() for p in self.penalties],
            "status": self.status,
            "place": self.place.to_json() if self.place else None,
        }


@dataclass(frozen=True)
class OptimizerRow:
    name: str  # "AdamW", "GradientDescentOptimizer", "adam" (a compile string)
    weight_decay: float | None  # the decoupled decay it applies; None: none, or not known
    decay: str  # what that means, in words
    place: Place | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight_decay": self.weight_decay,
            "decay": self.decay,
            "place": self.place.to_json() if self.place else None,
        }


@dataclass
class Table:
    kind: str  # "step", "model", "graph", "layers"
    title: str
    place: Place | None
    rows: list[Row]
    optimizers: list[OptimizerRow] = field(default_factory=list)
    opaque: bool = False  # the loss adds terms the program model cannot read: they may penalize more
    keys: frozenset[tuple[object, ...]] = frozenset()  # its variables, as sites (to drop duplicates)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "place": self.place.to_json() if self.place else None,
            "opaque": self.opaque,
            "rows": [row.to_json() for row in self.rows],
            "optimizers": [o.to_json() for o in self.optimizers],
        }


# --- building the tables ----------------------------------------------------------------------------


def tables(programs: Iterable[tuple[ModuleFacts, Program]], locate: Locate) -> list[Table]:
    """One table per unit of every program, each unit once: a model or graph that another module's
    training step trains is shown with that step, not again where it is built."""
    found: list[Table] = []
    for _facts, prog in programs:
        found.extend(unit_table(unit, locate) for unit in units(prog) if unit.variables)
    stepped = frozenset().union(*(t.keys for t in found if t.kind == "step"))
    kept: list[Table] = []
    seen: set[frozenset[tuple[object, ...]]] = set()
    for table in sorted(found, key=lambda t: t.kind != "step"):  # steps first: they win a tie
        if table.keys in seen or (table.kind != "step" and table.keys <= stepped):
            continue
        seen.add(table.keys)
        kept.append(table)
    order = {id(t): i for i, t in enumerate(found)}
    return sorted(kept, key=lambda t: order[id(t)])


def unit_table(unit: Unit, locate: Locate) -> Table:
    rows = [_row(unit, variable, locate) for variable in unit.variables]
    place = _unit_place(unit, locate)
    return Table(
        unit.kind,
        _title(unit, place, locate),
        place,
        rows,
        _optimizers(unit, locate),
        unit.opaque,
        frozenset(_key(v) for v in unit.variables),
    )


def _place(where: Where | None) -> Place | None:
    return Place(where.path, where.line, where.cell) if where is not None else None


def _key(variable: Variable) -> tuple[object, ...]:
    site = variable.site
    span = site.facts.span(site.node)
    return (site.facts.path, span.line, span.column, variable.slot, variable.symbol or variable.name)


def _row(unit: Unit, variable: Variable, locate: Locate) -> Row:
    covers = unit.covers.get(variable, [])
    layer = variable.layer
    return Row(
        _label(variable),
        ROLES.get(variable.role, "other"),
        _penalties(covers, locate),
        _status(unit, variable, covers),
        _place(locate(variable.site)),
        layer.cls if layer is not None else None,
    )


def _label(variable: Variable) -> str:
    """``w_hidden``, ``weights["h1"]``; a layer's variable as ``Dense.kernel`` (its ``name=`` when given)."""
    layer = variable.layer
    if layer is None:
        return variable.symbol or variable.name or "variable"
    name = layer.keywords.get("name")
    owner = name.value if isinstance(name, Const) and isinstance(name.value, str) else layer.cls
    base = f"{owner}.{variable.slot or 'weight'}"
    symbol = variable.symbol
    return f"{symbol} ({base})" if symbol and symbol not in (variable.slot, layer.cls) else base


def _penalties(covers: list[Cover], locate: Locate) -> tuple[Penalty, ...]:
    """Each distinct penalty once (a layer's regularizer is both declared and in ``model.losses``): the
    route that reaches the loss is kept over ``declared``."""
    found: dict[int, Penalty] = {}
    for cover in covers:
        source: object = cover.term if cover.term is not None else cover.regularizer
        for kind, coefficient in _kinds(cover):
            penalty = Penalty(kind, coefficient, cover.state, cover.how, _place(locate(cover.site)))
            key = hash((id(source), kind, coefficient))
            if key not in found or found[key].how == "declared":
                found[key] = penalty
    return tuple(found.values())


def _kinds(cover: Cover) -> list[tuple[str, float | None]]:
    if cover.term is not None:
        return [_term_kind(cover.term)]
    options = [o for o in alternatives(cover.regularizer) if o is not UNKNOWN] if cover.regularizer else []
    kinds = [(o.kind, o.coefficient) for o in options if isinstance(o, Regularizer) and o.kind != "constraint"]
    return kinds or [("regularizer", None)]


def _term_kind(term: Term) -> tuple[str, float | None]:
    """A penalty written into the loss: ``tf.nn.l2_loss`` ("l2"), a regularizer applied (its kind), scaled."""
    kind = term.penalty or "other"
    if kind == "regularizer" and term.regularizer is not None:
        kind = term.regularizer.kind
    return kind, 0.0 if term.zero else term.coefficient


def _status(unit: Unit, variable: Variable, covers: list[Cover]) -> str:
    state = unit.state(variable)
    if state == "active":
        reaching = [c for c in covers if c.state == "active" and c.how != "declared"]
        if unit.kind == "step" and not reaching:
            return "declared, not in the loss"  # RC201 / RC202's business: the loss leaves it out
        return "penalized"
    if state == "zero":
        return "off (coefficient 0)"
    if state == "unknown":
        return "unknown"
    return "unpenalized"


def _unit_place(unit: Unit, locate: Locate) -> Place | None:
    if unit.step is not None:
        return _place(locate(unit.step.site))
    if unit.model is not None:
        return _place(locate(unit.model.site))
    if unit.graph is not None and unit.graph.site is not None:
        return _place(locate(unit.graph.site))
    return next((p for p in (_place(locate(v.site)) for v in unit.variables) if p is not None), None)


def _title(unit: Unit, place: Place | None, locate: Locate) -> str:
    where = f"{place}: " if place is not None else ""
    model = unit.model
    built = _place(locate(model.site)) if model is not None else None
    at = f"line {built.line}" if built and place and (built.path, built.cell) == (place.path, place.cell) else built
    what = f"the {_MODEL_KINDS.get(model.kind, model.kind)} built at {at}" if model is not None and built else None
    if unit.kind == "step" and unit.step is not None:
        step = _STEP_KINDS.get(unit.step.kind, unit.step.kind)
        trains = what or ("a Keras model" if unit.keras else "a TF1 graph")
        elsewhere = {p.path for p in (_place(locate(v.site)) for v in unit.variables) if p is not None}
        if what is None and place is not None and len(elsewhere) == 1 and place.path not in elsewhere:
            trains += f" built in {elsewhere.pop()}"  # a builder imported from another module
        return f"{where}training step ({step}) of {trains}"
    if unit.kind == "model":
        kind = _MODEL_KINDS.get(model.kind, model.kind) if model else "Keras model"
        return f"{where}{kind[0].upper()}{kind[1:]}, not trained in view"
    if unit.kind == "graph":
        return f"{where}TF1 graph, not trained in view"
    return f"{where}Keras layers outside a model, not trained in view"


def _optimizers(unit: Unit, locate: Locate) -> list[OptimizerRow]:
    value: Value | None = None
    if unit.step is not None:
        value = unit.step.optimizer
    if value is None and unit.model is not None:
        value = unit.model.optimizer
    if value is None:
        return []
    fallback = _place(locate(unit.model.compiled)) if unit.model is not None else None
    return [
        _optimizer(option, _place(locate(option.site)) or fallback)
        for option in alternatives(value)
        if isinstance(option, Optimizer)
    ]


def _optimizer(optimizer: Optimizer, place: Place | None) -> OptimizerRow:
    name = short_name(optimizer)
    decay = decay_argument(optimizer)
    if decay is None:
        if name.lower() == "adamw" and is_keras(optimizer):
            return OptimizerRow(
                name, ADAMW_DEFAULT_DECAY, f"weight decay {ADAMW_DEFAULT_DECAY:g} (AdamW's default)", place
            )
        return OptimizerRow(
            name, None, "weight decay (not known)" if decouples(optimizer) else "no weight decay", place
        )
    if switched_off(decay):
        return OptimizerRow(name, None, "no weight decay (weight_decay switched off)", place)
    values = [o.value for o in alternatives(decay) if isinstance(o, Const)]
    if len(values) == 1 and isinstance(values[0], (int, float)) and not isinstance(values[0], bool):
        return OptimizerRow(name, float(values[0]), f"weight decay {values[0]:g}", place)
    return OptimizerRow(name, None, "weight decay (not known statically)", place)


# --- text and JSON ------------------------------------------------------------------------------------


HEADERS = ("variable", "role", "penalty", "status", "line")


def render_table(table: Table) -> str:
    """One unit: its title, the variables, the optimizer and its decay."""
    rows = [
        (
            row.variable,
            row.role,
            row.penalty,
            row.status,
            _line_of(row.place, table.place),
        )
        for row in table.rows
    ]
    out = [table.title, render_columns(HEADERS, rows).rstrip("\n")]
    if table.opaque:
        out.append("note: the loss also adds terms regcheck cannot read; they may penalize more than shown")
    for optimizer in table.optimizers:
        where = f" ({optimizer.place})" if optimizer.place is not None else ""
        out.append(f"optimizer: {optimizer.name}{where}, {optimizer.decay}")
    if not table.optimizers and table.kind == "step":
        out.append("optimizer: not known")
    return "\n".join(out) + "\n"


def _line_of(place: Place | None, unit: Place | None) -> str:
    """The row's line; with its file (or cell) when that is not the unit's."""
    if place is None:
        return "?"
    if unit is not None and (place.path, place.cell) == (unit.path, unit.cell):
        return str(place.line)
    if unit is not None and place.path == unit.path and place.cell is not None:
        return f"cell {place.cell}:{place.line}"
    return str(place)


def render_markdown(table: Table, rows: list[Row], root: str | None = None) -> str:
    """Some rows of a table as Markdown, for the editor's hover on the line that makes them."""

    def short(text: str) -> str:
        return text.replace(f"{root.rstrip('/')}/", "") if root else text

    lines = [
        f"**regcheck coverage**: {short(table.title)}",
        "",
        "| variable | role | penalty | status |",
        "| --- | --- | --- | --- |",
        *(f"| `{row.variable}` | {row.role} | {row.penalty} | {row.status} |" for row in rows),
    ]
    if table.opaque:
        lines += ["", "The loss also adds terms regcheck cannot read; they may penalize more than shown."]
    for optimizer in table.optimizers:
        lines += ["", f"Optimizer: `{optimizer.name}`, {optimizer.decay}."]
    return "\n".join(lines) + "\n"


def render_text(found: list[Table]) -> str:
    if not found:
        return "No model, graph or training step found.\n"
    return "\n".join(render_table(table) for table in found)


def to_json(found: list[Table], files: int) -> dict[str, Any]:
    """The document ``schemas/coverage.schema.json`` describes."""
    return {
        "version": SCHEMA_VERSION,
        "tables": [table.to_json() for table in found],
        "summary": {"files": files, "tables": len(found), "variables": sum(len(t.rows) for t in found)},
    }
