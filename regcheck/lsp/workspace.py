"""The warm path: one long-lived project that re-lints a changed file from its text.

A ``Workspace`` loads ``[tool.regcheck]`` once (as the command line does), discovers
the project's files once, and keeps one ``ProjectIndex`` for its whole life, so the
facts of imported modules stay parsed between edits and libcst stays imported.
When a file changes (an editor's buffer, or a save) only what the index cached
for that file, and for the modules whose facts consulted it, is dropped.

No LSP here: the language server (regcheck.lsp.server) and benchmarks/bench.py
both use it. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from regcheck.config.settings import CONFIG_FILES, ConfigError, Settings, load_settings
from regcheck.findings import Finding
from regcheck.fixing.unit import fix_in_memory
from regcheck.lint.module import FileReport
from regcheck.lint.unit import lint_unit
from regcheck.report.coverage import Row, Table, tables
from regcheck.run.programs import Located, programs
from regcheck.run.project import ProjectIndex
from regcheck.sources.discover import DEFAULT_EXCLUDES, discover
from regcheck.sources.files import SourceError, SourceFile, read_source
from regcheck.sources.units import SourceUnit

if TYPE_CHECKING:
    import pathspec

# Files whose change changes the settings.
CONFIG_NAMES = CONFIG_FILES


class Workspace:
    """A project rooted at ``root`` (an editor's workspace folder), linted warm.

    ``lint(path, text)`` lints one module from its in-memory text; a different text
    than last time for that path is an edit, and invalidates what depended on it.
    ``changed(path)`` tells it that a file changed on disk (saved, or edited by
    another program).
    """

    def __init__(self, root: str | Path, config_file: Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.config_file = config_file
        self.config_error: str | None = None
        self.settings: Settings = self._load_settings()
        self.project: ProjectIndex = self._index()
        # Texts given to lint() (open documents): the index reads these, not the files.
        self._texts: dict[str, str] = {}
        import libcst  # noqa: F401  (the warm path's point: the parser is loaded once)

    # -- settings and project --------------------------------------------------

    def _load_settings(self) -> Settings:
        try:
            settings = load_settings(self.root, self.config_file)
        except ConfigError as exc:
            # The editor shows this once; the defaults keep diagnostics coming meanwhile.
            self.config_error = str(exc)
            return Settings(root=self.root)
        self.config_error = None
        return settings

    def _index(self) -> ProjectIndex:
        files = discover([str(self.root)], self.settings.root, self.settings.exclude).files
        project = ProjectIndex([str(Path(f).resolve()) for f in files], self.settings.root)
        project.keras_target = self.settings.keras_version  # as a command-line run has it
        return project

    def reload(self) -> None:
        """Settings changed (a pyproject.toml or regcheck.toml was saved): start over, keeping open texts."""
        self.settings = self._load_settings()
        self.project = self._index()
        _exclusions.cache_clear()
        for path, text in self._texts.items():
            self.project.update(path, text)

    # -- documents -------------------------------------------------------------

    def lint(self, path: str | Path, text: str | None = None) -> list[Finding]:
        """The findings of one module, from ``text`` (None: the file on disk)."""
        return self.lint_report(path, text).findings

    def lint_report(self, path: str | Path, text: str | None = None) -> FileReport:
        key = normalize(path)
        if text is None:
            try:
                source = read_source(key)
            except SourceError as exc:
                return FileReport(key, problems=[exc.problem])
        else:
            self._set_text(key, text)
            source = SourceFile(key, text)
        if not self.in_scope(key):
            return FileReport(key)
        return lint_unit(SourceUnit(source), self.settings.codes_for(key), self.project, self.settings.keras_version)

    def _set_text(self, path: str, text: str) -> None:
        if self._texts.get(path) != text:
            self._texts[path] = text
            self.project.update(path, text)

    def close(self, path: str | Path) -> None:
        """The editor closed the document: the file on disk is the truth again."""
        key = normalize(path)
        if self._texts.pop(key, None) is not None:
            self.project.update(key, None)

    def changed(self, path: str | Path) -> None:
        """A file changed on disk. An open document keeps its editor text."""
        key = normalize(path)
        if Path(key).name in CONFIG_NAMES:
            self.reload()
        elif key not in self._texts:
            self.project.update(key, None)

    def dependents(self, path: str | Path) -> list[str]:
        """Open documents other than ``path`` whose last lint consulted it, directly or through other modules."""
        key = normalize(path)
        found: list[str] = []
        for other in self._texts:
            if other == key:
                continue
            seen: set[str] = set()
            todo = [other]
            while todo:
                for dependency in self.project.dependencies(todo.pop()):
                    if dependency not in seen:
                        seen.add(dependency)
                        todo.append(dependency)
            if key in {normalize(d) for d in seen}:
                found.append(other)
        return found

    def coverage_at(self, path: str | Path, text: str, line: int) -> list[tuple[Table, list[Row]]]:
        """The coverage rows of the variables made on ``line`` (1-based) of the document: each with its
        table (the training step that trains them, also when an open document that imports this one
        trains them; else the model or graph they are built into)."""
        key = normalize(path)
        self._set_text(key, text)
        located = Located()
        found = tables(
            programs([key, *self.dependents(key)], self.project, self.settings.keras_version, located), located
        )
        hits = []
        for table in found:
            rows = [r for r in table.rows if r.place is not None and (r.place.path, r.place.line) == (key, line)]
            if rows:
                hits.append((table, rows))
        return hits

    def in_scope(self, path: str | Path) -> bool:
        """Not excluded by ``exclude`` / ``extend-exclude`` (or the default excludes), as in ruff's server."""
        key = Path(normalize(path))
        try:
            relative = key.relative_to(self.settings.root.resolve()).as_posix()
        except ValueError:
            return True  # outside the project: nothing of its settings applies to the path
        return not _exclusions(self.settings.exclude).match_file(relative)

    def fix_all(self, path: str | Path, text: str, unsafe: bool = False, findings: list[Finding] | None = None) -> str:
        """The text with every applicable fix applied (in rounds, re-linting, never a broken file), as
        ``regcheck --fix`` would write it; ``findings``: those of ``text``, when already known."""
        key = normalize(path)
        if findings is None:
            findings = self.lint(key, text)
        # A round's candidate text is not the document's text: the index is not told about it.
        fixed = fix_in_memory(
            SourceUnit(SourceFile(key, text)),
            findings,
            self.settings.codes_for(key),
            unsafe,
            self.project,
            self.settings.keras_version,
        )
        return fixed.text if fixed is not None and fixed.text is not None else text


def normalize(path: str | Path) -> str:
    return str(Path(path).resolve())


@functools.lru_cache(maxsize=8)
def _exclusions(exclude: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec

    # A pattern also excludes what lies below a matching folder, as discovery does.
    lines = [*DEFAULT_EXCLUDES, *exclude]
    return pathspec.GitIgnoreSpec.from_lines(lines)
