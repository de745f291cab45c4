"""libcst's ScopeProvider behind NameResolver's interface: what regcheck used before it resolved
names itself. The tests run the checks with both and compare."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import Assignment, GlobalScope, MetadataWrapper, ScopeProvider


class LibcstResolver:
    def __init__(self, module: cst.Module) -> None:
        self.scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)

    def bindings(self, node: cst.Name) -> list[Assignment]:
        scope = self.scopes.get(node)
        if scope is None:
            return []
        return [a for a in scope[node.value] if isinstance(a, Assignment)]

    def references(self, binding: Assignment) -> list[cst.CSTNode]:
        return [access.node for access in binding.references]

    def is_global_binding(self, node: cst.Name) -> bool:
        scope = self.scopes.get(node)
        return isinstance(scope, GlobalScope) and bool(scope.assignments[node.value])

    def from_star_import(self, node: cst.Name) -> bool:
        return False

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
        scope = self.scopes.get(node)
        if scope is None:
            return frozenset()
        return frozenset(q.name for q in scope.get_qualified_names_for(node))
