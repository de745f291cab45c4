"""A Python file or a notebook as one module text; and the mutated text written back.

A notebook's Python code cells are concatenated in order (so a name bound in cell 2 is seen in cell
5, as in the kernel), with nothing between them: every module line belongs to exactly one cell.
IPython lines (``%magic``, ``!shell``, ``obj?``, ``x = !cmd``) are masked by a tagged ``pass`` with
the same indentation, and restored when a mutated cell is written back. A cell that does not parse
on its own after masking (Python 2, a cell magic that is not Python) is left out of the module;
regcheck reports on it as before, and no mutation touches it.

A mutation changes one cell: writing back takes the changed cell's new lines between the unchanged
lines before and after it, and leaves every other cell, output and metadata as it was.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_HELP = re.compile(r"^\s*(\?{1,2}[\w.*]+|[\w.*]+\?{1,2})\s*$")
_ASSIGNED_MAGIC = re.compile(r"^\s*[\w.\[\](), *]+?\s*=\s*[%!]")
_MASK = "pass  # mutmask{}"
_MASKED = re.compile(r"^([ \t]*)pass  # mutmask(\d+)$")
_NEWLINE = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"


def split_lines(text: str) -> list[str]:
    """Lines with their ends, split where libcst and regcheck count lines (``\\r\\n``, ``\\r``, ``\\n``)."""
    lines, start = [], 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


@dataclass
class CellSpan:
    number: int  # 1-based among all cells, as regcheck numbers them
    start: int  # its first line in the module text (1-based)
    count: int  # its lines in the module text
    added_newline: bool  # the cell did not end with a newline; one was added for the module
    masks: dict[int, str] = field(default_factory=dict)  # mask id -> original line (no newline)


@dataclass
class Source:
    rel: str  # path relative to the repository, with "/"
    text: str  # the module text (a notebook: its Python cells, concatenated)
    notebook: dict[str, Any] | None = None
    cells: list[CellSpan] = field(default_factory=list)
    bom: bool = False

    @property
    def is_notebook(self) -> bool:
        return self.notebook is not None

    def cell_of(self, line: int) -> CellSpan | None:
        for cell in self.cells:
            if cell.start <= line < cell.start + cell.count:
                return cell
        return None

    def place(self, line: int) -> tuple[int | None, int]:
        """A module line as regcheck reports it: (cell or None, line in the cell or file)."""
        if not self.is_notebook:
            return None, line
        cell = self.cell_of(line)
        if cell is None:
            return -1, line
        return cell.number, line - cell.start + 1

    def module_line(self, cell: int | None, line: int) -> int | None:
        """regcheck's (cell, line) as a module line; None for a cell left out of the module."""
        if not self.is_notebook:
            return line
        for span in self.cells:
            if span.number == cell:
                return span.start + line - 1
        return None

    def render(self, new_text: str, line: int) -> bytes:
        """The file's bytes after the module text became ``new_text`` (a notebook: only in the cell
        holding module ``line`` of the old text may lines differ)."""
        if self.notebook is None:
            return ((BOM if self.bom else "") + new_text).encode("utf-8")
        cell = self.cell_of(line)
        if cell is None:
            raise ValueError(f"{self.rel}: line {line} is in no Python cell")
        old, new = split_lines(self.text), split_lines(new_text)
        before, after = cell.start - 1, len(old) - (cell.start - 1 + cell.count)
        if new[:before] != old[:before] or (after and new[-after:] != old[-after:]) or len(new) < before + after:
            raise ValueError(f"{self.rel}: the mutation changed lines outside cell {cell.number}")
        body = "".join(new[before : len(new) - after])
        body = "".join(_unmask(part, cell.masks) for part in split_lines(body))
        if cell.added_newline and body.endswith("\n"):
            body = body[:-1]
        notebook = json.loads(json.dumps(self.notebook))  # a copy: the original stays as loaded
        node = notebook["cells"][cell.number - 1]
        node["source"] = split_lines(body) if isinstance(node["source"], list) else body
        return (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _unmask(line: str, masks: dict[int, str]) -> str:
    body = line.rstrip("\r\n")
    match = _MASKED.match(body)
    if match is None:
        return line
    original = masks.get(int(match.group(2)))
    if original is None:
        return line
    return match.group(1) + original.lstrip() + line[len(body) :]


def load(path: Path, rel: str) -> Source | None:
    """The file as a module text, or None when it cannot be read as UTF-8 Python or an nbformat 4 notebook."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".ipynb":
        return _load_notebook(text, rel)
    bom = text.startswith(BOM)
    return Source(rel, text[1:] if bom else text, bom=bom)


def _load_notebook(text: str, rel: str) -> Source | None:
    try:
        notebook = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    parts: list[str] = []
    cells: list[CellSpan] = []
    line, mask_id = 1, 0
    for number, node in enumerate(notebook["cells"], start=1):
        if not isinstance(node, dict) or node.get("cell_type") != "code":
            continue
        value = node.get("source", "")
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            body = "".join(value)
        elif isinstance(value, str):
            body = value
        else:
            continue
        masked, masks, mask_id = _mask_cell(body, mask_id)
        if masked is None or not masked.strip():
            continue
        try:
            ast.parse(masked)
        except (SyntaxError, ValueError):
            continue
        added = not masked.endswith(("\n", "\r"))
        if added:
            masked += "\n"
        count = len(split_lines(masked))
        cells.append(CellSpan(number, line, count, added, masks))
        parts.append(masked)
        line += count
    return Source(rel, "".join(parts), notebook=notebook, cells=cells)


def _mask_cell(body: str, mask_id: int) -> tuple[str | None, dict[int, str], int]:
    lines = split_lines(body)
    masks: dict[int, str] = {}
    out = []
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        stripped = text.lstrip()
        if index == 0 and stripped.startswith("%%"):
            magic = stripped[2:].split(None, 1)[0] if stripped[2:].strip() else ""
            if magic not in _PYTHON_CELL_MAGICS:
                return None, {}, mask_id  # not Python
        if stripped.startswith(("%", "!")) or _HELP.match(text) or _ASSIGNED_MAGIC.match(text):
            indent = text[: len(text) - len(stripped)]
            masks[mask_id] = text
            out.append(indent + _MASK.format(mask_id) + line[len(text) :])
            mask_id += 1
        else:
            out.append(line)
    return "".join(out), masks, mask_id


@dataclass
class LineMap:
    """Old module lines -> new module lines after a mutation, and the lines the mutation changed."""

    old_to_new: dict[int, int]
    changed: set[int]  # new lines (1-based) that differ, and the lines around a pure deletion

    @classmethod
    def between(cls, old_text: str, new_text: str) -> LineMap:
        old, new = split_lines(old_text), split_lines(new_text)
        mapping: dict[int, int] = {}
        changed: set[int] = set()
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for offset in range(i2 - i1):
                    mapping[i1 + offset + 1] = j1 + offset + 1
                continue
            for i in range(i1, i2):
                mapping[i + 1] = min(j1 + 1 + (i - i1), max(j2, j1 + 1))
            if j2 > j1:
                changed.update(range(j1 + 1, j2 + 1))
            else:  # lines deleted: the lines on either side of the cut
                changed.update({j1, j1 + 1})
        changed.discard(0)
        return cls(mapping, changed)

    def span(self, first: int, last: int) -> set[int]:
        """The new lines that old lines ``first..last`` became (a span's ends, and all between)."""
        ends = [self.old_to_new[line] for line in range(first, last + 1) if line in self.old_to_new]
        return set(range(min(ends), max(ends) + 1)) if ends else set()


def same_shape(old: Source, new: Source) -> bool:
    """Whether a mutated file still parses: the whole module, and (a notebook) the same cells as before."""
    try:
        ast.parse(new.text)
    except (SyntaxError, ValueError):
        return False
    return [c.number for c in old.cells] == [c.number for c in new.cells]
