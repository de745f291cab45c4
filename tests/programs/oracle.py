"""Run both paths on generated programs and sort every disagreement.

The runners are plain functions, so a faster one can replace another:

- static: ``static_cli`` (``python -m regcheck check . --select ALL --output-format json --no-cache
  --exit-zero --keras V``, one process per program: what a user runs) or ``static_api``
  (``regcheck.check_paths`` in this process, the same settings: for throughput);
- graph: ``graph_cli`` (``python -m regcheck trace ENTRY --output-format json --exit-zero``, one
  TensorFlow start per program) or ``graph_batch`` (``python -m regcheck.graph.runner --batch``: many
  programs in one TensorFlow process, grouped by Keras version and eager / TF1 graph mode, with a reset
  step between programs; a batch that dies or times out is split and retried, down to ``graph_cli``).

``judge`` compares one path's findings with the program's expectations; ``compare`` adds static vs graph.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from programs.generator import GRAPH_CODES, Expected, Program, Site

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


@dataclass(frozen=True)
class Found:
    code: str
    site: Site
    message: str = ""
    symbol: str | None = None

    def describe(self) -> str:
        return f"{self.code} at {self.site}: {self.message}"


@dataclass
class Outcome:
    """What one path reported on one program: ``status`` ok, or why there is nothing to judge."""

    status: str  # ok | error | no-training | timeout | internal | skipped
    found: list[Found] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


@dataclass
class Job:
    program: Program
    folder: Path  # the program's files are written here
    keras: str  # the version the static path is told (the graph path runs program.keras)


StaticRunner = Callable[[Sequence[Job]], list[Outcome]]
GraphRunner = Callable[[Sequence[Job]], list[Outcome]]


def _env(keras: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.pop("TF_USE_LEGACY_KERAS", None)
    if keras == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    return env


def _site(path: str, line: int, folder: Path, cwd: Path) -> Site:
    full = Path(path) if os.path.isabs(path) else (cwd / path)
    try:
        rel = full.resolve().relative_to(folder.resolve())
    except ValueError:
        rel = Path(path)
    return Site(rel.as_posix(), int(line))


def parse_findings(findings: Iterable[dict[str, Any]], folder: Path, cwd: Path) -> list[Found]:
    return [
        Found(f["code"], _site(f["path"], f["line"], folder, cwd), f.get("message", ""), f.get("symbol"))
        for f in findings
    ]


# -- static ------------------------------------------------------------------------------------------------


def _run_cli(command: list[str], job: Job, keras: str, timeout: float | None = None) -> Outcome:
    """One regcheck command with ``--output-format json`` in the program's folder."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=job.folder, env=_env(keras), capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        status = "timeout" if "timed out" in proc.stderr else "error"
        return Outcome(status, error=proc.stderr[-3000:], seconds=seconds)
    report = json.loads(proc.stdout)
    return Outcome("ok", parse_findings(report["findings"], job.folder, job.folder), seconds=seconds)


def _each(one: Callable[[Job], Outcome], jobs: Sequence[Job], workers: int) -> list[Outcome]:
    if workers <= 1:
        return [one(job) for job in jobs]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, jobs))


def static_cli(jobs: Sequence[Job], workers: int = 1) -> list[Outcome]:
    def one(job: Job) -> Outcome:
        command = [PYTHON, "-m", "regcheck", "check", ".", "--select", "ALL", "--output-format", "json"]
        return _run_cli([*command, "--no-cache", "--exit-zero", "--keras", job.keras], job, job.keras)

    return _each(one, jobs, workers)


def static_api(jobs: Sequence[Job]) -> list[Outcome]:
    """``regcheck.check_paths`` in this process, from the program's folder (as the CLI runs)."""
    import regcheck

    outcomes = []
    here = os.getcwd()
    for job in jobs:
        start = time.perf_counter()
        try:
            os.chdir(job.folder)
            findings = regcheck.check_paths(["."], select="ALL", keras=job.keras)
            found = parse_findings((f.to_json() for f in findings), job.folder, job.folder)
            outcomes.append(Outcome("ok", found, seconds=time.perf_counter() - start))
        except Exception as exc:  # a crash of the static path is a result too
            outcomes.append(Outcome("error", error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - start))
        finally:
            os.chdir(here)
    return outcomes


# -- graph -------------------------------------------------------------------------------------------------


def _skip(job: Job) -> Outcome | None:
    if not job.program.traceable:
        return Outcome("skipped", error="; ".join(job.program.notes) or "the program does not reach training")
    return None


