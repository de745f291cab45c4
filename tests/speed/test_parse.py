"""regcheck.lint.parse.parse_module gives exactly libcst.parse_module's tree: the same code back, equal
trees, the same module settings (encoding, indent, newline, trailing newline), and the same error class
on bad input. Chunks and chain pieces are made tiny here so that every generated file is cut in many
places: between decorators and their function, after comments, backslash continuations, strings that
span a would-be cut, `else` clauses, mixed line endings and indentations, coding cookies."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regcheck.lint import parse

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import generated  # noqa: E402


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 3 lines, chains of 4 operands and more parsed 2 operands at a time."""
    monkeypatch.setattr(parse, "CHUNK_LINES", 3)
    monkeypatch.setattr(parse, "LONG_CHAIN", 4)
    monkeypatch.setattr(parse, "PIECE", 2)
    monkeypatch.setattr(parse, "_DENSITY", 10_000)


@pytest.fixture(autouse=True)
def deep() -> Iterator[None]:
    """deep_equals and code generation recurse a few frames per link of a chain."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 100_000))
    yield
    sys.setrecursionlimit(old)


def same_as_libcst(text: str) -> None:
    try:
        expected: cst.Module | type = cst.parse_module(text)
    except Exception as exc:
        expected = type(exc)
    try:
        got: cst.Module | type = parse.parse_module(text)
    except Exception as exc:
        got = type(exc)
    if isinstance(expected, type) or isinstance(got, type):
        assert got is expected, text
        return
    assert got.code == expected.code  # the text, but for what libcst itself does not give back (a lone final \r)
    assert got.encoding == expected.encoding
    assert got.default_indent == expected.default_indent
    assert got.default_newline == expected.default_newline
    assert got.has_trailing_newline == expected.has_trailing_newline
    assert got.deep_equals(expected), text


# --- generated modules ------------------------------------------------------------------------

OPERATORS = ["+", "-", "*", "/", "//", "%", "@", "|", "&", "^", "<<", ">>"]


@st.composite
def chains(draw: st.DrawFn) -> str:
    operands = draw(
        st.lists(st.sampled_from(["a", "f(b)", "(c)", "((d))", "x.y[1]", "-e", "'s'", "1.5"]), min_size=1, max_size=12)
    )
    same_level = draw(st.booleans())
    level = draw(st.sampled_from(OPERATORS))
    gaps = [" ", "", "  ", " \\\n    ", "\n    ", "  # note\n    "]
    out = operands[0]
    for operand in operands[1:]:
        operator = level if same_level else draw(st.sampled_from(OPERATORS))
        out += draw(st.sampled_from(gaps)) + operator + draw(st.sampled_from(gaps)) + operand
    return out


@st.composite
def statements(draw: st.DrawFn) -> str:
    chain = draw(chains())
    kind = draw(st.integers(0, 14))
    indent = draw(st.sampled_from(["    ", "  ", "\t"]))
    if kind == 0:
        return f"x = {chain}\n" if "\n" not in chain or ("\\" in chain and "#" not in chain) else f"x = ({chain})\n"
    if kind == 1:
        return f"x = ({chain})\n"
    if kind == 2:
        return f"f(\n{indent}{chain},\n)\n"
    if kind == 3:
        return f"@decorator\n# between\n@other(1)\ndef f(a, b=({chain})):\n{indent}return ({chain})\n"
    if kind == 4:
        return f"if a:\n{indent}y = ({chain})\nelse:\n{indent}pass\n"
    if kind == 5:
        return f"try:\n{indent}pass\nexcept E:\n{indent}pass\nfinally:\n{indent}z = 1\n"
    if kind == 6:
        return 's = """\nx = 1\ndef g():\n"""\n'
    if kind == 7:
        return "x = 1 + \\\n    2\n"
    if kind == 8:
        return "# a comment\n\n# another\n"
    if kind == 9:
        return f"class C(Base):\n{indent}# inside\n{indent}def m(self):\n{indent}{indent}return ({chain})\n{indent}# trailing\n"
    if kind == 10:
        return "\n"
    if kind == 11:
        return f"for i in range(3):\n{indent}pass\n    # dedented comment\n"
    if kind == 12:
        return f"y = [\n{chain},\n]\n"
    if kind == 13:
        return "x = (1,\n2)  ; y = 3\n"
    return f"def h():\n{indent}return {chain} if a else ({chain})\n"


@st.composite
def modules(draw: st.DrawFn) -> str:
    header = draw(
        st.sampled_from(["", "# -*- coding: latin-1 -*-\n", "#!/usr/bin/env python\n# coding: utf-8\n", '"""Doc."""\n'])
    )
    body = "".join(draw(st.lists(statements(), min_size=1, max_size=12)))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    text = header + body
    if newline == "mixed":
        lines = text.split("\n")
        text = "".join(line + ("\r\n" if i % 3 == 0 else "\n") for i, line in enumerate(lines[:-1])) + lines[-1]
    else:
        text = text.replace("\n", newline)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no trailing newline
    if draw(st.integers(0, 9)) == 0:
        text += "x = (\n"  # a syntax error at the end
    return text


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(modules())
def test_generated_modules(tiny: None, text: str) -> None:
    same_as_libcst(text)


@pytest.mark.parametrize(
    "text",
    [
        "@decorator\n\ndef f():\n    pass\n",
        "x = 1\n# a\n\n@d\n# b\nclass C:\n    pass\n",
        "x = 1 \\\n    + 2\ny = 3\nz = 4\n",
        "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\nw = 1\n",
        "s = '''\nx = 1\ny = 2\nz = 3\n'''\nt = 1\n",
        "def f():\n  return 1\n\n\ndef g():\n    return 2\n\n\ndef h():\n\treturn 3\n",
        "x = 1\r\ny = 2\nz = 3\r\nw = 4\r\n",
        "\ufeffx = 1\ny = 2\nz = 3\nw = 4\n",
        "x = 1\ny = 2\n# coding: latin-1\nz = 3\nw = 4\n",
        "x = 1\ny = 2\nz = 3\nw = 4",
        "x = 1\ny = 2\nz = 3\nw = 4\n\n\n# the end\n",
        "x = 1\n  y = 2\nz = 3\nw = 4\n",
        "x = (\n1\ny = 2\nz = 3\nw = 4\n",
        "match x:\n  case 1:\n      pass\ny = 1\nz = 2\nw = 3\n",
        "x = a + b + c + d + e + f\n",
        "x = a + (b + c + d + e + f) + g\n",
        "x = a + b - c * d * e * f + g + h\n",
        "x = a + \\\n b + \\\n c + \\\n d + \\\n e\n",
        "x = f'{a + b + c + d + e}' + g + h + i + j\n",
        "x = 'é' + a + 'ü' + b + c + d\n",
        "x = a  +  b+c +d  + e  # the end\n",
        "x = (a  # one\n     + b  # two\n     + c\n     + d\n     + e)\n",
        "x = -a + -b + -c + -d + -e\n",
        "x = a ** b + c ** d + e + f\n",
        "x = a << b >> c << d >> e\n",
        "lambda: a + b + c + d + e\n",
        "x = [a + b + c + d + e for a in y]\n",
        "x = a + b + c + d + e +\n",
        # A chunk whose first newline is inside a chain and differs from its later ones (libcst's native
        # parser takes the default newline from the text, whatever the parser configuration says).
        "#!/usr/bin/env python\r\n# coding: utf-8\nf(\n    a,\r\n)\nx = (a + a + a + a +\n    a)\r\n",
        "x = (a + a + a + a +\n    a)\r\ny = 1\r\n",
    ],
)
def test_cases(tiny: None, text: str) -> None:
    same_as_libcst(text)


def test_repository_files(tiny: None) -> None:
    """Every Python file of regcheck and its tests, cut every 3 lines."""
    files = sorted((REPO / "regcheck").rglob("*.py")) + sorted((REPO / "tests" / "names").rglob("*.py"))
    assert len(files) > 50
    for path in files:
        same_as_libcst(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "kind,size", [("tf1", 1_200), ("keras", 1_200), ("sum", 300), ("nested-defs", 97), ("nested-blocks", 97)]
)
def test_generated_files(kind: str, size: int) -> None:
    """The benchmark's files at the default chunk and chain sizes: several chunks, a chain in pieces."""
    same_as_libcst(generated.generate(kind, size))


def test_long_chain_in_pieces_is_one_left_leaning_chain() -> None:
    text = "loss = " + " + ".join(f"tf.nn.l2_loss(w{i})" for i in range(parse.LONG_CHAIN * 3)) + "\n"
    assert parse.long_chains(text)
    same_as_libcst(text)
