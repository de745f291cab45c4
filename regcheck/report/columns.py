"""The layout of the coverage tables, one for both paths: ``regcheck coverage`` (the program model's view,
regcheck.report.coverage) and ``regcheck trace --coverage`` (what the graph measured,
regcheck.graph.coverage), so a user can hold one against the other.

Both name their columns with the same words (variable, role, penalty, status; the graph adds the
shape it measured, the static view the line that makes the variable), their roles (kernel, bias,
norm, embedding, other) and their penalties (``l2 x0.01``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def render_columns(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns under a rule line, two spaces apart, no trailing blanks."""
    cells = [tuple(headers)] + [tuple(row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"