def graph_cli(jobs: Sequence[Job], timeout: float = 120.0, workers: int = 1) -> list[Outcome]:
    def one(job: Job) -> Outcome:
        skipped = _skip(job)
        if skipped:
            return skipped
        command = [PYTHON, "-m", "regcheck", "trace", job.program.entry, "--output-format", "json", "--exit-zero"]
        return _run_cli([*command, "--timeout", str(timeout)], job, job.program.keras, timeout + 30)

    return _each(one, jobs, workers)


# Between two programs of one batch: forget the previous program's modules, graph, Keras state and the
# variables regcheck's registry recorded (the registry keeps every variable ever made, and an eager read is
# matched to a variable by value: a previous program's zero bias would answer for this one's).
_RESET = """\
import gc
import sys

ROOT = {root!r}
for name, module in list(sys.modules.items()):
    if (getattr(module, "__file__", None) or "").startswith(ROOT):
        del sys.modules[name]
sys.path[:] = [p for p in sys.path if not p.startswith(ROOT)]
import tensorflow as tf

if not tf.executing_eagerly():
    tf.compat.v1.reset_default_graph()
try:
    tf.keras.backend.clear_session()
except Exception:
    pass
for obj in gc.get_objects():
    if type(obj).__name__ == "Registry" and type(obj).__module__ == "regcheck.graph.registry":
        obj.variables.clear()
        obj.layers.clear()
        obj.layer_sites.clear()
        obj.late_sites.clear()
gc.collect()
"""

_LAUNCH = """\
import sys

sys.path.insert(0, {folder!r})
import {module}

{module}.{function}()
"""


