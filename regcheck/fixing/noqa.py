"""``--add-noqa``: a ``# noqa: CODE`` comment on each line with a finding, in a module or in a notebook's cells.

The comments go where the findings are: a module's lines, or the lines of each notebook cell (a
notebook's findings count lines within their cell), written back into the notebook's JSON in the
file's own style. The unit is then written atomically, as a fix is (regcheck.fixing.write).
"""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.findings import Finding
from regcheck.lint.suppressions import add_noqa
from regcheck.sources.notebooks import NotebookError, dump_like, load_notebook
from regcheck.sources.units import SourceUnit


def with_noqa(unit: SourceUnit, findings: Iterable[Finding]) -> tuple[str, int]:
    """The unit's text with the comments added, and how many lines got one."""
    findings = list(findings)
    if unit.kind == "module":
        return add_noqa(unit.source.text, findings)
    try:
        notebook, cells = load_notebook(unit.source.text)
    except NotebookError:
        return unit.source.text, 0
    added = 0
    for cell in cells:
        text, count = add_noqa(cell.source, [f for f in findings if f.cell == cell.number])
        if count:
            cell.node[cell.key] = text.splitlines(keepends=True) if cell.as_list else text
            added += count
    return (dump_like(notebook, unit.source.text), added) if added else (unit.source.text, 0)
