"""Pin the README's install snippets (pre-commit's ``rev:``, the CI workflow's ``pip install ...@``) to a commit.

    python scripts/pin_readme.py          # the commit checked out now (HEAD)
    python scripts/pin_readme.py REV      # another commit, e.g. a release

Commit README.md afterwards: the pin is then the commit before yours, in the history of every later
commit (tests/surface/test_readme_ci.py checks that it is, and that what the snippets use works there).
A commit cannot name itself, so the pin is always at least one commit behind the README that names it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
# Where the README names the pinned commit: pre-commit's rev, and the CI workflow's pip install.
PIN = re.compile(r"(?<=rev: )[0-9a-f]{40}|(?<=git\+https://github\.com/regcheck/regcheck@)[0-9a-f]{40}")


def pins(text: str) -> list[str]:
    """Every pinned commit the README names (the snippets must all name one)."""
    return PIN.findall(text)


def main(argv: list[str]) -> int:
    revision = argv[0] if argv else "HEAD"
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=README.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    text = README.read_text(encoding="utf-8")
    found = pins(text)
    if not found:
        print("README.md names no pinned commit", file=sys.stderr)
        return 1
    README.write_text(PIN.sub(commit, text), encoding="utf-8")
    print(f"README.md: {len(found)} pins set to {commit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
