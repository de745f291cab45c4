"""Reading one source file exactly as it is on disk, and saying in one line why it cannot be read."""

from __future__ import annotations

import errno
import io
import os
import stat
import tokenize
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regcheck.findings import Finding

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
    from regcheck.config.catalog import RULES
    from regcheck.findings import Finding

    info = RULES["RC001"]
    line = problem.line or 1
    column = problem.column or 1
    return Finding(info.code, info.name, info.severity, problem.path, line, column, line, column, problem.message)


# Byte order marks of encodings CPython's tokenizer does not read (UTF-32 first: its LE mark starts with UTF-16's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


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
    for mark, name in _WIDE_BOMS:
        if data.startswith(mark):  # text, but not in an encoding Python (or Jupyter) reads source in
            reason = f"{name} text (it starts with a {name} byte order mark): Python reads source as UTF-8"
            raise SourceError(Problem(path, f"{reason}; save it as UTF-8", 1, 1))
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
