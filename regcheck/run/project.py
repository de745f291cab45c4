"""The project being checked: module names -> files, and other modules' facts on demand.

Models span files (layers in models.py, the loop in train.py). Checks that need
another module ask ``facts.project`` for it; the index parses it once (lazily)
and remembers which files each result depended on, so the cache can be
invalidated when a dependency changes: ``with project.recording() as record:``
collects every module resolution and every file consulted while it is open.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst as cst

    from regcheck.facts import ModuleFacts

_MAX_CACHED = 64  # parsed modules kept in memory at once

# Import statements as bytes, for the prefilter (no parse): `from .pkg import a, b` and
# `import a.b as c, d`. Matches in strings or comments only cost a look at another file.
_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n;#]*)", re.M)
_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([^\n;#]+)", re.M)


@dataclass(eq=False)  # compared by identity: nested recordings are told apart
class Record:
    """What the index was asked while a :meth:`ProjectIndex.recording` was open."""

    # (dotted module, from_path, level) -> the file it resolved to (None: not in the project)
    resolutions: dict[tuple[str, str | None, int], str | None] = field(default_factory=dict)
    # Project files whose facts were consulted, or whose bytes the prefilter looked at.
    files: set[str] = field(default_factory=set)


class ProjectIndex:
    def __init__(self, files: list[str], root: Path) -> None:
        self.root = root.resolve()
        self._by_module: dict[str, str] = {}
        self._files: dict[str, str] = {str(Path(f).resolve()): f for f in files if f.endswith(".py")}
        for file in files:
            if file.endswith(".py"):
                for name in _module_names(Path(file).resolve(), self.root):
                    self._by_module.setdefault(name, file)
        self._facts: OrderedDict[str, ModuleFacts | None] = OrderedDict()
        self._dependencies: dict[str, set[str]] = {}
        self._resolved: dict[tuple[str, str | None, int], str | None] = {}
        # Which imported modules hold the prefilter's words (files do not change during a run).
        self._mention: dict[tuple[str, tuple[bytes, ...]], bool] = {}
        self._imports: dict[str, list[str]] = {}  # the project files each module imports, from its bytes
        # Editors' unsaved buffers (update()): read instead of the files on disk.
        self._texts: dict[str, str] = {}
        self._records: list[Record] = []  # the recordings open now (innermost last)
        self.keras_target: str | None = None  # the run's Keras version (Settings.keras_version)

    @contextmanager
    def recording(self) -> Iterator[Record]:
        """Record the module resolutions and the files consulted while the block runs (what a
        cached result depends on); recordings nest, and an outer one sees what inner ones see."""
        record = Record()
        self._records.append(record)
        try:
            yield record
        finally:
            self._records.remove(record)

    def resolve_module(self, dotted: str, from_path: str | None = None, level: int = 0) -> str | None:
        """The file of an imported module (absolute, or relative with ``level`` dots), if in the project."""
        result = self._lookup(dotted, from_path, level)
        for record in self._records:
            record.resolutions[(dotted, from_path, level)] = result
        return result

    def _lookup(self, dotted: str, from_path: str | None, level: int) -> str | None:
        # Asked many times per file, and files do not come and go during a run.
        key = (dotted, from_path, level)
        if key not in self._resolved:
            try:
                self._resolved[key] = self._resolve_module(dotted, from_path, level)
            except OSError:  # a name no file can have (too long, say): not a project module
                self._resolved[key] = None
        return self._resolved[key]

    def _resolve_module(self, dotted: str, from_path: str | None, level: int) -> str | None:
        if level and from_path is not None:
            base = Path(from_path).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            candidate = base.joinpath(*dotted.split(".")) if dotted else base
            for option in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if option.is_file():
                    return str(option)
            return None
        if from_path is not None and dotted:
            # Python searches the script's own folder (and its package root) first: prefer those.
            here = Path(from_path).resolve()
            for base in (here.parent, _package_root(here)):
                candidate = base.joinpath(*dotted.split("."))
                for option in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                    if str(option.resolve()) in self._files:
                        return self._files[str(option.resolve())]
        return self._by_module.get(dotted)

    def imported_files(self, path: str, data: bytes) -> list[str]:
        """Project files that ``path`` imports, found from its bytes without parsing it.

        The lookups are not recorded as resolutions: replaying dozens per unparsed file made
        warm runs 4x slower. The files :meth:`imports_reach` looks at are recorded, by content."""
        found = [self._lookup(dotted, path, level) for dotted, level in _import_specs(data)]
        return list(dict.fromkeys(f for f in found if f and f != path))

    def imports_reach(self, path: str, data: bytes, words: tuple[bytes, ...], levels: int = 1) -> bool:
        """Does a project module that ``path`` imports contain one of ``words``: one it imports directly,
        or up to ``levels`` imports away? The files looked at become ``path``'s dependencies."""
        seen = {path}
        frontier = [path]
        for level in range(levels):
            following: list[str] = []
            for importer in frontier:
                for imported in self.imported_files(path, data) if level == 0 else self._imports_of(importer):
                    if imported in seen:
                        continue
                    seen.add(imported)
                    self._dependencies.setdefault(path, set()).add(imported)
                    for record in self._records:
                        record.files.add(imported)
                    if self._mentions(imported, words):
                        return True
                    following.append(imported)
            frontier = following
        return False

    def _mentions(self, path: str, words: tuple[bytes, ...]) -> bool:
        key = (path, words)
        if key not in self._mention:
            self._mention[key] = any(word in self._read(path) for word in words)
        return self._mention[key]

    def _imports_of(self, path: str) -> list[str]:
        if path not in self._imports:
            self._imports[path] = self.imported_files(path, self._read(path))
        return self._imports[path]

    def _read(self, path: str) -> bytes:
        try:
            return (
                self._texts[path].encode("utf-8", "surrogatepass") if path in self._texts else Path(path).read_bytes()
            )
        except OSError:
            return b""

    def facts_for(self, path: str, requested_by: str | None = None) -> ModuleFacts | None:
        """Parsed facts of another project file (None if it cannot be read or parsed)."""
        if requested_by is not None:
            self._dependencies.setdefault(requested_by, set()).add(path)
        for record in self._records:
            record.files.add(path)
        if path in self._facts:
            self._facts.move_to_end(path)
            return self._facts[path]
        facts = _parse(path, self._texts.get(path))
        if facts is not None:
            facts.project = self  # its own imports can be followed in turn (a model two modules away)
            if self.keras_target is not None:
                facts.keras_target = self.keras_target  # as the files the run checks have it
        self._facts[path] = facts
        if len(self._facts) > _MAX_CACHED:
            self._facts.popitem(last=False)
        return facts

    def resolve_symbol(self, qualified: str, from_path: str) -> tuple[str, str] | None:
        """Split a qualified name (``core.common.conv_block``, ``.models.build``) into a project
        file and the attribute path inside it, trying the longest module prefix first."""
        level = len(qualified) - len(qualified.lstrip("."))
        parts = [p for p in qualified[level:].split(".") if p]
        lowest = 0 if level else 1  # `from . import x`: the package itself may hold x
        for cut in range(len(parts) - 1, lowest - 1, -1):
            file = self.resolve_module(".".join(parts[:cut]), from_path, level)
            if file is not None and (cut or level):
                return file, ".".join(parts[cut:])
        return None

    def definition(self, qualified: str, from_path: str, depth: int = 3) -> tuple[ModuleFacts, cst.CSTNode] | None:
        """The module-level ``def`` / ``class`` a qualified name refers to, following re-exports."""
        target = self.resolve_symbol(qualified, from_path)
        if target is None:
            return None
        file, attr = target
        facts = self.facts_for(file, requested_by=from_path)
        if facts is None or not attr:
            return None
        import libcst as cst

        head, _, rest = attr.partition(".")
        for statement in facts.module.body:
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == head:
                if not rest:
                    return facts, statement
                # `f.attr` on a function is not a definition we can follow (only class members are).
                return _member(facts, statement, rest) if isinstance(statement, cst.ClassDef) else None
        if depth <= 0:
            return None
        imported = _reexport(facts, head)
        if imported is None:
            return None
        return self.definition(imported + (f".{rest}" if rest else ""), file, depth - 1)

    def remember(self, facts: ModuleFacts) -> None:
        """Offer the facts of the module being checked, so a lookup that comes back to it does not re-parse it."""
        if facts.path not in self._facts:
            self._facts[facts.path] = facts
            if len(self._facts) > _MAX_CACHED:
                self._facts.popitem(last=False)

    def dependencies(self, path: str) -> set[str]:
        """Files whose facts were consulted while checking ``path``."""
        return set(self._dependencies.get(path, ()))

    def update(self, path: str, text: str | None = None) -> None:
        """For a long-lived index (the language server), after ``path`` changed: forget what was
        cached for it and for every module whose facts consulted it (directly or through others),
        and from now on read ``text`` (an editor's unsaved buffer) instead of the file; ``None``
        goes back to the file. A new ``.py`` file joins the project."""
        resolved = str(Path(path).resolve())
        if resolved not in self._files and path.endswith(".py"):
            self._files[resolved] = path
            for name in _module_names(Path(resolved), self.root):
                self._by_module.setdefault(name, path)
            self._resolved.clear()
        path = self._files.get(resolved, path)
        if text is None:
            self._texts.pop(path, None)
        else:
            self._texts[path] = text
        dependents: dict[str, set[str]] = {}
        for user, used in self._dependencies.items():
            for dependency in used:
                dependents.setdefault(dependency, set()).add(user)
        stale, todo = {path}, [path]
        while todo:
            for user in dependents.get(todo.pop(), ()):
                if user not in stale:
                    stale.add(user)
                    todo.append(user)
        for stale_path in stale:
            self._facts.pop(stale_path, None)
        self._dependencies.pop(path, None)  # re-recorded when it is checked again
        self._mention = {key: found for key, found in self._mention.items() if key[0] != path}
        self._imports.pop(path, None)


