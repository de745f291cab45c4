"""only_applicable judges each fix on the top-level statements its edits touch; its verdicts are the
ones of compiling the whole edited file (what it did before, one compile of the file per fix)."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regcheck.findings import Applicability, Edit, Finding, Fix, Severity
from regcheck.lint.module import only_applicable
from regcheck.sources.text import apply_edits, compiles

MODULES = [
    "import tensorflow as tf\n\nw = tf.Variable(1)\nloss = tf.nn.l2_loss(w)\n",
    "from __future__ import annotations\nx = 1\n\n\ndef f(a):\n    return a + 1\n\n\nclass C:\n    y = 2\n",
    "x = [\n    1,\n    2,\n]\ny = x; z = (3,\n 4)\n# comment\n\nif x:\n    pass\nelse:\n    q = 1\n",
    "x = 1 + \\\n    2\ns = '''\nline\n'''\n@dec\ndef g():\n    global x\n    x = 3\n",
    "def f():\n    return 1\nreturn_value = f()\nawait_it = 1\n",
    "x = 1\nreturn 2\n",  # does not compile: held to parsing only
    "x = 1\r\ny = 2\r\n",
]
SNIPPETS = [
    "",
    "1",
    ", w",
    " + tf.nn.l2_loss(v)",
    "\n",
    "(",
    ")",
    "'''",
    "\\\n",
    "# c",
    "x = 1\n",
    "global x\n",
    "nonlocal y\n",
    "from __future__ import division\n",
    "return 1\n",
    "    ",
    "yield 1",
    "await g()",
    "lambda: 0",
    "def h(a, a): pass\n",
]


def _old(text: str, findings: list[Finding]) -> list[Finding]:
    strict = compiles(text, strict=True)
    return [
        f.with_changes(fix=None) if f.fix is not None and not compiles(apply_edits(text, f.fix.edits), strict) else f
        for f in findings
    ]


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[Finding]]:
    text = draw(st.sampled_from(MODULES))
    lines = text.splitlines(keepends=True)
    findings = []
    for _ in range(draw(st.integers(1, 4))):
        edits = []
        for _ in range(draw(st.integers(1, 2))):
            line = draw(st.integers(1, len(lines)))
            width = len(lines[line - 1].rstrip("\r\n"))
            column = draw(st.integers(1, width + 1))
            end_line = draw(st.integers(line, min(line + 2, len(lines))))
            end_width = len(lines[end_line - 1].rstrip("\r\n"))
            end_column = draw(st.integers(column if end_line == line else 1, end_width + 1))
            if draw(st.booleans()) and end_line < len(lines):
                end_line, end_column = end_line + 1, 1  # a whole line
            edits.append(Edit(line, column, end_line, end_column, draw(st.sampled_from(SNIPPETS))))
        edits.sort(key=lambda e: (e.line, e.column))
        if any((a.end_line, a.end_column) > (b.line, b.column) for a, b in pairwise(edits)):
            edits = edits[:1]
        fix = Fix(Applicability.UNSAFE, "fix", tuple(edits))
        findings.append(Finding("RC101", "n", Severity.WARNING, "m.py", 1, 1, 1, 2, "m", fix=fix))
    return text, findings


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_same_verdicts_as_the_whole_file(case: tuple[str, list[Finding]]) -> None:
    text, findings = case
    assert only_applicable(text, findings) == _old(text, findings)


def test_a_continuation_at_the_end_of_the_segment() -> None:
    """`x = 1` made `x\\`: alone it compiles, joined with the next line it does not."""
    text = "x = 1\r\ny = 2\r\n"
    fix = Fix(Applicability.UNSAFE, "fix", (Edit(1, 2, 2, 1, "\\\n"),))
    findings = [Finding("RC101", "n", Severity.WARNING, "m.py", 1, 1, 1, 2, "m", fix=fix)]
    assert only_applicable(text, findings)[0].fix is None
