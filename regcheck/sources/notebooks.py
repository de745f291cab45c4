"""Jupyter notebooks: the code cells as one module, positions mapped back to cells, and the way back.

Code cells are concatenated in notebook order (so an import in cell 1 resolves
in cell 5, as it does in the kernel), with a marker comment between cells. IPython
syntax (``%magic``, ``!shell``, ``obj?``, ``x = !cmd``) is masked line by line with
a ``pass`` placeholder that keeps indentation and line numbers; cells whose cell
magic is not Python (``%%bash``, ``%%writefile``) and cells tagged with another
VS Code language are left out.

Cells are numbered 1-based among *all* cells (markdown and raw included), which
is the position a user sees when scrolling a notebook and ``nb.cells[cell - 1]``
in nbformat; lines and columns are relative to the cell.

Reading and writing use plain :mod:`json` so notebooks work without nbformat
(the pre-commit hook installs regcheck without extras). Everything except the
fixed cells' ``source`` is written back as it was loaded: outputs, metadata,
key order, indentation, ``ensure_ascii`` style, line endings and the trailing
newline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from regcheck.config.catalog import RULES
from regcheck.findings import Edit, Finding
from regcheck.sources.text import python_syntax_error

# Cell magics whose body is Python run in the kernel; any other cell magic makes the cell foreign.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_BOUNDARY = "# regcheck-cell-boundary {}"
_BOUNDARY_LINE = re.compile(r"^# regcheck-cell-boundary (\d+)\r?\n?$")
_MAGIC_TAG = re.compile(r"# regcheck-magic (\d+)\r?\n?$")
# `obj?`, `obj??`, `?obj`, `??obj`, `?? obj` (IPython help), `%psearch a*?`-style wildcards included.
_HELP = re.compile(r"^\s*(\?{1,2}[ \t]*[\w.*]+|[\w.*]+[ \t]*\?{1,2})\s*$")
# `files = !ls`, `out = %sx ls`, `a, b = %time f()`.
_ASSIGNED_MAGIC = re.compile(r"^\s*[\w.\[\](), *]+?\s*=\s*[%!]")
# IPython's automagics: line magics (and shell aliases) that run without `%` when a line
# starts with their name, e.g. `cd ..`, `ls -la`, `pip install foo`, `pwd`.
AUTOMAGICS = frozenset(
    """alias autoawait autocall automagic autoreload bookmark cat cd clear colors conda config cp debug dhist dirs
    doctest_mode edit env gui hist history killbgscripts ldir less lf lk ll load load_ext logoff logon logstart
    logstate logstop ls lsmagic lx macro magic mamba man matplotlib micromamba mkdir more mv notebook page pastebin
    pdb pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat pylab
    quickref recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run save sc set_env store sx
    system tb time timeit unalias unload_ext uv who who_ls whos xdel xmode""".split()  # noqa: SIM905  (a word list reads better as words)
)
_AUTOMAGIC = re.compile(r"^[ \t]*(?P<name>[A-Za-z_]\w*)(?:[ \t]+(?P<rest>.*?))?[ \t]*\r?\n?$")
# Messages that point at another line ("..., line 5)") must point into cells too.
_LINE_REF = re.compile(r"\bline (\d+)\b")


class NotebookError(Exception):
    """The file is not a notebook regcheck can read; the message is one line for the user."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Cell:
    number: int  # 1-based among all cells
    node: dict[str, Any]  # the cell's JSON object (edited in place when fixing)
    key: str  # "source" (nbformat 4) or "input" (nbformat 3)
    source: str
    as_list: bool  # stored as a list of lines rather than one string


@dataclass
class Document:
    """A notebook's Python cells as one module, with the way back to cells and lines."""

    notebook: dict[str, Any]
    cells: list[Cell]  # every code cell
    included: list[Cell]  # the code cells that are Python and parse
    text: str
    # concatenated line (1-based) -> (cell number, line in cell); marker lines map to None.
    line_map: list[tuple[int, int] | None]
    masked: dict[int, str]  # placeholder id -> original line (without its newline)
    masks: dict[int, range] = field(default_factory=dict)  # cell number -> its placeholder ids
    syntax_errors: list[Finding] = field(default_factory=list)
    # cell number -> the leading indentation IPython strips from it (uniformly indented cells)
    indents: dict[int, str] = field(default_factory=dict)
    # cell number -> which of its lines lost the indentation, for a cell only partly indented (IPython
    # strips the first line's indentation from the lines that have it); fixes are not offered there.
    partial: dict[int, tuple[bool, ...]] = field(default_factory=dict)


