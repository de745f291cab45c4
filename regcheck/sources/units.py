"""Source units: a module file, a notebook or what stdin holds, each checked and fixed as one unit.

A :class:`SourceUnit` is what every later step works on: ``regcheck.lint.unit`` lints it
(a notebook's Python cells as one module, ``regcheck.sources.notebooks``) and
``regcheck.fixing.unit`` fixes it and puts the fixed text back where it came from (the
file, atomically; stdout for stdin). Which kind it is follows from its path.
"""

from __future__ import annotations

from dataclasses import dataclass

from regcheck.sources.files import SourceFile


@dataclass(frozen=True)
class SourceUnit:
    """One unit of source: its decoded text (``source``), and whether it was read from stdin."""

    source: SourceFile
    stdin: bool = False

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def kind(self) -> str:
        """ "notebook" (``.ipynb``: JSON whose code cells are the program) or "module"."""
        return "notebook" if self.source.path.endswith(".ipynb") else "module"

    @property
    def uses_project(self) -> bool:
        """Is the unit linted against the project index (facts of the modules it imports)? A module file
        and a notebook are (a notebook imports the modules next to it as a script does); stdin is linted alone."""
        return not self.stdin
