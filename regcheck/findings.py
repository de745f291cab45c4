"""The data model every path shares: findings, their fixes and the edits a fix makes.

Lines and columns are 1-based everywhere (as editors and SARIF count them); an
end column points one past the last character, so an insertion has
``column == end_column`` on one line.

``to_json`` / ``from_json`` are the one serialisation of a finding: the JSON report
(DESIGN.md, CLI contract), the result cache and the graph path's child process all
write and read this form.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, replace
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
    """Replace the text between two positions (1-based, end exclusive) with ``content``.

    In a notebook, ``cell`` is the cell the edit is in (numbered as ``Finding.cell``), and its
    positions count within that cell: a fix may edit another cell than the one its finding is in."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        return cls(
            data["line"], data["column"], data["end_line"], data["end_column"], data["content"], data.get("cell")
        )


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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        return cls(
            Applicability(data["applicability"]),
            data["message"],
            tuple(Edit.from_json(edit) for edit in data["edits"]),
            tuple(data.get("imports", ())),
        )


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
    # The Keras version ("3" or "2") the verdict was made for, when it depends on it and is known
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The finding ``to_json`` wrote; keys it does not know (written by a newer regcheck, or a
        merge's notes) are kept in ``extra``."""
        keras = data.get("keras")
        return cls(
            code=data["code"],
            name=data["name"],
            severity=Severity.parse(data["severity"]),
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            message=data["message"],
            symbol=data.get("symbol"),
            source=data.get("source", "static"),
            cell=data.get("cell"),
            fix=Fix.from_json(data["fix"]) if data.get("fix") else None,
            extra={key: value for key, value in data.items() if key not in _FIELDS},
            keras=keras if keras in ("2", "3") else None,
        )


# The keys ``Finding.to_json`` writes from the fields; anything else in a finding's JSON is ``extra``.
_FIELDS = frozenset(f.name for f in fields(Finding)) - {"extra"}
