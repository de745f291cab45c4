"""Files: discovery (ignore files, excludes) and reading/writing source exactly as it is on disk."""

from __future__ import annotations

import ast
import errno
import io
import os
import re
import stat
import tempfile
import tokenize
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a directory is walked: checking named files does not need it
    import pathspec

    from regcheck.findings import Finding

# Split after \r\n, \r or \n, keeping each line's ending: the way Python's tokenizer and libcst count lines.
LINE_END = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")

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
MAX_FILE_BYTES = 10 * 1024 * 1024
# Notebooks carry their outputs (plots as base64): the code is a small part of the bytes.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """Something that is not a finding but stops a file from being checked: one line for the user."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def unreadable_finding(problem: Problem) -> Finding:
    """RC001: a file regcheck cannot read is reported like any finding (so ``--exit-zero``,
    ``--fail-on``, ``--ignore`` and every output format apply), not as an exit-2 error."""
    from regcheck.catalog import RULES
    from regcheck.findings import Finding

    info = RULES["RC001"]
    line = problem.line or 1
    column = problem.column or 1
    return Finding(info.code, info.name, info.severity, problem.path, line, column, line, column, problem.message)


class SourceError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class SourceFile:
    """Decoded text plus what it takes to write it back byte-for-byte the same way."""

    path: str
    text: str
    encoding: str = "utf-8"
    bom: bool = False
    raw: bytes = field(default=b"", repr=False)

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom and self.encoding == "utf-8" else data


def decode_source(path: str, data: bytes) -> SourceFile:
    """Decode like Python does (PEP 263 cookie, BOM) without translating line endings."""
    if b"\x00" in data[:8192]:
        raise SourceError(Problem(path, "not a text file (contains NUL bytes)"))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        reason = exc.msg if hasattr(exc, "msg") else str(exc)
        if data.startswith(b"\xef\xbb\xbf") and "encoding problem" in reason:
            reason = "a UTF-8 byte order mark and a coding cookie for another encoding"
        raise SourceError(Problem(path, f"cannot read: {reason}", 1, 1)) from None
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        line, column = _position_of_byte(body, getattr(exc, "start", 0))
        reason = f"cannot decode as {codec}" if isinstance(exc, UnicodeDecodeError) else f"unknown encoding {codec!r}"
        raise SourceError(Problem(path, reason, line, column)) from None
    return SourceFile(path, text, codec, bom, data)


def _position_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def python_syntax_error(text: str) -> tuple[int, int, str] | None:
    """CPython's own (line, column, message) for source that does not parse, else None.

    Its messages ("'(' was never closed", "invalid syntax") and positions are the
    ones users know from running their code, clearer than the parser we lint with.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
        try:
            ast.parse(text)
        except SyntaxError as exc:
            return exc.lineno or 1, exc.offset or 1, exc.msg
        except (ValueError, RecursionError, MemoryError) as exc:
            return 1, 1, str(exc) or type(exc).__name__
    return None


def read_source(path: str) -> SourceFile:
    """Read and decode one source file; every way this can fail is a SourceError with one line."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(Problem(path, "is a directory"))
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or device would block or never end: never open it.
            raise SourceError(Problem(path, "not a regular file, skipped"))
        limit = MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else MAX_FILE_BYTES
        if info.st_size > limit:
            raise SourceError(Problem(path, f"skipped: {info.st_size} bytes is over the {limit} byte limit"))
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except SourceError:
        raise
    except OSError as exc:
        raise SourceError(Problem(path, describe_os_error(path, exc))) from None
    if len(data) > limit:  # grew since stat
        raise SourceError(Problem(path, f"skipped: over the {limit} byte limit"))
    return decode_source(path, data)


def describe_os_error(path: str, exc: OSError) -> str:
    """One line for an OSError on ``path``, naming symlink trouble precisely."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "cannot read: permission denied"
    return f"cannot read: {exc.strerror or exc}"


class WriteError(OSError):
    """Fixes were not written; ``strerror`` says why in one line (the old file is untouched)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EIO, message)


