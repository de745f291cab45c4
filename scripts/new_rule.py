#!/usr/bin/env python3
"""Write the skeletons of a new rule: its check module and its page (and the catalogue's rows).

    python scripts/new_rule.py RC305 constraint-as-regularizer --severity error \\
        --summary "a weight constraint passed as a regularizer" --fix unsafe

writes ``regcheck/checks/rc305_constraint_as_regularizer.py`` (the class with the
rule's metadata, trigger words, VALID / INVALID samples and ``run``) and
``rules/RC305.md`` (the page's fixed sections), then brings the rule catalogue
(``rules/README.md``) and the README's rule table in step (scripts/rule_catalogue.py).
Nothing else lists a rule: the catalogue, the graph codes and the checks are found
from the module. Existing files are never overwritten. Last it writes the rule's snapshot,
``tests/snapshots/RC305.txt`` (its INVALID samples as a user sees them), with the command that
rewrites it when the rule's samples or messages change:

    REGCHECK_UPDATE_SNAPSHOTS=1 python3 -m pytest -q tests/test_snapshots.py

The skeleton is a working placeholder, so the tree stays green (the gates and the
tests pass) until the rule is written: it reports calls of ``tf.todo.replace_me``,
a name no real code has, and with ``--fix`` renames them to ``tf.todo.keep_me``.
Replace the names, the samples, the message and the page with the rule's own.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import rule_catalogue

REPO = Path(__file__).resolve().parent.parent
_CODE = re.compile(r"^RC\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

MODULE = '''"""{code} {name}: {summary}."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
{checks_imports}
from regcheck.facts import ModuleFacts, vocabulary
from regcheck.findings import Finding

# TODO: the canonical TF/Keras names the rule is about (shared families belong in regcheck.facts.vocabulary).
NAMES = frozenset({{"tf.todo.replace_me"}})


class {cls}(Check):
    code = "{code}"
    name = "{name}"
    severity = "{severity}"
    summary = "{summary}"
    fix_safety = {fix_safety}
    graph = {graph}
    # A file must contain one of these words for the check to run (the prefilter skips the others):
    # the last part of each name the check looks for.
    triggers = vocabulary.trigger_words(NAMES)

    VALID = [
        """
import tensorflow as tf
loss = tf.todo.keep_me(w)
""",
    ]
    INVALID = [
        Invalid(
            """
import tensorflow as tf
loss = tf.todo.replace_me(w)
""",
            line=3,{fixed}
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        # TODO: read facts (regcheck.facts), never walk the tree again. The placeholder reports every call of NAMES.
        for call in facts.calls_named(NAMES):
            func = call.node.func
            yield self.finding(
                facts,
                call.node,
                "TODO: what is wrong here, and what the training run does instead",{fix_argument}
            )
'''

FIXED = '''
            fixed="""
import tensorflow as tf
loss = tf.todo.keep_me(w)
""",'''
FIX_ARGUMENT = """
                fix={fix_function}("TODO: what the fix does", edits.replace(facts, func.attr, "keep_me"))
                if isinstance(func, cst.Attribute)
                else None,"""

PAGE = """# {code}: {name}

## What it does
TODO: what the rule reports, in two or three sentences.

## Why is this bad?
TODO: what the training run does instead of what the code declares.

## Example
```python
import tensorflow as tf
loss = tf.todo.replace_me(w)
```

## Use instead
{fix_mark}```python
import tensorflow as tf
loss = tf.todo.keep_me(w)
```

## Fix safety
{fix_text}

## References
- TODO: the public threads where users hit this
"""


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def module_path(root: Path, code: str, name: str) -> Path:
    return root / "regcheck" / "checks" / f"rc{code[2:]}_{name.replace('-', '_')}.py"


def taken(root: Path) -> set[str]:
    """Codes that already have a module or page under ``root``."""
    codes = {p.stem for p in (root / "rules").glob("RC*.md")}
    codes |= {f"RC{p.name[2:5]}" for p in (root / "regcheck" / "checks").glob("rc[0-9][0-9][0-9]_*.py")}
    return codes


def module_text(code: str, name: str, severity: str, summary: str, fix: str | None, graph: bool) -> str:
    if fix is None:
        checks_imports = "\nfrom regcheck.checks.base import Check, Invalid"
    else:
        checks_imports = (
            f"\nfrom regcheck.checks import edits\nfrom regcheck.checks.base import Check, Invalid, {fix}_fix"
        )
    return MODULE.format(
        code=code,
        name=name,
        cls=class_name(name),
        severity=severity,
        summary=summary,
        fix_safety=f'"{fix}"' if fix else "None",
        graph=graph,
        checks_imports=checks_imports,
        fixed=FIXED if fix else "",
        fix_argument=FIX_ARGUMENT.format(fix_function=f"{fix}_fix") if fix else "",
    )


def page_text(code: str, name: str, fix: str | None) -> str:
    fix_text = f"The fix is {fix}: TODO say why." if fix else "There is no fix: TODO say why."
    return PAGE.format(code=code, name=name, fix_mark=f"<!-- fix: {fix} -->\n" if fix else "", fix_text=fix_text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("code", help="RCNNN: the next free number in its family")
    parser.add_argument("name", help="kebab-case, as in the contract")
    parser.add_argument("--severity", choices=("error", "warning", "info"), required=True)
    parser.add_argument("--summary", required=True, help="one line, no double quotes or |")
    parser.add_argument("--fix", choices=("safe", "unsafe"), default=None, help="the fix the rule offers, if any")
    parser.add_argument("--graph", action="store_true", help="the graph path (regcheck trace) reports it too")
    parser.add_argument("--root", type=Path, default=REPO, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    if not _CODE.match(args.code):
        parser.error(f"{args.code!r} is not a code like RC305")
    if not _NAME.match(args.name):
        parser.error(f"{args.name!r} is not a kebab-case name")
    if any(char in args.summary for char in '"|\n'):
        parser.error("the summary is one line without double quotes or |")
    root: Path = args.root
    if args.code in taken(root):
        print(f"{args.code} already has a module or a page", file=sys.stderr)
        return 1
    module = module_path(root, args.code, args.name)
    page = root / "rules" / f"{args.code}.md"
    module.parent.mkdir(parents=True, exist_ok=True)
    page.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(
        module_text(args.code, args.name, args.severity, args.summary, args.fix, args.graph), encoding="utf-8"
    )
    page.write_text(page_text(args.code, args.name, args.fix), encoding="utf-8")
    written = [module, page]
    if (root / "README.md").is_file():
        written += rule_catalogue.write(root)
    for path in written:
        print(path)
    if (root / "tests" / "test_snapshots.py").is_file():
        snapshot = write_snapshot(root, args.code)
        if snapshot is None:
            return 1
        print(snapshot)
    return 0


def write_snapshot(root: Path, code: str) -> Path | None:
    """The new rule's snapshot, written by tests/test_snapshots.py in update mode (the command a
    reviewer runs when a rule's output changes); None, after saying why on stderr, when it fails."""
    test = f"tests/test_snapshots.py::test_rule_output_matches_its_snapshot[{code}]"
    env = {**os.environ, "PYTHONPATH": str(root), "REGCHECK_UPDATE_SNAPSHOTS": "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    snapshot = root / "tests" / "snapshots" / f"{code}.txt"
    if done.returncode != 0 or not snapshot.is_file():
        print(f"could not write {snapshot}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return snapshot


if __name__ == "__main__":
    sys.exit(main())
