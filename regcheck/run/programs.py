"""The program model of many source units, for views over facts (``regcheck coverage``, the editor's hover).

Each module is parsed once, through the run's project index (so a model built in one module and
trained in another is one program), and a notebook's code cells as one module. :class:`Located`
turns a place in the program (a :class:`SiteRef`) back into the unit's own position: a file's line,
or a notebook cell's line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from regcheck.facts.module import ModuleFacts
from regcheck.facts.program import program
from regcheck.facts.program.result import Program
from regcheck.facts.program.values import SiteRef
from regcheck.lint.prefilter import names_tf
from regcheck.run.project import ProjectIndex
from regcheck.sources.files import SourceError, read_source
from regcheck.sources.notebooks import Document, NotebookError, build_document, cell_position


@dataclass(frozen=True)
class Location:
    """Where something is, in the unit's own positions (1-based; ``cell`` for a notebook)."""

    path: str
    line: int
    column: int = 1
    cell: int | None = None

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{self.path}:cell {self.cell}:{self.line}"
        return f"{self.path}:{self.line}"


@dataclass
class Located:
    """Positions of program sites in the units they come from (notebooks mapped back to their cells)."""

    documents: dict[str, Document] = field(default_factory=dict)

    def __call__(self, site: SiteRef | None) -> Location | None:
        if site is None:
            return None
        facts = site.facts
        try:
            span = facts.span(site.node)
        except KeyError:  # a node of no module's tree (made up by the interpreter)
            return None
        document = self.documents.get(facts.path)
        if document is None:
            return Location(facts.path, span.line, span.column)
        cell, line, column = cell_position(document, span.line, span.column)
        return Location(facts.path, line, column, cell)


def programs(
    files: Iterable[str], project: ProjectIndex, keras: str, located: Located
) -> Iterator[tuple[ModuleFacts, Program]]:
    """The program model of each file that names TensorFlow or Keras: modules through ``project`` (which
    parses each once, and follows their imports), notebooks as one module of their code cells."""
    for path in files:
        facts = _facts(path, project, located)
        if facts is None:
            continue
        facts.keras_target = keras
        yield facts, program(facts)


def _facts(path: str, project: ProjectIndex, located: Located) -> ModuleFacts | None:
    try:
        source = read_source(path)
    except SourceError:
        return None
    if not path.endswith(".ipynb"):
        return project.facts_for(path) if names_tf(source.raw) else None
    try:
        document = build_document(path, source.text, frozenset())
    except NotebookError:
        return None
    if not document.included or not names_tf(document.text.encode("utf-8", "surrogatepass")):
        return None
    import libcst as cst

    from regcheck.facts import build_facts
    from regcheck.lint.parse import parse_module

    try:
        facts = build_facts(path, document.text, parse_module(document.text))
    except (cst.ParserSyntaxError, RecursionError):
        return None
    located.documents[path] = document
    return facts
