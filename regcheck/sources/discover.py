"""Discovery: the files a run checks, honouring ``.gitignore``, ``exclude`` and ``extend-exclude``."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from regcheck.sources.files import Problem, describe_os_error

if TYPE_CHECKING:  # imported when a directory is walked: checking named files does not need it
    import pathspec

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
# Never worth descending into (ruff's defaults, plus our cache).
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".mypy_cache",
    ".nox",
    ".tox",
    ".venv",
    "venv",
    ".eggs",
    "__pycache__",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    ".regcheck_cache",
    ".ipynb_checkpoints",
)


@dataclass
class Discovery:
    files: list[str]
    # Usage errors: a path named on the command line that does not exist (exit 2).
    problems: list[Problem]
    # Files found (or named) that cannot be read: broken links, link loops. They become RC001
    # findings, like files whose bytes cannot be decoded.
    unreadable: list[Problem] = field(default_factory=list)
    # Directories met while walking and skipped: one that cannot be read (no permission), a symbolic
    # link back into the walk (a loop). A warning each on stderr, as ruff does; the rest is checked.
    skipped: list[Problem] = field(default_factory=list)


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def discover(
    paths: Iterable[str],
    root: Path,
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> Discovery:
    """Expand paths into source files. Explicit files are always taken, as in ruff, unless
    ``force_exclude`` (pre-commit names every staged file: the excludes must still apply)."""
    excluded: pathspec.GitIgnoreSpec | None = None
    found: list[str] = []
    problems: list[Problem] = []
    unreadable: list[Problem] = []
    skipped: list[Problem] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if force_exclude:
            excluded = excluded or _spec(list(DEFAULT_EXCLUDES) + list(exclude))
            if _force_excluded(path, root, excluded):
                continue
        try:
            os.stat(path)
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError) and not os.path.islink(raw)
            (problems if missing else unreadable).append(Problem(raw, describe_os_error(raw, exc)))
            continue
        if not path.is_dir():
            _add(found, seen, raw)  # named explicitly: taken as is (read_source reports FIFOs etc.)
            continue
        if excluded is None:
            excluded = _spec(list(DEFAULT_EXCLUDES) + list(exclude))
        for file in _walk(path, root, excluded, respect_gitignore, unreadable, skipped):
            _add(found, seen, file)
    return Discovery(found, problems, unreadable, _once(skipped))


def _once(problems: list[Problem]) -> list[Problem]:
    """Each skipped directory once, however many routes led to it."""
    return list(dict.fromkeys(problems))


def is_excluded(path: str, root: Path, exclude: Iterable[str] = ()) -> bool:
    """Would ``--force-exclude`` drop this named path (e.g. the one given by --stdin-filename)?"""
    return _force_excluded(Path(path), root, _spec(list(DEFAULT_EXCLUDES) + list(exclude)))


def _force_excluded(path: Path, root: Path, excluded: pathspec.GitIgnoreSpec) -> bool:
    """An explicitly named path that an exclude pattern covers, itself or through a parent folder."""
    relative = _relative_to(path, root)
    candidate = relative if relative is not None else path.as_posix()
    parts = [part for part in candidate.split("/") if part not in ("", ".")]
    for index in range(len(parts)):
        prefix = "/".join(parts[: index + 1])
        is_dir = index < len(parts) - 1 or path.is_dir()
        if excluded.match_file(parts[index] + ("/" if is_dir else "")) or excluded.match_file(
            prefix + ("/" if is_dir else "")
        ):
            return True
    return False


def _add(found: list[str], seen: set[str], path: str) -> None:
    while path.startswith("./") and len(path) > 2:  # `regcheck .` prints model.py, not ./model.py
        path = path[2:]
    key = os.path.normpath(path)
    if key not in seen:
        seen.add(key)
        found.append(path)


def _resolve_parent(path: Path) -> Path:
    """The absolute path with the directories resolved but not the entry itself.

    Ignore patterns match the name a link has (as git does), and resolving the
    entry would raise on a symlink loop.
    """
    return path.absolute().parent.resolve() / path.name


def _relative_to(path: Path, root: Path) -> str | None:
    try:
        return _resolve_parent(path).relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _walk(
    top: Path,
    root: Path,
    excluded: pathspec.GitIgnoreSpec,
    respect_gitignore: bool,
    problems: list[Problem],
    skipped: list[Problem],
) -> Iterator[str]:
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] | None = None  # None: no .gitignore at all, nested ones included
    if respect_gitignore:
        ignores = _parent_gitignores(top)
        if _ignored(top, True, root, _spec([]), ignores):
            # The user named an ignored directory explicitly: check it, as they asked.
            ignores = []
    visited: set[tuple[int, int]] = set()
    yield from _walk_dir(top, root, excluded, ignores, _Found(problems, skipped), visited)


@dataclass
class _Found:
    """What a walk meets besides source files: files that cannot be read (RC001), directories skipped."""

    unreadable: list[Problem]
    skipped: list[Problem]


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where the folder cannot be searched (``is_file`` raises on EACCES)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _parent_gitignores(top: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """.gitignore files above the walked directory, up to the repository root."""
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    current = top.resolve()
    for parent in [current, *current.parents][1:]:
        gitignore = parent / ".gitignore"
        if _is_file(gitignore):
            specs.append((parent, _load_gitignore(gitignore)))
        if os.path.lexists(parent / ".git"):
            break
    return specs


def _load_gitignore(path: Path) -> pathspec.GitIgnoreSpec:
    try:
        return _spec(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return _spec([])


def _ignored(
    path: Path,
    is_dir: bool,
    root: Path,
    excluded: pathspec.GitIgnoreSpec,
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] | None,
) -> bool:
    suffix = "/" if is_dir else ""
    if excluded.match_file(path.name + suffix):
        return True
    relative = _relative_to(path, root)
    if relative is not None and excluded.match_file(relative + suffix):
        return True
    resolved = _resolve_parent(path)
    for base, spec in ignores or ():
        try:
            rel = resolved.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(rel + suffix):
            return True
    return False


def _walk_dir(
    directory: Path,
    root: Path,
    excluded: pathspec.GitIgnoreSpec,
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] | None,
    found: _Found,
    visited: set[tuple[int, int]],
    ancestors: tuple[tuple[int, int], ...] = (),
) -> Iterator[str]:
    try:
        info = directory.stat()
    except OSError as exc:
        found.skipped.append(Problem(str(directory), _directory_error(exc)))
        return
    key = (info.st_dev, info.st_ino)
    if key in ancestors:
        # A link back to a folder being walked (`up -> ..`): harmless, and walked once already.
        found.skipped.append(
            Problem(str(directory), "symbolic link loop (a link to a folder that contains it), skipped")
        )
        return
    if key in visited:
        return  # a second name (symlink) for a directory already checked
    visited.add(key)
    try:
        # Real directories before symlinks, so a file reached both ways is reported under its real path.
        entries = sorted(os.scandir(directory), key=lambda e: (e.is_symlink(), e.name))
    except OSError as exc:
        found.skipped.append(Problem(str(directory), _directory_error(exc)))
        return
    gitignore = directory / ".gitignore"
    if ignores is not None and _is_file(gitignore):
        ignores = [*ignores, (directory.resolve(), _load_gitignore(gitignore))]
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError:  # e.g. ELOOP: a link that cannot be followed
            is_dir = is_file = False
        if _ignored(path, is_dir, root, excluded, ignores):
            continue
        if not (is_dir or is_file) and entry.is_symlink():
            try:
                os.stat(path)
            except OSError as exc:
                if entry.name.endswith(SOURCE_SUFFIXES):  # a source file that cannot be read: RC001
                    found.unreadable.append(Problem(str(path), describe_os_error(entry.path, exc)))
                elif exc.errno == errno.ELOOP:  # links that lead to each other, never to a folder
                    found.skipped.append(Problem(str(path), "symbolic link loop, skipped"))
            continue
        if is_dir:
            yield from _walk_dir(path, root, excluded, ignores, found, visited, (*ancestors, key))
        elif is_file and entry.name.endswith(SOURCE_SUFFIXES):
            yield str(path)


def _directory_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "cannot read directory: permission denied, skipped"
    return f"cannot read directory: {(exc.strerror or str(exc)).lower()}, skipped"