# --- reading -----------------------------------------------------------------


def load_notebook(text: str) -> tuple[dict[str, Any], list[Cell]]:
    """Parse notebook JSON (nbformat 3 or 4) and return it with its code cells."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"invalid notebook: not JSON ({exc.msg})", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("invalid notebook: JSON nested too deeply") from None
    if not isinstance(notebook, dict):
        raise NotebookError("invalid notebook: the top level is not a JSON object")
    major = notebook.get("nbformat", 4)
    if isinstance(major, int) and major < 4 and isinstance(notebook.get("worksheets"), list):
        raw_cells = [c for sheet in notebook["worksheets"] if isinstance(sheet, dict) for c in sheet.get("cells", [])]
        key = "input"
    elif isinstance(notebook.get("cells"), list):
        raw_cells, key = notebook["cells"], "source"
    else:
        raise NotebookError("invalid notebook: no 'cells' list")
    cells = []
    for number, node in enumerate(raw_cells, start=1):
        if not isinstance(node, dict):
            raise NotebookError(f"invalid notebook: cell {number} is not a JSON object")
        if node.get("cell_type") != "code":
            continue
        value = node.get(key, "")
        if isinstance(value, list) and all(isinstance(part, str) for part in value):
            cells.append(Cell(number, node, key, "".join(value), True))
        elif isinstance(value, str):
            cells.append(Cell(number, node, key, value, False))
        else:
            raise NotebookError(f"invalid notebook: cell {number} has a {key!r} that is not text")
    return notebook, cells


def is_python_notebook(notebook: dict[str, Any]) -> bool:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for value in (_get(metadata, "language_info", "name"), _get(metadata, "kernelspec", "language")):
        if isinstance(value, str) and value:
            return value.lower() == "python"
    return True


def _get(mapping: dict[str, Any], *keys: str) -> Any:
    value: Any = mapping
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _foreign_language(cell: Cell) -> bool:
    """VS Code stores a per-cell language for SQL/markdown cells in Python notebooks."""
    language = _get(cell.node, "metadata", "vscode", "languageId")
    return isinstance(language, str) and language.lower() != "python"


# --- masking IPython syntax -----------------------------------------------------


class _Scanner:
    """Just enough tokenizing to know whether a line starts a new logical line."""

    def __init__(self) -> None:
        self.quote: str | None = None
        self.depth = 0
        self.continued = False

    @property
    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        i, n, comment = 0, len(line), False
        while i < n:
            char = line[i]
            if self.quote is not None:
                if char == "\\":
                    i += 2
                    continue
                if line.startswith(self.quote, i):
                    i += len(self.quote)
                    self.quote = None
                    continue
                if char in "\r\n" and len(self.quote) == 1:
                    self.quote = None  # unterminated: Python reports it, we just resync
                i += 1
                continue
            if char == "#":
                comment = True
                break
            if char in "\"'":
                self.quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else char
                i += len(self.quote)
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            i += 1
        body = line.rstrip("\r\n")
        self.continued = not comment and self.quote is None and body.endswith("\\")


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return (
        stripped[:1] in ("%", "!")
        or bool(_HELP.match(line))
        or bool(_ASSIGNED_MAGIC.match(line))
        or _is_automagic(line)
    )


def _is_automagic(line: str) -> bool:
    """`cd ..`, `ls`, `pip install x`: IPython runs a line that starts with a magic's name as that
    magic unless the rest is Python (an assignment, a call, an operator: IPython's PythonOpsChecker)."""
    match = _AUTOMAGIC.match(line)
    if match is None or match.group("name") not in AUTOMAGICS:
        return False
    rest = match.group("rest") or ""
    return not rest or rest[0] not in "!=()<>,+*/%^&|"


def strip_leading_indent(source: str) -> tuple[str, str, tuple[bool, ...] | None]:
    """IPython's leading-indent cleanup: when a cell's first line is indented, that indentation is
    removed from every line that starts with it (IPython's ``leading_indent``; a later line that does
    not start with it is left as it is). Returns the cell as IPython runs it, the prefix, and which
    lines lost it: None when every non-blank line did (the cell is uniformly indented), so that putting
    the prefix back on the non-blank lines gives the cell exactly as it was."""
    lines = source.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        return source, "", None
    first = lines[0]
    prefix = first[: len(first) - len(first.lstrip(" \t"))]
    if not prefix:
        return source, "", None
    stripped = tuple(line.startswith(prefix) for line in lines)
    text = "".join(line[len(prefix) :] if flag else line for line, flag in zip(lines, stripped))
    uniform = all(flag or not line.strip() for line, flag in zip(lines, stripped))
    return text, prefix, None if uniform else stripped


def _restore_indent(text: str, prefix: str, stripped: tuple[bool, ...] | None = None) -> str | None:
    lines = text.splitlines(keepends=True)
    if stripped is None:
        return "".join(prefix + line if line.strip() else line for line in lines)
    if len(lines) != len(stripped):
        return None  # the lines of a partly indented cell changed: no safe way back
    return "".join(prefix + line if flag else line for line, flag in zip(lines, stripped))


def _placeholder(indent: str, ident: int, line: str) -> str:
    ending = line[len(line.rstrip("\r\n")) :]
    return f"{indent}pass  # regcheck-magic {ident}{ending}"


def mask_cell(source: str, masked: dict[int, str]) -> str | None:
    """The cell with IPython-only lines replaced by placeholders, or None when it is not Python."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    start = 0
    if lines and lines[0].startswith("%%"):
        name = (lines[0][2:].split() or [""])[0]
        if name not in PYTHON_CELL_MAGICS:
            return None
        out.append(_mask(lines[0], "", masked))
        start = 1
    scanner = _Scanner()
    magic_indent: str | None = None  # set while a magic continues with a trailing backslash
    for line in lines[start:]:
        if magic_indent is not None or (scanner.at_statement_start and _is_magic(line)):
            indent = magic_indent if magic_indent is not None else line[: len(line) - len(line.lstrip())]
            out.append(_mask(line, indent, masked))
            magic_indent = indent if line.rstrip("\r\n").endswith("\\") else None
            continue
        scanner.feed(line)
        out.append(line)
    return "".join(out)


def _mask(line: str, indent: str, masked: dict[int, str]) -> str:
    ident = len(masked)
    masked[ident] = line.rstrip("\r\n")
    return _placeholder(indent, ident, line)


# --- the concatenated document ------------------------------------------------


def build_document(path: str, text: str, codes: frozenset[str]) -> Document:
    notebook, cells = load_notebook(text)
    return document_of(path, notebook, cells, codes)


def document_of(path: str, notebook: dict[str, Any], cells: list[Cell], codes: frozenset[str]) -> Document:
    masked: dict[int, str] = {}
    parts: list[str] = []
    line_map: list[tuple[int, int] | None] = []
    included: list[Cell] = []
    errors: list[Finding] = []
    masks: dict[int, range] = {}
    indents: dict[int, str] = {}
    partial: dict[int, tuple[bool, ...]] = {}
    for cell in cells:
        if _foreign_language(cell):
            continue
        first_mask = len(masked)
        dedented, indent, stripped = strip_leading_indent(cell.source)
        body = mask_cell(dedented, masked)
        if body is None:
            continue
        error = _cell_syntax_error(path, cell.number, body)
        if error is not None:
            if "RC000" in codes:
                shift = (
                    len(indent)
                    if stripped is None or (0 < error.line <= len(stripped) and stripped[error.line - 1])
                    else 0
                )
                errors.append(error.with_changes(column=error.column + shift, end_column=error.end_column + shift))
            continue
        if indent:
            indents[cell.number] = indent
        if stripped is not None:
            partial[cell.number] = stripped
        if included:
            parts.append(_BOUNDARY.format(cell.number) + "\n")
            line_map.append(None)
        if body and not body.endswith(("\n", "\r")):
            body += "\n"
        parts.append(body)
        line_map.extend((cell.number, n) for n in range(1, len(body.splitlines()) + 1))
        included.append(cell)
        masks[cell.number] = range(first_mask, len(masked))
    return Document(notebook, cells, included, "".join(parts), line_map, masked, masks, errors, indents, partial)


def _cell_syntax_error(path: str, number: int, body: str) -> Finding | None:
    """A cell that does not parse is reported on its own and left out, so the other cells still count."""
    error = python_syntax_error(body)
    if error is None:
        return None
    line, column, message = error
    info = RULES["RC000"]
    return Finding(
        info.code, info.name, info.severity, path, line, column, line, column, f"syntax error: {message}", cell=number
    )


def _to_cell(document: Document, line: int) -> tuple[int, int]:
    """(cell, line in cell) of a concatenated line; a marker line counts as the next cell's line 1."""
    if not document.line_map:
        return (document.included[0].number if document.included else 1), line
    index = min(max(line, 1), len(document.line_map)) - 1
    for probe in range(index, len(document.line_map)):
        where = document.line_map[probe]
        if where is not None:
            if probe == index:
                return where
            return where[0], 1
    last = document.line_map[-1]
    assert last is not None
    return last[0], last[1] + (line - len(document.line_map))


def cell_position(document: Document, line: int, column: int = 1) -> tuple[int, int, int]:
    """(cell, line in cell, column in cell as stored) of a position in the notebook's module."""
    cell, cell_line = _to_cell(document, line)
    shift = len(document.indents.get(cell, ""))
    flags = document.partial.get(cell)
    if flags is not None and not (0 < cell_line <= len(flags) and flags[cell_line - 1]):
        shift = 0
    return cell, cell_line, column + shift


def map_finding(document: Document, finding: Finding) -> Finding:
    cell, line = _to_cell(document, finding.line)
    end_cell, end_line = _to_cell(document, finding.end_line)
    end_column = finding.end_column
    if end_cell != cell:  # a span across cells is cut to its start: editors show one cell at a time
        end_line, end_column = line, finding.column
    fix = finding.fix
    if fix is not None:
        fix = type(fix)(fix.applicability, fix.message, tuple(_map_edit(document, e) for e in fix.edits), fix.imports)
    message = _LINE_REF.sub(lambda m: "cell {}, line {}".format(*_to_cell(document, int(m.group(1)))), finding.message)
    shift = len(document.indents.get(cell, ""))  # columns in a cell IPython dedents
    flags = document.partial.get(cell)
    if flags is not None:
        fix = None  # a partly indented cell cannot take edits back safely
        if not (0 < line <= len(flags) and flags[line - 1]):
            shift = 0
    return finding.with_changes(
        cell=cell,
        line=line,
        column=finding.column + shift,
        end_line=end_line,
        end_column=end_column + shift,
        fix=fix,
        message=message,
    )


def _map_edit(document: Document, edit: Edit) -> Edit:
    cell, line = _to_cell(document, edit.line)
    _, end_line = _to_cell(document, edit.end_line)
    indent = document.indents.get(cell, "")
    content = edit.content
    if indent:  # the cell as stored is indented: so is every line the edit inserts
        first, *others = content.split("\n")
        content = "\n".join([first, *(indent + rest if rest.strip() else rest for rest in others)])
    return Edit(line, edit.column + len(indent), max(line, end_line), edit.end_column + len(indent), content, cell)


# --- the way back ---------------------------------------------------------------


def split_cells(document: Document, fixed: str) -> dict[int, str] | None:
    """The fixed text cut back into cell sources (magics restored), or None if the markers moved."""
    numbers = [cell.number for cell in document.included]
    pieces: list[list[str]] = [[]]
    seen: list[int] = [numbers[0]] if numbers else []
    for line in fixed.splitlines(keepends=True):
        marker = _BOUNDARY_LINE.match(line)
        if marker:
            seen.append(int(marker.group(1)))
            pieces.append([])
        else:
            pieces[-1].append(line)
    if seen != numbers:
        return None
    restored: dict[int, str] = {}
    used: set[int] = set()
    for cell, lines in zip(document.included, pieces):
        out = []
        for line in lines:
            tag = _MAGIC_TAG.search(line)
            ident = int(tag.group(1)) if tag else -1
            if ident in document.masks[cell.number] and ident not in used:
                used.add(ident)
                line = document.masked[ident] + line[len(line.rstrip("\r\n")) :]
            out.append(line)
        restored_text = _restore_indent(
            "".join(out), document.indents.get(cell.number, ""), document.partial.get(cell.number)
        )
        if restored_text is None:
            return None
        text = restored_text
        if not cell.source.endswith(("\n", "\r")) and text.endswith("\n"):
            text = text[:-2] if text.endswith("\r\n") else text[:-1]
        restored[cell.number] = text
    if used != {ident for ids in document.masks.values() for ident in ids}:
        return None  # a fix removed or duplicated a masked magic line
    return restored


def dump_like(notebook: dict[str, Any], original: str) -> str:
    """Serialize ``notebook`` in the original file's JSON style."""
    head = re.match(r"\{(\r?\n)([ \t]*)", original)
    indent: str | None = head.group(2) if head else None
    ensure_ascii = original.isascii() and "\\u" in original
    text = json.dumps(notebook, indent=indent, ensure_ascii=ensure_ascii)
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    trailing = original[len(original.rstrip("\r\n")) :]
    return text + trailing
