"""Python source written line by line, with tags on the lines findings are about.

A ``Code`` is a list of lines, each with its indentation and the tags it carries (``layer:1``, ``minimize``).
Fragments nest (``block``) and are spliced into one another (``extend``); line numbers exist only once a
file is rendered, so the generator never counts lines itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Line:
    indent: int
    text: str
    tags: tuple[str, ...] = ()


@dataclass
class Code:
    lines: list[Line] = field(default_factory=list)
    depth: int = 0

    def add(self, text: str, *tags: str) -> Code:
        for part in text.split("\n"):
            self.lines.append(Line(self.depth, part, tags))
        return self

    def blank(self) -> Code:
        self.lines.append(Line(0, ""))
        return self

    @contextmanager
    def block(self, header: str, *tags: str) -> Iterator[Code]:
        """``header`` (ending with ``:``), then what is added inside the ``with`` one level deeper."""
        self.add(header, *tags)
        self.depth += 1
        start = len(self.lines)
        try:
            yield self
        finally:
            if len(self.lines) == start:
                self.add("pass")
            self.depth -= 1

    def extend(self, other: Code) -> Code:
        for line in other.lines:
            self.lines.append(Line(line.indent + self.depth, line.text, line.tags))
        return self

    def tag(self, name: str) -> Code:
        """Add a tag to the last line written."""
        last = self.lines[-1]
        last.tags = (*last.tags, name)
        return self

    def render(self) -> tuple[str, dict[str, list[int]]]:
        """The text, and for each tag the (1-based) lines that carry it."""
        out: list[str] = []
        where: dict[str, list[int]] = {}
        for number, line in enumerate(self.lines, start=1):
            out.append(("    " * line.indent + line.text) if line.text else "")
            for tag in line.tags:
                where.setdefault(tag, []).append(number)
        return "\n".join(out).rstrip("\n") + "\n", where
