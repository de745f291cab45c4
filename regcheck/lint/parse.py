"""libcst's parse, in time and memory linear in the size of the file.

libcst's native parser has two costs that grow faster than the file:

- the time to parse one binary-operator chain (``a + b + c + ...``) grows faster than the square of
  its operands (its left-recursive rules copy the chain parsed so far at every step): a sum of 2,000
  ``tf.nn.l2_loss(w)`` terms takes about 18 s, against 0.2 s for the same calls a statement each;
- its working memory while parsing is about 40 KB a line, freed only at the end: 350 MB for an
  8,000-line file, 2 GB for 50,000 lines.

:func:`parse_module` gives the same tree as ``libcst.parse_module`` without either: a long file is
parsed in pieces of about :data:`CHUNK_LINES` lines cut between top-level statements, and the
pieces' statements are put into one module (:func:`_parse_in_chunks`); each long chain is parsed
a few dozen operands at a time and the pieces joined into the one left-leaning chain libcst builds
(:func:`_parse_with_pieces`). Long chains are found with CPython's parser, and only in text where
many operators stand close together (:func:`may_have_long_chain`), so other files pay nothing.
Whenever anything does not go as expected, the text is parsed the ordinary way.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass

import libcst as cst

LONG_CHAIN = 96  # operands: shorter chains cost libcst little
PIECE = 48  # operands parsed at once

# One isolated operator character (not part of `**`, `//`, `->`, `+=`, `--------` ...).
_OPERATOR = re.compile(r"(?<![-+*/|&%@^=<>!])[-+*/|&%@^](?![-+*/|&%@^=>])")
_DENSITY = 80  # characters per operator in a stretch that may hold a long chain

# Operators of one precedence level (the levels of Python's grammar that libcst parses left-recursively).
_LEVELS: dict[type, int] = {
    ast.BitOr: 0,
    ast.BitXor: 1,
    ast.BitAnd: 2,
    ast.LShift: 3,
    ast.RShift: 3,
    ast.Add: 4,
    ast.Sub: 4,
    ast.Mult: 5,
    ast.Div: 5,
    ast.FloorDiv: 5,
    ast.Mod: 5,
    ast.MatMult: 5,
}
_SYMBOLS: dict[type, str] = {
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
}
_CST_OPERATORS: dict[type, type] = {
    ast.BitOr: cst.BitOr,
    ast.BitXor: cst.BitXor,
    ast.BitAnd: cst.BitAnd,
    ast.LShift: cst.LeftShift,
    ast.RShift: cst.RightShift,
    ast.Add: cst.Add,
    ast.Sub: cst.Subtract,
    ast.Mult: cst.Multiply,
    ast.Div: cst.Divide,
    ast.FloorDiv: cst.FloorDivide,
    ast.Mod: cst.Modulo,
    ast.MatMult: cst.MatrixMultiply,
}
# Between two operands: whitespace, line continuations, comments and grouping parentheses only.
_GAP_PART = re.compile(r"[ \t\f\r\n()]|\\\r?\n|#[^\r\n]*")


CHUNK_LINES = 500  # lines of a long file parsed at once


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module(text)``: the same tree (and the same errors), in time and memory linear
    in the text."""
    lines = _LINE_END.split(text)
    if len(lines) > 2 * CHUNK_LINES:
        module = _parse_in_chunks(lines)
        if module is not None:
            return module
    return _parse_piece(text)


def _parse_piece(text: str) -> cst.Module:
    """One module's text, its long chains parsed in pieces."""
    if may_have_long_chain(text):
        chains = long_chains(text)
        if chains:
            try:
                module = _parse_with_pieces(text, chains)
            except Exception:  # anything unexpected: the ordinary parse decides (and raises its own errors)
                module = None
            if module is not None:
                return module
    return cst.parse_module(text)


# --- long files ---------------------------------------------------------------------------

