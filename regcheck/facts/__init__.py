"""Facts: one libcst pass over a module that records what the checks ask about.

``build_facts`` resolves libcst's metadata providers once, then runs every
registered collector together in a single batched traversal. Derived facts
(variables, penalty terms, minimized losses ...) are computed from those on
first use and cached on the ModuleFacts, so checks never re-walk the tree.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper

from regcheck.facts.collect import CORE_COLLECTORS, FactCollector
from regcheck.facts.module import CallFact, ModuleFacts, Span

# Families of rules add their collectors here; all run in the same traversal.
COLLECTORS: list[type[FactCollector]] = list(CORE_COLLECTORS)


def build_facts(path: str, source: str, module: cst.Module, project: object = None) -> ModuleFacts:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    facts = ModuleFacts.from_wrapper(path, source, wrapper)
    facts.project = project
    collectors = [collector(facts) for collector in COLLECTORS]
    cst.visit_batched(wrapper.module, collectors)
    for collector in collectors:
        collector.finish()
    return facts


__all__ = ["CallFact", "FactCollector", "ModuleFacts", "Span", "build_facts", "COLLECTORS"]