def _import_specs(data: bytes) -> list[tuple[str, int]]:
    """(dotted module, relative level) of every import statement in ``data``; for
    ``from pkg import a`` both ``pkg`` and ``pkg.a`` (a submodule, if there is one)."""
    specs: list[tuple[str, int]] = []
    for match in _FROM_IMPORT.finditer(data):
        level, module = len(match.group(1)), match.group(2).decode("ascii", "replace")
        names = [_imported_name(n) for n in match.group(3).strip(b"()").split(b",")]
        specs.append((module, level))
        specs.extend((f"{module}.{n}" if module else n, level) for n in names if n)
    for match in _IMPORT.finditer(data):
        specs.extend((name, 0) for name in map(_imported_name, match.group(1).split(b",")) if name)
    return list(dict.fromkeys(specs))


def _imported_name(raw: bytes) -> str:
    """``a.b as c`` / `` mod `` -> the dotted module name, as text ("" when it is not one)."""
    name = raw.split(b" as ")[0].strip().decode("ascii", "replace")
    return name if name.replace(".", "").replace("_", "").isalnum() else ""


def _member(facts: ModuleFacts, cls: cst.CSTNode, name: str) -> tuple[ModuleFacts, cst.CSTNode] | None:
    import libcst as cst

    assert isinstance(cls, cst.ClassDef)
    for statement in cls.body.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == name:
            return facts, statement
    return None


