"""Helpers the tests share: lint a snippet, fix a snippet, run the CLI in-process."""

from __future__ import annotations

import io
import textwrap
from contextlib import redirect_stderr, redirect_stdout

from regcheck import check_source
from regcheck.cli import main
from regcheck.findings import Finding
from regcheck.fixing.apply import fix_text


def lint(source: str, *select: str, keras: str | None = None) -> list[Finding]:
    return check_source(textwrap.dedent(source), select=list(select) or None, keras=keras)


def codes(source: str, *select: str, keras: str | None = None) -> list[str]:
    return [f.code for f in lint(source, *select, keras=keras)]


def fix(source: str, *select: str, unsafe: bool = False, keras: str | None = None) -> str:
    text = textwrap.dedent(source)
    chosen = list(select) or None
    return fix_text(text, lambda t: check_source(t, select=chosen, keras=keras), unsafe).text


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()