def _batch_once(jobs: Sequence[Job], work: Path, timeout: float) -> list[Outcome] | None:
    """One batch process over ``jobs`` (all of one Keras and one mode); None when it did not finish."""
    root = str(work.parent)
    reset = work / "_reset.py"
    reset.write_text(_RESET.format(root=root))
    entries: list[str] = []
    for n, job in enumerate(jobs):
        entries.append(str(reset))
        entry = job.program.entry
        if entry.endswith(".py"):
            entries.append(str(job.folder / entry))
        else:
            module, _, function = entry.partition(":")
            launcher = work / f"_launch_{n}.py"
            launcher.write_text(_LAUNCH.format(folder=str(job.folder), module=module, function=function))
            entries.append(str(launcher))
    result = work / "result.json"
    result.unlink(missing_ok=True)
    command = [PYTHON, "-m", "regcheck.graph.runner", "--batch", str(result), *entries]
    proc = subprocess.Popen(
        command,
        cwd=work,
        env=_env(jobs[0].program.keras),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return None
    if not result.exists():
        return None
    payloads = json.loads(result.read_text())["results"][1::2]  # every other entry is a reset
    return [_outcome(payload, job, work) for payload, job in zip(payloads, jobs)]


def _outcome(payload: dict[str, Any], job: Job, cwd: Path) -> Outcome:
    status = payload.get("status", "internal")
    if status == "ok":
        return Outcome("ok", parse_findings(payload["findings"], job.folder, cwd))
    error = payload.get("error") or "; ".join(payload.get("notes", [])) or status
    return Outcome(status, error=str(error)[-3000:])


def graph_batch(jobs: Sequence[Job], chunk: int = 16, timeout_per_program: float = 20.0) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, job in enumerate(jobs):
        skipped = _skip(job)
        if skipped:
            outcomes[i] = skipped
        else:
            groups.setdefault((job.program.keras, job.program.eager), []).append(i)
    with tempfile.TemporaryDirectory(prefix="batch-", dir=jobs[0].folder.parent if jobs else None) as tmp:
        work = Path(tmp)
        for indices in groups.values():
            pending = [indices[i : i + chunk] for i in range(0, len(indices), chunk)]
            while pending:
                part = pending.pop(0)
                start = time.perf_counter()
                done = _batch_once([jobs[i] for i in part], work, 60 + timeout_per_program * len(part))
                if done is None:
                    if len(part) == 1:
                        outcomes[part[0]] = graph_cli([jobs[part[0]]])[0]
                    else:
                        half = len(part) // 2
                        pending[:0] = [part[:half], part[half:]]
                    continue
                each = (time.perf_counter() - start) / len(part)
                for i, outcome in zip(part, done):
                    outcome.seconds = each
                    outcomes[i] = outcome
    return [outcomes[i] for i in range(len(jobs))]


# -- judging -----------------------------------------------------------------------------------------------


@dataclass
class Judgement:
    """One path against the expectations of one program."""

    path: str  # static | graph
    outcome: Outcome
    expected: tuple[Expected, ...]
    misses: list[Expected] = field(default_factory=list)
    false: list[Found] = field(default_factory=list)
    wrong_line: list[tuple[Expected, Found]] = field(default_factory=list)
    wrong_code: list[tuple[Expected, Found]] = field(default_factory=list)  # another code at the expected site
    keys: set[tuple[str, Site]] = field(default_factory=set)  # what was found, at the expected site when it matched

    @property
    def judged(self) -> bool:
        return self.outcome.status == "ok"

    @property
    def agrees(self) -> bool:
        return self.judged and not (self.misses or self.false or self.wrong_line or self.wrong_code)


def judge(
    path: str, outcome: Outcome, expected: Sequence[Expected], visible: frozenset[str] | None = None
) -> Judgement:
    """Match findings to expectations. ``visible``: the codes this path reports (others are not judged)."""
    result = Judgement(path, outcome, tuple(expected))
    if not result.judged:
        return result
    hit: set[int] = set()
    unmatched: list[Found] = []
    for found in outcome.found:
        if visible is not None and found.code not in visible:
            continue
        matches = [i for i, e in enumerate(expected) if e.matches(found.code, found.site)]
        if matches:
            hit.update(matches)
            e = expected[matches[0]]
            result.keys.add((e.code, e.site))
        else:
            unmatched.append(found)
    for found in unmatched:
        near = [i for i, e in enumerate(expected) if not e.optional and i not in hit and found.code in e.codes]
        other = [i for i, e in enumerate(expected) if not e.optional and i not in hit and found.site in e.sites]
        if near:
            hit.add(near[0])
            result.wrong_line.append((expected[near[0]], found))
            result.keys.add((expected[near[0]].code, expected[near[0]].site))
        elif other:
            # Reported at the right place under another code (RC101 where RC106 is meant): one disagreement, not two.
            hit.add(other[0])
            result.wrong_code.append((expected[other[0]], found))
            result.keys.add((found.code, found.site))
        else:
            result.false.append(found)
            result.keys.add((found.code, found.site))
    result.misses = [e for i, e in enumerate(expected) if not e.optional and i not in hit]
    return result


def static_vs_graph(program: Program, static: Judgement, graph: Judgement) -> list[tuple[str, str, Site]]:
    """Where the two paths disagree on a code both can report, beyond what the expectations make them differ on.

    Each entry: (code, "static only" | "graph only", site). Findings matched to an expectation are compared at
    that expectation's site, so two paths that point at different lines of one layer agree."""
    if not (static.judged and graph.judged):
        return []
    optional = {(e.code, e.site) for e in (*static.expected, *graph.expected) if e.optional}
    optional |= {(c, s) for e in (*static.expected, *graph.expected) if e.optional for c in e.codes for s in e.sites}
    expected_static = {(e.code, e.site) for e in static.expected if not e.optional and e.code in GRAPH_CODES}
    expected_graph = {(e.code, e.site) for e in graph.expected if not e.optional and e.code in GRAPH_CODES}
    allowed = expected_static ^ expected_graph  # the program's own reason for the paths to differ
    mine = {k for k in static.keys if k[0] in GRAPH_CODES} - optional
    theirs = {k for k in graph.keys if k[0] in GRAPH_CODES} - optional
    out = [(code, "static only", site) for code, site in sorted(mine - theirs - allowed)]
    out += [(code, "graph only", site) for code, site in sorted(theirs - mine - allowed)]
    return out


def write_program(program: Program, folder: Path) -> None:
    program.write(folder)
    (folder / "EXPECTED.txt").write_text(expectations_text(program))


def expectations_text(program: Program) -> str:
    lines = [program.describe(), ""]
    for version, wants in program.static.items():
        lines.append(f"static, --keras {version}:")
        lines += [f"  {e.describe()}" for e in wants] or ["  (no finding)"]
    lines.append(f"graph (keras {program.keras}{'' if program.traceable else ', not traceable'}):")
    lines += [f"  {e.describe()}" for e in program.graph] or ["  (no finding)"]
    if program.notes:
        lines += ["notes:", *(f"  {n}" for n in program.notes)]
    return "\n".join(lines) + "\n"


def indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text, prefix)