def write_source_atomic(source: SourceFile, new_text: str) -> None:
    """Write through a temp file in the same directory and rename, keeping mode, owner and encoding.

    A crash at any point leaves either the old file or the new one, never a mix.
    A symlink is followed (the link stays a link), and a file that changed on disk
    since it was read is not overwritten.
    """
    target = Path(os.path.realpath(source.path))
    try:
        data = source.encode(new_text)
    except UnicodeEncodeError as exc:
        raise WriteError(f"the fixed code cannot be encoded as {source.encoding} ({exc.reason})") from None
    info = os.stat(target)
    if source.raw:
        with open(target, "rb") as handle:
            if handle.read() != source.raw:
                raise WriteError("the file changed on disk while regcheck was running; not overwritten")
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".regcheck-tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (os.stat(temp_name).st_uid, os.stat(temp_name).st_gid) != (
            info.st_uid,
            info.st_gid,
        ):
            try:
                os.chown(temp_name, info.st_uid, info.st_gid)
            except OSError:
                pass  # not permitted for non-root users: the new file is theirs, as an editor would do
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- discovery -------------------------------------------------------------


@dataclass
class Discovery:
    files: list[str]
    # Usage errors: a path named on the command line that does not exist (exit 2).
    problems: list[Problem]
    # Entries found (or named) that cannot be read: broken links, link loops, unreadable
    # directories. They become RC001 findings, like files whose bytes cannot be decoded.
    unreadable: list[Problem] = field(default_factory=list)


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
        for file in _walk(path, root, excluded, respect_gitignore, unreadable):
            _add(found, seen, file)
    return Discovery(found, problems, unreadable)


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
    top: Path, root: Path, excluded: pathspec.GitIgnoreSpec, respect_gitignore: bool, problems: list[Problem]
) -> Iterator[str]:
    ignores: list[tuple[Path, pathspec.GitIgnoreSpec]] | None = None  # None: no .gitignore at all, nested ones included
    if respect_gitignore:
        ignores = _parent_gitignores(top)
        if _ignored(top, True, root, _spec([]), ignores):
            # The user named an ignored directory explicitly: check it, as they asked.
            ignores = []
    visited: set[tuple[int, int]] = set()
    yield from _walk_dir(top, root, excluded, ignores, problems, visited)


def _parent_gitignores(top: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """.gitignore files above the walked directory, up to the repository root."""
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    current = top.resolve()
    for parent in [current, *current.parents][1:]:
        gitignore = parent / ".gitignore"
        if gitignore.is_file():
            specs.append((parent, _load_gitignore(gitignore)))
        if (parent / ".git").exists():
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
    problems: list[Problem],
    visited: set[tuple[int, int]],
    ancestors: tuple[tuple[int, int], ...] = (),
) -> Iterator[str]:
    try:
        info = directory.stat()
    except OSError as exc:
        problems.append(Problem(str(directory), f"cannot read directory: {exc.strerror or exc}"))
        return
    key = (info.st_dev, info.st_ino)
    if key in ancestors:
        problems.append(Problem(str(directory), "symbolic link loop, skipped"))
        return
    if key in visited:
        return  # a second name (symlink) for a directory already checked
    visited.add(key)
    gitignore = directory / ".gitignore"
    if ignores is not None and gitignore.is_file():
        ignores = [*ignores, (directory.resolve(), _load_gitignore(gitignore))]
    try:
        # Real directories before symlinks, so a file reached both ways is reported under its real path.
        entries = sorted(os.scandir(directory), key=lambda e: (e.is_symlink(), e.name))
    except OSError as exc:
        problems.append(Problem(str(directory), f"cannot read directory: {exc.strerror or exc}"))
        return
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
            if entry.name.endswith(SOURCE_SUFFIXES):
                try:
                    os.stat(path)
                except OSError as exc:
                    problems.append(Problem(str(path), describe_os_error(entry.path, exc)))
            continue
        if is_dir:
            yield from _walk_dir(path, root, excluded, ignores, problems, visited, (*ancestors, key))
        elif is_file and entry.name.endswith(SOURCE_SUFFIXES):
            yield str(path)
