"""The parent side of `regcheck trace`: start a runner server, give it entries, read their results.

``run_entry`` traces one entry; ``trace_many`` traces many with TensorFlow
started once per server (see ``regcheck.graph.runner``), which is what a
program generator wants: a script then costs its own run, not TensorFlow's
start-up. Neither imports TensorFlow in the calling process.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from regcheck.findings import Finding
from regcheck.graph.coverage import CoverageRow

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GPU_HINT = "GPUs are hidden from the script (CUDA_VISIBLE_DEVICES=''); pass --gpu to let it see them"
LEGACY_HINT = (
    "this looks like TF1 / tf.keras 2 code that Keras 3 no longer runs: install tf-keras and trace it "
    "with TF_USE_LEGACY_KERAS=1 (TF_USE_LEGACY_KERAS=1 regcheck trace ...)"
)
# Errors of TF1 / Keras 2 code under Keras 3: tf.layers and friends, Keras 2 layers mixed with TF ops.
_KERAS3_SIGNS = re.compile(
    r"is not available with Keras 3|not supported (in|by|with) Keras 3|keras\._tf_keras|"
    r"A KerasTensor cannot be used as input to a TensorFlow function"
)
_GPU_SIGNS = re.compile(r"gpu|cuda", re.IGNORECASE)


@dataclass
class GraphResult:
    findings: list[Finding] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)
    error: str | None = None  # set when the graph could not be inspected; the CLI exits 2
    notes: list[str] = field(default_factory=list)
    hook: str = ""  # the first step's hook
    steps: list[dict[str, Any]] = field(default_factory=list)  # one per optimizer step: hook, path, line, optimizer
    entry: str = ""
    seconds: float = 0.0  # the child's own run (TensorFlow's start-up excluded)
    # Functions the script defines that take no argument (before it failed or ended without training):
    # `entry:function` entries that audit a model without data.
    builders: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return self.error is None


@dataclass
class TraceOptions:
    """How an entry runs. ``keras``: "2" runs it under tf-keras (``TF_USE_LEGACY_KERAS=1``), "3" under
    Keras 3, None as the environment says. ``in_place``: in the current directory instead of a scratch
    copy. ``gpu``: let the script see the GPUs (hidden by default)."""

    timeout: float = 120.0
    in_place: bool = False
    gpu: bool = False
    keras: str | None = None


def entry_error(entry: str) -> str | None:
    """Why ``entry`` cannot be traced, in one line, or None."""
    where = entry if entry.endswith(".py") or ":" not in entry else entry.rpartition(":")[0]
    if os.path.isdir(where):
        scripts = sorted(
            os.path.relpath(os.path.join(root, name))
            for root, _, names in os.walk(where)
            for name in names
            if name.endswith(".py")
        )
        listed = ", ".join(scripts[:6]) + (f" and {len(scripts) - 6} more" if len(scripts) > 6 else "")
        return (
            f"{entry} is a folder: regcheck trace runs one training script (path/to/train.py [-- ARGS]) or a "
            "function that builds or trains a model (package.module:function, path/to/file.py:function)"
            + (f"; scripts in it: {listed}" if scripts else "")
        )
    if (where.endswith(".py") or ":" not in entry) and not os.path.isfile(where):
        return f"{where}: no such file"
    return None


def _tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _has_gpu() -> bool:
    return os.path.exists("/dev/nvidia0") or bool(
        os.path.isdir("/proc/driver/nvidia/gpus") and os.listdir("/proc/driver/nvidia/gpus")
    )


def _server_env(options: TraceOptions) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the user's folders
    if not options.gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""  # no GPU needed, none grabbed; said in the output
    if options.keras == "2":
        env["TF_USE_LEGACY_KERAS"] = "1"
    elif options.keras == "3":
        env.pop("TF_USE_LEGACY_KERAS", None)
    return env


def legacy_keras(options: TraceOptions) -> bool:
    if options.keras is not None:
        return options.keras == "2"
    return os.environ.get("TF_USE_LEGACY_KERAS") == "1"


class Server:
    """A runner process with TensorFlow imported; ``run`` traces one entry in a child forked from it."""

    def __init__(self, options: TraceOptions) -> None:
        self.options = options
        self._folder = tempfile.mkdtemp(prefix="regcheck-server-")
        self._log = open(os.path.join(self._folder, "server.log"), "w+b")  # noqa: SIM115  # closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "regcheck.graph.runner", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=_server_env(options),
            start_new_session=True,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        ready = json.loads(line) if line.strip() else {"ready": False}
        if not ready.get("ready"):
            self._log.seek(0)
            detail = str(ready.get("error") or self._log.read().decode("utf-8", "replace"))
            self.close()
            raise RuntimeError("the trace runner could not start TensorFlow:\n" + _tail(detail, 6))
        self.startup = float(ready.get("seconds", 0.0))

    def run(self, entry: str, args: Sequence[str] = (), cwd: str | None = None) -> GraphResult:
        problem = entry_error(entry) if cwd is None else None
        if problem:
            return GraphResult(error=problem, entry=entry)
        display_cwd = os.path.abspath(cwd or os.getcwd())
        folder = tempfile.mkdtemp(prefix="regcheck-trace-")
        try:
            work = display_cwd if self.options.in_place else _scratch(display_cwd, folder)
            job = {
                "entry": entry,
                "args": list(args),
                "cwd": work,
                "display_cwd": display_cwd,
                "timeout": self.options.timeout,
                **{key: os.path.join(folder, f"{key}.txt") for key in ("result", "stdout", "stderr", "dump")},
            }
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                return GraphResult(error=f"{entry}: the trace runner died", entry=entry)
            answer = json.loads(line)
            return _outcome(entry, job, answer, self.options)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.terminate()  # the server ends its running child's group, then itself
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._log.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None and self.proc.poll() is None:
            self.proc.terminate()
        self.close()


def _scratch(cwd: str, folder: str) -> str:
    """A working directory that reads like ``cwd`` (a link to each of its entries) and keeps new files to itself."""
    work = os.path.join(folder, "cwd")
    os.mkdir(work)
    try:
        names = os.listdir(cwd)
    except OSError:
        names = []
    for name in names:
        try:
            os.symlink(os.path.join(cwd, name), os.path.join(work, name))
        except OSError:
            continue
    return work


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def stuck_at(dump: str) -> str | None:
    """Where a faulthandler dump shows the script's main thread: ``train.py:12: time.sleep(1)``."""
    from regcheck.graph.locate import is_user_file, site_of

    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", dump)
    main = [b for b in blocks if "regcheck/graph/runner.py" in b] or blocks
    for block in main:
        for filename, line in re.findall(r'File "([^"]+)", line (\d+)', block):
            if is_user_file(filename):
                site = site_of(filename, int(line))
                import linecache

                text = linecache.getline(filename, int(line)).strip()
                return f"{site.path}:{site.line}" + (f": {text}" if text else "")
    return None


