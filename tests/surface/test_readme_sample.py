"""The README's sample output is what the command prints (only trailing whitespace is normalized)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

_BLOCK = re.compile(r"```console\n\$ regcheck (?P<args>[^\n]*)\n(?P<output>.*?)```\n", re.S)


def _strip(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip().splitlines()]


def test_the_readme_sample_is_the_real_output_of_its_command(repo_root: Path) -> None:
    match = _BLOCK.search((repo_root / "README.md").read_text(encoding="utf-8"))
    assert match is not None, "README has no ```console block starting with `$ regcheck ...`"
    args = match["args"].split()
    assert args == ["examples/"]  # the bundled buggy project
    done = subprocess.run(
        [sys.executable, "-m", "regcheck", *args, "--no-cache"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert _strip(done.stdout) == _strip(match["output"])
