"""Merge static findings with what the graph measured (`regcheck check --graph ENTRY`).

``merge_findings(static, graph)`` returns ``(kept, dropped)``:

* a static finding the graph confirms is kept with ``extra={"confirmed": True}``.
  Both paths are matched by defect, not by line: a finding about a weight
  (RC101-RC106, RC305) matches on the same code and the same symbol or place;
  a finding about a training step (RC201, RC202, RC207, RC208, RC501: the
  static path points at the loss or the compile call, the graph at the step)
  matches the graph's finding of the same code, the same file first;
* a static finding the graph refutes (the graph ran, its coverage table has a
  row for the symbol, and no graph finding of that code is about it) goes to
  ``dropped`` as ``(finding, reason)``; the reason says what the graph saw;
* every other static finding is kept unchanged; graph findings that no static
  finding matched are appended.

``graph`` is a ``GraphResult`` (or a list of graph findings plus ``coverage=``);
without coverage nothing can be refuted, only confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.config.catalog import RULES
from regcheck.findings import Finding
from regcheck.graph.coverage import CoverageRow
from regcheck.graph.trace import GraphResult

# The codes the graph path reports (a rule's `graph = True`): a static finding of one of
# them that the graph's coverage table contradicts is dropped.
GRAPH_CODES = frozenset(code for code, info in RULES.items() if info.graph)
# Defects of a training step rather than of one weight: one per step, wherever each path points.
STEP_CODES = frozenset({"RC201", "RC202", "RC207", "RC208", "RC501"})


def symbol_matches(static_symbol: str | None, graph_symbol: str | None) -> bool:
    """A source name ("w_out", "dense") against a graph variable name ("w_out", "sequential/dense/kernel")."""
    if not static_symbol or not graph_symbol:
        return False
    graph_symbol = graph_symbol.split(":")[0]
    return static_symbol == graph_symbol or static_symbol in graph_symbol.split("/")


def _same_place(a: Finding, b: Finding) -> bool:
    return a.path == b.path and a.line == b.line


def merge_findings(
    static: list[Finding], graph: GraphResult | list[Finding], coverage: Iterable[CoverageRow] | None = None
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    if isinstance(graph, GraphResult):
        graph_findings, rows = graph.findings, list(coverage if coverage is not None else graph.coverage)
    else:
        graph_findings, rows = list(graph), list(coverage or [])
    kept: list[Finding] = []
    dropped: list[tuple[Finding, str]] = []
    used: set[int] = set()
    for finding in static:
        twins = [
            i
            for i, g in enumerate(graph_findings)
            if g.code == finding.code and (symbol_matches(finding.symbol, g.symbol) or _same_place(finding, g))
        ]
        if not twins and finding.code in STEP_CODES:
            steps = [i for i, g in enumerate(graph_findings) if g.code == finding.code and i not in used]
            steps.sort(
                key=lambda i: (graph_findings[i].path != finding.path, abs(graph_findings[i].line - finding.line))
            )
            twins = steps[:1]
        if twins:
            used.update(twins)
            kept.append(finding.with_changes(extra={**finding.extra, "confirmed": True}))
            continue
        seen = [r for r in rows if symbol_matches(finding.symbol, r.variable)]
        if finding.code in GRAPH_CODES and seen:
            saw = "; ".join(f"'{r.variable}' {r.role}, penalty {r.penalty}, {r.status}" for r in seen[:3])
            dropped.append((finding, f"refuted by the graph: {saw}"))
            continue
        kept.append(finding)
    kept.extend(g for i, g in enumerate(graph_findings) if i not in used)
    kept.sort(key=Finding.sort_key)
    return kept, dropped
