"""Weight gaps: units some of whose weights are penalized and others not (RC101, and RC106 for the head).

A unit (:mod:`regcheck.facts.program.coverage`) with no active penalty at all is
a consistent choice and has no gap; nor has one whose loss adds something the
program model cannot see. A layer's kernels (a separable conv has two) count as
one weight of the unit. Where the same line builds a weight that is penalized
from one call and not from another, the finding goes to the call that leads to
the unpenalized one; a weight built in another module whose own lint reports
it is not reported again at every importer.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.coverage import Cover, Unit, anchor_of, may_be_active, outputs, units
from regcheck.facts.program.values import Layer, SiteRef, Variable
from regcheck.facts.roles import Role, role_from_names

_KERNEL_SLOTS = ("kernel", "", "weight")


@dataclass(eq=False)
class Weight:
    """One weight of a unit: a variable, or a layer (all its kernels)."""

    variables: list[Variable]
    state: str  # "active", "zero", "unknown", "none"
    covers: list[Cover]

    @property
    def first(self) -> Variable:
        return self.variables[0]

    @property
    def layer(self) -> Layer | None:
        return self.first.layer

    @property
    def candidate(self) -> bool:
        """Can be reported as missing: a layer class's kernel or a variable the code creates; a custom
        layer's ``add_weight`` only when its name says it is a weight (others are often buffers: scales,
        quantization state, that nobody means to penalize)."""
        variable = self.first
        return variable.slot != "weight" or role_from_names(variable.name, variable.symbol) is Role.WEIGHT


@dataclass(eq=False)
class Missing:
    weight: Weight
    anchor: cst.CSTNode
    local: bool  # every call that builds it leaves it unpenalized (else the anchor is the call that does)


@dataclass(eq=False)
class Gap:
    unit: Unit
    active: list[Weight]
    missing: list[Missing]
    output_only: bool
    left_out: list[Weight]  # every weight left out, also those reported together at one place


def weight_gaps(facts: ModuleFacts) -> list[Gap]:
    return facts.cached("program_weight_gaps", _gaps)


def _weights(unit: Unit) -> list[Weight]:
    grouped: dict[object, list[Variable]] = {}
    for variable in unit.variables:
        if variable.role is not Role.WEIGHT or variable.slot not in _KERNEL_SLOTS or not variable.trainable:
            continue
        layer = variable.layer
        key: object = layer if layer is not None and variable.slot == "kernel" else variable
        grouped.setdefault(key, []).append(variable)
    weights = []
    for variables in grouped.values():
        covers = [c for v in variables for c in unit.covers.get(v, ())]
        states = {unit.state(v) for v in variables}
        state = next((s for s in ("active", "unknown", "zero") if s in states), "none")
        weights.append(Weight(variables, state, covers))
    return weights


def _penalizes(weight: Weight) -> bool:
    """Penalized, or penalized on the paths where a flag turns its regularizer on."""
    if weight.state == "active":
        return True
    return weight.state == "unknown" and any(may_be_active(c.regularizer) for c in weight.covers)


def _gaps(facts: ModuleFacts) -> list[Gap]:
    facts.derived["program_weight_gaps_busy"] = True  # two modules that import each other ask back
    try:
        return _find_gaps(facts)
    finally:
        facts.derived.pop("program_weight_gaps_busy", None)


def _find_gaps(facts: ModuleFacts) -> list[Gap]:
    prog = program(facts)
    # A layer given a keyword it does not apply is RC107's finding, not a weight left out.
    ignored = {id(layer) for layer, _keyword in prog.ignored_arguments}
    found: list[tuple[Unit, list[Weight], list[Weight]]] = []
    site_states: dict[cst.CSTNode, set[str]] = {}
    for unit in units(prog):
        weights = _weights(unit)
        for weight in weights:
            site_states.setdefault(weight.first.site.node, set()).add(weight.state)
            owner = _instance_site(weight)
            if owner is not None:
                site_states.setdefault(owner.node, set()).add(weight.state)
        active = [w for w in weights if _penalizes(w)]
        # A loss that adds something unseen may penalize a plain variable; a layer's or
        # get_variable's penalty is what it declares.
        missing = [
            w
            for w in weights
            if w.state == "none"
            and w.candidate
            and not (unit.opaque and w.first.route == "none")
            and id(w.layer) not in ignored
        ]
        if active and missing:
            found.append((unit, weights, missing))
    gaps: list[Gap] = []
    seen: set[cst.CSTNode] = set()
    for unit, weights, missing_weights in found:
        heads = outputs(prog, unit)
        reported: list[Missing] = []
        for weight in missing_weights:
            site = weight.first.site
            varies = site_states.get(site.node, set()) != {"none"}
            owner = _instance_site(weight)
            if varies and owner is not None:
                # A custom layer's add_weight, left unpenalized by one instance: the instance is what differs.
                site = owner
                varies = site_states.get(site.node, set()) != {"none"}
            where = _locate(facts, site, varies)
            if where is None or where in seen:
                continue
            seen.add(where)
            reported.append(Missing(weight, where, not varies))
        if not reported:
            continue
        active = [w for w in weights if _penalizes(w)]
        # Layers wired without a model (a backbone a helper returns) have a head only where every call
        # of the layer leaves it out: one left out by one call of a helper is that call's omission.
        output_only = all(
            any(v in heads for v in m.weight.variables) and (m.local or unit.kind != "layers") for m in reported
        ) and len(missing_weights) < len([w for w in weights if w.candidate or _penalizes(w)])
        gaps.append(Gap(unit, active, reported, output_only, missing_weights))
    return gaps


def _locate(facts: ModuleFacts, site: SiteRef, varies: bool) -> cst.CSTNode | None:
    """Where the defect is, as seen from ``facts``: the line that builds the weight, or (when it is
    penalized from some calls and not others) the call that leaves it out. A defect in another module
    is that module's finding when its own lint reports it; otherwise the call here that leads to it."""
    chain = site.chain
    if varies and chain:
        home, node = chain[-1]
    else:
        home, node = site.facts, site.node
    if home is facts:
        return node
    if _reported_at_home(home, node) or _reported_deeper(facts, site):
        return None
    # The call here nearest the weight: one finding for every entry that reaches it (the block helper
    # each variant of a network calls), where the helper is used.
    return anchor_of(facts, site, innermost=True)


def _reported_deeper(facts: ModuleFacts, site: SiteRef) -> bool:
    """A module between this one and the weight, on the calls that lead to it, reports the weight (the
    model module that builds the model, for the script that only calls its builder)."""
    for module in site.modules_between(facts):
        if module.derived.get("program_weight_gaps_busy"):
            continue
        if any(w.first.site.node is site.node for gap in weight_gaps(module) for w in gap.left_out):
            return True
    return False


def _instance_site(weight: Weight) -> SiteRef | None:
    """Where the custom layer that made a weight by ``add_weight`` was instantiated."""
    layer = weight.layer
    if layer is None or layer.instance is None or layer.site.node is weight.first.site.node:
        return None
    return layer.site


def _reported_at_home(home: ModuleFacts, node: cst.CSTNode) -> bool:
    """The module that builds a weight reports it itself (one finding per defect, where the fix goes)."""
    if home.derived.get("program_weight_gaps_busy"):
        return False
    return any(m.anchor is node for gap in weight_gaps(home) for m in gap.missing)