def _reexport(facts: ModuleFacts, name: str) -> str | None:
    """``from .models import build_model`` in a package ``__init__``: the name it re-exports."""
    import libcst as cst
    import libcst.helpers

    for statement in facts.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                dots = "." * len(small.relative)
                for alias in small.names:
                    if (alias.evaluated_alias or alias.evaluated_name) == name:
                        return f"{dots}{module}.{alias.evaluated_name}" if module else f"{dots}{alias.evaluated_name}"
    return None


def _module_names(path: Path, root: Path) -> list[str]:
    """Dotted names a file can be imported as: from the project root and from its own folder."""
    names = []
    for base in (root, path.parent, _package_root(path)):
        try:
            relative = path.relative_to(base).with_suffix("")
        except ValueError:
            continue
        parts = list(relative.parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and ".".join(parts) not in names:
            names.append(".".join(parts))
    return names


def _package_root(path: Path) -> Path:
    """The folder above the outermost package holding ``path`` (where ``import pkg.mod`` starts)."""
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _parse(path: str, text: str | None = None) -> ModuleFacts | None:
    import libcst as cst

    from regcheck.facts import build_facts
    from regcheck.lint.parse import parse_module
    from regcheck.sources.files import SourceError, read_source

    try:
        if text is None:
            text = read_source(path).text
        return build_facts(path, text, parse_module(text))
    except (SourceError, cst.ParserSyntaxError, RecursionError):
        return None
