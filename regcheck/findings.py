"""The data model every path shares: findings, their fixes and the edits a fix makes.

Lines and columns are 1-based everywhere (as editors and SARIF count them); an
end column points one past the last character, so an insertion has
``column == end_column`` on one line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so ``>=`` compares against ``fail-on``."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected info, warning or error)") from None


class Applicability(str, enum.Enum):
    """ruff's split: safe fixes keep the code's declared meaning, unsafe ones choose for the user."""

    SAFE = "safe"
    UNSAFE = "unsafe"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Edit:
    """Replace the text between two positions (1-based, end exclusive) with ``content``."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]
    # Import statements the edited code needs, e.g. ``"import tensorflow as tf"``.
    imports: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "applicability": str(self.applicability),
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }
        if self.imports:
            data["imports"] = list(self.imports)
        return data


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    symbol: str | None = None
    source: str = "static"
    cell: int | None = None
    fix: Fix | None = None
    # Free-form notes from merging paths (e.g. why the graph refuted a static finding).
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The Keras version ("3" or "2") the verdict was made for, when it depends on it
    # (RULES.md, Versions); None for verdicts that hold on every version.
    keras: str | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)

    def with_changes(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "symbol": self.symbol,
            "source": self.source,
            "cell": self.cell,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.keras is not None:  # optional: readers of schema version 1 without it are unaffected
            data["keras"] = self.keras
        data.update(self.extra)
        return data