_LINE_END = re.compile(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")  # as Python's tokenizer counts lines
_BLANK = frozenset({"\n", "\r\n", "\r"})
# A line that starts a top-level statement: at the margin, and not a clause of the statement before.
_STATEMENT_START = re.compile(r"(?!(?:else|elif|except|finally)\b)[A-Za-z_@(\[{'\"]")


def _cut_at(lines: list[str], index: int) -> bool:
    """May a chunk start at line ``index`` (0-based)? The line before holds code, and from ``index`` on
    come only empty lines and comments at the margin (libcst gives them to the next statement), then a
    line that starts a statement at the margin. A wrong guess (a cut inside a string or brackets) makes
    the chunk before it fail to parse, and the chunks are then joined."""
    before = lines[index - 1]
    stripped = before.strip()
    if not stripped or stripped.startswith("#") or before.rstrip("\r\n").endswith("\\"):
        return False
    while index < len(lines) and (lines[index] in _BLANK or lines[index].startswith("#")):
        index += 1
    return index < len(lines) and _STATEMENT_START.match(lines[index]) is not None


def _parse_in_chunks(lines: list[str]) -> cst.Module | None:
    """The module parsed a chunk of about :data:`CHUNK_LINES` lines at a time; None when the chunks
    do not make one module the way libcst would (a syntax error, mixed line endings or indentation):
    the caller then parses the whole text."""
    total = len(lines)
    modules: list[cst.Module] = []
    start = 0
    while start < total:
        end = _next_cut(lines, start + CHUNK_LINES)
        while True:
            try:
                modules.append(_parse_piece("".join(lines[start:end])))
                break
            except cst.ParserSyntaxError:
                if end >= total:
                    return None  # a syntax error: the whole parse reports it where it is
                end = _next_cut(lines, end + (end - start))  # the cut was inside a construct: take more
        start = end
    return _join(modules)


def _next_cut(lines: list[str], index: int) -> int:
    while index < len(lines) and not _cut_at(lines, index):
        index += 1
    return min(index, len(lines))


def _join(modules: list[cst.Module]) -> cst.Module | None:
    """One module of the chunks' statements, as libcst parses the whole text: what a chunk has before
    its first statement is that statement's leading lines (the first chunk's: the module header)."""
    first, last = modules[0], modules[-1]
    newline = first.default_newline
    indent = next((m.default_indent for m in modules if _has_block(m)), first.default_indent)
    body: list[cst.SimpleStatementLine | cst.BaseCompoundStatement] = list(first.body)
    for module in modules:
        if module.default_newline != newline or (_has_block(module) and module.default_indent != indent):
            return None  # lines or blocks that default differently: only the whole text can tell
        if module is not last and module.footer:
            return None
        if module is not first:
            if not module.body:
                return None
            head, *rest = module.body
            body.append(head.with_changes(leading_lines=(*module.header, *head.leading_lines)))
            body.extend(rest)
    if not first.body:
        return None
    return cst.Module(
        body=body,
        header=first.header,
        footer=last.footer,
        encoding=first.encoding,
        default_indent=indent,
        default_newline=newline,
        has_trailing_newline=last.has_trailing_newline,
    )


def _has_block(module: cst.Module) -> bool:
    """Some statement has an indented block (where libcst detects the module's indentation)."""
    for statement in module.body:
        if isinstance(statement, cst.BaseCompoundStatement):
            todo: list[cst.CSTNode] = [statement]
            while todo:
                node = todo.pop()
                body = getattr(node, "body", None)
                if isinstance(body, cst.IndentedBlock):
                    return True
                for name in ("orelse", "finalbody"):
                    clause = getattr(node, name, None)
                    if isinstance(clause, cst.CSTNode):
                        todo.append(clause)
                todo.extend(getattr(node, "handlers", ()))
                todo.extend(getattr(node, "cases", ()))
    return False


# --- long chains --------------------------------------------------------------------------


def may_have_long_chain(text: str) -> bool:
    """Some stretch of the text holds :data:`LONG_CHAIN` operators close together (a cheap test on the
    characters: most files, even long ones, have no such stretch)."""
    positions = [match.start() for match in _OPERATOR.finditer(text)]
    span = LONG_CHAIN * _DENSITY
    count = LONG_CHAIN - 1
    return any(last - first <= span for first, last in zip(positions, positions[count:]))


@dataclass(frozen=True)
class Chain:
    """One long left-leaning chain of one precedence level, as offsets into the text."""

    start: int  # where the chain's text starts (its first operand's grouping parentheses included)
    end: int  # where it ends
    cuts: tuple[int, ...]  # after operand k (its grouping parentheses included), for k = 1 .. n - 1
    operators: tuple[type, ...]  # libcst operator class of each link, left to right
    indent: str = ""  # the indentation of the statement the chain is in (libcst reads lines after a
    # newline inside parentheses against it)


def long_chains(text: str) -> list[Chain]:
    """The chains of at least :data:`LONG_CHAIN` operands, outermost only, in source order; none when
    CPython cannot parse the text (libcst will say why)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []
    offsets = _Offsets(text)
    chains: list[Chain] = []
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, indent = stack.pop()
        if isinstance(node, ast.stmt):
            indent = offsets.indent(node.lineno)
        if isinstance(node, ast.JoinedStr):
            continue  # positions inside f-strings are not the file's
        if isinstance(node, ast.BinOp) and type(node.op) in _LEVELS:
            chain, below = _chain(node, text, offsets, indent)
            if chain is not None:
                chains.append(chain)
                stack.extend((child, indent) for child in below)  # a chain inside an operand is parsed with its piece
                continue
        stack.extend((child, indent) for child in ast.iter_child_nodes(node))
    chains.sort(key=lambda chain: chain.start)
    return chains


def _chain(top: ast.BinOp, text: str, offsets: _Offsets, indent: str) -> tuple[Chain | None, list[ast.AST]]:
    """The chain whose last link is ``top``: its links down the left while the operator stays on
    one level; None when it is short."""
    level = _LEVELS[type(top.op)]
    links: list[ast.BinOp] = []
    node: ast.AST = top
    while isinstance(node, ast.BinOp) and _LEVELS.get(type(node.op)) == level:
        links.append(node)
        node = node.left
    if len(links) + 1 < LONG_CHAIN:
        return None, []
    links.reverse()  # innermost (leftmost) first
    start = offsets.start(top)
    end = offsets.end(top)
    if start is None or end is None:
        return None, []
    # Where each right operand starts and ends; a link's operator lies between the previous operand's
    # end and its right operand's start, with whitespace, comments and grouping parentheses around it.
    cuts: list[int] = []
    operators: list[type] = []
    previous_end = offsets.end(links[0].left)
    if previous_end is None:
        return None, []
    firsts: list[int] = []
    for link in links:
        right_start, right_end = offsets.start(link.right), offsets.end(link.right)
        if right_start is None or right_end is None:
            return None, []
        gap = text[previous_end:right_start]
        symbol = _SYMBOLS[type(link.op)]
        at = _operator_in(gap, symbol)
        if at is None:
            return None, []
        # The cut: after the closing parentheses of the previous operand, before the operator's whitespace.
        closing = gap[:at]
        cut = previous_end + _after_closing(closing)
        cuts.append(cut)
        firsts.append(cut)
        operators.append(_CST_OPERATORS[type(link.op)])
        previous_end = right_end
    if any(not _balanced(text[a:b]) for a, b in zip([start, *cuts], [*cuts, end])):
        return None, []  # an operand's text with unbalanced grouping parentheses: a parenthesized sub-chain
    return Chain(start, end, tuple(cuts), tuple(operators), indent), [links[0].left, *(link.right for link in links)]


def _operator_in(gap: str, symbol: str) -> int | None:
    """Where the operator is in the text between two operands, when that text holds only it,
    whitespace, comments, continuations and parentheses."""
    position = 0
    found: int | None = None
    while position < len(gap):
        if found is None and gap.startswith(symbol, position):
            found = position
            position += len(symbol)
            continue
        match = _GAP_PART.match(gap, position)
        if match is None:
            return None
        position = match.end()
    return found


def _after_closing(text: str) -> int:
    """The offset just after the last closing parenthesis of ``text`` (0 when it has none), ignoring comments."""
    last = 0
    position = 0
    while position < len(text):
        if text[position] == ")":
            last = position + 1
            position += 1
            continue
        match = _GAP_PART.match(text, position)
        position = match.end() if match is not None else position + 1
    return last


def _balanced(operand: str) -> bool:
    """The grouping parentheses around an operand close what they open (a cheap check: brackets inside
    the operand's own strings are rare in chains, and would only make the ordinary parse run)."""
    depth = 0
    for char in operand:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


class _Offsets:
    """ast positions (line, UTF-8 byte column) as offsets into the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", text)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def _offset(self, line: int | None, column: int | None) -> int | None:
        if line is None or column is None or line < 1 or line > len(self.lines):
            return None
        text = self.lines[line - 1]
        if not text.isascii():
            column = len(text.encode("utf-8")[:column].decode("utf-8", "replace"))
        return self.starts[line - 1] + column

    def indent(self, line: int) -> str:
        """The whitespace that starts line ``line`` (1-based)."""
        text = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        return text[: len(text) - len(text.lstrip(" \t\f"))]

    def start(self, node: ast.AST) -> int | None:
        return self._offset(getattr(node, "lineno", None), getattr(node, "col_offset", None))

    def end(self, node: ast.AST) -> int | None:
        return self._offset(getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))


def _parse_with_pieces(text: str, chains: list[Chain]) -> cst.Module | None:
    placeholders: dict[str, cst.BaseExpression] = {}
    parts: list[str] = []
    position = 0
    number = 0
    for chain in chains:
        if chain.start < position:
            continue  # inside a chain already taken (cannot happen: outermost only)
        name = f"_regcheck_chain_{number}_"
        while name in text:
            number += 1
            name = f"_regcheck_chain_{number}_"
        number += 1
        node = _parse_chain(text, chain)
        if node is None:
            return None
        placeholders[name] = node
        parts += [text[position : chain.start], name]
        position = chain.end
    parts.append(text[position:])
    module = cst.parse_module("".join(parts))
    if module.default_newline != _first_newline(text):
        # The module's newline is its first one, which was in a chain; libcst's native parser ignores a
        # configured default_newline, so only the whole text can say how its newlines are kept.
        return None
    return _put_back(module, placeholders)


_FIRST_NEWLINE = re.compile(r"\r\n?|\n")


def _first_newline(text: str) -> str:
    """The newline libcst takes as the module's default in ``text``: its first one."""
    newline = _FIRST_NEWLINE.search(text)
    return newline.group(0) if newline is not None else "\n"


def _parse_expression(text: str, newline: str, indent: str) -> cst.BaseExpression | None:
    """``text`` parsed as an expression where it is: in a module whose default newline is ``newline``
    (a newline inside it that differs is kept in the tree; libcst's parse_expression judges against the
    text's own first one), in a block indented by ``indent`` (where a line inside parentheses starts
    with the block's indentation, libcst keeps only the rest): an expression statement after a line
    that sets the newline, in an `if` block when indented."""
    if indent:
        module = cst.parse_module(f"_{newline}if _:{newline}{indent}{text}{newline}")
    else:
        module = cst.parse_module(f"_{newline}{text}{newline}")
    if len(module.body) != 2 or module.default_newline != newline:
        return None
    statement: cst.CSTNode = module.body[1]
    if indent:
        if not isinstance(statement, cst.If) or not isinstance(statement.body, cst.IndentedBlock):
            return None
        if (statement.body.indent is not None and statement.body.indent != indent) or len(statement.body.body) != 1:
            return None
        statement = statement.body.body[0]
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    if not isinstance(expression, cst.Expr) or expression.semicolon is not cst.MaybeSentinel.DEFAULT:
        return None
    if statement.leading_lines or not isinstance(statement.trailing_whitespace.newline, cst.Newline):
        return None
    return expression.value


def _parse_chain(text: str, chain: Chain) -> cst.BaseExpression | None:
    """The chain's libcst node, parsed a piece of :data:`PIECE` operands at a time, each piece after
    the first written ``_ <op> operand <op> ...`` and its ``_`` replaced with the chain so far."""
    bounds = [chain.start, *chain.cuts, chain.end]  # operand k is text[bounds[k]:bounds[k + 1]]
    # The module's newline (its first one, as libcst detects it): a piece's newlines that differ from it
    # are kept in the tree, which a piece parsed on its own would judge against its own first newline.
    newline = _first_newline(text)
    links = len(chain.operators)
    result: cst.BaseExpression | None = None
    first = 0  # the first link of the current piece
    while first < links:
        last = min(first + PIECE, links)  # links first .. last - 1
        if result is None:
            piece = text[bounds[0] : bounds[last + 1]]
        else:
            piece = "_" + text[bounds[first + 1] : bounds[last + 1]]
        parsed = _parse_expression(f"({piece})", newline, chain.indent)
        if not isinstance(parsed, cst.BinaryOperation) or len(parsed.lpar) != 1 or len(parsed.rpar) != 1:
            return None
        if not (_empty(parsed.lpar[0].whitespace_after) and _empty(parsed.rpar[0].whitespace_before)):
            return None
        parsed = parsed.with_changes(lpar=(), rpar=())
        # The piece's links, outermost first, down to its leftmost operand.
        spine: list[cst.BinaryOperation] = []
        node: cst.BaseExpression = parsed
        for index in range(last - 1, first - 1, -1):
            if not isinstance(node, cst.BinaryOperation) or type(node.operator) is not chain.operators[index]:
                return None
            if index != last - 1 and (node.lpar or node.rpar):
                return None
            spine.append(node)
            node = node.left
        if result is not None:
            if not (isinstance(node, cst.Name) and node.value == "_" and not node.lpar and not node.rpar):
                return None
            node = result
        for link in reversed(spine):
            node = link.with_changes(left=node)
        result = node
        first = last
    return result


def _empty(whitespace: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(whitespace, cst.SimpleWhitespace) and not whitespace.value


def _put_back(module: cst.Module, placeholders: dict[str, cst.BaseExpression]) -> cst.Module | None:
    """The module with each placeholder name replaced by its chain (keeping the name's parentheses):
    only the nodes on the way from the module to a placeholder are rebuilt, deepest first."""
    from regcheck.facts.names import field_children

    parent_of: dict[int, cst.CSTNode] = {}
    depth_of: dict[int, int] = {id(module): 0}
    found: list[cst.Name] = []
    stack: list[tuple[cst.CSTNode, int]] = [(module, 0)]
    while stack:
        node, depth = stack.pop()
        for child in field_children(node):
            parent_of[id(child)] = node
            if isinstance(child, cst.Name) and child.value in placeholders:
                found.append(child)
            else:
                depth_of[id(child)] = depth + 1
                stack.append((child, depth + 1))
    if sorted(name.value for name in found) != sorted(placeholders):
        return None
    new: dict[int, cst.CSTNode] = {}
    dirty: dict[int, cst.CSTNode] = {}
    for name in found:
        new[id(name)] = placeholders[name.value].with_changes(lpar=name.lpar, rpar=name.rpar)
        parent = parent_of[id(name)]
        while id(parent) not in dirty:
            dirty[id(parent)] = parent
            if parent is module:
                break
            parent = parent_of[id(parent)]
    for node_id in sorted(dirty, key=lambda key: -depth_of[key]):
        new[node_id] = _replace_children(dirty[node_id], new)
    rebuilt = new[id(module)]
    return rebuilt if isinstance(rebuilt, cst.Module) else None


def _replace_children(parent: cst.CSTNode, new: dict[int, cst.CSTNode]) -> cst.CSTNode:
    """``parent`` with the children whose ids are keys of ``new`` replaced (in fields or sequences)."""
    import dataclasses

    changes: dict[str, object] = {}
    for field in dataclasses.fields(parent):
        value = getattr(parent, field.name)
        if isinstance(value, cst.CSTNode) and id(value) in new:
            changes[field.name] = new[id(value)]
        elif isinstance(value, (list, tuple)) and any(id(item) in new for item in value):
            changes[field.name] = type(value)(new.get(id(item), item) for item in value)
    return parent.with_changes(**changes)
