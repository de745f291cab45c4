"""A repository's files and the imports between them, over-approximated.

Which mutations one regcheck run may hold (``benchmarks/README.md``, Mutations): regcheck judges a
file from the file and the project modules it imports, and a program model may also read the files
that import it (a builder called from ``train.py``). So a mutation in file A can change what is
reported in A, in every file A imports (transitively) and in every file that imports A
(transitively): :meth:`Project.related`. Two mutations go into one run only when neither file is
related to the other.

Imports are read from the text (so Python 2 files count too), and resolved the way a script finds
them: the importing file's own folder and each folder above it up to the repository root, then, for
a name no folder holds, any file whose module path ends with the dotted name (at most a few). A name
that resolves to several files links to all of them: more conservative, never less.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import PurePosixPath

_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n;#]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n;#]+)", re.M)
_MAX_SUFFIX_MATCHES = 3


class Project:
    def __init__(self, texts: dict[str, str]) -> None:
        """``texts``: repository-relative path (``/``) -> module text, for ``.py`` files and notebooks."""
        self.texts = texts
        self._modules: dict[str, list[str]] = defaultdict(list)  # dotted suffix -> files
        self._paths = set(texts)
        self._folders = {str(parent) for path in texts for parent in PurePosixPath(path).parents}
        for path in texts:
            if path.endswith(".py"):
                for name in _suffixes(path):
                    self._modules[name].append(path)
        self.imports: dict[str, set[str]] = {path: self._resolve_all(path) for path in texts}
        self.importers: dict[str, set[str]] = defaultdict(set)
        for path, targets in self.imports.items():
            for target in targets:
                self.importers[target].add(path)

    # -- the graph --

    def imports_closure(self, path: str) -> set[str]:
        return _closure(path, self.imports)

    def importers_closure(self, path: str) -> set[str]:
        return _closure(path, self.importers)

    @cache  # noqa: B019  (one Project per repository and run; the cache dies with it)
    def related(self, path: str) -> frozenset[str]:
        """The files whose findings a mutation of ``path`` may change, and that may change its findings."""
        return frozenset({path} | self.imports_closure(path) | self.importers_closure(path))

    @cache  # noqa: B019
    def component(self, path: str) -> frozenset[str]:
        """Every file linked to ``path`` by imports in either direction, any number of steps (the
        ``--strict`` batches: also a mutation in ``a`` and one in ``b`` when ``c`` imports both)."""
        edges = {p: self.imports.get(p, set()) | self.importers.get(p, set()) for p in self.texts}
        return frozenset({path} | _closure(path, edges))

    def program_match(self, path: str, pattern: re.Pattern[str]) -> str | None:
        """Like :meth:`closure_match`, and also ``"importer's program"``: a file that imports ``path``
        (transitively), or a module that file imports. For what is global to a TF1 graph (the
        REGULARIZATION_LOSSES and UPDATE_OPS collections): a helper that builds the train op sees
        what the script calling it registered."""
        found = self.closure_match(path, pattern)
        if found is not None:
            return found
        for importer in sorted(self.importers_closure(path)):
            if self.closure_match(importer, pattern) is not None:
                return "importer's program"
        return None

    def closure_match(self, path: str, pattern: re.Pattern[str]) -> str | None:
        """Where ``pattern`` occurs: ``"file"`` (the file itself), ``"imported"`` (a module it imports,
        transitively), or None."""
        if pattern.search(self.texts.get(path, "")):
            return "file"
        for other in sorted(self.imports_closure(path)):
            if pattern.search(self.texts.get(other, "")):
                return "imported"
        return None

    # -- resolution --

    def _resolve_all(self, path: str) -> set[str]:
        text = self.texts[path]
        found: set[str] = set()
        for dots, module, names in _FROM_IMPORT.findall(text):
            imported = [n.split(" as ")[0].strip() for n in names.strip("()").replace("\n", " ").split(",")]
            imported = [n for n in imported if n and n != "*" and n.isidentifier()]
            if dots:
                found |= self._relative(path, len(dots), module, imported)
            elif module:
                found |= self._absolute(path, module, imported)
        for clause in _IMPORT.findall(text):
            for part in clause.split(","):
                dotted = part.strip().split(" as ")[0].strip()
                if dotted and all(p.isidentifier() for p in dotted.split(".")):
                    found |= self._absolute(path, dotted, [])
        found.discard(path)
        return found

    def _relative(self, path: str, level: int, module: str, names: list[str]) -> set[str]:
        base = PurePosixPath(path).parent
        for _ in range(level - 1):
            base = base.parent
        parts = [p for p in module.split(".") if p]
        return self._in_folder(base, parts, names)

    def _absolute(self, path: str, dotted: str, names: list[str]) -> set[str]:
        parts = dotted.split(".")
        folder = PurePosixPath(path).parent
        while True:
            found = self._in_folder(folder, parts, names)
            if found:
                return found
            if folder == PurePosixPath("."):
                break
            folder = folder.parent
        matches = set(self._modules.get(dotted, []))
        for name in names:
            matches |= set(self._modules.get(f"{dotted}.{name}", []))
        return matches if len(matches) <= _MAX_SUFFIX_MATCHES else set()

    def _in_folder(self, folder: PurePosixPath, parts: list[str], names: list[str]) -> set[str]:
        """The files ``folder/a/b`` stands for: each package ``__init__`` on the way, the module, and
        the submodules named in a ``from`` import."""
        found: set[str] = set()
        current = folder
        for index, part in enumerate(parts):
            current = current / part
            init = _norm(current / "__init__.py")
            module = _norm(current.with_suffix(".py")) if index == len(parts) - 1 else None
            if module is not None and module in self._paths:
                found.add(module)
            elif init in self._paths:
                found.add(init)
            elif _norm(current) not in self._folders:  # not even a namespace package
                return set()
        for name in names:
            for candidate in (_norm(current / f"{name}.py"), _norm(current / name / "__init__.py")):
                if candidate in self._paths:
                    found.add(candidate)
        return found


def _norm(path: PurePosixPath) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


def _suffixes(path: str) -> Iterable[str]:
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    for start in range(len(parts)):
        yield ".".join(parts[start:])


def _closure(path: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [path]
    while todo:
        current = todo.pop()
        for nxt in edges.get(current, ()):
            if nxt not in seen and nxt != path:
                seen.add(nxt)
                todo.append(nxt)
    return seen
