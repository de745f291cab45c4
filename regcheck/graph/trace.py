"""The parent side of `regcheck trace`: start the child runner, wait, read its result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from regcheck.findings import Finding
from regcheck.graph.coverage import CoverageRow

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class GraphResult:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    error: str | None = None  # set when the graph could not be inspected; the CLI exits 2
    notes: list[str] = field(default_factory=list)
    hook: str = ""

    @property
    def ran(self) -> bool:
        return self.error is None


def _entry_error(entry: str) -> str | None:
    if (entry.endswith(".py") or ":" not in entry) and not os.path.isfile(entry):
        return f"{entry}: no such file"
    return None


def _tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_entry(entry: str, args: list[str], timeout: float) -> GraphResult:
    """Run ``entry`` (a script path or ``package.module:callable``) in a child process up to training."""
    problem = _entry_error(entry)
    if problem:
        return GraphResult(error=problem)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")  # no GPU needed, none grabbed
    with tempfile.TemporaryDirectory(prefix="regcheck-trace-") as tmp:
        result_path = os.path.join(tmp, "result.json")
        command = [sys.executable, "-m", "regcheck.graph.runner", result_path, entry, *args]
        # Own session so a timeout can end the child and everything it started, and nothing else.
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            return GraphResult(error=f"{entry}: timed out after {timeout:g} s before reaching a training step")
        text = stderr.decode("utf-8", "replace")
        if not os.path.exists(result_path):
            return GraphResult(
                error=f"{entry}: the process died (exit status {proc.returncode})"
                + (f":\n{_tail(text)}" if text.strip() else "")
            )
        with open(result_path, encoding="utf-8") as handle:
            payload = json.load(handle)
    return _result(entry, payload)


def _result(entry: str, payload: dict[str, Any]) -> GraphResult:
    status = payload.get("status")
    notes = list(payload.get("notes", []))
    if status == "ok":
        return GraphResult(
            [Finding.from_json(f) for f in payload["findings"]],
            [CoverageRow.from_json(r) for r in payload["coverage"]],
            None,
            notes,
            payload.get("hook", ""),
        )
    if status == "error":
        return GraphResult(error=f"{entry} failed before reaching a training step:\n{payload['error']}")
    if status == "no-training":
        return GraphResult(
            error=f"{entry}: no training step was reached (no minimize, GradientTape.gradient, "
            "Session.run of a train op or Model.fit)"
        )
    if status == "no-loss":
        return GraphResult(
            error=f"{entry}: a training step was reached ({payload.get('hook')}) but its loss could "
            "not be inspected: " + "; ".join(notes),
            notes=notes,
        )
    return GraphResult(
        error=f"regcheck could not analyse the graph of {entry} (internal error):\n"
        + _tail(payload.get("error", ""), 4)
    )
