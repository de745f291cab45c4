"""Penalties on parameters of a given role, where the code writes them (RC102 for biases, RC103 for
normalization parameters and embeddings).

A penalty reaches a variable by a regularizer given where the variable is made (a ``bias_regularizer=``
argument, ``get_variable(regularizer=)``, the default of an enclosing ``variable_scope`` or
``slim.arg_scope``) or by a term written into a loss (``tf.nn.l2_loss(b)``, or a sum over every
trainable variable). Each is reported once, where it is written; a penalty written in another module is
that module's finding, unless it depends on what this module passes to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.coverage import anchor_of, passes_filters, regularizer_state, variable_passes
from regcheck.facts.program.result import Program
from regcheck.facts.program.training import loss_is_opaque, loss_terms
from regcheck.facts.program.values import Declaration, Layer, Model, Tensor, Term, Variable, VarSet, alternatives
from regcheck.facts.roles import Role


@dataclass(eq=False)
class Penalized:
    """One place that penalizes parameters of the asked roles."""

    node: cst.CSTNode  # where to report, in the module asked about
    how: str  # "argument", "scope", "arg_scope", "term", "all_variables"
    variables: list[Variable] = field(default_factory=list)
    declaration: Declaration | None = None  # how == argument / scope / arg_scope
    term: Term | None = None  # how == term / all_variables
    local: bool = True  # written here (else ``node`` is the call here that leads to it)

    @property
    def filtered(self) -> bool:
        varset = self.term.covers_all if self.term is not None else None
        return bool(varset is not None and varset.filters)


def penalized(facts: ModuleFacts, roles: frozenset[Role]) -> list[Penalized]:
    key = "program_penalized_" + "_".join(sorted(r.value for r in roles))
    return facts.cached(key, lambda f: _penalized(f, roles))


def _penalized(facts: ModuleFacts, roles: frozenset[Role]) -> list[Penalized]:
    prog = program(facts)
    found: dict[cst.CSTNode, Penalized] = {}
    for variable in prog.variables:
        if variable.role not in roles or variable.declared is None:
            continue
        if regularizer_state(variable.regularizer) != "active":
            continue
        declared = variable.declared
        if declared.facts is facts:
            where, local = declared.node, True
        elif active_at_home(declared) or _active_deeper(facts, variable, declared):
            continue  # a module nearer the declaration decides it, and reports it
        else:
            node = anchor_of(facts, variable.site, innermost=True)
            if node is None:
                continue
            where, local = node, False
        entry = found.setdefault(where, Penalized(where, declared.how, declaration=declared, local=local))
        entry.variables.append(variable)
    if Role.BIAS in roles:
        # A scope that penalizes the biases of the fully connected layers it covers, whether or not a
        # layer is built under it in view (an arg_scope function a model zoo's caller enters).
        for declared, regularizer in prog.scope_bias_regularizers:
            if declared.facts is facts and declared.node is not None and regularizer_state(regularizer) == "active":
                found.setdefault(declared.node, Penalized(declared.node, "arg_scope", declaration=declared))
    terms = [t for t in _terms(prog) if not t.zero and t.kind == "penalty" and t.site is not None]
    # A helper's penalty line that covers weights from some calls and a bias from another: the call is
    # what differs, so the finding goes to the call (`variable_with_weight_decay("b1", [8], wd=...)`).
    covered_roles: dict[cst.CSTNode, set[Role]] = {}
    for term in terms:
        assert term.site is not None
        covered_roles.setdefault(term.site.node, set()).update(v.role for v in term.covers)
    for term in terms:
        site = term.site
        assert site is not None
        if term.covers_all is not None:
            if site.facts is not facts:
                continue
            swept = _swept(term.covers_all, roles)
            if swept is not None:
                entry = found.setdefault(site.node, Penalized(site.node, "all_variables", term=term))
                entry.variables.extend(v for v in swept if v not in entry.variables)
            continue
        covered = [v for v in term.covers if v.role in roles]
        if not covered:
            continue
        if covered_roles.get(site.node, set()) - roles:
            if site.chain and site.chain[-1][0] is not facts:
                continue  # the call that makes it a bias is in another module: that module reports it
            call = anchor_of(facts, site, innermost=True)
            if call is None or call is site.node:
                continue
            entry = found.setdefault(call, Penalized(call, "term", term=term, local=False))
        elif site.facts is facts:
            entry = found.setdefault(site.node, Penalized(site.node, "term", term=term))
        else:
            continue  # written in another module, the same for every call: that module reports it
        entry.variables.extend(v for v in covered if v not in entry.variables)
    return list(found.values())


def _terms(prog: Program) -> list[Term]:
    terms = [term for graph in prog.graphs for term in graph.penalties]
    if prog.train_steps and not any(loss_is_opaque(step) for step in prog.train_steps):
        # A term that reaches no loss this program trains penalizes nothing (a statistic for a
        # summary, a norm that is printed): only those that reach one count.
        used = _sites_reaching_losses(prog)
        terms = [t for t in terms if t.site is not None and id(t.site.node) in used]
    owners: list[Layer | Model] = [*prog.layers, *prog.models]
    for owner in owners:
        terms.extend(t for t in owner.losses if t not in terms)
    return terms


def _sites_reaching_losses(prog: Program) -> set[int]:
    """The calls that write penalty terms some trained loss adds, directly or through the collection."""
    sites: set[int] = set()
    for step in prog.train_steps:
        sites.update(id(t.site.node) for t in loss_terms(step) if t.kind == "penalty" and t.site is not None)
    for graph in prog.graphs:
        for registration in graph.registrations:
            for option in alternatives(registration.regularizer):
                if isinstance(option, Tensor):
                    sites.update(id(t.site.node) for t in option.terms if t.site is not None)
    return sites


def _swept(varset: VarSet, roles: frozenset[Role]) -> list[Variable] | None:
    """The variables of these roles an all-variables penalty sweeps in (empty: those of an owner it
    cannot see, when its filter would let them through); None when it sweeps none."""
    if varset.part_only:
        return None  # the variables of one indexed layer: what they are is not visible
    if varset.owner is None or not varset.variables():
        # A model (or graph) whose variables are made where the program model cannot see: it has
        # biases, whatever else it has.
        return [] if Role.BIAS in roles and passes_filters(Role.BIAS, varset.filters) else None
    members = [v for v in varset.variables() if v.role in roles and variable_passes(v, varset.filters)]
    if isinstance(varset.owner, (Model, Layer)) and Role.BIAS in roles:
        members = [v for v in members if v.slot == "bias" or v.explicit or v.slot == "weight"]
    return members or None


def active_at_home(declared: Declaration) -> bool:
    """The regularizer is given whatever calls the code: its own module's program sees it active there."""
    return _active_in(declared.facts, declared)


def _active_deeper(facts: ModuleFacts, variable: Variable, declared: Declaration) -> bool:
    """A module between this one and the declaration, on the calls that lead to the variable, makes the
    regularizer active whoever calls it (a model module passes ``bias_wd=`` to a helper; the training
    script that calls the model module passes nothing): that module reports it."""
    return any(
        module is not declared.facts and _active_in(module, declared) for module in variable.site.modules_between(facts)
    )


def _active_in(module: ModuleFacts, declared: Declaration) -> bool:
    """That module's program sees the regularizer active: on a variable it makes, or (an arg_scope
    function's ``biases_regularizer``) on the scope itself, which it reports whoever enters it."""
    prog = program(module)
    return any(
        v.declared is not None and v.declared.node is declared.node and regularizer_state(v.regularizer) == "active"
        for v in prog.variables
    ) or any(
        scope.node is declared.node and regularizer_state(regularizer) == "active"
        for scope, regularizer in prog.scope_bias_regularizers
        if scope.facts is module
    )