def _outcome(entry: str, job: dict[str, Any], answer: dict[str, Any], options: TraceOptions) -> GraphResult:
    stderr = _read(job["stderr"])
    text = _read(job["result"])
    payload = json.loads(text) if text.strip() else None
    hidden = not options.gpu
    if payload is not None and payload.get("status") == "ok":
        result = _result(entry, payload)
        if hidden and _has_gpu():
            result.notes.append(GPU_HINT)
    elif answer.get("timed_out"):
        where = stuck_at(_read(job["dump"]))
        result = GraphResult(
            error=f"{entry}: timed out after {options.timeout:g} s before reaching a training step"
            + (f"; the script was at {where}" if where else "")
        )
    elif payload is None:
        result = GraphResult(
            error=f"{entry}: the process died (exit status {answer.get('exit')})"
            + (f":\n{_tail(stderr)}" if stderr.strip() else "")
        )
    else:
        result = _result(entry, payload)
        if payload.get("status") == "error" and "exit" in payload and stderr.strip():
            result.error = f"{result.error}:\n{_tail(stderr, 6)}"  # the script's own message (argparse's usage)
        if result.error and payload.get("status") == "error":
            if hidden and _GPU_SIGNS.search(result.error + stderr):
                result.error += f"\n  hint: {GPU_HINT}"
            if not legacy_keras(options) and _KERAS3_SIGNS.search(result.error):
                # Not a bug of the script's: Keras 3 lacks what it uses. Where, and what to do, not a traceback.
                brief = payload.get("brief") or result.error.splitlines()[-1]
                result.error = f"{entry} needs tf-keras: {brief}\n  hint: {LEGACY_HINT}"
    result.entry = entry
    result.seconds = float(answer.get("seconds") or 0.0)
    return result


def _builder_hint(entry: str, builders: list[str]) -> str:
    where = entry.rpartition(":")[0] if ":" in entry and not entry.endswith(".py") else entry
    commands = ", ".join(f"regcheck trace {where}:{name}" for name in builders[:3])
    return f"to audit a model without data, trace a function that builds it: {commands}"


