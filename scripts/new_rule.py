#!/usr/bin/env python3
"""Write the skeletons of a new rule: its check module and its page (and its README row).

    python scripts/new_rule.py RC305 constraint-as-regularizer --severity error \\
        --summary "a weight constraint passed as a regularizer" --fix unsafe

writes ``regcheck/checks/rc305_constraint_as_regularizer.py`` (the class with the
rule's metadata, VALID / INVALID samples to fill in, and ``run``) and
``rules/RC305.md`` (the page's fixed sections), and adds the rule's row to the
README's table. Nothing else lists a rule: the catalogue, the graph codes and
the checks are found from the module. Existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_CODE = re.compile(r"^RC\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ROW = re.compile(r"^\| (RC\d{3}) \| [^|\n]+ \|[^\n]*\n", re.M)

MODULE = '''"""{code} {name}: {summary}."""

from __future__ import annotations

from collections.abc import Iterable

from regcheck.checks.base import Check, Invalid
from regcheck.facts import ModuleFacts
from regcheck.findings import Finding


class {cls}(Check):
    code = "{code}"
    name = "{name}"
    severity = "{severity}"
    summary = "{summary}"
    fix_safety = {fix_safety}
    graph = {graph}
    # Byte strings one of which a file must contain for this check to have anything to do.
    triggers = ()

    VALID = [
        """
import tensorflow as tf
# TODO: code the rule must stay quiet on
""",
    ]
    INVALID = [
        Invalid(
            """
import tensorflow as tf
# TODO: code the rule must fire on (line: where; fixed: the text after the fix, if any)
""",
            line=3,
        ),
    ]

    def run(self, facts: ModuleFacts) -> Iterable[Finding]:
        # Read facts (regcheck.facts); never walk the tree again. For each mistake:
        #     yield self.finding(facts, node, "message", symbol=..., fix=...)
        return ()
'''

PAGE = """# {code}: {name}

## What it does
TODO: what the rule reports, in two or three sentences.

## Why is this bad?
TODO: what the training run does instead of what the code declares.

## Example
```python
import tensorflow as tf
# TODO: the rule fires here
```

## Use instead
{fix_mark}```python
import tensorflow as tf
# TODO: the corrected code
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


def add_readme_row(readme: Path, code: str, name: str, summary: str) -> bool:
    """Insert the rule's row into the README's rule table, in code order."""
    if not readme.is_file():
        return False
    text = readme.read_text(encoding="utf-8")
    rows = list(_ROW.finditer(text))
    if not rows:
        return False
    row = f"| {code} | {name} | {summary} |\n"
    after = [m for m in rows if m.group(1) < code]
    at = after[-1].end() if after else rows[0].start()
    readme.write_text(text[:at] + row + text[at:], encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("code", help="RCNNN: the next free number in its family")
    parser.add_argument("name", help="kebab-case, as in the contract")
    parser.add_argument("--severity", choices=("error", "warning", "info"), required=True)
    parser.add_argument("--summary", required=True, help="one line, no double quotes")
    parser.add_argument("--fix", choices=("safe", "unsafe"), default=None, help="the fix the rule offers, if any")
    parser.add_argument("--graph", action="store_true", help="the graph path (regcheck trace) reports it too")
    parser.add_argument("--root", type=Path, default=REPO, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    if not _CODE.match(args.code):
        parser.error(f"{args.code!r} is not a code like RC305")
    if not _NAME.match(args.name):
        parser.error(f"{args.name!r} is not a kebab-case name")
    if '"' in args.summary or "\n" in args.summary:
        parser.error("the summary is one line without double quotes")
    root: Path = args.root
    if args.code in taken(root):
        print(f"{args.code} already has a module or a page", file=sys.stderr)
        return 1
    module = module_path(root, args.code, args.name)
    page = root / "rules" / f"{args.code}.md"
    module.parent.mkdir(parents=True, exist_ok=True)
    page.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(
        MODULE.format(
            code=args.code, name=args.name, cls=class_name(args.name), severity=args.severity, summary=args.summary,
            fix_safety=repr(args.fix), graph=args.graph,
        ),
        encoding="utf-8",
    )  # fmt: skip
    fix_text = f"The fix is {args.fix}: TODO say why." if args.fix else "There is no fix: TODO say why."
    page.write_text(
        PAGE.format(
            code=args.code,
            name=args.name,
            fix_mark=f"<!-- fix: {args.fix} -->\n" if args.fix else "",
            fix_text=fix_text,
        ),
        encoding="utf-8",
    )
    written = [module, page]
    if add_readme_row(root / "README.md", args.code, args.name, args.summary):
        written.append(root / "README.md")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
