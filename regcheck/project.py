"""The project being checked: module names -> files, and other modules' facts on demand.

Models span files (layers in models.py, the loop in train.py). Checks that need
another module ask ``facts.project`` for it; the index parses it once (lazily)
and remembers which files each result depended on, so the cache can be
invalidated when a dependency changes.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regcheck.facts import ModuleFacts

_MAX_CACHED = 64  # parsed modules kept in memory at once


class ProjectIndex:
    def __init__(self, files: list[str], root: Path) -> None:
        self.root = root.resolve()
        self._by_module: dict[str, str] = {}
        for file in files:
            if file.endswith(".py"):
                for name in _module_names(Path(file).resolve(), self.root):
                    self._by_module.setdefault(name, file)
        self._facts: OrderedDict[str, ModuleFacts | None] = OrderedDict()
        self._dependencies: dict[str, set[str]] = {}

    def resolve_module(self, dotted: str, from_path: str | None = None, level: int = 0) -> str | None:
        """The file of an imported module (absolute, or relative with ``level`` dots), if in the project."""
        if level and from_path is not None:
            base = Path(from_path).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            candidate = base.joinpath(*dotted.split(".")) if dotted else base
            for option in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if option.is_file():
                    return str(option)
            return None
        return self._by_module.get(dotted)

    def facts_for(self, path: str, requested_by: str | None = None) -> "ModuleFacts | None":
        """Parsed facts of another project file (None if it cannot be read or parsed)."""
        if requested_by is not None:
            self._dependencies.setdefault(requested_by, set()).add(path)
        if path in self._facts:
            self._facts.move_to_end(path)
            return self._facts[path]
        facts = _parse(path)
        self._facts[path] = facts
        if len(self._facts) > _MAX_CACHED:
            self._facts.popitem(last=False)
        return facts

    def dependencies(self, path: str) -> set[str]:
        """Files whose facts were consulted while checking ``path``."""
        return set(self._dependencies.get(path, ()))


def _module_names(path: Path, root: Path) -> list[str]:
    """Dotted names a file can be imported as: from the project root and from its own folder."""
    names = []
    for base in {root, path.parent}:
        try:
            relative = path.relative_to(base).with_suffix("")
        except ValueError:
            continue
        parts = list(relative.parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join(parts))
    return names


def _parse(path: str) -> "ModuleFacts | None":
    import libcst as cst

    from regcheck.facts import build_facts
    from regcheck.files import SourceError, read_source

    try:
        source = read_source(path)
        return build_facts(path, source.text, cst.parse_module(source.text))
    except (SourceError, cst.ParserSyntaxError, RecursionError):
        return None