def _result(entry: str, payload: dict[str, Any]) -> GraphResult:
    status = payload.get("status")
    notes = list(payload.get("notes", []))
    builders = list(payload.get("builders") or [])
    if status == "ok":
        steps = list(payload.get("steps", []))
        return GraphResult(
            [Finding.from_json(f) for f in payload["findings"]],
            [CoverageRow.from_json(r) for r in payload["coverage"]],
            None,
            notes,
            steps[0]["hook"] if steps else payload.get("hook", ""),
            steps,
        )
    if status == "error":
        error = payload["error"]
        if error.startswith("the script exited"):
            message = f"{entry}: {error} before reaching a training step"
        elif error.startswith(entry):
            message = error
        else:
            message = f"{entry} failed before reaching a training step:\n{error}"
        if builders:
            message += f"\n  hint: {_builder_hint(entry, builders)}"
        return GraphResult(error=message, notes=notes, builders=builders)
    if status == "no-training":
        message = (
            f"{entry}: no training step was reached (no minimize, GradientTape.gradient, "
            "Session.run of a train op or Model.fit)"
        )
        if builders:
            message += f"; {_builder_hint(entry, builders)}"
        for note in notes:
            message += f"\n  note: {note}"
        return GraphResult(error=message, notes=notes, builders=builders)
    if status == "no-loss":
        return GraphResult(
            error=f"{entry}: a training step was reached but its loss could not be inspected: " + "; ".join(notes),
            notes=notes,
        )
    return GraphResult(
        error=f"regcheck could not analyse the graph of {entry} (internal error):\n"
        + _tail(payload.get("error", ""), 4)
    )


def run_entry(
    entry: str, args: Sequence[str] = (), timeout: float = 120.0, *, options: TraceOptions | None = None
) -> GraphResult:
    """Run ``entry`` (a script path, ``package.module:callable`` or ``file.py:callable``) up to training."""
    options = options or TraceOptions(timeout=timeout)
    problem = entry_error(entry)
    if problem:
        return GraphResult(error=problem, entry=entry)
    try:
        with Server(options) as server:
            return server.run(entry, args)
    except RuntimeError as exc:
        return GraphResult(error=str(exc), entry=entry)


def trace_many(
    entries: Iterable[str | tuple[str, Sequence[str]]],
    *,
    timeout: float = 60.0,
    keras: str | None = None,
    jobs: int = 1,
    cwd: str | None = None,
    in_place: bool = False,
    gpu: bool = False,
) -> list[GraphResult]:
    """Trace many entries, TensorFlow started once per worker: ``jobs`` servers, each forking a child per entry.

    An entry is ``"train.py"`` (or ``module:function``), or ``("train.py", ["--epochs", "1"])``. Results come
    back in the entries' order, one ``GraphResult`` each (``.entry``, ``.findings``, ``.coverage``,
    ``.steps``, ``.error``). ``keras="2"`` runs them under tf-keras, ``"3"`` under Keras 3. Relative paths
    are read from ``cwd`` (default: the current directory)."""
    items = [(e, ()) if isinstance(e, str) else (e[0], tuple(e[1])) for e in entries]
    results: list[GraphResult | None] = [None] * len(items)
    options = TraceOptions(timeout=timeout, in_place=in_place, gpu=gpu, keras=keras)
    base = os.path.abspath(cwd or os.getcwd())
    for index, (entry, _) in enumerate(items):
        where = entry if entry.endswith(".py") or ":" not in entry else entry.rpartition(":")[0]
        if where.endswith(".py") and not os.path.isfile(os.path.join(base, where)):
            results[index] = GraphResult(error=f"{where}: no such file", entry=entry)
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(items)):
        if results[index] is None:
            todo.put(index)
    if todo.empty():
        return [r for r in results if r is not None]
    # Servers are started here, in the calling thread: a server ends when the thread that started it does.
    servers = [Server(options) for _ in range(max(1, min(jobs, todo.qsize())))]

    def work(slot: int) -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            entry, args = items[index]
            try:
                results[index] = servers[slot].run(entry, args, cwd=base)
            except Exception as exc:  # a broken pipe: say so for this entry
                results[index] = GraphResult(error=f"{entry}: {type(exc).__name__}: {exc}", entry=entry)
            if servers[slot].proc.poll() is not None:  # the server died (killed, out of memory): a new one
                servers[slot].close()
                try:
                    servers[slot] = Server(options)
                except RuntimeError:
                    return

    try:
        threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(len(servers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for server in servers:
            server.close()
    return [
        r if r is not None else GraphResult(error=f"{items[i][0]}: not traced", entry=items[i][0])
        for i, r in enumerate(results)
    ]
