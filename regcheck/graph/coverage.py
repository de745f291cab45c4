"""The coverage table: what the minimized loss really penalizes, variable by variable."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from regcheck.report.columns import render_columns

_HEADERS = ("variable", "shape", "role", "penalty", "status")


@dataclass(frozen=True)
class CoverageRow:
    variable: str
    shape: str
    role: str
    penalty: str  # "l2 x0.01", "l2_loss x0.0005 + l1 x1e-05", or "-"
    status: str  # "penalized", "unpenalized", "not trained", or the codes that fired
    step: int = 1  # which optimizer step of the run (1-based) minimizes this loss

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CoverageRow:
        return cls(**{key: str(data.get(key, "")) for key in _HEADERS}, step=int(data.get("step", 1)))


def format_shape(shape: tuple[int | None, ...]) -> str:
    dims = ["?" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def render_table(rows: list[CoverageRow]) -> str:
    """The measured table, laid out as ``regcheck coverage``'s static one (regcheck.report.columns)."""
    if not rows:
        return "no trainable variables were reached by the loss\n"
    return render_columns(_HEADERS, [(r.variable, r.shape, r.role, r.penalty, r.status) for r in rows])
