"""Facts: one libcst pass over a module that records what the checks ask about.

``build_facts`` runs every registered collector together in a single plain walk
(collect.run_collectors); names are resolved by regcheck.facts.names on the first question. Derived facts
(variables, penalty terms, minimized losses ...) are computed from those on
first use and cached on the ModuleFacts, so checks never re-walk the tree.
"""

from __future__ import annotations

import libcst as cst

from regcheck.facts.collect import CORE_COLLECTORS, FactCollector, run_collectors
from regcheck.facts.module import CallFact, ModuleFacts, Span

# Families of rules add their collectors here; all run in the same traversal.
COLLECTORS: list[type[FactCollector]] = list(CORE_COLLECTORS)


def build_facts(path: str, source: str, module: cst.Module, project: object = None) -> ModuleFacts:
    facts = ModuleFacts.from_module(path, source, module)
    facts.project = project
    collectors = [collector(facts) for collector in COLLECTORS]
    run_collectors(module, collectors)
    for collector in collectors:
        collector.finish()
    return facts


__all__ = ["COLLECTORS", "CallFact", "FactCollector", "ModuleFacts", "Span", "build_facts"]
